/**
 * `rmq bench --metrics-port`: the exposition renderer (both formats), the figures LiveMetrics
 * keeps from a real Meter's ticks, and the HTTP endpoint's limits. The pages are checked by the
 * real parsers (promtool for the Prometheus format, prometheus_client for OpenMetrics), not by
 * regular expressions alone.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { EventEmitter } from 'node:events';
import { describe, test } from 'node:test';
import { newHistogram } from '../../src/bench/histogram.js';
import { bucketCounts, LiveMetrics } from '../../src/bench/live-metrics.js';
import { Meter, type TickEvent } from '../../src/bench/meter.js';
import { MAX_CONNECTIONS, startMetricsServer } from '../../src/bench/metrics-server.js';
import type { BenchParameters } from '../../src/bench/result.js';
import { BrokerResponseError, TimeoutError } from '../../src/core/errors.js';
import {
  CONTENT_TYPES,
  type MetricFamily,
  negotiateFormat,
  renderExposition,
} from '../../src/ui/openmetrics.js';
import type { BenchEvents } from '../../src/services/bench/model.js';
import { serveBenchMetrics } from '../../src/services/bench/metrics.js';
import { openMetricsParse, promtoolCheck, sampleValues } from '../helpers/exposition.js';

const HOSTILE = 'br"ok\\er\nname} 1\n# EOF';

function params(over: Partial<BenchParameters> = {}): BenchParameters {
  return {
    topic: 'bench_test',
    queues: 8,
    producers: 1,
    consumers: 1,
    groups: 1,
    groupNames: ['g0'],
    size: 100,
    keys: false,
    tags: [],
    mode: 'async',
    batch: 1,
    inflight: 4,
    rate: 1000,
    precise: false,
    durationMs: 1000,
    warmupMs: 0,
    intervalMs: 1000,
    type: 'normal',
    fifoGroups: 4,
    txRollbackRatio: 0,
    verify: false,
    drainMs: 1000,
    slo: [],
    ...over,
  };
}

const T0 = 1_700_000_000_000_000;

/**
 * Two intervals of a real Meter fed to LiveMetrics: 300 then 200 acknowledged messages of 100 B
 * (send latency i µs for the i-th, spread over broker-a and a broker with a hostile name), 5
 * timeouts and 2 SYSTEM_BUSY, 450 receipts (e2e 2 ms).
 */
function fedMetrics(): { live: LiveMetrics; ticks: TickEvent['interval'][] } {
  const p = params();
  const meter = new Meter(p, 'run1', '0.0.0');
  const live = new LiveMetrics();
  meter.start(T0, 0);
  meter.setPhase('measure');
  live.start({ runId: 'run1', parameters: p, startedAt: '', startUs: T0 });
  const ticks: TickEvent['interval'][] = [];
  const onTick = (e: TickEvent) => {
    ticks.push(e.interval);
    live.observe(e);
  };
  let seq = 0;
  const batch = (n: number, nowUs: number) => {
    for (let i = 0; i < n; i++, seq++) {
      const broker = seq % 3 === 0 ? HOSTILE : 'broker-a';
      meter.sent(1, 100, nowUs);
      meter.sendLatency(100 + seq, 50 + seq, broker);
      meter.brokerSettled(broker, 1, false);
    }
  };
  batch(300, T0 + 500_000);
  for (let i = 0; i < 5; i++) meter.sendFailed(new TimeoutError('t', 10), 1);
  meter.brokerSettled('broker-a', 5, true);
  for (let i = 0; i < 250; i++) meter.received(100, T0 + 600_000, T0 + 598_000);
  meter.closeInterval(T0 + 1_000_000, { backlog: 50, inflight: 3, queued: 0 }, onTick);
  batch(200, T0 + 1_500_000);
  meter.sendFailed(new BrokerResponseError(2, 'busy', 'SYSTEM_BUSY'), 2);
  for (let i = 0; i < 200; i++) meter.received(100, T0 + 1_600_000, T0 + 1_598_000);
  meter.closeInterval(T0 + 2_000_000, { backlog: 0, inflight: 1, queued: 0 }, onTick);
  return { live, ticks };
}

