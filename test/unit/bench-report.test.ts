/** The pure renderers, the streaming file formats, and the workload checks of planBench. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { HistogramLogReader } from 'hdr-histogram-js';
import { compareResults, welchT } from '../../src/bench/compare.js';
import { decodeHistogram, encodeHistogram, newHistogram } from '../../src/bench/histogram.js';
import { mergeResults, readResult } from '../../src/bench/merge.js';
import { CSV_COLUMNS, csvHeader, csvRow, HdrLog } from '../../src/bench/output.js';
import { capacityPlan } from '../../src/bench/plan.js';
import { renderPlotHtml, renderPlotSvg } from '../../src/bench/plot.js';
import type { BenchInterval, BenchResult, HistogramName } from '../../src/bench/result.js';
import { InvalidArgumentError } from '../../src/core/errors.js';
import type { BenchInput } from '../../src/services/bench/model.js';
import { planBench } from '../../src/services/bench/plan.js';
import {
  formatUs,
  renderBenchReport,
  renderComparison,
  renderPlan,
  renderTick,
  sparkline,
} from '../../src/ui/bench-report.js';

const ANSI = /\u001b\[/;

function interval(over: Partial<BenchInterval> = {}): BenchInterval {
  return {
    index: 0,
    phase: 'measure',
    startMs: 0,
    endMs: 1000,
    sent: 1000,
    sendErrors: 0,
    received: 990,
    sendTps: 1000,
    receiveTps: 990,
    sendMBps: 0.977,
    receiveMBps: 0.967,
    backlog: 10,
    inflight: 32,
    queued: 0,
    errors: {},
    send: { p50: 800, p99: 2500, max: 9000 },
    e2e: { p50: 1500, p99: 4000, max: 12000 },
    eventLoopP99Ms: 1.2,
    eventLoopMaxMs: 3.4,
    cpuPct: 42,
    ...over,
  };
}

function result(over: Partial<BenchResult> = {}): BenchResult {
  const lat = {
    count: 3000,
    min: 300,
    mean: 900.5,
    stdev: 120.2,
    p50: 800,
    p90: 1500,
    p99: 2500,
    p999: 8000,
    p9999: 9000,
    max: 9000,
  };
  return {
    schemaVersion: 1,
    tool: { name: 'rmq', version: '0.1.0' },
    runId: 'abc123',
    startedAt: '2026-01-01T00:00:00.000Z',
    endedAt: '2026-01-01T00:00:03.100Z',
    interrupted: false,
    parameters: {
      topic: 'orders',
      queues: 8,
      producers: 2,
      consumers: 1,
      groups: 1,
      groupNames: ['g'],
      size: 1024,
      keys: false,
      tags: [],
      mode: 'async',
      batch: 1,
      inflight: 32,
      rate: 1000,
      precise: false,
      durationMs: 3000,
      warmupMs: 0,
      intervalMs: 1000,
      type: 'normal',
      fifoGroups: 16,
      txRollbackRatio: 0,
      verify: true,
      drainMs: 10000,
      slo: ['p99(send)<20ms', 'tps>=5000'],
    },
    phases: { warmupMs: 0, measureMs: 3000, drainMs: 100 },
    totals: {
      sent: 3000,
      sendErrors: 3,
      received: 3000,
      measuredSent: 3000,
      measuredReceived: 2990,
      bytesSent: 3000 * 1024,
      bytesReceived: 3000 * 1024,
      unsent: 0,
      foreign: 0,
      saturated: 0,
      early: 0,
      skewed: 0,
      skewedMaxUs: 0,
    },
    throughput: {
      send: { tps: 1000, mbps: 0.977, perInterval: { min: 990, avg: 1000, max: 1010 } },
      receive: { tps: 996.7, mbps: 0.973, perInterval: { min: 980, avg: 996.7, max: 1010 } },
    },
    latency: { send: lat, send_raw: lat, e2e: { ...lat, p50: 1500 } },
    histograms: {},
    errors: [{ key: 'timeout', count: 3 }],
    eventLoop: { p50Ms: 0.5, p99Ms: 1.5, maxMs: 4 },
    cpu: { userMs: 800, systemMs: 200, usPerMessage: 166.67 },
    intervals: [
      interval(),
      interval({ index: 1, startMs: 1000, endMs: 2000, sendTps: 1010 }),
      interval({ index: 2, startMs: 2000, endMs: 3000, sendTps: 990 }),
    ],
    verification: {
      acknowledged: 2997,
      lost: 0,
      duplicates: 2,
      reordered: 0,
      unacknowledgedReceived: 0,
      rolledBackReceived: 0,
      rolledBack: 0,
      complete: true,
      drainMs: 100,
      groups: [{ group: 'g', receivedUnique: 2997, lost: 0, duplicates: 2, reordered: 0 }],
      lostSample: [],
    },
    slo: {
      passed: false,
      results: [
        { expr: 'p99(send)<20ms', metric: 'p99(send)', op: '<', threshold: 20000, actual: 2500, pass: true },
        { expr: 'tps>=5000', metric: 'tps', op: '>=', threshold: 5000, actual: 1000, pass: false },
      ],
    },
    warnings: ['achieved 1000 msg/s of the 2000 msg/s target'],
    ...over,
  };
}

describe('renderBenchReport', () => {
  test('echoes the parameters, and has throughput, latency, errors, verification and thresholds', () => {
    const text = renderBenchReport(result(), { color: false });
    assert.doesNotMatch(text, ANSI);
    for (const needle of [
      'rmq bench run abc123  topic orders',
      '2 producers (async), open loop at 1,000 msg/s, at most 32 in flight per producer',
      '1 consumer × 1 group (g)',
      'Throughput',
      'Latency',
      'p99.99',
      '2.50 ms',
      'Errors',
      'timeout',
      'Verification',
      '✓ lost        0 of 2,997 acknowledged',
      'Thresholds',
      '✓ p99(send)<20ms',
      '✗ tps>=5000',
      'actual 1,000 msg/s (threshold >= 5,000)',
      '! achieved 1000 msg/s',
      'coordinated omission corrected',
    ]) {
      assert.ok(text.includes(needle), `missing "${needle}" in\n${text}`);
    }
    const lines = text.split('\n');
    const sendRow = lines.find((l) => l.trimStart().startsWith('send ') && l.includes('1,000'))!;
    assert.match(sendRow, /send\s+1,000\s+0\.98\s+990\s+1,000\s+1,010/);
  });

  test('colour only when asked', () => {
    assert.match(renderBenchReport(result(), { color: true }), ANSI);
  });

  test('sections that do not apply are left out', () => {
    const text = renderBenchReport(
      result({ errors: [], verification: undefined, slo: undefined, warnings: [], latency: {} }),
      { color: false },
    );
    for (const absent of ['Errors', 'Verification', 'Thresholds', '!'])
      assert.ok(!text.includes(absent), absent);
    assert.ok(text.includes('no latency samples'));
  });

  test('live tick line', () => {
    const line = renderTick(interval({ sendErrors: 2, queued: 5 }), result().parameters, { color: false });
    assert.equal(
      line,
      '    1s measure  send   1,000/s  recv     990/s  send p99 2.50 ms  e2e p99 4.00 ms  err 2  backlog 10  behind 5  loop p99 1.20 ms cpu 42%',
    );
  });

  test('formatUs and sparkline', () => {
    assert.deepEqual([1, 999, 1000, 12_345, 123_456, 1_234_567].map(formatUs), [
      '1 µs',
      '999 µs',
      '1.00 ms',
      '12.3 ms',
      '123 ms',
      '1.23 s',
    ]);
    assert.equal(sparkline([0, 1, 2, 3, 4, 5, 6, 7]), '▁▂▃▄▅▆▇█');
    assert.equal(sparkline([0, 0]), '▁▁');
    assert.equal(
      sparkline(
        Array.from({ length: 200 }, (_, i) => i),
        20,
      ).length,
      20,
    );
  });
});

describe('--csv and --hdr-log', () => {
  test('one CSV row per interval, as many cells as columns, errors quoted when needed', () => {
    assert.equal(csvHeader(), `${CSV_COLUMNS.join(',')}\n`);
    const row = csvRow(interval({ errors: { timeout: 2, 'SYSTEM_BUSY(2)': 1 }, e2e: null }));
    const cells = row.trimEnd().split(',');
    assert.equal(cells.length, CSV_COLUMNS.length);
    assert.equal(cells[CSV_COLUMNS.indexOf('errors')], 'timeout=2;SYSTEM_BUSY(2)=1');
    assert.equal(cells[CSV_COLUMNS.indexOf('e2e_p99_us')], '');
    assert.equal(cells[CSV_COLUMNS.indexOf('send_p99_us')], '2500');
  });

  test('the interval log reads back with a standard HdrHistogram log reader', () => {
    let text = '';
    const startUs = 1_700_000_000_000_000;
    const log = new HdrLog(
      (s) => {
        text += s;
      },
      startUs,
      'test run',
    );
    const hs = Object.fromEntries(
      (['send', 'send_raw', 'e2e', 'delay'] as HistogramName[]).map((n) => [n, newHistogram()]),
    ) as Record<HistogramName, ReturnType<typeof newHistogram>>;
    for (let i = 1; i <= 100; i++) {
      hs.send.recordValue(i * 10);
      hs.e2e.recordValue(i * 20);
    }
    log.interval(hs, startUs, startUs + 1_000_000);
    assert.match(text, /^#\[Histogram log format version 1\.3\]/);
    assert.match(text, /#\[values are microseconds/);
    assert.match(text, /Tag=send,0\.000,1\.000,1\.000,/);
    assert.ok(!text.includes('Tag=delay'), 'empty histograms are left out');
    const reader = new HistogramLogReader(text);
    const first = reader.nextIntervalHistogram()!;
    const second = reader.nextIntervalHistogram()!;
    assert.deepEqual([first.tag, first.totalCount, first.maxValue], ['send', 100, 1000]);
    assert.deepEqual([second.tag, second.totalCount, second.maxValue], ['e2e', 100, 2000]);
    assert.equal(reader.startTimeSec, startUs / 1e6);
  });
});

function input(over: Partial<BenchInput> = {}): BenchInput {
  return {
    namesrv: ['127.0.0.1:9876'],
    timeoutMs: 3000,
    queues: 8,
    producers: 1,
    consumers: 1,
    groups: 1,
    size: 1024,
    keys: false,
    mode: 'async',
    batch: 1,
    warmupMs: 0,
    intervalMs: 1000,
    fifoGroups: 16,
    verify: false,
    drainMs: 10_000,
    slo: [],
    retries: 2,
    toolVersion: '0.0.0',
    runId: 'r00001',
    ...over,
  };
}

describe('planBench', () => {
  test('defaults: a throw-away topic and group, 10 s, 32 in flight', () => {
    const plan = planBench(input());
    assert.equal(plan.params.topic, 'rmq_bench_r00001');
    assert.deepEqual(plan.params.groupNames, ['rmq_bench_r00001']);
    assert.equal(plan.params.durationMs, 10_000);
    assert.equal(plan.params.inflight, 32);
    assert.equal(plan.params.type, 'normal');
    assert.equal(plan.ephemeralTopic, true);
    assert.equal(plan.ephemeralGroups, true);
  });

  test('named topic and group prefix for fan-out are kept', () => {
    const plan = planBench(input({ topic: 't', group: 'g', groups: 3 }));
    assert.deepEqual(plan.params.groupNames, ['g_0', 'g_1', 'g_2']);
    assert.equal(plan.ephemeralTopic, false);
    assert.equal(plan.ephemeralGroups, false);
  });

  test('implications, with a note', () => {
    const a = planBench(input({ delayMs: 5000 }));
    assert.equal(a.params.type, 'delay');
    const b = planBench(input({ slo: ['lost==0'] }));
    assert.equal(b.params.verify, true);
    assert.ok(b.notes.some((n) => n.includes('turns on --verify')));
    const c = planBench(input({ mode: 'sync', inflight: 8 }));
    assert.equal(c.params.inflight, 1);
    assert.ok(c.notes.some((n) => n.includes('--inflight is ignored')));
    assert.equal(planBench(input({ messages: 5 })).params.durationMs, undefined);
  });

  test('receive-only: the other half of a two-process run', () => {
    const plan = planBench(input({ producers: 0, topic: 'orders', runId: 'abc123' }));
    assert.equal(plan.runId, 'abc123');
    assert.equal(plan.params.producers, 0);
    assert.equal(plan.ephemeralTopic, false);
  });

  test('contradictions are usage errors', () => {
    for (const [what, over] of [
      ['delay without --delay', { type: 'delay' }],
      ['--delay with another type', { type: 'fifo', delayMs: 100 }],
      ['rollback ratio without transactions', { txRollbackRatio: 0.1 }],
      ['rollback ratio out of range', { type: 'transaction', txRollbackRatio: 1.5 }],
      ['duration and messages', { durationMs: 1000, messages: 10 }],
      ['zero rate', { rate: 0 }],
      ['batch of fifo', { batch: 4, type: 'fifo' }],
      ['batch oneway', { batch: 4, mode: 'oneway' }],
      ['oneway transactions', { mode: 'oneway', type: 'transaction' }],
      ['verify without consumers', { verify: true, consumers: 0 }],
      ['e2e slo without consumers', { consumers: 0, slo: ['p99(e2e)<1s'] }],
      ['delay slo without delay', { slo: ['p99(delay)<1s'] }],
      ['reordered slo without fifo', { slo: ['reordered==0'] }],
      ['bad slo', { slo: ['p99(send)<5'] }],
      ['receive-only without a run id', { producers: 0, topic: 't', runId: undefined }],
      ['receive-only without a topic', { producers: 0, runId: 'abc' }],
      ['receive-only with --verify', { producers: 0, topic: 't', runId: 'abc', verify: true }],
      ['receive-only with --rate', { producers: 0, topic: 't', runId: 'abc', rate: 10 }],
      ['nothing at all', { producers: 0, consumers: 0, topic: 't', runId: 'abc' }],
      ['bad run id', { runId: 'A.B' }],
      ['more workers than producers', { workers: 3, producers: 2 }],
    ] as [string, Partial<BenchInput>][]) {
      assert.throws(() => planBench(input(over)), InvalidArgumentError, what);
    }
  });
});

/** A histogram of `n` values spread evenly over [lo, hi] µs, encoded. */
function encoded(lo: number, hi: number, n = 1000): string {
  const h = newHistogram();
  for (let i = 0; i < n; i++) h.recordValue(Math.round(lo + ((hi - lo) * i) / (n - 1)));
  return encodeHistogram(h);
}

