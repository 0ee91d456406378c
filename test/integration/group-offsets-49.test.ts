/**
 * rmq group reset on RocketMQ 4.9, which has no server-side reset (a cluster of the test's own):
 * a running group is moved by time through its consumers (the broker sends them
 * RESET_CONSUMER_CLIENT_OFFSET, which an `rmq consume` child must follow), any other move of it
 * is refused with nothing changed, and a stopped group's offsets are committed. The same cluster
 * shows that 5.x-only commands (message recall, consume --pop, lite topics) refuse a 4.9 broker cleanly.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { GroupDescribeResult } from '../../src/services/group.js';
import type { OffsetPlanResult } from '../../src/services/offsets.js';
import { rmq, rmqBackground, uniqueName } from '../helpers/cli.js';
import { startCluster, waitUntil } from '../helpers/cluster.js';
import { freeClusterPorts } from '../helpers/ports.js';
import { produce } from '../helpers/produce.js';

const dir = mkdtempSync(join(tmpdir(), 'rmq-offsets-49-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function ok(args: string[]): Promise<OffsetPlanResult> {
  const r = await rmq([...args, '--json']);
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}${r.stdout}`);
  return r.json as OffsetPlanResult;
}

async function offsets(g: string, n: string[], t: string): Promise<Record<number, number>> {
  const r = await rmq(['group', 'describe', g, '--topic', t, '--json', ...n]);
  assert.equal(r.code, 0, r.stderr);
  const d = r.json as GroupDescribeResult;
  return Object.fromEntries(d.queues.filter((q) => q.topic === t).map((q) => [q.queueId, q.consumerOffset]));
}

describe('4.9: no server-side reset', () => {
  test(
    'a stopped group is committed; a running one is moved by time through its consumers, and refused otherwise',
    { timeout: 900_000 },
    async () => {
      const { namesrvPort, brokerPort } = await freeClusterPorts();
      const c = await startCluster('group-offsets-49', namesrvPort, brokerPort, {
        version: '4.9',
        waitSeconds: 240,
      });
      try {
        assert.match(c.version, /^4\.9\./);
        const t = uniqueName('ofs49');
        const created = await rmq(['topic', 'create', t, '--queues', '2', ...c.n]);
        assert.equal(created.code, 0, created.stderr);
        await produce(
          Array.from({ length: 20 }, (_, i) => ({ topic: t, body: Buffer.from(`m${i}`) })),
          { namesrv: c.namesrv, sequential: true },
        );
        const g = uniqueName('ofs49g');
        const out = join(dir, 'consume49.out');
        const child = rmqBackground(['consume', t, '-g', g, '--from', 'first', '--output', 'body', ...c.n], {
          stdoutFile: out,
          timeoutMs: 300_000,
        });
        const lines = () => readFileSync(out, 'utf8').split('\n').filter(Boolean).length;
        let seen: Record<number, number> = {};
        const committedAtEnd = async () => {
          seen = await offsets(g, c.n, t);
          const o = Object.values(seen);
          return o.length === 2 && o.every((x) => x === 10);
        };
        const wait = (what: string, cond: () => boolean | Promise<boolean>, ms: number, every: number) =>
          waitUntil(what, cond, ms, every).catch((err: Error) => {
            throw new Error(
              `${err.message}; offsets ${JSON.stringify(seen)}, ${lines()} read; ${child.stderr()}`,
            );
          });
        try {
          await wait('the consumer read the topic', () => lines() >= 20, 120_000, 200);
          await wait('committed at the end', committedAtEnd, 30_000, 1000);
          const shift = await rmq(['group', 'reset', g, '--topic', t, '--shift-by=-2', '--yes', ...c.n]);
          assert.equal(shift.code, 2, shift.stderr);
          assert.equal(shift.stderr.trim().split('\n').length, 1, shift.stderr);
          assert.match(shift.stderr, /consumers are online/);
          assert.ok(await committedAtEnd(), 'nothing moved');
          const p = await ok(['group', 'reset', g, '--topic', t, '--to-first', '--yes', ...c.n]);
          assert.deepEqual(
            p.brokers.map((b) => [b.method, b.online]),
            [['client-reset', true]],
          );
          assert.deepEqual(
            p.applied!.map((a) => [a.queueId, a.offset, a.ok]),
            [
              [0, 0, true],
              [1, 0, true],
            ],
          );
          // The broker sent RESET_CONSUMER_CLIENT_OFFSET: the running consumer reads it all again.
          await wait('the consumer read the topic again', () => lines() >= 40, 60_000, 200);
          await wait('committed at the end again', committedAtEnd, 30_000, 1000);
          assert.equal(lines(), 40);
        } finally {
          child.kill('SIGTERM');
          await child.done;
        }
        // Stopped: the offsets are committed.
        const p = await ok(['group', 'reset', g, '--topic', t, '--shift-by=-3', '--yes', ...c.n]);
        assert.deepEqual(
          p.brokers.map((b) => [b.method, b.online]),
          [['commit', false]],
        );
        assert.deepEqual(await offsets(g, c.n, t), { 0: 7, 1: 7 });

        // A 5.x-only feature on this cluster: one line naming the version needed, exit 2. A 4.9
        // broker never hands out a recall handle, so this one is made the way 5.3.2+ makes them.
        const handle = Buffer.from(
          `v1 ${t} ${c.brokerName} ${Date.now() + 60_000} C0A8000100002A9F0000000000000000`,
        ).toString('base64url');
        const recall = await rmq(['message', 'recall', handle, '--yes', ...c.n]);
        assert.equal(recall.code, 2, recall.stderr);
        assert.equal(recall.stderr.trim().split('\n').length, 1, recall.stderr);
        assert.match(recall.stderr, /needs RocketMQ 5\.3\.2 or newer; broker \S+ runs V4_9_7/);
        const pop = await rmq(['consume', t, '-g', uniqueName('pop49'), '--pop', '--count', '1', ...c.n]);
        assert.equal(pop.code, 2, pop.stderr);
        assert.equal(pop.stderr.trim().split('\n').length, 1, pop.stderr);
        assert.match(pop.stderr, /POP consumption needs RocketMQ 5\.0 or newer/);
        // Lite topics (5.5): every way in refuses the same way.
        for (const args of [
          ['lite', 'broker'],
          ['lite', 'create', uniqueName('lite49')],
          ['lite', 'parent', t],
          ['send', t, '--lite-topic', 'room-a', '--body', 'x'],
          ['consume', t, '-g', uniqueName('lite49g'), '--lite-topic', 'room-a', '--count', '1'],
        ]) {
          const r = await rmq([...args, ...c.n]);
          assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
          assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
          assert.match(r.stderr, /lite topics need RocketMQ 5\.5 or newer; broker \S+ runs V4_9_7/);
        }
      } finally {
        await c.down();
      }
    },
  );
});