describe('exposition text', () => {
  const families: MetricFamily[] = [
    { type: 'counter', name: 'x_messages', help: 'Messages.\nSecond line \\ here.', samples: [] },
    {
      type: 'counter',
      name: 'x_sent_bytes',
      unit: 'bytes',
      help: 'Bytes.',
      samples: [{ labels: { agent: HOSTILE }, value: 42 }],
    },
    { type: 'gauge', name: 'x_backlog', help: 'Backlog.', samples: [{ labels: {}, value: 7 }] },
    {
      type: 'histogram',
      name: 'x_latency_seconds',
      unit: 'seconds',
      help: 'Latency.',
      samples: [
        {
          labels: { agent: 'a' },
          buckets: [
            { le: 0.001, count: 1 },
            { le: 0.5, count: 3 },
          ],
          count: 4,
          sum: 1.25,
        },
      ],
    },
    {
      type: 'summary',
      name: 'x_recent_seconds',
      unit: 'seconds',
      help: 'Recent.',
      samples: [
        { labels: { h: 'send' }, quantiles: [{ quantile: 0.99, value: 0.002 }], count: 4, sum: 1.25 },
      ],
    },
  ];

  test('OpenMetrics: counter families without _total, samples with it, # UNIT, # EOF last', (t) => {
    const text = renderExposition(families, 'openmetrics');
    assert.ok(text.endsWith('# EOF\n'));
    assert.ok(!text.includes('x_messages'), 'a family without samples is left out');
    assert.ok(text.includes('# TYPE x_sent_bytes counter\n# UNIT x_sent_bytes bytes\n'));
    assert.ok(text.includes('x_sent_bytes_total{agent="br\\"ok\\\\er\\nname} 1\\n# EOF"} 42\n'));
    assert.equal(text.match(/^# EOF$/gm)?.length, 1, 'a label value cannot end the page');
    assert.ok(text.includes('x_latency_seconds_bucket{agent="a",le="0.001"} 1\n'));
    assert.ok(
      text.includes(
        'x_latency_seconds_bucket{agent="a",le="+Inf"} 4\nx_latency_seconds_count{agent="a"} 4\n',
      ),
    );
    assert.ok(text.includes('x_recent_seconds{h="send",quantile="0.99"} 0.002\n'));
    const parsed = openMetricsParse(text);
    if (parsed.skip) t.diagnostic(`not parsed: ${parsed.skip}`);
    else assert.ok(parsed.ok, parsed.output);
  });

  test('Prometheus text: counter families named with _total, no # UNIT, no # EOF', (t) => {
    const text = renderExposition(families, 'prometheus');
    assert.ok(
      text.includes(
        '# HELP x_sent_bytes_total Bytes.\n# TYPE x_sent_bytes_total counter\nx_sent_bytes_total{',
      ),
    );
    assert.doesNotMatch(text, /^# (UNIT|EOF)/m);
    const checked = promtoolCheck(text);
    if (checked.skip) t.diagnostic(`not checked: ${checked.skip}`);
    else assert.ok(checked.ok, checked.output);
  });

  test('names that would break a scraper are refused (they are ours: a bug, not input)', () => {
    const bad = (f: Partial<MetricFamily>) => () =>
      renderExposition(
        [{ type: 'gauge', name: 'ok', help: 'h', samples: [{ labels: {}, value: 1 }], ...f } as MetricFamily],
        'openmetrics',
      );
    assert.throws(bad({ name: 'x_total' }), /bad metric family name/);
    assert.throws(bad({ name: '1x' }), /bad metric family name/);
    assert.throws(bad({ name: 'x_ms', unit: 'seconds' }), /does not end with its unit/);
    assert.throws(bad({ samples: [{ labels: { le: '1' }, value: 1 }] }), /bad label name le/);
    assert.throws(bad({ samples: [{ labels: { quantile: '1' }, value: 1 }] }), /bad label name quantile/);
  });

  test('Accept: OpenMetrics unless text/plain is preferred', () => {
    const prometheus =
      'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
    assert.equal(negotiateFormat(prometheus), 'openmetrics');
    assert.equal(negotiateFormat('text/plain;version=0.0.4'), 'prometheus');
    assert.equal(negotiateFormat('text/plain;q=0.9, application/openmetrics-text;q=0.5'), 'prometheus');
    assert.equal(negotiateFormat('*/*'), 'openmetrics');
    assert.equal(negotiateFormat(undefined), 'openmetrics');
    assert.equal(negotiateFormat('text/plain;q=x'), 'openmetrics');
    assert.equal(negotiateFormat('text/plain;q=0'), 'openmetrics');
  });
});

describe('live metrics of a run', () => {
  test("bucket counts and sum are the HdrHistogram's, in one pass over its buckets", () => {
    const h = newHistogram();
    // Below 2,048 µs every value has a bucket of its own: the counts are exact there.
    for (let v = 1; v <= 2000; v++) h.recordValue(v);
    h.recordValue(60_000_000);
    const bounds = [50, 100, 250, 1000, 2000, 5000, 60_000_000];
    const { counts, sumUs } = bucketCounts(h, bounds);
    assert.deepEqual(counts, [50, 100, 250, 1000, 2000, 2000, 2001]);
    // 1 + … + 2000, exact, and 60 s to its bucket's 0.1 %.
    assert.ok(Math.abs(sumUs - 2001000 - 60_000_000) < 60_000, `sum ${sumUs}`);
    assert.deepEqual(bucketCounts(newHistogram(), bounds), { counts: [0, 0, 0, 0, 0, 0, 0], sumUs: 0 });
    // Across the whole range, against the library's own index → value arithmetic.
    const wide = newHistogram();
    for (let i = 0; i < 5000; i++) wide.recordValue(Math.round(1.0037 ** i * 7) % 60_000_000);
    type Lib = {
      countsArrayLength: number;
      getCountAtIndex(i: number): number;
      valueFromIndex(i: number): number;
      medianEquivalentValue(v: number): number;
    };
    const lib = wide as unknown as Lib;
    const wideBounds = [5, 999, 2048, 4100, 70_000, 1_000_000, 33_000_000];
    const expected = wideBounds.map(() => 0);
    let sum = 0;
    for (let i = 0; i < lib.countsArrayLength; i++) {
      const c = lib.getCountAtIndex(i);
      if (c === 0) continue;
      const v = lib.valueFromIndex(i);
      sum += c * lib.medianEquivalentValue(v);
      wideBounds.forEach((bound, k) => {
        if (v <= bound) expected[k]! += c;
      });
    }
    assert.deepEqual(bucketCounts(wide, wideBounds), { counts: expected, sumUs: sum });
  });

  test('counters, errors by kind, histograms and brokers add up to what the meter saw', () => {
    const { live, ticks } = fedMetrics();
    const text = renderExposition(live.families(), 'openmetrics');
    const v = sampleValues(text);
    assert.equal(v.get('rmq_bench_messages_sent_total{agent="local"}'), 500);
    assert.equal(v.get('rmq_bench_messages_failed_total{agent="local"}'), 7);
    assert.equal(v.get('rmq_bench_messages_received_total{agent="local"}'), 450);
    assert.equal(v.get('rmq_bench_sent_bytes_total{agent="local"}'), 500 * 100);
    assert.equal(v.get('rmq_bench_received_bytes_total{agent="local"}'), 450 * 100);
    assert.equal(v.get('rmq_bench_send_errors_total{agent="local",error="timeout"}'), 5);
    assert.equal(v.get('rmq_bench_send_errors_total{agent="local",error="SYSTEM_BUSY(2)"}'), 2);
    // Send latencies 100..599 µs: 151 at or under 250 µs, all under 1 ms.
    assert.equal(v.get('rmq_bench_send_latency_seconds_bucket{agent="local",le="0.00025"}'), 151);
    assert.equal(v.get('rmq_bench_send_latency_seconds_bucket{agent="local",le="0.001"}'), 500);
    assert.equal(v.get('rmq_bench_send_latency_seconds_count{agent="local"}'), 500);
    const sum = v.get('rmq_bench_send_latency_seconds_sum{agent="local"}')!;
    assert.ok(Math.abs(sum - (500 * (100 + 599)) / 2 / 1e6) < 0.001, `sum ${sum}`);
    assert.equal(v.get('rmq_bench_e2e_latency_seconds_count{agent="local"}'), 450);
    assert.equal(v.get('rmq_bench_e2e_latency_seconds_bucket{agent="local",le="0.001"}'), 0);
    assert.equal(v.get('rmq_bench_e2e_latency_seconds_bucket{agent="local",le="0.0025"}'), 450);
    // Per broker: every third message went to the hostile name, broker-a had the 5 timeouts.
    const hostile = HOSTILE.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
    assert.equal(v.get(`rmq_bench_broker_messages_sent_total{agent="local",broker="${hostile}"}`), 167);
    assert.equal(v.get('rmq_bench_broker_messages_sent_total{agent="local",broker="broker-a"}'), 333);
    assert.equal(v.get('rmq_bench_broker_messages_failed_total{agent="local",broker="broker-a"}'), 5);
    assert.equal(v.get('rmq_bench_broker_send_latency_seconds_count{agent="local",broker="broker-a"}'), 333);
    // Gauges are the last interval's.
    assert.equal(v.get('rmq_bench_backlog_messages{agent="local"}'), 0);
    assert.equal(v.get('rmq_bench_inflight_requests{agent="local"}'), 1);
    assert.equal(v.get('rmq_bench_interval_sent_rate{agent="local"}'), ticks[1]!.sendTps);
    assert.equal(
      v.get('rmq_bench_interval_latency_seconds{agent="local",histogram="send",quantile="1"}'),
      0.000599,
    );
    assert.equal(v.get('rmq_bench_phase{agent="local",phase="measure"}'), 1);
    assert.equal(v.get('rmq_bench_last_interval_timestamp_seconds{agent="local"}'), (T0 + 2_000_000) / 1e6);
    assert.ok(text.includes('rmq_bench_run_info{run_id="run1",topic="bench_test"'));
  });

  test('the pages pass the real parsers: promtool (Prometheus text) and prometheus_client (OpenMetrics)', (t) => {
    const { live } = fedMetrics();
    const prom = promtoolCheck(renderExposition(live.families(), 'prometheus'));
    const om = openMetricsParse(renderExposition(live.families(), 'openmetrics'));
    if (prom.skip && om.skip) {
      t.skip(`${prom.skip}; ${om.skip}`);
      return;
    }
    if (prom.skip) t.diagnostic(`skipped: ${prom.skip}`);
    else assert.ok(prom.ok, prom.output);
    if (om.skip) t.diagnostic(`skipped: ${om.skip}`);
    else {
      assert.ok(om.ok, om.output);
      assert.ok(om.families! >= 20, om.output);
    }
  });

  test('an agent is a label: two agents, two series of each counter', () => {
    const { live } = fedMetrics();
    const meter = new Meter(params(), 'run1', '0.0.0');
    meter.start(T0, 0);
    meter.sent(9, 900, T0 + 1);
    meter.closeInterval(T0 + 1_000_000, { backlog: 0, inflight: 0, queued: 0 }, (e) =>
      live.observe(e, 'host-2'),
    );
    const v = sampleValues(renderExposition(live.families(), 'prometheus'));
    assert.equal(v.get('rmq_bench_messages_sent_total{agent="local"}'), 500);
    assert.equal(v.get('rmq_bench_messages_sent_total{agent="host-2"}'), 9);
  });
});

describe('serveBenchMetrics', () => {
  test('a local run is agent="local"; a run that reports agentTick is counted per agent, not twice', async () => {
    const tick = (n: number, end: number, agent?: string): [TickEvent, string | undefined] => {
      const meter = new Meter(params(), 'run1', '0.0.0');
      meter.start(T0, 0);
      meter.setPhase('measure');
      meter.sent(n, n * 100, T0 + 1);
      let e!: TickEvent;
      meter.closeInterval(T0 + end, { backlog: 0, inflight: 0, queued: 0 }, (x) => (e = x));
      return [e, agent];
    };
    const start = { runId: 'run1', parameters: params(), startedAt: '', startUs: T0 };
    const local = new EventEmitter<BenchEvents>();
    const a = await serveBenchMetrics(local, { host: '127.0.0.1', port: 0 });
    const agents = new EventEmitter<BenchEvents>();
    const b = await serveBenchMetrics(agents, { host: '127.0.0.1', port: 0 });
    try {
      local.emit('start', start);
      local.emit('tick', tick(5, 1_000_000)[0]);
      const pageA = sampleValues((await get(a.url)).body);
      assert.equal(pageA.get('rmq_bench_messages_sent_total{agent="local"}'), 5);
      agents.emit('start', start);
      agents.emit('agentTick', 'host-1', tick(3, 1_000_000)[0]);
      agents.emit('agentTick', 'host-2', tick(4, 1_000_000)[0]);
      agents.emit('tick', tick(7, 1_000_000)[0]);
      const pageB = sampleValues((await get(b.url)).body);
      assert.equal(pageB.get('rmq_bench_messages_sent_total{agent="host-1"}'), 3);
      assert.equal(pageB.get('rmq_bench_messages_sent_total{agent="host-2"}'), 4);
      assert.ok(![...pageB.keys()].some((k) => k.includes('agent="local"')), 'no local series');
    } finally {
      await a.close();
      await b.close();
    }
  });
});

function get(
  url: string,
  headers: Record<string, string> = {},
  method = 'GET',
  body?: string,
): Promise<{ status: number; type: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body: text }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('metrics endpoint', () => {
  test('GET /metrics in the format asked for; nothing else; closed means closed', async () => {
    let renders = 0;
    const server = await startMetricsServer({
      host: '127.0.0.1',
      port: 0,
      render: (f) => {
        renders++;
        return f === 'openmetrics' ? '# EOF\n' : '';
      },
    });
    try {
      assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      assert.ok(server.port > 0);
      const om = await get(server.url);
      assert.equal(om.status, 200);
      assert.equal(om.type, CONTENT_TYPES.openmetrics);
      assert.equal(om.body, '# EOF\n');
      const prom = await get(server.url, { Accept: 'text/plain;version=0.0.4' });
      assert.equal(prom.type, CONTENT_TYPES.prometheus);
      assert.equal((await get(`${server.url}?x=1`)).status, 200);
      assert.equal((await get(server.url, {}, 'HEAD')).body, '');
      assert.equal((await get(server.url.replace('/metrics', '/'))).status, 404);
      assert.equal((await get(server.url.replace('/metrics', '/metrics/x'))).status, 404);
      assert.equal((await get(server.url, {}, 'POST')).status, 405);
      assert.equal(
        (await get(server.url, { 'Content-Type': 'text/plain' }, 'PUT', 'x'.repeat(1000))).status,
        413,
      );
      assert.equal((await get(server.url, { 'X-Big': 'a'.repeat(10_000) })).status, 431);
      assert.equal(renders, 4);
    } finally {
      await server.close();
    }
    await assert.rejects(get(server.url), /ECONNREFUSED/);
  });

  test('a few connections at once: the ones past the limit are dropped, the server goes on', async () => {
    const server = await startMetricsServer({ host: '127.0.0.1', port: 0, render: () => '# EOF\n' });
    const sockets = Array.from({ length: MAX_CONNECTIONS + 4 }, () => connect(server.port, '127.0.0.1'));
    try {
      const closed = await Promise.all(
        sockets.map(
          (s) =>
            new Promise<boolean>((resolve) => {
              s.on('close', () => resolve(true));
              s.on('error', () => undefined);
              setTimeout(() => resolve(false), 1500);
            }),
        ),
      );
      assert.equal(closed.filter(Boolean).length, 4, 'the connections past the limit are closed at once');
    } finally {
      for (const s of sockets) s.destroy();
    }
    try {
      // Once those idle connections are gone, a scrape is served again.
      await new Promise((r) => setTimeout(r, 100));
      assert.equal((await get(server.url)).status, 200);
    } finally {
      await server.close();
    }
  });

  test('a port in use is an error at start, not during the run', async () => {
    const first = await startMetricsServer({ host: '127.0.0.1', port: 0, render: () => '' });
    try {
      await assert.rejects(
        startMetricsServer({ host: '127.0.0.1', port: first.port, render: () => '' }),
        (err: NodeJS.ErrnoException) => err.code === 'EADDRINUSE',
      );
    } finally {
      await first.close();
    }
  });
});
