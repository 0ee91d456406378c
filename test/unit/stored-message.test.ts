/** decodeMessages against records laid out as the broker's CommitLog writes them (MAGIC_V1, IPv4). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeMessages } from '../../src/core/protocol/message.js';

interface Fields {
  queueOffset: bigint;
  commitLogOffset: bigint;
  bornTimestamp: bigint;
  storeTimestamp: bigint;
  preparedTransactionOffset: bigint;
  bornHost: [number, number, number, number, number];
  storeHost: [number, number, number, number, number];
}

function record(f: Fields): Buffer {
  const body = Buffer.from('hello');
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
  p = b.writeInt32BE(0, p); // sysFlag: IPv4 hosts, not compressed
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
