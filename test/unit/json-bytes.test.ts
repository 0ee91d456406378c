/**
 * The JSON header written straight into frame bytes (json-bytes.ts, encodeFrame, SendHeaderText)
 * against the text JSON.stringify makes, for any string, number and command.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SendHeaderJson, sendHeaderV2 } from '../../src/core/protocol/send-message.js';
import {
  decodeFrame,
  encodeFrame,
  languageName,
  type RemotingCommand,
  SerializeType,
} from '../../src/core/remoting/command.js';
import {
  jsonStringMaxBytes,
  NUMBER_MAX_BYTES,
  writeJsonString,
  writeNumber,
} from '../../src/core/remoting/json-bytes.js';

/** Any UTF-16 unit, lone surrogates included. */
const anyText = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) });
const text = fc.oneof(anyText, fc.string({ unit: 'binary' }), fc.string());

/** The header text as the encoder wrote it before it wrote bytes (fastjson key order). */
function headerText(cmd: RemotingCommand, extJson: string): string {
  let s = `{"code":${cmd.code},"extFields":${extJson},"flag":${cmd.flag},"language":"${languageName(cmd.language)}","opaque":${cmd.opaque}`;
  if (cmd.remark !== undefined) s += `,"remark":${JSON.stringify(cmd.remark)}`;
  return `${s},"serializeTypeCurrentRPC":"JSON","version":${cmd.version}}`;
}

function headerOf(frame: Buffer): string {
  const len = frame.readUInt32BE(4) & 0xffffff;
  return frame.toString('utf8', 8, 8 + len);
}

describe('writeJsonString', () => {
  it('writes exactly the UTF-8 of JSON.stringify(s), within jsonStringMaxBytes', () => {
    fc.assert(
      fc.property(text, fc.nat(7), (s, at) => {
        const buf = Buffer.alloc(at + jsonStringMaxBytes(s));
        const end = writeJsonString(buf, at, s);
        assert.ok(end <= buf.length);
        assert.deepEqual(buf.subarray(at, end), Buffer.from(JSON.stringify(s), 'utf8'));
      }),
      { numRuns: 5000 },
    );
  });
});

describe('writeNumber', () => {
  it('writes String(n) for integers, negative ones, and anything else', () => {
    const cases = [0, -0, 7, 10, 99, 100, -1, 2 ** 31, -(2 ** 31), 1712345678901, Number.MAX_SAFE_INTEGER];
    for (const n of [...cases, 1.5, -2.25, 2 ** 60, NaN, Infinity, 1e21]) {
      const buf = Buffer.alloc(NUMBER_MAX_BYTES + 2);
      const end = writeNumber(buf, 1, n);
      assert.equal(buf.toString('latin1', 1, end), String(n));
    }
    fc.assert(
      fc.property(fc.oneof(fc.maxSafeInteger(), fc.double()), (n) => {
        const buf = Buffer.alloc(NUMBER_MAX_BYTES);
        assert.equal(buf.toString('latin1', 0, writeNumber(buf, 0, n)), String(n));
      }),
      { numRuns: 5000 },
    );
  });
});

describe('encodeFrame: the JSON header', () => {
  const command = fc.record({
    code: fc.integer({ min: -40000, max: 400000 }),
    language: fc.nat(14),
    version: fc.nat(1000),
    opaque: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    flag: fc.nat(3),
    remark: fc.option(text, { nil: undefined }),
    extFields: fc.dictionary(text, text, { maxKeys: 5 }),
    body: fc.option(fc.uint8Array({ maxLength: 64 }), { nil: undefined }),
  });

  it('is the JSON text of the command, byte for byte, with the body after it', () => {
    fc.assert(
      fc.property(command, (c) => {
        const cmd: RemotingCommand = {
          ...c,
          body: c.body && Buffer.from(c.body),
          serializeType: SerializeType.JSON,
        };
        const frame = encodeFrame(cmd);
        const header = headerOf(frame);
        assert.equal(header, headerText(cmd, JSON.stringify(cmd.extFields)));
        assert.equal(frame.readInt32BE(0), frame.length - 4);
        const headerLen = Buffer.byteLength(header);
        assert.deepEqual(frame.subarray(8 + headerLen), cmd.body ?? Buffer.alloc(0));
      }),
      { numRuns: 3000 },
    );
  });

  it('writes the send header given as text the same as the fields it stands for', () => {
    fc.assert(
      fc.property(
        text,
        text,
        text,
        fc.nat(64),
        fc.nat(),
        text,
        (group, topic, broker, queueId, born, props) => {
          const fields = sendHeaderV2({
            producerGroup: group,
            topic,
            queueId,
            sysFlag: 0,
            bornTimestamp: born,
            flag: 0,
            properties: props,
            brokerName: broker,
          });
          const base = {
            code: 310,
            language: 0,
            version: 479,
            opaque: 9,
            flag: 0,
            extFields: fields,
            serializeType: SerializeType.JSON,
          };
          const viaText = encodeFrame({
            ...base,
            extJson: new SendHeaderJson(group, queueId, broker).text(topic, 0, born, props),
          });
          assert.deepEqual(viaText, encodeFrame(base));
          assert.deepEqual(decodeFrame(viaText.subarray(4)).extFields, fields);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('gives every frame bytes of its own: frames encoded later never change earlier ones', () => {
    const frames: { frame: Buffer; copy: Buffer }[] = [];
    for (let i = 0; i < 1000; i++) {
      // Mostly small, some around the slab's size: frames fill slabs, straddle their ends and
      // get buffers of their own.
      const body = Buffer.alloc((i * 7919) % (i % 10 === 0 ? 140_000 : 3000), i & 0xff);
      const frame = encodeFrame({
        code: 310,
        language: 0,
        version: 479,
        opaque: i,
        flag: 0,
        extFields: { n: String(i) },
        body: i % 3 === 0 ? undefined : body,
        serializeType: SerializeType.JSON,
      });
      frames.push({ frame, copy: Buffer.from(frame) });
    }
    for (const { frame, copy } of frames) assert.ok(frame.equals(copy));
  });
});