function withSeries(r: BenchResult, tps: number[], p99: number[]): BenchResult {
  return {
    ...r,
    intervals: tps.map((t, i) =>
      interval({
        index: i,
        startMs: i * 1000,
        endMs: (i + 1) * 1000,
        sendTps: t,
        receiveTps: t,
        send: { p50: 800, p99: p99[i]!, max: 9000 },
      }),
    ),
  };
}

describe('bench merge', () => {
  test('histograms add exactly, rates and counts sum, intervals align by index', () => {
    const a = result({ runId: 'aaaaaa', histograms: { send: encoded(100, 1000) } });
    const b = result({
      runId: 'bbbbbb',
      histograms: { send: encoded(5000, 9000) },
      errors: [
        { key: 'timeout', count: 1 },
        { key: 'SYSTEM_BUSY(2)', count: 4 },
      ],
    });
    const { result: m, histograms } = mergeResults([a, b]);
    assert.equal(m.runId, 'aaaaaa+bbbbbb');
    assert.deepEqual(m.merged, { count: 2, runIds: ['aaaaaa', 'bbbbbb'] });
    const direct = decodeHistogram(a.histograms.send!);
    direct.add(decodeHistogram(b.histograms.send!));
    assert.equal(m.latency.send?.count, 2000);
    assert.equal(m.latency.send?.p99, direct.getValueAtPercentile(99));
    assert.equal(m.latency.send?.p50, direct.getValueAtPercentile(50));
    assert.equal(histograms.send.totalCount, 2000);
    assert.equal(decodeHistogram(m.histograms.send!).totalCount, 2000);
    assert.equal(m.throughput.send.tps, 2000);
    assert.equal(m.totals.sent, 6000);
    assert.equal(m.parameters.producers, 4);
    assert.equal(m.parameters.rate, 2000);
    assert.deepEqual(m.errors, [
      { key: 'SYSTEM_BUSY(2)', count: 4 },
      { key: 'timeout', count: 4 },
    ]);
    assert.equal(m.intervals.length, 3);
    assert.equal(m.intervals[1]!.sendTps, 2020);
    assert.deepEqual(m.throughput.send.perInterval, { min: 1980, avg: 2000, max: 2020 });
    assert.equal(m.verification?.acknowledged, 2 * 2997);
    assert.equal(m.slo, undefined);
  });

  test('per-broker rows merge by name, their histograms exactly; results without rows add none', () => {
    const row = (brokerName: string, sent: number, lo: number, hi: number) => ({
      brokerName,
      sent,
      sendErrors: 1,
      tps: 0,
      share: 0,
      send: null,
      histogram: encoded(lo, hi),
    });
    const a = result({
      runId: 'aaaaaa',
      brokers: [row('broker-a', 1000, 100, 1000), row('broker-b', 1000, 5000, 9000)],
    });
    const b = result({ runId: 'bbbbbb', brokers: [row('broker-a', 1000, 100, 1000)] });
    const { result: m } = mergeResults([a, b]);
    assert.deepEqual(
      m.brokers!.map((x) => [x.brokerName, x.sent, x.sendErrors, x.share, x.send?.count]),
      [
        ['broker-a', 2000, 2, 0.667, 2000],
        ['broker-b', 1000, 1, 0.333, 1000],
      ],
    );
    const direct = decodeHistogram(a.brokers![0]!.histogram!);
    direct.add(decodeHistogram(b.brokers![0]!.histogram!));
    assert.equal(m.brokers![0]!.send?.p99, direct.getValueAtPercentile(99));
    assert.equal(mergeResults([result(), result({ runId: 'cccccc' })]).result.brokers, undefined);
  });

  test('stored-not-as-asked counts add up by status; the largest clock skew is the largest, not a sum', () => {
    const a = result({ runId: 'aaaaaa', notAsAsked: [{ key: 'SLAVE_NOT_AVAILABLE', count: 5 }] });
    a.totals = { ...a.totals, storedNotAsAsked: 5, skewed: 2, skewedMaxUs: 700 };
    const b = result({
      runId: 'bbbbbb',
      notAsAsked: [
        { key: 'FLUSH_SLAVE_TIMEOUT', count: 9 },
        { key: 'SLAVE_NOT_AVAILABLE', count: 1 },
      ],
    });
    b.totals = { ...b.totals, storedNotAsAsked: 10, skewed: 1, skewedMaxUs: 300 };
    const c = result({ runId: 'cccccc' }); // older result: neither field
    const { result: m } = mergeResults([c, a, b]);
    assert.equal(m.totals.storedNotAsAsked, 15);
    assert.deepEqual(m.notAsAsked, [
      { key: 'FLUSH_SLAVE_TIMEOUT', count: 9 },
      { key: 'SLAVE_NOT_AVAILABLE', count: 6 },
    ]);
    assert.equal(m.totals.skewed, 3);
    assert.equal(m.totals.skewedMaxUs, 700);
    assert.equal(mergeResults([c, c]).result.notAsAsked, undefined);
  });

  test('readResult takes version 1 results only', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'rmq-bench-read-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const good = join(dir, `rmq-bench-${process.pid}-good.json`);
    const bad = join(dir, `rmq-bench-${process.pid}-bad.json`);
    const text = join(dir, `rmq-bench-${process.pid}-text.json`);
    writeFileSync(good, JSON.stringify(result()));
    writeFileSync(bad, JSON.stringify({ ...result(), schemaVersion: 2 }));
    writeFileSync(text, 'hello');
    assert.equal(readResult(good).runId, 'abc123');
    assert.throws(() => readResult(bad), /not a version 1 bench result/);
    assert.throws(() => readResult(text), /not JSON/);
    assert.throws(() => readResult(join(dir, 'does-not-exist.json')), /cannot read/);
  });
});

