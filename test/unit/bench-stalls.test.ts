import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_STALLS, mergeStalls, StallTracker } from '../../src/bench/stalls.js';

const T0 = 5_000_000; // µs on the engine clock
const at = (ms: number): number => T0 + ms * 1000;

describe('bench stalls', () => {
  test('gaps of 1 s or more between acknowledgements, from the first one on, and one still open at the end', () => {
    const s = new StallTracker(T0);
    // 3 s before the first acknowledgement: a cold start, not a stall.
    for (const ms of [3000, 3010, 3500, 3999, 6500, 6501, 7400, 8400]) s.acked(at(ms));
    assert.deepEqual(s.result(at(12_000)), [
      { fromMs: 3999, toMs: 6500, ms: 2501 },
      { fromMs: 7400, toMs: 8400, ms: 1000 },
      // Nothing acknowledged in the last 3.6 s of sending.
      { fromMs: 8400, toMs: null, ms: 3600 },
    ]);
  });

  test('no acknowledgement at all, or none missing: no stall', () => {
    assert.deepEqual(new StallTracker(T0).result(at(10_000)), []);
    const s = new StallTracker(T0);
    for (let ms = 0; ms <= 10_000; ms += 999) s.acked(at(ms));
    assert.deepEqual(s.result(at(10_500)), []);
  });

  test('a run with many keeps the longest, earliest first', () => {
    const s = new StallTracker(T0);
    // 100 acknowledgements, gap i (0 … 98) of 1000 + i ms: the last ones are the longest.
    let t = 0;
    for (let i = 0; i < 100; i++) {
      s.acked(at(t));
      if (i < 99) t += 1000 + i;
    }
    const kept = s.result(at(t));
    assert.equal(kept.length, MAX_STALLS);
    assert.deepEqual(
      kept.map((x) => x.ms),
      Array.from({ length: MAX_STALLS }, (_, i) => 1099 - MAX_STALLS + i),
    );
  });

  test('engines side by side: only times without an acknowledgement anywhere, engines without producers left out', () => {
    const a = [
      { fromMs: 1000, toMs: 5000, ms: 4000 },
      { fromMs: 9000, toMs: null, ms: 3000 },
    ];
    const b = [
      { fromMs: 2000, toMs: 4500, ms: 2500 },
      { fromMs: 4600, toMs: 6000, ms: 1400 },
      { fromMs: 10_000, toMs: null, ms: 1500 },
    ];
    assert.deepEqual(mergeStalls([a, undefined, b]), [
      { fromMs: 2000, toMs: 4500, ms: 2500 },
      // 4600–5000 is shorter than a stall.
      { fromMs: 10_000, toMs: null, ms: 2000 },
    ]);
    assert.equal(mergeStalls([undefined, undefined]), undefined);
    assert.deepEqual(mergeStalls([a, []]), []);
  });
});
