import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ProtocolError } from '../../src/core/errors.js';
import { decodeTopicStats } from '../../src/core/protocol/admin.js';
import { decodeTopicRoute } from '../../src/core/protocol/route.js';
import {
  decodeFrame,
  encodeFrame,
  LanguageCode,
  type RemotingCommand,
  SerializeType,
} from '../../src/core/remoting/command.js';
import { FrameDecoder } from '../../src/core/remoting/frame-decoder.js';

const FIXTURES = new URL('../../../test/fixtures/', import.meta.url);

const hex = (s: string): Buffer => Buffer.from(s.replace(/[^0-9a-fA-F]/g, ''), 'hex');

/** Decodes a whole frame, length prefix included, checking the prefix on the way. */
function decodeWhole(bytes: Buffer): RemotingCommand {
  assert.equal(bytes.readInt32BE(0), bytes.length - 4, 'length prefix counts everything after itself');
  return decodeFrame(bytes.subarray(4));
}

function cmd(over: Partial<RemotingCommand>): RemotingCommand {
  return {
    code: 105,
    language: LanguageCode.JAVA,
    version: 479,
    opaque: 1,
    flag: 0,
    extFields: {},
    serializeType: SerializeType.JSON,
    ...over,
  };
}

/** Builds a frame around a hand-made binary header, to reach the decoder's bounds checks. */
function binaryFrame(header: Buffer): Buffer {
  const out = Buffer.alloc(4 + header.length);
  out.writeUInt32BE(((1 << 24) | header.length) >>> 0, 0);
  header.copy(out, 4);
  return out;
}

/** The 21-byte fixed part of a binary header, with remarkLen and extLen given. */
function fixedBinary(remarkLen: number, remark: Buffer, extLen: number, ext: Buffer): Buffer {
  const head = Buffer.alloc(17);
  head.writeInt16BE(105, 0);
  head.writeUInt8(0, 2);
  head.writeInt16BE(479, 3);
  head.writeInt32BE(1, 5);
  head.writeInt32BE(0, 9);
  head.writeInt32BE(remarkLen, 13);
  const el = Buffer.alloc(4);
  el.writeInt32BE(extLen, 0);
  return Buffer.concat([head, remark, el, ext]);
}

