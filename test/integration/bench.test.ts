/** `rmq bench` against the real broker: short runs, every number checked against what went through it. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { rollsBack } from '../../src/bench/header.js';
import { decodeHistogram } from '../../src/bench/histogram.js';
import type { BenchResult } from '../../src/bench/result.js';
import { rmq, rmqBackground, uniqueName } from '../helpers/cli.js';
import { waitUntil } from '../helpers/cluster.js';
import { csvIntervals } from '../helpers/faults.js';

/**
 * An open-loop run reaches its count: the engine paces to a schedule (message n due at t0 + n/R)
 * and, behind after a stall, sends everything due as soon as the loop runs again, so on a loaded
 * machine the messages still go out, only late. Every message the run sent (replies that came
 * after the window included) over the window's length is the --rate, less 5 % for what was still
 * due in a stall when the window closed. The rate is one a starved broker still sustains, and
 * --inflight leaves room for its latency (Little's law): a busy 2-core machine did not serve
 * 1000 msg/s beside six other test runs (its replies came 0.25–2 s late).
 */
function assertRate(res: BenchResult, rate: number): void {
  const s = res.phases.measureMs / 1000;
  const mean = res.totals.sent / s;
  assert.ok(
    mean >= rate * 0.95,
    `sent ${res.totals.sent} in ${s} s at --rate ${rate}: ${mean.toFixed(1)} msg/s (${res.totals.unsent} unsent)`,
  );
  assertNotAhead(res, rate);
}

/**
 * Never ahead of the schedule: nothing is sent before its time, so the window holds at most its
 * share of the schedule (each producer's has one message due at the very start; tps is rounded
 * to 0.1).
 */
function assertNotAhead(res: BenchResult, rate: number): void {
  const ceiling = rate + res.parameters.producers / (res.phases.measureMs / 1000) + 0.1;
  assert.ok(
    res.throughput.send.tps <= ceiling,
    `sent ${res.throughput.send.tps} msg/s, more than --rate ${rate}`,
  );
}

const dir = mkdtempSync(join(tmpdir(), 'rmq-bench-it-'));
const topics: string[] = [];
after(async () => {
  await Promise.all(topics.map((t) => rmq(['topic', 'delete', t, '--yes'])));
  rmSync(dir, { recursive: true, force: true });
});

// The runs whose rate is checked go one at a time, before the others: four bench processes at once
// starve each other on a 2-core machine (event-loop stalls of 4 s, 15 % of the rate, were seen).
describe('bench at a --rate', () => {
  // A broker's first seconds of sends (a cold JVM) can wait past its 200 ms send-queue limit and
  // be refused with SYSTEM_BUSY: seen in CI as the first rate run after the broker started, and
  // not again. The runs below judge the tool, so the broker gets a short unjudged run first.
  before(async () => {
    await rmq(['bench', '--duration', '3s', '--rate', '500', '--producers', '2', '--json'], {
      timeoutMs: 60_000,
    });
  });

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
          '500',
          '--producers',
          '2',
          // Room for two seconds of replies at the rate (see assertRate).
          '--inflight',
          '512',
          '--csv',
          csv,
          '--hdr-log',
          hlog,
        ],
        { timeoutMs: 80_000 },
      );
      assert.equal(r.code, 0, r.stderr);
      // --json: the result on stdout, and nothing at all on stderr (no interval lines, no notes).
      assert.equal(r.stderr, '');
      const res = r.json as BenchResult;
      assert.equal(res.schemaVersion, 1);
      assertRate(res, 500);
      assert.equal(res.totals.sendErrors, 0, `send errors by kind: ${JSON.stringify(res.errors)}`);
      // Everything sent arrived (duplicates aside).
      assert.ok(res.totals.received >= res.totals.sent, `${res.totals.received} of ${res.totals.sent}`);
      const e2e = decodeHistogram(res.histograms.e2e!);
      assert.equal(e2e.totalCount, res.totals.received);
      assert.equal(res.latency.e2e?.count, res.totals.received);
      assert.equal(res.verification?.lost, 0);
      assert.equal(res.verification?.complete, true);
      assert.equal(res.verification?.acknowledged, res.totals.sent);
      assert.ok(res.latency.send && res.latency.send.p50 > 0 && res.latency.send.p50 <= res.latency.send.max);
      // The measure window's intervals tile it (on a busy machine a tick comes late, so there may
      // be fewer than ten; but no time is left out or counted twice).
      const measured = res.intervals.filter((i) => i.phase === 'measure');
      assert.equal(measured[0]?.startMs, 0);
      for (let k = 1; k < measured.length; k++) assert.equal(measured[k]!.startMs, measured[k - 1]!.endMs);
      assert.ok(
        Math.abs(measured.at(-1)!.endMs - res.phases.measureMs) <= 0.1,
        'the intervals end with the window',
      );
      // --csv: a header and one row per interval; --hdr-log: the standard header and tagged lines.
      assert.equal(readFileSync(csv, 'utf8').trim().split('\n').length, res.intervals.length + 1);
      const log = readFileSync(hlog, 'utf8');
      assert.match(log, /^#\[Histogram log format version 1\.3\]/);
      assert.match(log, /\nTag=send,/);
      assert.match(log, /\nTag=e2e,/);
      // The throw-away topic and group were removed, and the retry topic the broker made for it.
      const topicsNow = await rmq(['topic', 'list', '--system', '--names-only']);
      const names = topicsNow.stdout.split('\n');
      assert.ok(!names.includes(res.parameters.topic), 'ephemeral topic deleted');
      assert.ok(!names.includes(`%RETRY%${res.parameters.groupNames[0]}`), 'its retry topic deleted');
    },
  );

  test(
    '--workers spreads producers and consumers over threads and merges exactly',
    { timeout: 90_000 },
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
          '500',
          '--inflight',
          '512',
          // A count, not a duration: each thread sends its share, so the merged total is exact
          // however late a busy machine lets either of them finish.
          '--messages',
          '1500',
          '--verify',
          '--json',
        ],
        // Two threads' start-up, the drain and the 6 s group clean-up take most of a minute when
        // the machine is busy.
        { timeoutMs: 80_000 },
      );
      assert.equal(r.code, 0, r.stderr);
      // --json: nothing on stderr; the threads' verification tables are merged, not printed.
      assert.equal(r.stderr, '');
      const res = r.json as BenchResult;
      assert.equal(res.verification?.lost, 0);
      assert.equal(res.verification?.complete, true);
      // Duplicates are allowed (at-least-once; a rebalance between the threads may redeliver).
      assert.equal(res.verification?.acknowledged, res.totals.sent);
      assert.ok(res.totals.received >= res.totals.sent, `${res.totals.received} of ${res.totals.sent}`);
      assert.equal(decodeHistogram(res.histograms.e2e!).totalCount, res.totals.received);
      assert.equal(res.parameters.producers, 2);
      // Both threads' sends count (one thread's alone would be 750), and nothing twice.
      assert.equal(res.totals.sent + res.totals.sendErrors, 1500);
      assert.equal(res.totals.measuredSent + res.totals.sendErrors, 1500);
      assertNotAhead(res, 500);
    },
  );
});

