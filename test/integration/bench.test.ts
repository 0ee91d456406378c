/** `rmq bench` against the real broker: short runs, every number checked against what went through it. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { decodeHistogram } from '../../src/bench/histogram.js';
import type { BenchResult } from '../../src/bench/result.js';
import { rmq, uniqueName } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'rmq-bench-it-'));
const topics: string[] = [];
after(async () => {
  await Promise.all(topics.map((t) => rmq(['topic', 'delete', t, '--yes'])));
  rmSync(dir, { recursive: true, force: true });
});

describe('bench', { concurrency: true }, () => {
  test(
    '10 s with --verify: sends, receives, one e2e sample per receipt, nothing lost',
    {
      timeout: 90_000,
    },
    async () => {
      const csv = join(dir, 'intervals.csv');
      const hlog = join(dir, 'run.hlog');
      const r = await rmq(
        [
          'bench',
          '--duration',
          '10s',
          '--verify',
          '--json',
          '--rate',
          '1000',
          '--producers',
          '2',
          '--csv',
          csv,
          '--hdr-log',
          hlog,
        ],
        { timeoutMs: 80_000 },
      );
      assert.equal(r.code, 0, r.stderr);
      const res = r.json as BenchResult;
      assert.equal(res.schemaVersion, 1);
      assert.ok(res.throughput.send.tps > 0, 'send tps');
      assert.ok(res.throughput.receive.tps > 0, 'receive tps');
      assert.ok(res.totals.sent > 1000);
      assert.equal(res.totals.sendErrors, 0);
      const e2e = decodeHistogram(res.histograms.e2e!);
      assert.equal(e2e.totalCount, res.totals.received);
      assert.equal(res.latency.e2e?.count, res.totals.received);
      assert.equal(res.verification?.lost, 0);
      assert.equal(res.verification?.complete, true);
      assert.equal(res.verification?.acknowledged, res.totals.sent);
      assert.ok(res.latency.send && res.latency.send.p50 > 0 && res.latency.send.p50 <= res.latency.send.max);
      assert.ok(res.intervals.filter((i) => i.phase === 'measure').length >= 10);
      // --csv: a header and one row per interval; --hdr-log: the standard header and tagged lines.
      assert.equal(readFileSync(csv, 'utf8').trim().split('\n').length, res.intervals.length + 1);
      const log = readFileSync(hlog, 'utf8');
      assert.match(log, /^#\[Histogram log format version 1\.3\]/);
      assert.match(log, /\nTag=send,/);
      assert.match(log, /\nTag=e2e,/);
      // The throw-away topic and group were removed.
      const topicsNow = await rmq(['topic', 'list', '--json']);
      assert.ok(!topicsNow.stdout.includes(res.parameters.topic), 'ephemeral topic deleted');
    },
  );

  test(
    'an impossible --slo exits 99, with the report and the failed threshold',
    {
      timeout: 60_000,
    },
    async () => {
      const topic = uniqueName('it_bench');
      topics.push(topic);
      const r = await rmq([
        'bench',
        '--topic',
        topic,
        '--duration',
        '2s',
        '--consumers',
        '0',
        '--slo',
        'p99(send)<1us',
        '--slo',
        'errors==0',
      ]);
      assert.equal(r.code, 99, r.stderr);
      assert.match(r.stdout, /Thresholds/);
      assert.match(r.stdout, /✗ p99\(send\)<1us/);
      assert.match(r.stdout, /✓ errors==0/);
      // Same under --json: the result is still printed.
      const j = await rmq([
        'bench',
        '--topic',
        topic,
        '--duration',
        '1s',
        '--consumers',
        '0',
        '--slo',
        'p99(send)<1us',
        '--json',
      ]);
      assert.equal(j.code, 99, j.stderr);
      const res = j.json as BenchResult;
      assert.equal(res.slo?.passed, false);
      assert.equal(res.slo?.results[0]?.pass, false);
      assert.ok((res.slo?.results[0]?.actual ?? 0) > 1);
    },
  );

  test('fifo, transactions and fan-out verify clean', { timeout: 90_000 }, async () => {
    const fifo = await rmq(
      [
        'bench',
        '--type',
        'fifo',
        '--fifo-groups',
        '4',
        '--duration',
        '3s',
        '--consumers',
        '2',
        '--verify',
        '--json',
      ],
      { timeoutMs: 60_000 },
    );
    assert.equal(fifo.code, 0, fifo.stderr);
    const f = fifo.json as BenchResult;
    assert.equal(f.verification?.lost, 0);
    assert.equal(f.verification?.reordered, 0);
    assert.ok(f.totals.sent > 0);

    const tx = await rmq(
      [
        'bench',
        '--type',
        'transaction',
        '--tx-rollback-ratio',
        '0.2',
        '--duration',
        '3s',
        '--verify',
        '--json',
      ],
      { timeoutMs: 60_000 },
    );
    assert.equal(tx.code, 0, tx.stderr);
    const t = tx.json as BenchResult;
    assert.ok(t.verification!.rolledBack > 0);
    assert.equal(t.verification?.rolledBackReceived, 0);
    assert.equal(t.verification?.lost, 0);

    const fan = await rmq(['bench', '--groups', '2', '--duration', '2s', '--verify', '--json'], {
      timeoutMs: 60_000,
    });
    assert.equal(fan.code, 0, fan.stderr);
    const g = fan.json as BenchResult;
    assert.equal(g.verification?.groups.length, 2);
    assert.equal(g.totals.received, 2 * g.totals.sent);
    assert.equal(g.verification?.lost, 0);
  });

  test(
    '--workers spreads producers and consumers over threads and merges exactly',
    { timeout: 60_000 },
    async () => {
      const r = await rmq(
        [
          'bench',
          '--workers',
          '2',
          '--producers',
          '2',
          '--consumers',
          '2',
          '--rate',
          '1000',
          '--duration',
          '3s',
          '--verify',
          '--json',
        ],
        { timeoutMs: 50_000 },
      );
      assert.equal(r.code, 0, r.stderr);
      const res = r.json as BenchResult;
      assert.equal(res.verification?.lost, 0);
      // Duplicates are allowed (at-least-once; a rebalance between the threads may redeliver).
      assert.equal(res.verification?.acknowledged, res.totals.sent);
      assert.equal(decodeHistogram(res.histograms.e2e!).totalCount, res.totals.received);
      assert.equal(res.parameters.producers, 2);
      assert.ok(res.throughput.send.tps > 0);
      assert.ok(res.throughput.receive.tps > 0);
    },
  );

  test('usage errors exit 2 before touching the broker', async () => {
    const r = await rmq(['bench', '--slo', 'p99(send)<20', '--json']);
    assert.equal(r.code, 2);
    assert.match((r.json as { error: { message: string } }).error.message, /needs a unit/);
  });
});
