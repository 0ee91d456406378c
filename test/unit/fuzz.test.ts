/**
 * Property-based tests of every decoder that reads bytes from the network: whatever arrives,
 * the only exception is our typed ProtocolError, nothing hangs, and what we encode decodes back.
 * FUZZ_RUNS sets the number of cases (CI: 10,000 per property; `npm run fuzz`: more).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ProtocolError } from '../../src/core/errors.js';
import { decodeConsumeStats, decodeTopicStats } from '../../src/core/protocol/admin.js';
import { decodeAclInfo, decodeAclList } from '../../src/core/protocol/acl-policy.js';
import { decodeUserInfo, decodeUserList } from '../../src/core/protocol/acl-user.js';
import { decodePlainAclConfig } from '../../src/core/protocol/plain-acl.js';
import {
  decodeMessages,
  decodeProperties,
  encodeBatchBody,
  encodeProperties,
} from '../../src/core/protocol/message.js';
import { decodeClusterInfo, decodeTopicRoute } from '../../src/core/protocol/route.js';
import { decodeFrame, encodeFrame, type RemotingCommand } from '../../src/core/remoting/command.js';
import { parseFastjson } from '../../src/core/remoting/fastjson.js';
import { FrameDecoder } from '../../src/core/remoting/frame-decoder.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const params = { numRuns: RUNS };

/** Runs f; any exception other than ProtocolError fails the property. */
function onlyProtocolErrors(f: () => unknown): boolean {
  try {
    f();
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
  }
  return true;
}

const bytes = (max = 512) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));

const command: fc.Arbitrary<RemotingCommand> = fc.record({
  code: fc.integer({ min: -32768, max: 32767 }),
  language: fc.integer({ min: 0, max: 13 }),
  version: fc.integer({ min: 0, max: 32767 }),
  opaque: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  flag: fc.integer({ min: 0, max: 3 }),
  remark: fc.option(fc.string({ minLength: 1 }), { nil: undefined }),
  extFields: fc.dictionary(
    fc.string({ minLength: 1, maxLength: 20 }),
    fc.string({ minLength: 1, maxLength: 40 }),
  ),
  body: fc.option(
    bytes(256).filter((b) => b.length > 0),
    { nil: undefined },
  ),
  serializeType: fc.constantFrom(0 as const, 1 as const),
});

