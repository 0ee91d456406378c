/**
 * Faults against the real broker (issue 6): a broker SIGKILLed under a verified fixed-rate bench
 * and started again, a name server SIGKILLed under a running producer, a consumer SIGKILLed
 * mid-stream and restarted in its group. Each test runs a cluster of its own on ports of its own,
 * so the suite's shared broker is never touched, and reports its figures with t.diagnostic.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { BenchInterval, BenchResult } from '../../src/bench/result.js';
import { type Background, ndjson, rmq, rmqBackground } from '../helpers/cli.js';
import {
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

const sec = (ms: number): string => (ms / 1000).toFixed(1);
/** Starting the cluster may take its whole wait; then up to 5 min of fault and recovery. */
const TEST_TIMEOUT = UP_TIMEOUT_MS + 300_000;

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

describe('faults against the real broker', { concurrency: true }, () => {
  test(
    'broker SIGKILLed 10 s into a 60 s verified bench and restarted 5 s later: rmq reconnects, nothing acknowledged is lost',
    { timeout: TEST_TIMEOUT },
    async (t) => {
      const RATE = 500;
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
            '60s',
            '--drain',
            '30s',
            '--verify',
            '--json',
            '--csv',
            csv,
          ],
          { timeoutMs: 180_000 },
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
        await sleep(killAt + 5000 - Date.now());
        const restartAt = Date.now();
        respawn(image, join(c.root, 'broker-restart.log'));
        const port = Number(c.broker.slice(c.broker.lastIndexOf(':') + 1));
        await waitUntil('restarted broker listening', () => listening(port), 120_000, 100);
        const listeningAt = Date.now();
        await waitUntil(
          'restarted broker registered',
          () => brokerRegistered(c.namesrv, c.broker),
          120_000,
          200,
        );
        const registeredAt = Date.now();

        const r = await bench.done;
        const res = r.json as BenchResult | undefined;
        assert.ok(res, `bench printed no result (exit ${r.code}):\n${r.stdout.slice(0, 500)}\n${r.stderr}`);
        const v = res.verification!;
        const t0 = Date.parse(res.startedAt);
        const rel = (at: number) => at - t0;
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
        const since = (i: BenchInterval | undefined) => (i ? `${sec(i.endMs - rel(restartAt))} s` : 'never');
        const consumerStderr = r.stderr.split('\n').filter((l) => l.trim() !== '').length;
        t.diagnostic(
          `broker killed at ${sec(rel(killAt))} s of the run, restarted at ${sec(rel(restartAt))} s; ` +
            `it listened ${sec(listeningAt - restartAt)} s and was registered ${sec(registeredAt - restartAt)} s after the restart`,
        );
        t.diagnostic(
          `recovery after the restart (1 s intervals, end of the first good one): sends ${since(sendResumed)}, ` +
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

        assert.equal(
          r.code,
          0,
          `exit ${r.code} (0 when nothing acknowledged was lost and no --slo): ${r.stderr.slice(-2000)}`,
        );
        assert.equal(res.interrupted, false);
        assert.ok(res.phases.measureMs >= 59_000, `ran the whole 60 s (${res.phases.measureMs} ms)`);
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
        assert.ok(Math.abs(due - RATE * 60) <= 5, `${due} messages due at ${RATE} msg/s for 60 s`);
        // Recovery: sends resume once the broker is back (within 5 s of its registration, at the
        // latest), receipts follow (a pull to an unreachable broker is retried every second), and the consumer does not stall
        // again (a dropped queue assignment would stop receipts for a rebalance period, 20 s).
        assert.ok(sendResumed, 'sends resumed after the restart');
        assert.ok(
          sendResumed.endMs <= rel(registeredAt) + 5000,
          `sends resumed at ${sec(sendResumed.endMs)} s, the broker registered at ${sec(rel(registeredAt))} s`,
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
    'name server SIGKILLed under a running producer: sends go on from cached routes; a new command fails with one line, exit 3',
    { timeout: TEST_TIMEOUT },
    async (t) => {
      const RATE = 1000;
      const TIMEOUT_MS = 2000;
      await withCluster('faults-namesrv', async (c, background) => {
        const topic = 'faults_namesrv_kill';
        const created = await rmq(['topic', 'create', topic, '--queues', '4', ...c.n]);
        assert.equal(created.code, 0, created.stderr);
        const csv = join(c.root, 'bench.csv');
        // 40 s: past the 30 s after which a cached route is refreshed from the name server.
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
            '--duration',
            '40s',
            '--json',
            '--csv',
            csv,
          ],
          { timeoutMs: 150_000 },
        );
        background.push(bench);
        await waitUntil('5 s of bench', () => lineCount(csv) >= 6, 90_000);
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
        const afterExpiry = measured.filter((i) => i.startMs >= 31_000);
        const sum = (is: BenchInterval[]) => is.reduce((a, i) => a + i.sent, 0);
        const span = (is: BenchInterval[]) =>
          is.length === 0 ? 0 : (is[is.length - 1]!.endMs - is[0]!.startMs) / 1000;
        t.diagnostic(
          `name server killed at ${sec(killAt - t0)} s of a ${RATE} msg/s run: acknowledged after the kill ` +
            `${sum(afterKill)} in ${span(afterKill).toFixed(1)} s, after the route's 30 s refresh was due ` +
            `${sum(afterExpiry)} in ${span(afterExpiry).toFixed(1)} s; send errors ${res.totals.sendErrors} ` +
            `(${res.errors.map((e) => `${e.key} ${e.count}`).join(', ') || 'none'}); exit ${r.code}`,
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
        assert.equal(res.totals.sendErrors, 0, JSON.stringify(res.errors));
        assert.ok(afterKill.length >= 30, `${afterKill.length} intervals after the kill`);
        assert.ok(
          afterKill.every((i) => i.sent > 0),
          `a second without acknowledged sends after the kill: ${afterKill.map((i) => i.sent).join(' ')}`,
        );
        assert.ok(afterExpiry.length >= 5 && afterExpiry.every((i) => i.sent > 0));
        // Still at the rate (open loop: a producer stuck on the name server would fall behind).
        assert.ok(
          sum(afterKill) >= 0.8 * RATE * span(afterKill),
          `${sum(afterKill)} acknowledged in ${span(afterKill)} s at ${RATE} msg/s`,
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
});
