/**
 * rmq group reset | skip | copy-offsets against the real broker: 20 messages on a 2-queue topic, a
 * group that consumed some of them, then each target planned (nothing moves), executed (exactly
 * the plan moves, read back with `group describe`), exported and read back from a file, and bad
 * input refused with one line and nothing moved. An `rmq consume` running as a child must follow
 * a reset of its group while it runs. (4.9, which resets differently: group-offsets-49.test.ts.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Ajv } from 'ajv';
import type { GroupDescribeResult } from '../../src/services/group.js';
import type { OffsetPlanResult } from '../../src/services/offsets.js';
import { REPO_ROOT, rmq, rmqBackground, uniqueName } from '../helpers/cli.js';
import { sleep, waitUntil } from '../helpers/cluster.js';
import { produce } from '../helpers/produce.js';

const topic = uniqueName('ofs');
const group = uniqueName('ofsg');
const dir = mkdtempSync(join(tmpdir(), 'rmq-offsets-'));
/** Per queue, the offset of the first message of the second batch (sent after `splitMs`). */
const secondBatchStart = new Map<number, number>();
let splitMs = 0;
/** The broker the topic is on (the suite's cluster may name it otherwise than broker-a). */
let brokerName = '';

const schema = new Ajv({ strict: true, allErrors: true }).compile(
  JSON.parse(readFileSync(join(REPO_ROOT, 'schemas', 'group-reset.json'), 'utf8')) as object,
);