describe('JSON header (type 0)', () => {
  it('encodes the docs/protocol.md §1 JSON example byte for byte', () => {
    const frame = encodeFrame(cmd({ extFields: { topic: 'T' } }));
    const json =
      '{"code":105,"extFields":{"topic":"T"},"flag":0,"language":"JAVA","opaque":1,' +
      '"serializeTypeCurrentRPC":"JSON","version":479}';
    assert.equal(frame.readUInt32BE(0), 0x7f);
    assert.equal(frame.readUInt32BE(4), 0x7b);
    assert.equal(frame.subarray(8).toString('utf8'), json);
    assert.equal(frame.length, 4 + 0x7f);
  });

  it('round-trips every field, remark and body included', () => {
    const body = Buffer.from([0, 1, 2, 0xff, 0xfe]);
    const sent = cmd({
      code: 310,
      opaque: 0x7fffffff,
      flag: 2,
      version: 409,
      language: LanguageCode.OTHER,
      remark: 'ümlaut remark',
      extFields: { a: 'producer', b: 'T1', e: '-1', n: 'broker-a' },
      body,
    });
    const got = decodeWhole(encodeFrame(sent));
    assert.equal(got.serializeType, SerializeType.JSON);
    assert.equal(got.code, 310);
    assert.equal(got.opaque, 0x7fffffff);
    assert.equal(got.flag, 2);
    assert.equal(got.version, 409);
    assert.equal(got.language, LanguageCode.OTHER);
    assert.equal(got.remark, 'ümlaut remark');
    assert.deepEqual(got.extFields, { a: 'producer', b: 'T1', e: '-1', n: 'broker-a' });
    assert.deepEqual(got.body, body);
  });

  it('writes the language by name and reads names and numbers back', () => {
    const frame = encodeFrame(cmd({ language: LanguageCode.NODE_JS }));
    assert.match(frame.subarray(8).toString('utf8'), /"language":"NODE_JS"/);
    const header = Buffer.from('{"code":0,"language":9,"opaque":7,"flag":1}');
    const numeric = Buffer.concat([Buffer.alloc(4), header]);
    numeric.writeUInt32BE(header.length, 0);
    assert.equal(decodeFrame(numeric).language, LanguageCode.GO);
  });

  it('keeps \\u0001/\\u0002 in extFields, escaped on the wire', () => {
    const properties = 'KEYS\u0001order-1 order-2\u0002TAGS\u0001TagA\u0002UNIQ_KEY\u0001AC14\u0002';
    const frame = encodeFrame(cmd({ code: 310, extFields: { i: properties } }));
    const header = frame.subarray(8, 8 + (frame.readUInt32BE(4) & 0xffffff));
    assert.equal(header.includes(0x01), false, 'no raw control byte in the JSON header');
    assert.equal(header.includes(0x02), false);
    assert.ok(header.toString('utf8').includes('\\u0001'));
    assert.equal(decodeWhole(frame).extFields.i, properties);
  });

  it('decodes a header without extFields (as servers send when they have none) to {}', () => {
    const header = Buffer.from('{"code":0,"flag":1,"language":"JAVA","opaque":3,"version":479}');
    const frame = Buffer.concat([Buffer.alloc(4), header]);
    frame.writeUInt32BE(header.length, 0);
    const got = decodeFrame(frame);
    assert.deepEqual(got.extFields, {});
    assert.equal(got.body, undefined);
    assert.equal(got.remark, undefined);
  });

  it('turns non-string extField values into strings', () => {
    const header = Buffer.from(
      '{"code":0,"extFields":{"offset":12,"ok":true,"gone":null},"flag":1,"opaque":3}',
    );
    const frame = Buffer.concat([Buffer.alloc(4), header]);
    frame.writeUInt32BE(header.length, 0);
    assert.deepEqual(decodeFrame(frame).extFields, { offset: '12', ok: 'true' });
  });

  it('keeps an extField named __proto__ as data, with string and non-string values alike', () => {
    for (const ext of ['{"__proto__":"x","a":"1"}', '{"__proto__":"x","a":1}']) {
      const header = Buffer.from(`{"code":0,"extFields":${ext},"flag":1,"opaque":3}`);
      const frame = Buffer.concat([Buffer.alloc(4), header]);
      frame.writeUInt32BE(header.length, 0);
      const got = decodeFrame(frame).extFields;
      assert.equal(Object.getPrototypeOf(got), Object.prototype, ext);
      assert.deepEqual(Object.keys(got), ['__proto__', 'a'], ext);
      assert.equal(Object.getOwnPropertyDescriptor(got, '__proto__')?.value, 'x', ext);
      assert.equal(got.a, '1', ext);
    }
  });

  for (const [what, text] of [
    ['malformed JSON', '{"code":'],
    ['a non-object header', '[1,2]'],
    ['a non-numeric code', '{"code":"x"}'],
    ['extFields that is not an object', '{"code":1,"extFields":[1]}'],
  ] as const) {
    it(`rejects ${what} with ProtocolError`, () => {
      const header = Buffer.from(text);
      const frame = Buffer.concat([Buffer.alloc(4), header]);
      frame.writeUInt32BE(header.length, 0);
      assert.throws(() => decodeFrame(frame), ProtocolError);
    });
  }
});

