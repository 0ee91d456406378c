/**
 * `rmq bench --metrics-port 0` against the real broker: the endpoint is scraped twice while the run
 * goes on, as Prometheus would (both formats), its counters grow between the scrapes, each page
 * passes the real parsers, and the endpoint is gone once the bench has ended.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, test } from 'node:test';
import type { BenchResult } from '../../src/bench/result.js';
import { rmqBackground } from '../helpers/cli.js';
import { openMetricsParse, promtoolCheck, sampleValues } from '../helpers/exposition.js';

const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

function scrape(url: string, accept: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { Accept: accept }, agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'] ?? '', body }),
      );
    });
    req.on('timeout', () => req.destroy(new Error('scrape timed out')));
    req.on('error', reject);
    req.end();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Scrape {
  atMs: number;
  om: string;
  prom: string;
  v: Map<string, number>;
}

describe('bench --metrics-port', () => {
  test(
    'scraped twice mid-run: counters grow, pages parse, endpoint closed at the end',
    { timeout: 120_000 },
    async (t) => {
      const run = rmqBackground(
        [
          'bench',
          '--duration',
          '10s',
          '--rate',
          '300',
          '--producers',
          '2',
          '--workers',
          '2',
          '--inflight',
          '256',
          '--metrics-port',
          '0',
          '--json',
        ],
        { timeoutMs: 110_000 },
      );
      let url: string | undefined;
      const started = Date.now();
      while (url === undefined && Date.now() - started < 60_000) {
        url = /metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(run.stderr())?.[1];
        if (url === undefined) await sleep(100);
      }
      if (url === undefined) {
        run.kill('SIGKILL');
        const r = await run.done;
        assert.fail(`no metrics address on stderr: ${r.stderr}`);
      }
      const scrapes: Scrape[] = [];
      const take = async (): Promise<Scrape> => {
        const om = await scrape(url, PROMETHEUS_ACCEPT);
        const prom = await scrape(url, 'text/plain;version=0.0.4');
        assert.equal(om.status, 200);
        assert.equal(om.type, 'application/openmetrics-text; version=1.0.0; charset=utf-8');
        assert.equal(prom.type, 'text/plain; version=0.0.4; charset=utf-8');
        return { atMs: Date.now() - started, om: om.body, prom: prom.body, v: sampleValues(om.body) };
      };
      const sent = (s: Scrape) => s.v.get('rmq_bench_messages_sent_total{agent="local"}') ?? 0;
      // The first scrape once the first interval is in, the second a few intervals later.
      let first = await take();
      while (sent(first) === 0 && Date.now() - started < 60_000) {
        await sleep(250);
        first = await take();
      }
      scrapes.push(first);
      await sleep(3_000);
      scrapes.push(await take());
      const r = await run.done;
      assert.equal(r.code, 0, r.stderr);
      const res = r.json as BenchResult;
      const [a, b] = scrapes as [Scrape, Scrape];
      t.diagnostic(
        `scrapes at ${a.atMs} and ${b.atMs} ms: sent ${sent(a)} → ${sent(b)}, result ${res.totals.sent} sent in ${res.phases.measureMs} ms; page ${a.om.length} B`,
      );
      assert.ok(sent(a) > 0, 'the first scrape came after the first interval');
      // Both scrapes mid-run: the run sent more afterwards.
      assert.ok(sent(b) < res.totals.sent, `second scrape ${sent(b)} of ${res.totals.sent}: not mid-run`);
      for (const name of [
        'rmq_bench_messages_sent_total{agent="local"}',
        'rmq_bench_sent_bytes_total{agent="local"}',
        'rmq_bench_messages_received_total{agent="local"}',
        'rmq_bench_send_latency_seconds_count{agent="local"}',
        'rmq_bench_e2e_latency_seconds_count{agent="local"}',
        'rmq_bench_broker_messages_sent_total{agent="local",broker="broker-a"}',
      ]) {
        assert.ok(
          (b.v.get(name) ?? 0) > (a.v.get(name) ?? 0),
          `${name}: ${a.v.get(name)} → ${b.v.get(name)}`,
        );
      }
      // Per broker (whatever the cluster's broker names are): the measure window's sends, all of them.
      const perBroker = (s: Scrape) =>
        [...s.v]
          .filter(([k]) => k.startsWith('rmq_bench_broker_messages_sent_total{agent="local",broker="'))
          .reduce((x, [, n]) => x + n, 0);
      assert.ok(perBroker(b) > perBroker(a), `per broker: ${perBroker(a)} → ${perBroker(b)}`);
      assert.equal(perBroker(b), sent(b));
      assert.equal(b.v.get('rmq_bench_sent_bytes_total{agent="local"}'), sent(b) * 1024);
      assert.equal(
        b.v.get('rmq_bench_send_latency_seconds_bucket{agent="local",le="+Inf"}'),
        b.v.get('rmq_bench_send_latency_seconds_count{agent="local"}'),
      );
      assert.equal(b.v.get('rmq_bench_messages_failed_total{agent="local"}'), 0);
      assert.ok(b.om.includes(`rmq_bench_run_info{run_id="${res.runId}"`));
      for (const s of scrapes) {
        const om = openMetricsParse(s.om);
        if (om.skip) t.diagnostic(`OpenMetrics parser skipped: ${om.skip}`);
        else assert.ok(om.ok, om.output);
        const prom = promtoolCheck(s.prom);
        if (prom.skip) t.diagnostic(`promtool skipped: ${prom.skip}`);
        else assert.ok(prom.ok, prom.output);
      }
      // The endpoint ends with the bench.
      await assert.rejects(scrape(url, '*/*'), /ECONNREFUSED/);
    },
  );
});
