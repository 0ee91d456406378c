/**
 * Faults against the real broker (issue 6): a broker SIGKILLed under a verified fixed-rate bench
 * and started again, a name server SIGKILLed under a running producer, a consumer SIGKILLed
 * mid-stream and restarted in its group, a broker dropping oneway sends from its send queue.
 * Each test runs a cluster of its own on free ports, so the suite's shared broker is never
 * touched, and reports its figures with t.diagnostic. A drill waits for what it depends on (a
 * restarted broker's readiness, a producer at its rate), not a fixed schedule, and what it
 * asserts is counted from there.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CSV_COLUMNS } from '../../src/bench/output.js';
import type { BenchInterval, BenchResult } from '../../src/bench/result.js';
import { RemotingClient } from '../../src/core/client/remoting-client.js';
import type { SendSummary } from '../../src/services/send/index.js';
import type { SendRecord } from '../../src/services/send/loop.js';
import { type Background, ndjson, rmq, rmqBackground } from '../helpers/cli.js';
import {
  brokerAnswers,
  brokerRegistered,
  killHard,
  lineCount,
  listening,
  processImage,
  respawn,
  sleep,
  startCluster,
  type TestCluster,
  UP_TIMEOUT_MS,
  waitUntil,
} from '../helpers/cluster.js';
import { freeClusterPorts } from '../helpers/ports.js';
import { TopicReader } from '../helpers/read-topic.js';

const sec = (ms: number): string => (ms / 1000).toFixed(1);
/** Starting the cluster may take its whole wait; then up to 5 min of fault and recovery. */
const TEST_TIMEOUT = UP_TIMEOUT_MS + 300_000;

interface CsvInterval {
  index: number;
  endMs: number;
  sent: number;
  queued: number;
}

/** The rows a running bench has written to its --csv file so far. */
function csvIntervals(file: string): CsvInterval[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const col = (name: (typeof CSV_COLUMNS)[number]) => CSV_COLUMNS.indexOf(name);
  // Complete lines only (the last one may be half written); the header first.
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .slice(1)
    .filter((l) => l !== '')
    .map((l) => {
      const cells = l.split(',');
      return {
        index: Number(cells[col('index')]),
        endMs: Number(cells[col('end_ms')]),
        sent: Number(cells[col('sent')]),
        queued: Number(cells[col('queued')]),
      };
    });
}

/** One line, no stack trace: what a script or a person reads on stderr. */
function assertOneLine(stderr: string, what: string): void {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `${what}: one line on stderr, got:\n${stderr}`);
  assert.doesNotMatch(stderr, /^\s+at /m, `${what}: no stack trace`);
}

/** A cluster of the test's own on free ports, stopped (with whatever ran against it) at the end. */
async function withCluster(
  name: string,
  body: (c: TestCluster, background: Background[]) => Promise<void>,
): Promise<void> {
  const { namesrvPort, brokerPort } = await freeClusterPorts();
  const c = await startCluster(name, namesrvPort, brokerPort);
  const background: Background[] = [];
  try {
    await body(c, background);
  } finally {
    for (const b of background) b.kill('SIGKILL');
    await Promise.all(background.map((b) => b.done));
    await c.down();
  }
}