describe('ROCKETMQ binary header (type 1)', () => {
  it('encodes the docs/protocol.md §2.2 worked example byte for byte', () => {
    const expected = hex(
      '00 00 00 25 | 01 00 00 21 | 00 69 00 01 DF 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 0C 00 05 74 6F 70 69 63 00 00 00 01 54',
    );
    const frame = encodeFrame(cmd({ extFields: { topic: 'T' }, serializeType: SerializeType.ROCKETMQ }));
    assert.equal(frame.toString('hex'), expected.toString('hex'));
  });

  it('decodes the docs/protocol.md §2.2 worked example', () => {
    const got = decodeWhole(
      hex('00000025 01000021 0069 00 01DF 00000001 00000000 00000000 0000000C 0005 746F706963 00000001 54'),
    );
    assert.equal(got.serializeType, SerializeType.ROCKETMQ);
    assert.equal(got.code, 105);
    assert.equal(got.language, LanguageCode.JAVA);
    assert.equal(got.version, 479);
    assert.equal(got.opaque, 1);
    assert.equal(got.flag, 0);
    assert.equal(got.remark, undefined);
    assert.deepEqual(got.extFields, { topic: 'T' });
    assert.equal(got.body, undefined);
  });

  it('round-trips remark, several UTF-8 extFields, control characters and a body', () => {
    const sent = cmd({
      code: 10,
      opaque: 123456789,
      flag: 3,
      language: LanguageCode.OTHER,
      remark: 'réponse ✓',
      extFields: { producerGroup: 'P', topic: 'Tö', properties: 'TAGS\u0001a\u0002', queueId: '-1' },
      body: Buffer.from('hello'),
      serializeType: SerializeType.ROCKETMQ,
    });
    const frame = encodeFrame(sent);
    assert.equal(frame.readUInt8(4), 1, 'serialize type byte');
    const got = decodeWhole(frame);
    assert.equal(got.serializeType, SerializeType.ROCKETMQ);
    assert.equal(got.code, 10);
    assert.equal(got.opaque, 123456789);
    assert.equal(got.flag, 3);
    assert.equal(got.language, LanguageCode.OTHER);
    assert.equal(got.remark, 'réponse ✓');
    assert.deepEqual(got.extFields, sent.extFields);
    assert.equal(got.body?.toString(), 'hello');
  });

  it('reads code and version as signed int16 and opaque as signed int32', () => {
    const h = fixedBinary(0, Buffer.alloc(0), 0, Buffer.alloc(0));
    h.writeInt16BE(-2, 0);
    h.writeInt16BE(-1, 3);
    h.writeInt32BE(-5, 5);
    const got = decodeFrame(binaryFrame(h));
    assert.equal(got.code, -2);
    assert.equal(got.version, -1);
    assert.equal(got.opaque, -5);
  });

  it('falls back to a JSON header for codes beyond int16 (5.x POP family)', () => {
    const frame = encodeFrame(cmd({ code: 200050, serializeType: SerializeType.ROCKETMQ }));
    assert.equal(frame.readUInt8(4), 0);
    const got = decodeWhole(frame);
    assert.equal(got.code, 200050);
    assert.equal(got.serializeType, SerializeType.JSON);
  });

  const ext = (k: string, v: string): Buffer => {
    const kb = Buffer.from(k);
    const vb = Buffer.from(v);
    const b = Buffer.alloc(2 + kb.length + 4 + vb.length);
    b.writeInt16BE(kb.length, 0);
    kb.copy(b, 2);
    b.writeInt32BE(vb.length, 2 + kb.length);
    vb.copy(b, 6 + kb.length);
    return b;
  };

  const bad: [string, Buffer][] = [
    ['a header shorter than 21 bytes', Buffer.alloc(20)],
    ['a remark length beyond the header', fixedBinary(100, Buffer.from('abc'), 0, Buffer.alloc(0))],
    ['a negative remark length', fixedBinary(-1, Buffer.alloc(0), 0, Buffer.alloc(0))],
    ['an extFields length beyond the header', fixedBinary(0, Buffer.alloc(0), 50, ext('k', 'v'))],
    ['a negative extFields length', fixedBinary(0, Buffer.alloc(0), -4, Buffer.alloc(0))],
    [
      'a key length beyond the map section',
      (() => {
        const e = ext('topic', 'T');
        e.writeInt16BE(200, 0);
        return fixedBinary(0, Buffer.alloc(0), e.length, e);
      })(),
    ],
    [
      'a negative key length',
      (() => {
        const e = ext('topic', 'T');
        e.writeInt16BE(-1, 0);
        return fixedBinary(0, Buffer.alloc(0), e.length, e);
      })(),
    ],
    [
      'a value length beyond the map section',
      (() => {
        const e = ext('topic', 'T');
        e.writeInt32BE(9999, 7);
        return fixedBinary(0, Buffer.alloc(0), e.length, e);
      })(),
    ],
    [
      'a negative value length',
      (() => {
        const e = ext('topic', 'T');
        e.writeInt32BE(-3, 7);
        return fixedBinary(0, Buffer.alloc(0), e.length, e);
      })(),
    ],
    ['a map section too short for a key length', fixedBinary(0, Buffer.alloc(0), 1, Buffer.alloc(1))],
  ];
  for (const [what, header] of bad) {
    it(`rejects ${what} with ProtocolError`, () => {
      assert.throws(() => decodeFrame(binaryFrame(header)), ProtocolError);
    });
  }

  it('accepts the same layouts when the lengths are right (the bounds tests test bounds)', () => {
    const e = Buffer.concat([ext('topic', 'T'), ext('queueId', '3')]);
    const got = decodeFrame(binaryFrame(fixedBinary(3, Buffer.from('abc'), e.length, e)));
    assert.equal(got.remark, 'abc');
    assert.deepEqual(got.extFields, { topic: 'T', queueId: '3' });
  });
});