async function ok(args: string[]): Promise<OffsetPlanResult> {
  const r = await rmq([...args, '--json']);
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}${r.stdout}`);
  assert.ok(schema(r.json), JSON.stringify(schema.errors));
  return r.json as OffsetPlanResult;
}

/** The group's committed offsets on the topic, by queue id, as `group describe` reports them. */
async function offsets(g = group, n: string[] = [], t = topic): Promise<Record<number, number>> {
  const r = await rmq(['group', 'describe', g, '--topic', t, '--json', ...n]);
  assert.equal(r.code, 0, r.stderr);
  const d = r.json as GroupDescribeResult;
  return Object.fromEntries(d.queues.filter((q) => q.topic === t).map((q) => [q.queueId, q.consumerOffset]));
}

const planned = (p: OffsetPlanResult): Record<number, number> =>
  Object.fromEntries(p.queues.map((q) => [q.queueId, q.newOffset]));

/** One line on stderr and the exit code asked for (the test checks afterwards that nothing moved). */
async function refused(args: string[], code: number, message: RegExp): Promise<void> {
  const r = await rmq(args);
  assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, message);
}

before(async () => {
  const c = await rmq(['topic', 'create', topic, '--queues', '2']);
  assert.equal(c.code, 0, c.stderr);
  await produce(
    Array.from({ length: 10 }, (_, i) => ({ topic, body: Buffer.from(`a${i}`) })),
    { sequential: true },
  );
  await sleep(1500);
  splitMs = Date.now();
  await sleep(1500);
  const second = await produce(
    Array.from({ length: 10 }, (_, i) => ({ topic, body: Buffer.from(`b${i}`) })),
    { sequential: true },
  );
  for (const s of second) {
    const seen = secondBatchStart.get(s.queueId);
    if (seen === undefined || s.queueOffset < seen) secondBatchStart.set(s.queueId, s.queueOffset);
  }
  const r = await rmq(['consume', topic, '-g', group, '--from', 'first', '--count', '6', '--output', 'body']);
  assert.equal(r.code, 0, r.stderr);
  brokerName = (await ok(['group', 'reset', group, '--topic', topic, '--to-first'])).queues[0]!.brokerName;
});

after(() => rmSync(dir, { recursive: true, force: true }));

describe('group reset', () => {
  test('a plan moves nothing: by default and with --dry-run', async () => {
    const start = await offsets();
    assert.equal(
      Object.values(start).reduce((a, b) => a + b, 0),
      6,
      JSON.stringify(start),
    );
    const p = await ok(['group', 'reset', group, '--topic', topic, '--to-first']);
    assert.equal(p.executed, false);
    assert.equal(p.applied, undefined);
    assert.deepEqual(
      p.queues.map((q) => [q.queueId, q.currentOffset, q.newOffset, q.change]),
      Object.entries(start).map(([id, cur]) => [Number(id), cur, 0, cur]),
    );
    assert.equal(p.summary.replayed, 6);
    const human = await rmq(['group', 'reset', group, '--topic', topic, '--to-first', '--dry-run']);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /CURRENT\s+NEW\s+MIN\s+MAX/);
    assert.match(human.stderr, /dry run: nothing changed/);
    assert.deepEqual(await offsets(), start);
  });

  test('--to-first --execute moves exactly the plan', async () => {
    const p = await ok(['group', 'reset', group, '--topic', topic, '--to-first', '--execute']);
    assert.equal(p.executed, true);
    assert.ok(
      p.applied!.every((a) => a.ok),
      JSON.stringify(p.applied),
    );
    assert.deepEqual(await offsets(), planned(p));
    assert.deepEqual(Object.values(planned(p)), [0, 0]);
  });

  test('--shift-by moves each queue by N; past the end is clamped to max and the plan says so', async () => {
    const p = await ok(['group', 'reset', group, '--topic', topic, '--shift-by=3', '--yes']);
    assert.deepEqual(Object.values(planned(p)), [3, 3]);
    assert.deepEqual(await offsets(), { 0: 3, 1: 3 });
    const back = await ok(['group', 'reset', group, '--topic', topic, '--shift-by=-2', '--yes']);
    assert.deepEqual(await offsets(), { 0: 1, 1: 1 });
    assert.equal(back.summary.replayed, 4);
    const far = await ok(['group', 'reset', group, '--topic', topic, '--to-offset', '1000', '--yes']);
    for (const q of far.queues) {
      assert.equal(q.clamped, 'max');
      assert.equal(q.requestedOffset, 1000);
      assert.equal(q.newOffset, q.maxOffset);
    }
    assert.deepEqual(await offsets(), planned(far));
  });

  test('--to-time: the first message stored at or after the time, on each queue', async () => {
    const p = await ok([
      'group',
      'reset',
      group,
      '--topic',
      topic,
      '--to-time',
      new Date(splitMs).toISOString(),
      '--yes',
    ]);
    assert.deepEqual(planned(p), Object.fromEntries(secondBatchStart));
    assert.deepEqual(await offsets(), Object.fromEntries(secondBatchStart));
    const epoch = await ok(['group', 'reset', group, '--topic', topic, '--to-time', String(splitMs)]);
    assert.deepEqual(planned(epoch), Object.fromEntries(secondBatchStart));
  });

  test('--export writes a plan that --from-file applies (CSV and JSON)', async () => {
    for (const ext of ['csv', 'json']) {
      const file = join(dir, `plan.${ext}`);
      const exported = await ok([
        'group',
        'reset',
        group,
        '--topic',
        topic,
        '--shift-by=-1',
        '--export',
        file,
      ]);
      assert.equal(exported.exported, file);
      await ok(['group', 'reset', group, '--topic', topic, '--to-first', '--yes']);
      const applied = await ok(['group', 'reset', group, '--from-file', file, '--execute']);
      assert.equal(applied.target, `from-file ${file}`);
      assert.deepEqual(planned(applied), planned(exported));
      assert.deepEqual(await offsets(), planned(exported));
    }
    // A file that lists one queue moves that queue only.
    const one = join(dir, 'one.csv');
    const now = await offsets();
    writeFileSync(one, `topic,broker,queue,offset\n${topic},${brokerName},1,2\n`);
    await ok(['group', 'reset', group, '--topic', topic, '--from-file', one, '--yes']);
    assert.deepEqual(await offsets(), { 0: now[0], 1: 2 });
  });

  test('bad input: one line, its exit code, nothing moved', async () => {
    const start = await offsets();
    await refused(
      ['group', 'reset', uniqueName('nogroup'), '--topic', topic, '--to-first', '--yes'],
      6,
      /does not exist/,
    );
    await refused(
      ['group', 'reset', group, '--topic', uniqueName('notopic'), '--to-first', '--yes'],
      6,
      /does not exist/,
    );
    await refused(['group', 'reset', group, '--to-first', '--yes'], 2, /--topic/);
    await refused(['group', 'reset', group, '--topic', topic, '--yes'], 2, /say where/);
    await refused(
      ['group', 'reset', group, '--topic', topic, '--to-first', '--to-last', '--yes'],
      2,
      /--to-first and --to-last/,
    );
    await refused(
      ['group', 'reset', group, '--topic', topic, '--to-first', '--dry-run', '--execute'],
      2,
      /--dry-run contradicts/,
    );
    await refused(
      ['group', 'reset', group, '--topic', topic, '--to-time', 'yesterday', '--yes'],
      2,
      /--to-time/,
    );
    const bad = join(dir, 'bad.csv');
    writeFileSync(
      bad,
      `topic,broker,queue,offset\n${topic},${brokerName},0,1\n${topic},${brokerName},one,1\n`,
    );
    await refused(['group', 'reset', group, '--from-file', bad, '--yes'], 2, /bad\.csv row 3: queue "one"/);
    writeFileSync(
      bad,
      `topic,broker,queue,offset\n${topic},${brokerName},0,1\n${topic},no-such-broker,0,1\n`,
    );
    await refused(
      ['group', 'reset', group, '--from-file', bad, '--yes'],
      2,
      /bad\.csv row 3: queue 0 of no-such-broker/,
    );
    writeFileSync(
      bad,
      `topic,broker,queue,offset\n${topic},${brokerName},0,1\n${uniqueName('notopic')},${brokerName},0,1\n`,
    );
    await refused(
      ['group', 'reset', group, '--from-file', bad, '--yes'],
      6,
      /bad\.csv row 3: topic .* does not exist/,
    );
    await refused(
      ['group', 'reset', group, '--from-file', join(dir, 'missing.csv'), '--yes'],
      2,
      /cannot read/,
    );
    assert.deepEqual(await offsets(), start, 'nothing moved');
  });
});

describe('group skip and copy-offsets', () => {
  test('skip: every queue to its max, lag 0', async () => {
    await ok(['group', 'reset', group, '--topic', topic, '--to-first', '--yes']);
    const p = await ok(['group', 'skip', group, '--topic', topic, '--execute']);
    assert.equal(p.action, 'skip');
    assert.equal(p.summary.skipped, 20);
    const r = await rmq(['group', 'describe', group, '--topic', topic, '--json']);
    assert.equal((r.json as GroupDescribeResult).totalLag, 0);
    // Without --topic: the topics the group has offsets for (here the one).
    const all = await ok(['group', 'skip', group]);
    assert.deepEqual(all.topics, [topic]);
    assert.equal(all.summary.changed, 0);
  });

  test('copy-offsets: the target group gets the source group offsets, queue by queue', async () => {
    const target = uniqueName('ofst');
    const c = await rmq(['group', 'create', target]);
    assert.equal(c.code, 0, c.stderr);
    await ok(['group', 'reset', group, '--topic', topic, '--to-offset', '4', '--yes']);
    const plan = await ok(['group', 'copy-offsets', group, target, '--topic', topic]);
    assert.equal(plan.executed, false);
    assert.deepEqual(planned(plan), { 0: 4, 1: 4 });
    assert.deepEqual(
      plan.queues.map((q) => q.currentOffset),
      [null, null],
    );
    const done = await ok(['group', 'copy-offsets', group, target, '--execute']);
    assert.deepEqual(done.topics, [topic]);
    assert.deepEqual(await offsets(target), await offsets(group));
    const r = await rmq(['group', 'copy-offsets', group, uniqueName('nogroup'), '--yes']);
    assert.equal(r.code, 6, r.stderr);
  });
});

describe('a running consumer', () => {
  test(
    'rmq consume follows a reset of its group and commits the new position',
    { timeout: 180_000 },
    async () => {
      const g = uniqueName('ofsl');
      const out = join(dir, 'consume.out');
      const child = rmqBackground(['consume', topic, '-g', g, '--from', 'first', '--output', 'body'], {
        stdoutFile: out,
        timeoutMs: 170_000,
      });
      const lines = () => readFileSync(out, 'utf8').split('\n').filter(Boolean).length;
      const committedAtEnd = async () => {
        const o = Object.values(await offsets(g));
        return o.length === 2 && o.every((x) => x === 10);
      };
      try {
        await waitUntil('the consumer read the topic', () => lines() >= 20, 60_000, 200);
        await waitUntil('committed at the end', committedAtEnd, 30_000, 1000);
        const p = await ok(['group', 'reset', g, '--topic', topic, '--to-first', '--yes']);
        assert.equal(p.online, true);
        assert.equal(p.summary.replayed, 20);
        // A 5.2+ broker hands the reset over at the next pull (the long poll is 15 s).
        await waitUntil('the consumer read the topic again', () => lines() >= 40, 60_000, 200);
        await waitUntil('committed at the end again', committedAtEnd, 30_000, 1000);
        assert.equal(lines(), 40);
      } finally {
        child.kill('SIGTERM');
        await child.done;
      }
    },
  );
});