describe('fuzz: network decoders', () => {
  test('FrameDecoder: arbitrary bytes in arbitrary chunks only ever raise ProtocolError', () => {
    fc.assert(
      fc.property(fc.array(bytes(64), { maxLength: 16 }), (chunks) => {
        const d = new FrameDecoder(4096);
        return onlyProtocolErrors(() => {
          for (const c of chunks) d.push(c);
        });
      }),
      params,
    );
  });

  test('decodeFrame: arbitrary bytes only ever raise ProtocolError', () => {
    fc.assert(
      fc.property(bytes(), (b) => onlyProtocolErrors(() => decodeFrame(b))),
      params,
    );
  });

  test('frames round-trip through encodeFrame and a FrameDecoder, however they are split', () => {
    fc.assert(
      fc.property(
        fc.array(command, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 64 }),
        (cmds, step) => {
          const wire = Buffer.concat(cmds.map(encodeFrame));
          const d = new FrameDecoder();
          const out: RemotingCommand[] = [];
          for (let i = 0; i < wire.length; i += step) out.push(...d.push(wire.subarray(i, i + step)));
          assert.equal(out.length, cmds.length);
          out.forEach((got, i) => {
            const want = cmds[i]!;
            assert.equal(got.code, want.code);
            assert.equal(got.opaque, want.opaque);
            assert.equal(got.flag, want.flag);
            assert.equal(got.remark, want.remark === '' ? undefined : want.remark);
            assert.deepEqual(got.extFields, { ...want.extFields });
            assert.deepEqual(got.body ?? Buffer.alloc(0), want.body ?? Buffer.alloc(0));
          });
          assert.equal(d.pendingBytes, 0);
          return true;
        },
      ),
      { numRuns: Math.ceil(RUNS / 4) },
    );
  });

  test('parseFastjson: arbitrary text only ever raises ProtocolError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.json().map((j) => j.slice(0, Math.max(0, j.length - 1))),
        ),
        (s) => onlyProtocolErrors(() => parseFastjson(s)),
      ),
      params,
    );
  });

  test('parseFastjson agrees with JSON.parse on standard JSON', () => {
    fc.assert(
      fc.property(fc.json(), (s) => {
        assert.deepEqual(parseFastjson(s), JSON.parse(s));
        return true;
      }),
      { numRuns: Math.ceil(RUNS / 4) },
    );
  });

  test('body decoders: arbitrary JSON-ish text only ever raises ProtocolError', () => {
    const decoders = [
      decodeClusterInfo,
      decodeTopicRoute,
      decodeTopicStats,
      decodeConsumeStats,
      decodeUserInfo,
      decodeUserList,
      decodeAclInfo,
      decodeAclList,
      decodePlainAclConfig,
    ];
    fc.assert(
      fc.property(fc.oneof(fc.json(), fc.string({ maxLength: 100 })), fc.nat(decoders.length - 1), (s, i) =>
        onlyProtocolErrors(() => decoders[i]!(Buffer.from(s))),
      ),
      params,
    );
  });

  test('ACL decoders: the right shape with anything inside only ever raises ProtocolError', () => {
    const any = fc.anything({ maxDepth: 3 });
    const entry = fc.record(
      { resource: any, actions: any, sourceIps: any, decision: any },
      { requiredKeys: [] },
    );
    const policy = fc.record(
      { policyType: any, entries: fc.oneof(fc.array(entry), any) },
      { requiredKeys: [] },
    );
    const acl = fc.record({ subject: any, policies: fc.oneof(fc.array(policy), any) }, { requiredKeys: [] });
    const account = fc.record(
      { accessKey: any, secretKey: any, admin: any, topicPerms: any, whiteRemoteAddress: any },
      { requiredKeys: [] },
    );
    const config = fc.record(
      { globalWhiteAddrs: any, plainAccessConfigs: fc.oneof(fc.array(account), any) },
      { requiredKeys: [] },
    );
    const user = fc.record(
      { username: any, password: any, userType: any, userStatus: any },
      { requiredKeys: [] },
    );
    const cases = fc.oneof(
      acl.map((v) => () => decodeAclInfo(Buffer.from(JSON.stringify(v)))),
      fc.array(acl).map((v) => () => decodeAclList(Buffer.from(JSON.stringify(v)))),
      config.map((v) => () => decodePlainAclConfig(Buffer.from(JSON.stringify(v)))),
      fc.array(user).map((v) => () => decodeUserList(Buffer.from(JSON.stringify(v)))),
    );
    fc.assert(
      fc.property(cases, (run) => onlyProtocolErrors(run)),
      { numRuns: Math.ceil(RUNS / 4) },
    );
  });

  test('decodeMessages: arbitrary bytes only ever raise ProtocolError', () => {
    fc.assert(
      fc.property(bytes(400), (b) => onlyProtocolErrors(() => decodeMessages(b))),
      params,
    );
  });

  test('decodeMessages: a valid record with corrupted bytes only ever raises ProtocolError', () => {
    const record = validRecord();
    fc.assert(
      fc.property(
        fc.nat(record.length - 1),
        fc.integer({ min: 0, max: 255 }),
        fc.nat(record.length),
        (pos, v, cut) => {
          const b = Buffer.from(record);
          b[pos] = v;
          return onlyProtocolErrors(() => decodeMessages(b.subarray(0, cut)));
        },
      ),
      params,
    );
  });

  test('properties round-trip when names and values avoid the separators', () => {
    const part = fc.string({ minLength: 1, maxLength: 30 }).filter((s) => !/[\u0001\u0002]/.test(s));
    fc.assert(
      fc.property(fc.dictionary(part, part), (props) => {
        assert.deepEqual(decodeProperties(encodeProperties(props)), { ...props });
        return true;
      }),
      params,
    );
  });

  test('decodeProperties never throws', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        decodeProperties(s);
        return true;
      }),
      params,
    );
  });

  test('batch bodies have the declared layout', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ body: bytes(64), flag: fc.integer(), properties: fc.string({ maxLength: 40 }) }),
          { maxLength: 8 },
        ),
        (items) => {
          const buf = encodeBatchBody(items);
          let pos = 0;
          for (const it of items) {
            const total = buf.readInt32BE(pos);
            assert.equal(buf.readInt32BE(pos + 12), it.flag);
            assert.equal(buf.readInt32BE(pos + 16), it.body.length);
            pos += total;
          }
          assert.equal(pos, buf.length);
          return true;
        },
      ),
      { numRuns: Math.ceil(RUNS / 4) },
    );
  });
});

/** One stored-message record, built by hand from the layout in src/core/protocol/message.ts. */
function validRecord(): Buffer {
  const topic = Buffer.from('T');
  const body = Buffer.from('hello');
  const props = Buffer.from(encodeProperties({ UNIQ_KEY: 'ABC', TAGS: 'x' }));
  const size =
    4 +
    4 +
    4 +
    4 +
    4 +
    8 +
    8 +
    4 +
    8 +
    8 +
    8 +
    8 +
    4 +
    8 +
    4 +
    body.length +
    1 +
    topic.length +
    2 +
    props.length;
  const b = Buffer.alloc(size);
  let p = 0;
  p = b.writeInt32BE(size, p);
  p = b.writeInt32BE(-626843481, p);
  p = b.writeInt32BE(0, p); // crc
  p = b.writeInt32BE(1, p); // queueId
  p = b.writeInt32BE(0, p); // flag
  p = b.writeBigInt64BE(5n, p);
  p = b.writeBigInt64BE(100n, p);
  p = b.writeInt32BE(0, p); // sysFlag
  p = b.writeBigInt64BE(1n, p);
  p += 8; // bornHost
  p = b.writeBigInt64BE(2n, p);
  p += 8; // storeHost
  p = b.writeInt32BE(0, p);
  p = b.writeBigInt64BE(0n, p);
  p = b.writeInt32BE(body.length, p);
  p += body.copy(b, p);
  p = b.writeUInt8(topic.length, p);
  p += topic.copy(b, p);
  p = b.writeInt16BE(props.length, p);
  props.copy(b, p);
  assert.equal(decodeMessages(b)[0]!.body.toString(), 'hello');
  return b;
}
