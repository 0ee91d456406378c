/**
 * Faults against the real broker (issue 6). The name server SIGKILLed under a producer at its
 * rate: sends go on from cached routes at the rate, and a new command fails with one line. One
 * drill per file, so that `npm test` runs the long ones beside the rest of the suite (see
 * scripts/test.mjs). The drill runs a cluster of its own on free ports, so the suite's shared
 * broker is never touched, and reports its figures with t.diagnostic. It waits for what it depends
 * on (a restarted broker's readiness, a producer at its rate), not a fixed schedule, and what it
 * asserts is counted from there.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { BenchInterval, BenchResult } from '../../src/bench/result.js';
import { rmq, rmqBackground } from '../helpers/cli.js';
import { killHard, waitUntil } from '../helpers/cluster.js';
import {
  assertOneLine,
  type CsvInterval,
  csvIntervals,
  sec,
  TEST_TIMEOUT,
  withCluster,
} from '../helpers/faults.js';

test(
  'name server SIGKILLed under a producer at its rate: sends go on from cached routes at the rate; a new command fails with one line, exit 3',
  { timeout: TEST_TIMEOUT },
  async (t) => {
    const RATE = 1000;
    const TIMEOUT_MS = 2000;
    // In flight: at the default 32, answers of 100 ms cap 1,000 msg/s at 320. 256 holds the
    // rate with answers up to 256 ms, and a broker serving ≥ 1,280 msg/s never lets one of them
    // wait the 200 ms after which it drops a request from its send queue.
    const INFLIGHT = 256;
    // The drill depends on a producer that keeps the rate: the kill waits for 5 seconds in a
    // row on schedule. A fresh broker JVM on a loaded 2-core box answers in hundreds of ms until
    // it is warm (seen: 50–300 acknowledged a second for ~25 s, the bench 6,300 behind before
    // the kill, its own event loop and CPU idle): that is the machine, not the name server.
    const STEADY_S = 5;
    // Kill by then at the latest, leaving ≥ 45 s after it; the cached route is refreshed from
    // the name server every 30 s of the run, so at least one refresh falls after the kill.
    const KILL_BY_S = 55;
    const DURATION_S = 100;
    // The achieved rate after the kill, over that window, is within this of the target. The
    // open-loop pacer keeps its schedule (what falls behind is sent once there is room), so
    // what is due in a window and not acknowledged is what is still in flight at its end (≤ 256,
    // under 1 % of ≥ 45,000) or a stall not yet caught up: 5 % allows ~2 s of that.
    const RATE_TOLERANCE = 0.05;
    await withCluster('faults-namesrv', async (c, background) => {
      const topic = 'faults_namesrv_kill';
      const created = await rmq(['topic', 'create', topic, '--queues', '4', ...c.n]);
      assert.equal(created.code, 0, created.stderr);
      const csv = join(c.root, 'bench.csv');
      const bench = rmqBackground(
        [
          'bench',
          ...c.n,
          '--topic',
          topic,
          '--consumers',
          '0',
          '--rate',
          String(RATE),
          '--inflight',
          String(INFLIGHT),
          '--duration',
          `${DURATION_S}s`,
          '--json',
          '--csv',
          csv,
        ],
        { timeoutMs: (DURATION_S + 120) * 1000 },
      );
      background.push(bench);
      // On schedule: a second with ≥ 95 % of the rate acknowledged, ending less than a tenth of
      // a second's messages behind.
      const onSchedule = (i: CsvInterval) => i.sent >= 0.95 * RATE && i.queued <= RATE / 10;
      let steady: CsvInterval | undefined;
      await waitUntil(
        `${STEADY_S} s in a row at ${RATE} msg/s`,
        () => {
          const rows = csvIntervals(csv);
          const tail = rows.slice(-STEADY_S);
          if (tail.length === STEADY_S && tail.every(onSchedule)) steady = tail.at(-1);
          // Too late to judge the kill: stop waiting, the assertion below says why.
          return steady !== undefined || (rows.at(-1)?.endMs ?? 0) >= KILL_BY_S * 1000;
        },
        (KILL_BY_S + 60) * 1000,
        200,
      );
      const seen = csvIntervals(csv)
        .map((i) => `${i.sent}/${i.queued}`)
        .join(' ');
      assert.ok(
        steady,
        `the producer never kept ${RATE} msg/s for ${STEADY_S} s in the first ${KILL_BY_S} s (acknowledged/behind ` +
          `per second: ${seen}): the broker cannot carry the drill on this machine now`,
      );
      const killAt = Date.now();
      await killHard(c.pids.namesrv);

      // New commands need the name server: each fails with one line, exit 3, within --timeout.
      const timeout = ['--timeout', `${TIMEOUT_MS}ms`];
      // The CLI's own start-up, measured at the same moment: on a loaded 2-core box it alone took
      // ~7 s in CI, which a fixed allowance cannot tell from a timeout that was not kept.
      // Measured before and after the two commands, the larger kept: the load of a busy box moves
      // within seconds (1.4 s before, a send of 6.9 s right after, in one CI run).
      const before = await rmq(['--version']);
      const list = await rmq(['topic', 'list', ...timeout, ...c.n]);
      const send = await rmq(['send', topic, '--body', 'x', ...timeout, ...c.n]);
      const afterwards = await rmq(['--version']);
      const startup = { ms: Math.max(before.ms, afterwards.ms) };
      t.diagnostic(
        `after the kill: topic list exit ${list.code} in ${list.ms} ms: ${list.stderr.trim()}; ` +
          `send exit ${send.code} in ${send.ms} ms: ${send.stderr.trim()}`,
      );

      const r = await bench.done;
      const res = r.json as BenchResult | undefined;
      assert.ok(res, `bench printed no result (exit ${r.code}):\n${r.stdout.slice(0, 500)}\n${r.stderr}`);
      const t0 = Date.parse(res.startedAt);
      const measured = res.intervals.filter((i) => i.phase === 'measure');
      const afterKill = measured.filter((i) => i.startMs >= killAt - t0);
      // The first route refresh due after the kill: the route was read as the run started.
      const refreshDue = Math.ceil((killAt - t0) / 30_000) * 30_000;
      const afterExpiry = measured.filter((i) => i.startMs >= refreshDue + 1000);
      const sum = (is: BenchInterval[]) => is.reduce((a, i) => a + i.sent, 0);
      const span = (is: BenchInterval[]) =>
        is.length === 0 ? 0 : (is[is.length - 1]!.endMs - is[0]!.startMs) / 1000;
      // Each second ("|" at the kill): acknowledged / behind schedule (queued) / awaiting a
      // reply / the tool's event-loop max ms / its CPU %. Says who fell behind when one did:
      // the tool (event loop, CPU) or the broker (in flight at the cap).
      const killIndex = afterKill[0]?.index ?? -1;
      t.diagnostic(
        `per second: ${res.intervals
          .map(
            (i) =>
              `${i.index === killIndex ? '| ' : ''}${i.sent}/${i.queued}/${i.inflight}/${i.eventLoopMaxMs.toFixed(0)}/${i.cpuPct.toFixed(0)}`,
          )
          .join(' ')}`,
      );
      t.diagnostic(
        `name server killed at ${sec(killAt - t0)} s of a ${RATE} msg/s run, on schedule since ${sec(steady.endMs - STEADY_S * 1000)} s: ` +
          `acknowledged after the kill ${sum(afterKill)} in ${span(afterKill).toFixed(1)} s, after the route's refresh ` +
          `at ${sec(refreshDue)} s ${sum(afterExpiry)} in ${span(afterExpiry).toFixed(1)} s; send errors ${res.totals.sendErrors} ` +
          `(${res.errors.map((e) => `${e.key} ${e.count}`).join(', ') || 'none'}); unsent ${res.totals.unsent}; exit ${r.code}`,
      );

      for (const [what, x] of [
        ['topic list', list],
        ['send', send],
      ] as const) {
        assert.equal(x.code, 3, `${what}: exit 3 (connection), got ${x.code}: ${x.stderr}`);
        assertOneLine(x.stderr, what);
        assert.match(x.stderr, new RegExp(c.namesrv.replace(/\./g, '\\.')), `${what} names the name server`);
        // Within --timeout, plus the CLI's own start-up (measured just before) and 3 s of jitter.
        assert.ok(
          x.ms <= startup.ms + TIMEOUT_MS + 3000,
          `${what} took ${x.ms} ms (start-up alone ${startup.ms} ms, --timeout ${TIMEOUT_MS} ms)`,
        );
      }

      assert.equal(r.code, 0, r.stderr);
      // No send failed after the kill.
      assert.equal(
        afterKill.reduce((a, i) => a + i.sendErrors, 0),
        0,
        `errors in the run: ${JSON.stringify(res.errors)}`,
      );
      assert.ok(
        afterKill.length >= DURATION_S - KILL_BY_S - 1,
        `${afterKill.length} intervals after the kill`,
      );
      assert.ok(
        afterKill.every((i) => i.sent > 0),
        `a second without acknowledged sends after the kill: ${afterKill.map((i) => i.sent).join(' ')}`,
      );
      assert.ok(afterExpiry.length >= 5 && afterExpiry.every((i) => i.sent > 0));
      // Still at the rate (open loop: a producer stuck on the name server would fall behind).
      assert.ok(
        sum(afterKill) >= (1 - RATE_TOLERANCE) * RATE * span(afterKill),
        `${sum(afterKill)} acknowledged in ${span(afterKill).toFixed(1)} s after the kill: ` +
          `${(sum(afterKill) / span(afterKill)).toFixed(0)} msg/s, target ${RATE} − ${RATE_TOLERANCE * 100} %`,
      );
      assert.ok(
        sum(afterExpiry) >= (1 - RATE_TOLERANCE) * RATE * span(afterExpiry),
        `${sum(afterExpiry)} acknowledged in ${span(afterExpiry).toFixed(1)} s after the route's refresh was due`,
      );
    });
  },
);