describe('frame envelope', () => {
  it('rejects an unknown serialize type', () => {
    const frame = Buffer.from([2, 0, 0, 2, 0x7b, 0x7d]);
    assert.throws(() => decodeFrame(frame), ProtocolError);
  });

  it('rejects a header length larger than the frame', () => {
    const frame = Buffer.from([0, 0, 0, 9, 0x7b, 0x7d]);
    assert.throws(() => decodeFrame(frame), ProtocolError);
  });

  it('rejects a frame shorter than its header word', () => {
    assert.throws(() => decodeFrame(Buffer.from([0, 0])), ProtocolError);
  });
});

// ---------------------------------------------------------------------------------------------
// Golden frames: bytes a real server sent, recorded by scripts/capture-fixtures.mjs.

interface FixtureFile {
  kind: 'frame' | 'body';
  target: 'namesrv' | 'broker';
  requestCode: number;
  requestOpaque?: number;
  requestSerializeType: 'JSON' | 'ROCKETMQ';
  extFields: Record<string, string>;
}
interface FixtureIndex {
  serverVersion: string;
  brokerVersionOrdinal: number;
  namesrvVersionOrdinal: number;
  broker: string;
  files: Record<string, FixtureFile>;
}

const versions = existsSync(FIXTURES)
  ? readdirSync(FIXTURES).filter((d) => existsSync(new URL(`${d}/index.json`, FIXTURES)))
  : [];

