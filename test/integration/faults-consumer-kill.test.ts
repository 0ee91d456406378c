/**
 * Faults against the real broker (issue 6). A consumer SIGKILLed mid-stream and restarted in its
 * group: nothing lost, redeliveries exactly what was not committed. One drill per file, so that
 * `npm test` runs the long ones beside the rest of the suite (see scripts/test.mjs). The drill
 * runs a cluster of its own on free ports, so the suite's shared broker is never touched, and
 * reports its figures with t.diagnostic. It waits for what it depends on (a restarted broker's
 * readiness, a producer at its rate), not a fixed schedule, and what it asserts is counted from
 * there.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ndjson, rmq, rmqBackground } from '../helpers/cli.js';
import { lineCount, waitUntil } from '../helpers/cluster.js';
import { TEST_TIMEOUT, withCluster } from '../helpers/faults.js';

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