// One test at a time: each starts a cluster of its own, and four broker JVMs starting together
// on a loaded 2-core box (load average 50) starved every one of them — no send answered at all.
describe('faults against the real broker', () => {
  test(
    'broker SIGKILLed 10 s into a verified bench and restarted ≥ 5 s later: once it is ready again rmq sends and receives, nothing acknowledged is lost',
    { timeout: TEST_TIMEOUT },
    async (t) => {
      const RATE = 500;
      // Recovery is judged from the moment the restarted broker is ready (answers an admin request
      // and is registered again), over this window: sends back within 5 s, receipts 10 s after,
      // caught up, then no stall. How long the JVM takes to get there is the machine's business
      // (48 s to listen on one loaded 2-core box), so the bench runs long enough for a slow one.
      const WINDOW_MS = 30_000;
      const DURATION_S = 180;
      await withCluster('faults-broker', async (c, background) => {
        const topic = 'faults_broker_kill';
        const created = await rmq(['topic', 'create', topic, '--queues', '8', ...c.n]);
        assert.equal(created.code, 0, created.stderr);
        // Read how the broker runs before killing it: /proc forgets a dead process.
        const image = processImage(c.pids.broker);
        const csv = join(c.root, 'bench.csv');
        const bench = rmqBackground(
          [
            'bench',
            ...c.n,
            '--topic',
            topic,
            '--rate',
            String(RATE),
            '--duration',
            `${DURATION_S}s`,
            '--drain',
            '30s',
            '--verify',
            '--json',
            '--csv',
            csv,
          ],
          { timeoutMs: (DURATION_S + 120) * 1000 },
        );
        background.push(bench);
        // A CSV row per 1 s interval, after a header: the 10th row closes the run's 10th second.
        await waitUntil('10 s of bench', () => lineCount(csv) >= 11, 90_000);
        const killAt = Date.now();
        await killHard(c.pids.broker);
        // Meanwhile `local up` on that dir says which half is missing and what to do.
        const half = await rmq(['local', 'up', '--dir', c.dir, '--json']);
        assert.equal(half.code, 8, half.stdout);
        const halfErr = (half.json as { error: { message: string; hint?: string } }).error;
        assert.match(halfErr.message, /half running: its broker is not \(name server pid \d+ is\)/);
        assert.match(halfErr.hint ?? '', /rmq local down --dir/);
        // Down for 5 s, or as long as that check took on a loaded machine.
        await sleep(Math.max(0, killAt + 5000 - Date.now()));
        const restartAt = Date.now();
        respawn(image, join(c.root, 'broker-restart.log'));
        const port = Number(c.broker.slice(c.broker.lastIndexOf(':') + 1));
        await waitUntil('restarted broker listening', () => listening(port), DURATION_S * 1000, 100);
        const listeningAt = Date.now();
        // Ready: it serves requests (an admin request answered) and clients can find it again.
        await waitUntil(
          'restarted broker ready',
          async () => (await brokerAnswers(c.broker)) && (await brokerRegistered(c.namesrv, c.broker)),
          DURATION_S * 1000,
          200,
        );
        const readyAt = Date.now();

        const r = await bench.done;
        const res = r.json as BenchResult | undefined;
        assert.ok(res, `bench printed no result (exit ${r.code}):\n${r.stdout.slice(0, 500)}\n${r.stderr}`);
        const v = res.verification!;
        const t0 = Date.parse(res.startedAt);
        const rel = (at: number) => at - t0;
        const measureEnd = res.phases.warmupMs + res.phases.measureMs;
        const after = res.intervals.filter((i) => i.startMs >= rel(killAt));
        const sendResumed = after.find((i) => i.sent > 0);
        const receiveResumed = after.find((i) => i.received > 0);
        // Caught up counts from the first interval with receipts: right after sends resume the
        // backlog is one interval's sends, small even while pulls are still backing off.
        const caughtUp =
          sendResumed &&
          receiveResumed &&
          after.find(
            (i) => i.index >= Math.max(sendResumed.index, receiveResumed.index) && i.backlog <= RATE,
          );
        const since = (i: BenchInterval | undefined) => (i ? `${sec(i.endMs - rel(readyAt))} s` : 'never');
        const consumerStderr = r.stderr.split('\n').filter((l) => l.trim() !== '').length;
        t.diagnostic(
          `broker killed at ${sec(rel(killAt))} s of the run, restarted at ${sec(rel(restartAt))} s; ` +
            `it listened ${sec(listeningAt - restartAt)} s and was ready ${sec(readyAt - restartAt)} s after the restart, ` +
            `${sec(measureEnd - rel(readyAt))} s before the bench's end`,
        );
        t.diagnostic(
          `recovery after the broker was ready (1 s intervals, end of the first good one): sends ${since(sendResumed)}, ` +
            `receipts ${since(receiveResumed)}, backlog ≤ ${RATE} ${since(caughtUp)}`,
        );
        t.diagnostic(
          `errors by code: ${res.errors.map((e) => `${e.key} ${e.count}`).join(', ') || 'none'}; ` +
            `sent ${res.totals.sent}, send errors ${res.totals.sendErrors}, unsent ${res.totals.unsent}, received ${res.totals.received}`,
        );
        t.diagnostic(
          `verification: acknowledged ${v.acknowledged}, lost ${v.lost}, duplicates ${v.duplicates}, ` +
            `unacknowledged but received ${v.unacknowledgedReceived}, complete ${v.complete}, drain ${v.drainMs} ms; ` +
            `exit ${r.code}; ${consumerStderr} stderr lines`,
        );

        // The drill's precondition: the broker came back with a window of the bench left to judge.
        assert.ok(
          measureEnd - rel(readyAt) >= WINDOW_MS,
          `the restarted broker was ready ${sec(readyAt - restartAt)} s after the restart, ${sec(measureEnd - rel(readyAt))} s ` +
            `before the bench's end: too late for a ${WINDOW_MS / 1000} s window`,
        );
        assert.equal(
          r.code,
          0,
          `exit ${r.code} (0 when nothing acknowledged was lost and no --slo): ${r.stderr.slice(-2000)}`,
        );
        assert.equal(res.interrupted, false);
        assert.ok(
          res.phases.measureMs >= DURATION_S * 1000 - 1000,
          `ran the whole ${DURATION_S} s (${res.phases.measureMs} ms)`,
        );
        // Jepsen's measure: every message the broker acknowledged was received.
        assert.equal(v.lost, 0, `lost: ${v.lostSample.join(', ')}`);
        assert.equal(v.complete, true);
        assert.equal(v.acknowledged, res.totals.sent);
        // Duplicates are counted, not hidden: every receipt is a first receipt or a duplicate.
        const g = v.groups[0]!;
        assert.equal(res.totals.received, g.receivedUnique + g.duplicates);
        assert.equal(v.duplicates, g.duplicates);
        // The outage shows as errors by code, and they add up.
        assert.ok(
          res.errors.some((e) => e.key === 'connection' && e.count > 0),
          JSON.stringify(res.errors),
        );
        assert.equal(
          res.errors.reduce((a, e) => a + e.count, 0),
          res.totals.sendErrors,
        );
        // Every message the schedule made due was acknowledged, failed or left unsent.
        const due = res.totals.sent + res.totals.sendErrors + res.totals.unsent;
        assert.ok(
          Math.abs(due - RATE * DURATION_S) <= 5,
          `${due} messages due at ${RATE} msg/s for ${DURATION_S} s`,
        );
        // Recovery, from the broker's readiness: sends resume within 5 s of it, receipts follow
        // (a pull to an unreachable broker is retried every second), and the consumer does not
        // stall again (a dropped queue assignment would stop receipts for a rebalance period, 20 s).
        assert.ok(sendResumed, 'sends resumed after the restart');
        assert.ok(
          sendResumed.endMs <= rel(readyAt) + 5000,
          `sends resumed at ${sec(sendResumed.endMs)} s, the broker was ready at ${sec(rel(readyAt))} s`,
        );
        assert.ok(receiveResumed, 'receipts resumed after the restart');
        assert.ok(receiveResumed.endMs <= sendResumed.endMs + 10_000, 'receipts within 10 s of sends');
        assert.ok(caughtUp, 'the consumer caught up with the backlog of the outage');
        let idle = 0;
        for (const i of res.intervals.filter((x) => x.index >= caughtUp.index && x.phase === 'measure')) {
          idle = i.received === 0 && i.sent > 0 ? idle + 1 : 0;
          assert.ok(idle < 3, `no receipts for ${idle} s from ${sec(i.startMs - (idle - 1) * 1000)} s on`);
        }
      });
    },
  );

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
        const list = await rmq(['topic', 'list', ...timeout, ...c.n]);
        const send = await rmq(['send', topic, '--body', 'x', ...timeout, ...c.n]);
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
          assert.match(
            x.stderr,
            new RegExp(c.namesrv.replace(/\./g, '\\.')),
            `${what} names the name server`,
          );
          // Within --timeout, plus the CLI's own start-up on a busy 2-core machine.
          assert.ok(x.ms <= TIMEOUT_MS + 6000, `${what} took ${x.ms} ms`);
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

  test(
    'consumer SIGKILLed mid-stream and restarted in its group: nothing lost, redeliveries counted and bounded',
    { timeout: TEST_TIMEOUT },
    async (t) => {
      const BATCHES = 10;
      const PER_BATCH = 500;
      const KILL_AFTER = 2000;
      const COMMIT_INTERVAL_MS = 1000;
      await withCluster('faults-consumer', async (c, background) => {
        const topic = 'faults_consumer_kill';
        const group = 'faults_consumer_group';
        const created = await rmq(['topic', 'create', topic, '--queues', '4', ...c.n]);
        assert.equal(created.code, 0, created.stderr);
        const f1 = join(c.root, 'consume-1.ndjson');
        const f2 = join(c.root, 'consume-2.ndjson');
        const consume = ['consume', topic, '-g', group, '--output', 'ndjson', ...c.n];
        const first = rmqBackground([...consume, '--from', 'first'], { stdoutFile: f1, timeoutMs: 150_000 });
        background.push(first);
        // Lines written over time, to bound the redeliveries by what was written before the kill.
        const samples: { at: number; lines: number }[] = [];
        const sampler = setInterval(() => samples.push({ at: Date.now(), lines: lineCount(f1) }), 50);

        // A live stream: batches of sends while the consumer runs, going on after it is killed.
        const sent: string[] = [];
        let sentAtKill = 0;
        let produceError: unknown;
        const producing = (async () => {
          for (let b = 0; b < BATCHES; b++) {
            const r = await rmq([
              'send',
              topic,
              '--size',
              '100',
              '--count',
              String(PER_BATCH),
              '--output',
              'ndjson',
              ...c.n,
            ]);
            assert.equal(r.code, 0, r.stderr);
            const results = ndjson<{ msgId: string; status: string }>(r.stdout);
            assert.ok(results.every((x) => x.status === 'SEND_OK'));
            sent.push(...results.map((x) => x.msgId));
          }
        })().catch((err: unknown) => {
          produceError = err;
        });
        let killAt = 0;
        try {
          await waitUntil(`${KILL_AFTER} messages consumed`, () => lineCount(f1) >= KILL_AFTER, 90_000, 20);
          killAt = Date.now();
          sentAtKill = sent.length;
          first.kill('SIGKILL');
          await first.done;
        } finally {
          clearInterval(sampler);
        }
        // What the group had committed when its consumer died: where the restarted one begins.
        const described = await rmq(['group', 'describe', group, '--json', ...c.n]);
        assert.equal(described.code, 0, described.stderr);
        const committed = new Map<number, number>();
        for (const q of (
          described.json as { queues: { topic: string; queueId: number; consumerOffset: number }[] }
        ).queues) {
          if (q.topic === topic) committed.set(q.queueId, q.consumerOffset);
        }
        await producing;
        if (produceError) throw produceError;

        const second = rmqBackground([...consume, '--until-end'], { stdoutFile: f2, timeoutMs: 120_000 });
        background.push(second);
        const r2 = await second.done;
        assert.equal(r2.code, 0, r2.stderr);

        interface Rec {
          msgId: string;
          queueId: number;
          queueOffset: number;
        }
        // A killed writer may leave half a line: it was not written out, so not committed either.
        const complete = (text: string) => ndjson<Rec>(text.slice(0, text.lastIndexOf('\n') + 1));
        const recs1 = complete(readFileSync(f1, 'utf8'));
        const recs2 = complete(readFileSync(f2, 'utf8'));
        const union = new Set([...recs1, ...recs2].map((x) => x.msgId));
        const lost = sent.filter((id) => !union.has(id));
        const foreign = [...union].filter((id) => !sent.includes(id));
        const duplicates = recs1.length + recs2.length - union.size;
        // Exactly what the restarted consumer must see again: the first one's output at or past
        // the committed offset of its queue.
        const uncommitted = recs1.filter((x) => x.queueOffset >= (committed.get(x.queueId) ?? 0)).length;
        const committedTotal = [...committed.values()].reduce((a, b) => a + b, 0);
        // And a bound in time: offsets are committed every second, so at the kill the committed
        // offsets cover everything written up to the last commit tick (≤ 1 s before the kill) — or,
        // if that tick's request was lost with the connection, the one before (≤ 2 s); plus 0.5 s
        // for a late timer on a busy machine. Redeliveries ≤ what was written in that window.
        const windowMs = 2 * COMMIT_INTERVAL_MS + 500;
        const before = [...samples].reverse().find((s) => s.at <= killAt - windowMs)?.lines ?? 0;
        const bound = recs1.length - before;
        t.diagnostic(
          `sent ${sent.length} in ${BATCHES} batches (${sentAtKill} reported back before the kill); the first consumer wrote ${recs1.length} ` +
            `and had ${committedTotal} committed when SIGKILLed; the restarted one wrote ${recs2.length}`,
        );
        t.diagnostic(
          `lost ${lost.length}, foreign ${foreign.length}, duplicates (redeliveries) ${duplicates}: ` +
            `${uncommitted} expected from the committed offsets, bound ${bound} = written in the ${windowMs} ms before the kill`,
        );

        assert.ok(committedTotal > 0, 'offsets were committed before the kill');
        assert.ok(recs1.length < sent.length, 'killed mid-stream');
        assert.equal(lost.length, 0, `lost: ${lost.slice(0, 5).join(', ')}`);
        assert.equal(foreign.length, 0);
        assert.equal(union.size, sent.length);
        assert.equal(new Set(recs2.map((x) => x.msgId)).size, recs2.length, 'no duplicate within one run');
        assert.equal(duplicates, uncommitted, 'redelivered exactly what was not committed');
        assert.ok(duplicates <= bound, `${duplicates} redeliveries > ${bound}`);
      });
    },
  );
  test(
    'a broker dropping oneway sends from its send queue: each drop is reported FAILED and is not stored, each ONEWAY is stored',
    { timeout: TEST_TIMEOUT },
    async (t) => {
      const COUNT = 3000;
      await withCluster('faults-oneway-drop', async (c) => {
        const topic = 'faults_oneway_drop';
        const created = await rmq(['topic', 'create', topic, '--queues', '4', ...c.n]);
        assert.equal(created.code, 0, created.stderr);
        // The broker's fast failure drops whatever waited in its send queue this long (default
        // 200 ms) at its sweep, every 10 ms. At 0 every sweep that finds a request there drops it:
        // a busy broker, made certain. UPDATE_BROKER_CONFIG (25) applies it at once.
        const admin = new RemotingClient({ timeoutMs: 5000 });
        try {
          await admin.call(c.broker, 25, {}, { body: Buffer.from('waitTimeMillsInSendQueue=0\n') });
        } finally {
          admin.close();
        }
        const r = await rmq(
          ['send', topic, '--mode', 'oneway', '--size', '200', '--count', String(COUNT), '--json', ...c.n],
          { timeoutMs: 300_000 },
        );
        const s = r.json as SendSummary | undefined;
        assert.ok(s, `exit ${r.code}: ${r.stdout.slice(0, 500)}${r.stderr}`);
        const taken = s.results.filter((x: SendRecord) => x.status === 'ONEWAY');
        const dropped = s.results.filter(
          (x: SendRecord) =>
            x.status === 'FAILED' && x.error?.code === 2 && /CLEAN_QUEUE\]/.test(x.error.message),
        );
        const unproven = s.results.filter((x: SendRecord) => x.status === 'FAILED' && !dropped.includes(x));
        const reader = new TopicReader('faults_oneway_reader', c.namesrv);
        let stored: Set<string>;
        try {
          // Taken messages are stored within ms; 10 s covers a slow broker.
          const ids = new Set(taken.map((x) => x.msgId));
          const ms = await reader.readUntil(
            topic,
            (got) => got.filter((m) => ids.has(m.msgId)).length === ids.size,
            10_000,
          );
          stored = new Set(ms.map((m) => m.msgId));
          assert.equal(stored.size, ms.length, 'each stored once');
        } finally {
          await reader.close();
        }
        t.diagnostic(
          `${COUNT} oneway at a broker dropping its send queue: ${taken.length} ONEWAY, ${dropped.length} FAILED ` +
            `as dropped, ${unproven.length} FAILED unproven (${[...new Set(unproven.map((x) => x.error?.message.replace(/\d+/g, 'N')))].join('; ')}); ` +
            `${stored.size} stored; exit ${r.code}`,
        );

        assert.equal(s.sent + s.failed, COUNT);
        assert.equal(s.results.length, COUNT);
        // The drop path was taken for real, and reported: exit 5 (broker).
        assert.ok(dropped.length > 0, 'the broker dropped some of them');
        assert.equal(r.code, 5, r.stderr);
        assert.deepEqual(
          taken.filter((x) => !stored.has(x.msgId)).map((x) => x.index),
          [],
          'every ONEWAY message is stored',
        );
        assert.deepEqual(
          dropped.filter((x) => stored.has(x.msgId)).map((x) => x.index),
          [],
          'no message the broker said it dropped is stored',
        );
        // What is stored is what was taken, plus whatever of the unproven ones made it.
        const unprovenStored = unproven.filter((x) => stored.has(x.msgId)).length;
        assert.equal(stored.size, taken.length + unprovenStored);
      });
    },
  );
});