describe('golden frames from a real 5.3.3 server', () => {
  const dir = new URL('5.3.3/', FIXTURES);
  const frame = (name: string): RemotingCommand => {
    const frames = new FrameDecoder().push(readFileSync(new URL(name, dir)));
    assert.equal(frames.length, 1);
    return frames[0]!;
  };

  it('route asked in JSON: a success response with opaque echoed and a strict-JSON route body', () => {
    const f = frame('namesrv-route-json.bin');
    assert.equal(f.serializeType, SerializeType.JSON);
    assert.equal(f.code, 0);
    assert.equal(f.flag, 1);
    assert.equal(f.opaque, 1002);
    assert.equal(f.version, 479);
    assert.equal(f.language, LanguageCode.JAVA);
    assert.deepEqual(f.extFields, {});
    const route = decodeTopicRoute(f.body);
    assert.equal(route.brokers[0]?.addrs.get(0), '127.0.0.1:30911');
    assert.equal(route.queues[0]?.readQueueNums, 8);
  });

  it('route asked with the binary header: 5.3.3 still answers with a JSON header', () => {
    const f = frame('namesrv-route-binary.bin');
    assert.equal(f.serializeType, SerializeType.JSON);
    assert.equal(f.code, 0);
    assert.equal(f.flag, 1);
    assert.equal(f.opaque, 1003);
    assert.equal(f.version, 479);
    assert.equal(decodeTopicRoute(f.body).queues[0]?.writeQueueNums, 8);
  });

  it('unknown topic: code 17 with a multi-line remark and no body', () => {
    const f = frame('namesrv-route-not-found.bin');
    assert.equal(f.code, 17);
    assert.equal(f.opaque, 1004);
    assert.equal(f.body, undefined);
    assert.ok(
      f.remark?.startsWith('No topic route info in name server for the topic: fixture_absent_topic\nSee '),
    );
  });

  it('broker topic stats, JSON and binary requests alike: object-keyed body of 8 queues', () => {
    for (const [name, opaque] of [
      ['broker-topic-stats-json.bin', 1005],
      ['broker-topic-stats-binary.bin', 1006],
    ] as const) {
      const f = frame(name);
      assert.equal(f.serializeType, SerializeType.JSON, name);
      assert.equal(f.opaque, opaque, name);
      assert.equal(f.code, 0, name);
      const stats = decodeTopicStats(f.body);
      assert.deepEqual(
        stats.map((s) => s.mq.queueId),
        [0, 1, 2, 3, 4, 5, 6, 7],
      );
    }
  });

  it('GET_MAX_OFFSET: the result travels in extFields', () => {
    for (const [name, opaque] of [
      ['broker-max-offset-json.bin', 1007],
      ['broker-max-offset-binary.bin', 1008],
    ] as const) {
      const f = frame(name);
      assert.equal(f.serializeType, SerializeType.JSON, name);
      assert.equal(f.opaque, opaque, name);
      assert.deepEqual(f.extFields, { offset: '0' }, name);
      assert.equal(f.body, undefined, name);
    }
  });

  it('unknown request code: 3 with the documented remark', () => {
    const f = frame('broker-unknown-code.bin');
    assert.equal(f.code, 3);
    assert.equal(f.flag, 1);
    assert.equal(f.remark, ' request type 9999 not supported');
  });
});

describe('golden frames of every captured server version', () => {
  for (const version of versions) {
    const dir = new URL(`${version}/`, FIXTURES);
    const index = JSON.parse(readFileSync(new URL('index.json', dir), 'utf8')) as FixtureIndex;
    for (const [name, meta] of Object.entries(index.files).filter(([, m]) => m.kind === 'frame')) {
      it(`${version}/${name}: one response frame, opaque echoed, survives re-encoding`, () => {
        const bytes = readFileSync(new URL(name, dir));
        const decoder = new FrameDecoder();
        const frames = decoder.push(bytes);
        assert.equal(frames.length, 1);
        assert.equal(decoder.pendingBytes, 0);
        const f = frames[0]!;
        assert.equal(f.flag & 1, 1, 'response flag');
        assert.equal(f.opaque, meta.requestOpaque);
        // Servers stamp their own version on every reply (4.9.7+ and 5.x).
        const stamped = meta.target === 'namesrv' ? index.namesrvVersionOrdinal : index.brokerVersionOrdinal;
        assert.equal(f.version, stamped);
        // Our encoder and decoder must agree with each other on what the server sent.
        for (const type of [SerializeType.JSON, SerializeType.ROCKETMQ]) {
          const again = decodeWhole(encodeFrame({ ...f, serializeType: type }));
          assert.equal(again.code, f.code);
          assert.equal(again.opaque, f.opaque);
          assert.equal(again.flag, f.flag);
          assert.equal(again.version, f.version);
          assert.equal(again.remark, f.remark);
          assert.deepEqual(again.extFields, f.extFields);
          assert.deepEqual(again.body, f.body);
        }
      });
    }
  }
});