describe('bench compare', () => {
  test("Welch's t", () => {
    assert.equal(welchT([1], [2]), null);
    assert.equal(welchT([1, 1, 1], [1, 1, 1]), 0);
    assert.equal(welchT([1, 1, 1], [2, 2, 2]), Number.POSITIVE_INFINITY);
    // means 2 and 5, variances 1 and 1, n 3 → t = 3 / sqrt(2/3)
    assert.ok(Math.abs(welchT([1, 2, 3], [4, 5, 6])! - 3 / Math.sqrt(2 / 3)) < 1e-9);
  });

  test('a drop beyond the interval noise is a regression; noise alone is not', () => {
    const tps = [1000, 1010, 990, 1005, 995, 1000, 1008, 992];
    const p99 = [2500, 2600, 2400, 2550, 2450, 2500, 2520, 2480];
    const base = withSeries(result(), tps, p99);
    const same = withSeries(
      result(),
      tps.map((t) => t + 3),
      p99,
    );
    const slower = withSeries(
      result({ throughput: { ...result().throughput, send: { tps: 900, mbps: 0.9, perInterval: null } } }),
      tps.map((t) => t - 100),
      p99.map((v) => v - 500),
    );
    assert.equal(compareResults(base, same).verdict, 'no significant change');
    const c = compareResults(base, slower);
    assert.equal(c.verdict, 'regression');
    const byName = Object.fromEntries(c.metrics.map((m) => [m.metric, m]));
    assert.equal(byName.tps!.verdict, 'worse');
    assert.equal(byName.tps!.delta, -100);
    assert.equal(byName.tps!.relative, -0.1);
    assert.equal(byName['p99(send)']!.verdict, 'better', 'lower interval p99s are better');
    assert.equal(byName['p90(send)']!.verdict, 'n/a', 'no per-interval series, no verdict');
    const text = renderComparison(c, { color: false });
    assert.match(text, /tps\s+1,000\s+900\s+-10\.0%/);
    assert.match(text, /verdict: regression/);
  });
});

