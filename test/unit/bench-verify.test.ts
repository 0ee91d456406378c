/** Verification accounting: loss, duplicates, reordering, receipts ahead of acknowledgements, transactions. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { decodeHeader, encodeHeader, rollsBack } from '../../src/bench/header.js';
import { Verifier } from '../../src/bench/verify.js';

describe('Verifier', () => {
  test('lost = acknowledged and never received, per group; duplicates = receipts beyond the first', () => {
    const v = new Verifier(['a', 'b']);
    for (let seq = 0; seq < 100; seq++) v.acknowledged(0, seq);
    for (let seq = 0; seq < 100; seq++) {
      if (seq !== 17) v.received(0, 0, seq);
      if (seq % 10 !== 3) v.received(1, 0, seq);
    }
    v.received(0, 0, 5);
    v.received(0, 0, 5);
    v.received(1, 0, 6);
    const s = v.summary(12);
    assert.equal(s.acknowledged, 100);
    assert.equal(s.lost, 1 + 10);
    assert.equal(s.duplicates, 3);
    assert.equal(s.complete, false);
    assert.equal(s.drainMs, 12);
    assert.deepEqual(
      s.groups.map((g) => [g.group, g.receivedUnique, g.lost, g.duplicates]),
      [
        ['a', 99, 1, 2],
        ['b', 90, 10, 1],
      ],
    );
    assert.deepEqual(s.lostSample.slice(0, 3), ['0:17', '0:3', '0:13']);
  });

  test('a receipt may come before its acknowledgement', () => {
    const v = new Verifier(['a']);
    v.received(0, 3, 0);
    assert.equal(v.isComplete(), true); // nothing acknowledged yet
    assert.equal(v.summary(0).unacknowledgedReceived, 1);
    v.acknowledged(3, 0);
    const s = v.summary(0);
    assert.equal(s.unacknowledgedReceived, 0);
    assert.equal(s.lost, 0);
    assert.equal(v.isComplete(), true);
    v.acknowledged(3, 1);
    assert.equal(v.isComplete(), false);
  });

  test('a failed send that arrives anyway is not lost, and not an error of the broker', () => {
    const v = new Verifier(['a']);
    v.failed(0, 0);
    v.received(0, 0, 0);
    v.failed(0, 1);
    const s = v.summary(0);
    assert.equal(s.lost, 0);
    assert.equal(s.unacknowledgedReceived, 1);
    assert.equal(s.acknowledged, 0);
  });

  test('reordering is counted per producer and message group, on first receipts only', () => {
    const v = new Verifier(['a'], 2);
    for (let seq = 0; seq < 10; seq++) v.acknowledged(0, seq);
    for (let seq = 0; seq < 10; seq++) v.acknowledged(1, seq);
    // Producer 0, group 0 (even sequences): 0 2 6 4 8 → 4 arrives after 6.
    for (const seq of [0, 2, 6, 4, 8]) v.received(0, 0, seq);
    // Group 1 (odd): 1 3 5 7 9 in order, then a duplicate of 3 (not a reorder).
    for (const seq of [1, 3, 5, 7, 9, 3]) v.received(0, 0, seq);
    // Producer 1 has its own order: its 0 after producer 0's 8 is fine.
    for (const seq of [0, 2, 4, 8, 6]) v.received(0, 1, seq);
    const s = v.summary(0);
    assert.equal(s.reordered, 2);
    assert.equal(s.duplicates, 1);
    assert.equal(s.lost, 5); // producer 1's odd sequences
  });

  test('without FIFO groups nothing counts as reordered', () => {
    const v = new Verifier(['a']);
    for (const seq of [3, 1, 2, 0]) {
      v.acknowledged(0, seq);
      v.received(0, 0, seq);
    }
    assert.equal(v.summary(0).reordered, 0);
  });

  test('transactions: rolled back ones are not expected, and receiving one is counted', () => {
    const v = new Verifier(['a']);
    v.rollback(0, 1);
    v.acknowledged(0, 0);
    v.acknowledged(0, 1);
    v.acknowledged(0, 2);
    v.received(0, 0, 0);
    v.received(0, 0, 2);
    assert.equal(v.isComplete(), true);
    let s = v.summary(0);
    assert.deepEqual([s.acknowledged, s.lost, s.rolledBack, s.rolledBackReceived], [2, 0, 1, 0]);
    v.received(0, 0, 1);
    s = v.summary(0);
    assert.equal(s.rolledBackReceived, 1);
  });

  test('large sequences grow the tables', () => {
    const v = new Verifier(['a']);
    v.acknowledged(2, 1_000_000);
    v.received(0, 2, 1_000_000);
    v.acknowledged(2, 1_000_001);
    assert.equal(v.summary(0).lost, 1);
  });
});

describe('Verifier.merge (worker threads)', () => {
  test('receipts seen by one thread of messages acknowledged by another are matched', () => {
    // Thread A sends producer 0's messages, thread B producer 1's; each consumes half the queues.
    const a = new Verifier(['g']);
    const b = new Verifier(['g']);
    for (let seq = 0; seq < 40; seq++) {
      a.acknowledged(0, seq);
      b.acknowledged(1, seq);
    }
    b.rollback(1, 39);
    for (let seq = 0; seq < 40; seq++) {
      const [x, y] = (seq >> 2) % 2 ? [b, a] : [a, b];
      if (seq !== 9) x.received(0, 0, seq);
      if (seq !== 39) y.received(0, 1, seq);
    }
    a.received(0, 0, 3); // a duplicate
    const { port1, port2 } = new MessageChannel();
    port1.postMessage([a.exportState(), b.exportState()]);
    const states = receiveMessageOnPort(port2)!.message as ReturnType<Verifier['exportState']>[];
    port1.close();
    const s = Verifier.merge(states, [2]).summary(5);
    assert.equal(s.acknowledged, 79);
    assert.equal(s.lost, 1);
    assert.deepEqual(s.lostSample, ['0:9']);
    assert.equal(s.duplicates, 1);
    assert.equal(s.rolledBack, 1);
    assert.equal(s.rolledBackReceived, 0);
    assert.equal(s.reordered, 2, 'reorders are what each thread saw');
    assert.equal(s.unacknowledgedReceived, 0);
    // Each thread alone would have called half of the other's messages unacknowledged.
    assert.ok(a.summary(0).unacknowledgedReceived > 0);
  });
});

describe('bench header', () => {
  test('round trip, and malformed headers are rejected', () => {
    const s = encodeHeader('ab12cd', 3, 42, 1_700_000_000_123_456 + 0.25);
    assert.equal(s, 'ab12cd.3.42.1700000000123456');
    assert.deepEqual(decodeHeader(s), {
      runId: 'ab12cd',
      producer: 3,
      seq: 42,
      sendUs: 1_700_000_000_123_456,
    });
    for (const bad of [undefined, '', 'x', 'a.b.c', 'a.1.2', '.1.2.3', 'a.1.x.3', 'a.1.2.zz']) {
      assert.equal(decodeHeader(bad), undefined, String(bad));
    }
  });

  test('rollsBack spreads the ratio evenly and is a pure function of (producer, seq)', () => {
    let n = 0;
    for (let seq = 0; seq < 10_000; seq++) if (rollsBack(1, seq, 0.25)) n++;
    assert.ok(Math.abs(n - 2500) < 150, String(n));
    assert.equal(rollsBack(4, 77, 0.5), rollsBack(4, 77, 0.5));
    assert.equal(rollsBack(0, 1, 0), false);
    assert.equal(rollsBack(0, 1, 1), true);
  });
});
