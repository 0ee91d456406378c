/** decodeMessages against records laid out as the broker's CommitLog writes them (MAGIC_V1, IPv4). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { decodeMessages, inflateBody, SysFlag } from '../../src/core/protocol/message.js';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { bodyErrorNote, fromRecord, toRecord } from '../../src/services/message-record.js';
import { zlibBomb } from '../helpers/hostile.js';

interface Fields {
  queueOffset: bigint;
  commitLogOffset: bigint;
  bornTimestamp: bigint;
  storeTimestamp: bigint;
  preparedTransactionOffset: bigint;
  bornHost: [number, number, number, number, number];
  storeHost: [number, number, number, number, number];
}

function record(f: Fields, body: Buffer = Buffer.from('hello'), sysFlag = 0): Buffer {
  const topic = Buffer.from('T');
  const props = Buffer.from('UNIQ_KEY\u0001U1\u0002');
  const size = 4 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 8 + 8 + 8 + 8 + 4 + 8 + 4 + body.length + 1 + topic.length + 2;
  const b = Buffer.alloc(size + props.length);
  let p = 0;
  p = b.writeInt32BE(b.length, p);
  p = b.writeInt32BE(-626843481, p); // MAGIC_V1
  p = b.writeInt32BE(0, p); // body CRC
  p = b.writeInt32BE(3, p); // queueId
  p = b.writeInt32BE(0, p); // flag
  p = b.writeBigInt64BE(f.queueOffset, p);
  p = b.writeBigInt64BE(f.commitLogOffset, p);
  p = b.writeInt32BE(sysFlag, p); // IPv4 hosts; not compressed unless asked
  p = b.writeBigInt64BE(f.bornTimestamp, p);
  for (const x of f.bornHost.slice(0, 4)) p = b.writeUInt8(x, p);
  p = b.writeInt32BE(f.bornHost[4], p);
  p = b.writeBigInt64BE(f.storeTimestamp, p);
  for (const x of f.storeHost.slice(0, 4)) p = b.writeUInt8(x, p);
  p = b.writeInt32BE(f.storeHost[4], p);
  p = b.writeInt32BE(0, p); // reconsumeTimes
  p = b.writeBigInt64BE(f.preparedTransactionOffset, p);
  p = b.writeInt32BE(body.length, p);
  p += body.copy(b, p);
  p = b.writeUInt8(topic.length, p);
  p += topic.copy(b, p);
  p = b.writeInt16BE(props.length, p);
  props.copy(b, p);
  return b;
}

describe('decodeMessages', () => {
  it('reads int64 fields, hosts and the offset message id as the broker wrote them', () => {
    const f: Fields = {
      queueOffset: 2n ** 40n + 5n,
      commitLogOffset: 0x861a488fn,
      bornTimestamp: 1763782938123n,
      storeTimestamp: 1763782938125n,
      preparedTransactionOffset: -1n,
      bornHost: [10, 0, 0, 7, 51234],
      storeHost: [127, 0, 0, 1, 10911],
    };
    const [m] = decodeMessages(record(f));
    assert.ok(m);
    assert.equal(m.queueId, 3);
    assert.equal(m.queueOffset, 2 ** 40 + 5);
    assert.equal(m.commitLogOffset, 0x861a488f);
    assert.equal(m.bornTimestamp, 1763782938123);
    assert.equal(m.storeTimestamp, 1763782938125);
    assert.equal(m.preparedTransactionOffset, -1);
    assert.equal(m.bornHost, '10.0.0.7:51234');
    assert.equal(m.storeHost, '127.0.0.1:10911');
    assert.equal(m.offsetMsgId, '7F00000100002A9F00000000861A488F');
    assert.equal(m.msgId, 'U1');
    assert.equal(m.body.toString(), 'hello');
  });

  it('reads any int64 below 2^53 exactly, negative ones included, and keeps the id bytes as stored', () => {
    const int64 = fc.bigInt({ min: -(2n ** 53n) + 1n, max: 2n ** 53n - 1n });
    fc.assert(
      fc.property(int64, int64, int64, fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }), (q, born, tx, clo) => {
        const rec = record({
          queueOffset: q,
          commitLogOffset: clo,
          bornTimestamp: born,
          storeTimestamp: 0n,
          preparedTransactionOffset: tx,
          bornHost: [1, 2, 3, 4, 5],
          storeHost: [127, 0, 0, 1, 10911],
        });
        const [m] = decodeMessages(rec);
        assert.equal(m!.queueOffset, Number(q));
        assert.equal(m!.bornTimestamp, Number(born));
        assert.equal(m!.preparedTransactionOffset, Number(tx));
        assert.equal(m!.commitLogOffset, Number(clo));
        assert.equal(m!.offsetMsgId, `7F00000100002A9F${clo.toString(16).toUpperCase().padStart(16, '0')}`);
      }),
      { numRuns: 2000 },
    );
  });
});

const ZLIB = SysFlag.COMPRESSED | SysFlag.COMPRESSION_ZLIB;
const MiB = 1024 * 1024;
const fields: Fields = {
  queueOffset: 7n,
  commitLogOffset: 4096n,
  bornTimestamp: 1n,
  storeTimestamp: 2n,
  preparedTransactionOffset: 0n,
  bornHost: [10, 0, 0, 7, 1],
  storeHost: [127, 0, 0, 1, 10911],
};

describe('decodeMessages: compressed bodies', () => {
  it('inflates a zlib body', () => {
    const body = Buffer.alloc(100_000, 'abc');
    const [m] = decodeMessages(record(fields, deflateSync(body), ZLIB));
    assert.deepEqual(m!.body, body);
    assert.equal(m!.bodyCompressed, false);
    assert.equal(m!.bodyError, undefined);
  });

  it('stops a bomb at the limit: body kept as stored, bodyError too-large, the next record still read', () => {
    const bomb = zlibBomb(64);
    const plain = record({ ...fields, queueOffset: 8n }, Buffer.from('after'));
    const [m, next] = decodeMessages(Buffer.concat([record(fields, bomb, ZLIB), plain]), {
      maxBodyBytes: 4 * MiB,
    });
    assert.deepEqual(m!.bodyError, { reason: 'too-large', storedBytes: bomb.length, limitBytes: 4 * MiB });
    assert.equal(m!.bodyCompressed, true);
    assert.deepEqual(m!.body, bomb);
    assert.equal(next!.body.toString(), 'after');
  });

  it('defaults to 64 MiB: a body of exactly 64 MiB inflates, one byte more does not', () => {
    const exact = decodeMessages(record(fields, zlibBomb(64), ZLIB))[0]!;
    assert.equal(exact.bodyError, undefined);
    assert.equal(exact.body.length, 64 * MiB);
    const over = decodeMessages(record(fields, zlibBomb(64), ZLIB), { maxBodyBytes: 64 * MiB - 1 })[0]!;
    assert.equal(over.bodyError?.reason, 'too-large');
  });

  it('reports a compressed body that is not zlib per message instead of failing the batch', () => {
    const [m, next] = decodeMessages(
      Buffer.concat([record(fields, Buffer.from('not zlib'), ZLIB), record(fields, Buffer.from('ok'))]),
    );
    assert.equal(m!.bodyError?.reason, 'corrupt');
    assert.equal(m!.body.toString(), 'not zlib');
    assert.equal(next!.body.toString(), 'ok');
  });

  it('inflate: false keeps bodies as stored for inflateBody to inflate later, once', () => {
    const body = Buffer.alloc(10_000, 'x');
    const [m] = decodeMessages(record(fields, deflateSync(body), ZLIB), { inflate: false });
    assert.equal(m!.bodyCompressed, true);
    inflateBody(m!, MiB);
    assert.deepEqual(m!.body, body);
    assert.equal(inflateBody(m!, MiB).body, m!.body);
  });

  it('leaves LZ4/ZSTD bodies as stored and flagged, without an error', () => {
    const lz4 = SysFlag.COMPRESSED | 0x100;
    const [m] = decodeMessages(record(fields, Buffer.from('lz4 bytes'), lz4));
    assert.equal(m!.bodyCompressed, true);
    assert.equal(m!.bodyError, undefined);
  });
});

describe('records of a message whose body was not inflated', () => {
  const bomb = zlibBomb(8);
  const m = decodeMessages(record(fields, bomb, ZLIB), { maxBodyBytes: MiB })[0]!;

  it('carry bodyError instead of the compressed bytes, and a warning names message, place and limit', () => {
    const rec = toRecord(m, 'broker-a');
    assert.equal(rec.body, undefined);
    assert.equal(rec.bodyBase64, undefined);
    assert.deepEqual(
      { ...rec.bodyError, message: undefined },
      { reason: 'too-large', storedBytes: bomb.length, limitBytes: MiB, message: undefined },
    );
    assert.match(rec.bodyError!.message, /more than 1 MiB.*--max-body/);
    assert.equal(
      bodyErrorNote(m, 'broker-a'),
      `message U1 (T broker-a queue 3 offset 7): ${rec.bodyError!.message}`,
    );
  });

  it('are refused by send --input ndjson rather than sent on without a body', () => {
    const rec = JSON.parse(JSON.stringify(toRecord(m))) as unknown;
    assert.throws(
      () => fromRecord(rec, 'copy', 'line 1'),
      (err: unknown) => {
        assert.ok(err instanceof InvalidArgumentError);
        assert.match(err.message, /^line 1: the record has no body \(it was not read: .*more than 1 MiB/);
        return true;
      },
    );
  });
});