describe('bench', { concurrency: true }, () => {
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

  test('Ctrl-C during a --verify run: exit 130, what was in flight drained and counted, nothing lost', async () => {
    const topic = uniqueName('it_bench_int');
    topics.push(topic);
    const csv = join(dir, 'interrupted.csv');
    const bg = rmqBackground(
      ['bench', '--topic', topic, '--rate', '500', '--duration', '120s', '--verify', '--json', '--csv', csv],
      { timeoutMs: 90_000 },
    );
    // Interrupted while sending: 500 msg/s leaves some acknowledged and not yet received.
    await waitUntil(
      '2 intervals of sending',
      () => csvIntervals(csv).filter((i) => i.sent > 0).length >= 2,
      60_000,
      100,
    );
    bg.kill('SIGINT');
    const r = await bg.done;
    const res = r.json as BenchResult | undefined;
    assert.ok(res, `no result (exit ${r.code}): ${r.stderr}`);
    const v = res.verification!;
    assert.equal(res.interrupted, true);
    assert.equal(
      r.code,
      130,
      `exit ${r.code}: lost ${v.lost} (${v.lostSample.join(', ')}), drained ${v.drainMs} ms`,
    );
    assert.equal(v.lost, 0);
    assert.equal(v.complete, true);
    assert.equal(v.acknowledged, res.totals.sent);
    // Interrupted while sending (the wait above saw two intervals with sends); how many went out
    // by then depends on the machine's load (399 in one loaded run), not on what is judged here.
    assert.ok(res.totals.sent > 0, `${res.totals.sent} sent`);
  });

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
    // Closed loop, so no rate to reach; but every acknowledged message was checked and arrived.
    assert.equal(f.verification?.acknowledged, f.totals.sent);
    assert.equal(f.verification?.complete, true);

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
    // Which transactions roll back is a pure function of (producer, seq): the count is exact.
    assert.equal(t.parameters.producers, 1);
    let rollbacks = 0;
    for (let seq = 0; seq < t.totals.sent + t.totals.sendErrors; seq++)
      if (rollsBack(0, seq, 0.2)) rollbacks++;
    assert.ok(rollbacks > 0);
    assert.equal(t.verification!.rolledBack, rollbacks);
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

  test('usage errors exit 2 before touching the broker', async () => {
    const r = await rmq(['bench', '--slo', 'p99(send)<20', '--json']);
    assert.equal(r.code, 2);
    assert.match((r.json as { error: { message: string } }).error.message, /needs a unit/);
  });
});
