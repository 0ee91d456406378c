/** --slo expressions: parsing (units, operators, errors) and evaluation against a result. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newHistogram } from '../../src/bench/histogram.js';
import type { BenchResult, HistogramName } from '../../src/bench/result.js';
import { evaluateSlos, parseSlo } from '../../src/bench/slo.js';
import { InvalidArgumentError } from '../../src/core/errors.js';

describe('parseSlo', () => {
  test('latency quantiles and statistics, in µs whatever the unit', () => {
    assert.deepEqual(parseSlo('p99(send)<20ms'), {
      expr: 'p99(send)<20ms',
      metric: { kind: 'quantile', percentile: 99, histogram: 'send' },
      op: '<',
      threshold: 20_000,
    });
    assert.deepEqual(parseSlo('p99.9(e2e) <= 100ms').metric, {
      kind: 'quantile',
      percentile: 99.9,
      histogram: 'e2e',
    });
    assert.equal(parseSlo('p99.9(e2e) <= 100ms').op, '<=');
    assert.equal(parseSlo('p50(send_raw)<250us').threshold, 250);
    assert.equal(parseSlo('p50(send_raw)<250µs').threshold, 250);
    assert.equal(parseSlo('max(delay)<1.5s').threshold, 1_500_000);
    assert.deepEqual(parseSlo('mean(send)>=1ms').metric, { kind: 'stat', stat: 'mean', histogram: 'send' });
    assert.deepEqual(parseSlo('stdev(e2e)==0us').metric, { kind: 'stat', stat: 'stdev', histogram: 'e2e' });
    assert.equal(parseSlo('p100(send)<1s').metric.kind, 'quantile');
  });

  test('scalar metrics take plain numbers', () => {
    assert.deepEqual(parseSlo('tps>=5000'), {
      expr: 'tps>=5000',
      metric: { kind: 'scalar', name: 'tps' },
      op: '>=',
      threshold: 5000,
    });
    for (const m of ['rtps', 'errors', 'lost', 'duplicates', 'reordered']) {
      assert.deepEqual(parseSlo(`${m} == 0`).metric, { kind: 'scalar', name: m });
    }
    assert.equal(parseSlo('errors>0').op, '>');
  });

  test('mistakes are usage errors with a hint', () => {
    for (const bad of [
      'p99(send)<20', // a latency without a unit
      'p99(send)<20m', // minutes are not a latency unit here
      'p99(sent)<20ms', // unknown histogram
      'p0(send)<1ms',
      'p101(send)<1ms',
      'tps>=5k',
      'tps=>5000',
      'latency<5ms',
      'lost',
      '',
      'tps>=5000ms',
    ]) {
      assert.throws(
        () => parseSlo(bad),
        (e: unknown) =>
          e instanceof InvalidArgumentError && /invalid --slo/.test(e.message) && e.hint !== undefined,
        bad,
      );
    }
  });
});

function resultWith(over: Partial<BenchResult>): BenchResult {
  return {
    throughput: {
      send: { tps: 5000, mbps: 1, perInterval: null },
      receive: { tps: 4990, mbps: 1, perInterval: null },
    },
    errors: [
      { key: 'timeout', count: 2 },
      { key: 'SYSTEM_BUSY(2)', count: 1 },
    ],
    ...over,
  } as BenchResult;
}

describe('evaluateSlos', () => {
  const send = newHistogram();
  for (let v = 1; v <= 1000; v++) send.recordValue(v * 100); // 100 µs .. 100 ms, uniform
  const hist = (name: HistogramName) => (name === 'send' ? send : undefined);

  test('passes and failures, with the actual value in the metric unit', () => {
    const slos = [
      'p99(send)<100ms',
      'p99(send)<99ms',
      'p50(send)<=50ms',
      'max(send)==100ms',
      'mean(send)>50ms',
      'tps>=5000',
      'rtps>=5000',
      'errors==3',
      'errors==0',
    ].map(parseSlo);
    const { passed, results } = evaluateSlos(slos, resultWith({}), hist);
    assert.equal(passed, false);
    assert.deepEqual(
      results.map((r) => [r.expr, r.pass]),
      [
        ['p99(send)<100ms', true],
        ['p99(send)<99ms', false],
        ['p50(send)<=50ms', false], // 3 significant digits: p50 is 50,000's bucket top, 50,015
        ['max(send)==100ms', true],
        ['mean(send)>50ms', true],
        ['tps>=5000', true],
        ['rtps>=5000', false],
        ['errors==3', true],
        ['errors==0', false],
      ],
    );
    assert.ok(Math.abs(results[0]!.actual! - 99_000) < 100);
    assert.equal(results[7]!.actual, 3);
  });

  test('what was not measured fails: no samples, or verification metrics without --verify', () => {
    const { passed, results } = evaluateSlos(
      [parseSlo('p99(e2e)<1s'), parseSlo('lost==0')],
      resultWith({}),
      hist,
    );
    assert.equal(passed, false);
    assert.deepEqual(
      results.map((r) => [r.actual, r.pass]),
      [
        [null, false],
        [null, false],
      ],
    );
  });

  test('verification metrics come from the verification summary', () => {
    const r = resultWith({
      verification: {
        acknowledged: 10,
        lost: 1,
        duplicates: 2,
        reordered: 0,
        unacknowledgedReceived: 0,
        rolledBackReceived: 0,
        rolledBack: 0,
        complete: false,
        drainMs: 10,
        groups: [],
        lostSample: [],
      },
    });
    const { results } = evaluateSlos(['lost==0', 'duplicates<=2', 'reordered==0'].map(parseSlo), r, hist);
    assert.deepEqual(
      results.map((x) => [x.actual, x.pass]),
      [
        [1, false],
        [2, true],
        [0, true],
      ],
    );
  });

  test('an empty list passes', () => {
    assert.deepEqual(evaluateSlos([], resultWith({}), hist), { passed: true, results: [] });
  });
});