describe('capacity plan', () => {
  test("Little's law with its arithmetic", () => {
    const lat = { ...result().latency.send!, mean: 1600 };
    const r = result({
      parameters: { ...result().parameters, producers: 1, rate: undefined, inflight: 32 },
      throughput: {
        send: { tps: 20_000, mbps: 19.5, perInterval: null },
        receive: { tps: 20_000, mbps: 19.5, perInterval: null },
      },
      latency: { send: lat, send_raw: lat },
      environment: { brokers: 1, readQueues: 8 },
      totals: { ...result().totals, sendErrors: 0 },
    });
    const plan = capacityPlan(r, 50_000)!;
    const steps = Object.fromEntries(plan.steps.map((s) => [s.what, s]));
    assert.equal(steps['measured in flight']!.formula, '20,000 msg/s × 1.6 ms = 32');
    assert.equal(steps['in flight needed']!.formula, '50,000 msg/s × 1.6 ms = 80');
    assert.equal(steps['in flight needed']!.value, 80);
    assert.equal(steps.producers!.value, 3);
    assert.equal(
      steps.producers!.formula,
      'max(⌈80 / 32 in flight each⌉ = 3, ⌈50,000 / 20,000 msg/s each⌉ = 3) = 3',
    );
    assert.equal(steps['consumers per group']!.value, 3);
    assert.equal(steps.queues!.value, 8);
    assert.equal(steps.brokers!.value, 3);
    const text = renderPlan(plan, { color: false });
    assert.match(text, /^Capacity plan for 50,000 msg\/s/);
    assert.match(text, /brokers\s+⌈50,000 \/ 20,000 msg\/s per broker⌉ = 3/);
    assert.equal(capacityPlan(result({ latency: {} }), 1000), undefined);
  });
});

describe('bench plot', () => {
  test('a self-contained SVG with three charts, and an HTML page around it', () => {
    const r = result({
      histograms: { send: encoded(100, 20_000), e2e: encoded(500, 40_000) },
      parameters: { ...result().parameters, topic: 'a<b' },
    });
    const svg = renderPlotSvg(r);
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.ok(svg.endsWith('</svg>'));
    for (const t of ['Latency by percentile', 'Throughput per interval', 'p99 latency per interval']) {
      assert.ok(svg.includes(t), t);
    }
    assert.equal((svg.match(/<path /g) ?? []).length, 2 + 2 + 2);
    assert.ok(!/<script/i.test(svg) && !/href=/.test(svg), 'no scripts, no external references');
    assert.ok(svg.includes('99.9%'));
    const html = renderPlotHtml(r);
    assert.match(html, /^<!doctype html>/);
    assert.ok(html.includes('topic a&lt;b'));
  });
});
