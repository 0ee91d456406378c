/**
 * POP consumption on the real 5.x broker: `consume --pop` delivers every message once and acks
 * it (a second run of the group finds nothing), a nacked message comes back after the retry
 * delay, and `bench --consume-mode pull,pop` measures both ways in one verified run. A group's
 * consume mode for a topic (what Java push consumers are told) is set and read back; before 5.4
 * priority messages are refused.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { BenchResult } from '../../src/bench/result.js';
import type { ConsumeResult } from '../../src/services/consume.js';
import type { GroupCreateResult, GroupDescribeResult } from '../../src/services/group.js';
import { rmq, rmqBackground, uniqueName } from '../helpers/cli.js';
import { waitUntil } from '../helpers/cluster.js';
import { produce } from '../helpers/produce.js';

let topic = '';

before(async () => {
  topic = uniqueName('it_pop');
  const c = await rmq(['topic', 'create', topic, '--queues', '4']);
  assert.equal(c.code, 0, c.stderr);
});

after(async () => {
  await rmq(['topic', 'delete', topic, '--yes']);
});

const bodies = (text: string): string[] => text.split('\n').filter(Boolean).sort();

describe('POP consumption', { concurrency: false }, () => {
  test('every message once, acked: the next run of the group finds none', { timeout: 120_000 }, async () => {
    const sent = Array.from({ length: 20 }, (_, i) => `p${String(i).padStart(2, '0')}`);
    await produce(sent.map((b) => ({ topic, body: Buffer.from(b) })));
    const group = uniqueName('popg');
    const first = await rmq(
      ['consume', topic, '-g', group, '--pop', '--from', 'first', '--count', '20', '--output', 'body'],
      { timeoutMs: 60_000 },
    );
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(bodies(first.stdout), sent.slice().sort());

    const again = await rmq(['consume', topic, '-g', group, '--pop', '--idle-timeout', '4s', '--json'], {
      timeoutMs: 60_000,
    });
    assert.equal(again.code, 0, again.stderr);
    const r = again.json as ConsumeResult;
    assert.equal(r.mode, 'pop');
    assert.equal(r.received, 0, 'all 20 were acked by the first run');
  });

  test('a nacked message comes back to the group after the retry delay', { timeout: 150_000 }, async () => {
    const group = uniqueName('popn');
    // The group starts at each queue's end: it must exist before the message is sent.
    const warm = await rmq(['consume', topic, '-g', group, '--pop', '--idle-timeout', '1s']);
    assert.equal(warm.code, 0, warm.stderr);
    await produce([{ topic, body: Buffer.from('nack-me') }]);
    const nack = await rmq(
      ['consume', topic, '-g', group, '--pop', '--nack', 'all', '--count', '1', '--json'],
      { timeoutMs: 60_000 },
    );
    assert.equal(nack.code, 0, nack.stderr);
    assert.equal((nack.json as ConsumeResult).nacked, 1);
    const started = Date.now();
    const back = rmqBackground(['consume', topic, '-g', group, '--pop', '--count', '1', '--output', 'body'], {
      timeoutMs: 120_000,
    });
    await waitUntil(
      'the nacked message is delivered again',
      () => back.stdout().includes('nack-me'),
      90_000,
      200,
    );
    // rmq asks the broker to hide a nacked POP message for 10 s before its first retry.
    assert.ok(Date.now() - started >= 5_000, `came back after ${Date.now() - started} ms`);
    const done = await back.done;
    assert.equal(done.code, 0, done.stderr);
  });

  test(
    'bench --consume-mode pull,pop: both groups get everything, each mode measured',
    { timeout: 180_000 },
    async () => {
      const r = await rmq(
        [
          'bench',
          '--consume-mode',
          'pull,pop',
          '--rate',
          '200',
          '--duration',
          '8s',
          '--warmup',
          '1s',
          '--verify',
          '--json',
        ],
        { timeoutMs: 150_000 },
      );
      assert.equal(r.code, 0, `${r.stderr}${r.stdout.slice(0, 2000)}`);
      const res = r.json as BenchResult;
      assert.deepEqual(res.parameters.consumeModes, ['pull', 'pop']);
      assert.equal(res.verification?.lost, 0);
      const modes = Object.fromEntries((res.consumeModes ?? []).map((m) => [m.mode, m]));
      assert.ok(modes.pull && modes.pop, JSON.stringify(res.consumeModes));
      for (const m of [modes.pull, modes.pop]) {
        assert.equal(m.groups.length, 1);
        assert.ok(m.received > 0 && m.e2e !== null && m.histogram !== null, JSON.stringify(m));
      }
    },
  );

  test('--pop with an option it cannot honour: one line, exit 2', async () => {
    const r = await rmq(['consume', topic, '-g', uniqueName('popbad'), '--pop', '--broadcast']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /--pop does not go with --broadcast/);
  });
});

/** Major and minor of the cluster's first master, from `cluster list`. */
async function clusterRelease(): Promise<[number, number]> {
  const r = await rmq(['cluster', 'list', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const v =
    (r.json as { clusters: { brokers: { version: string | null }[] }[] }).clusters[0]?.brokers[0]?.version ??
    '';
  const m = /(\d+)[._](\d+)/.exec(v);
  assert.ok(m, `a broker version in ${r.stdout}`);
  return [Number(m[1]), Number(m[2])];
}

describe('consume mode and priority on the suite cluster', { concurrency: false }, () => {
  test('group create --consume-mode sets what QUERY_ASSIGNMENT tells the group; describe reads it back', async () => {
    const group = uniqueName('cmode');
    const describe = async () => {
      const d = await rmq(['group', 'describe', group, '--topic', topic, '--json']);
      assert.equal(d.code, 0, d.stderr);
      const rows = (d.json as GroupDescribeResult).consumeModes;
      assert.ok(rows.length > 0, d.stdout);
      for (const row of rows) assert.equal(row.topic, topic);
      return [...new Set(rows.map((row) => row.mode))];
    };
    const plain = await rmq(['group', 'create', group]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.deepEqual(await describe(), ['PULL'], "the broker's default");

    const pop = await rmq(['group', 'create', group, '--topic', topic, '--consume-mode', 'pop', '--json']);
    assert.equal(pop.code, 0, pop.stderr);
    const r = pop.json as GroupCreateResult;
    assert.equal(r.action, 'updated');
    assert.deepEqual(r.consumeMode?.mode, 'POP');
    assert.deepEqual(await describe(), ['POP']);
    const human = await rmq(['group', 'describe', group, '--topic', topic]);
    assert.match(human.stdout, /CONSUME MODE[\s\S]*\bPOP\b/);

    const pull = await rmq(['group', 'create', group, '--topic', topic, '--consume-mode', 'pull']);
    assert.equal(pull.code, 0, pull.stderr);
    assert.deepEqual(await describe(), ['PULL']);

    const alone = await rmq(['group', 'create', group, '--consume-mode', 'pop']);
    assert.equal(alone.code, 2);
    assert.match(alone.stderr, /topic/);
    const missing = await rmq([
      'group',
      'create',
      uniqueName('cmode'),
      '-t',
      uniqueName('nope'),
      '--consume-mode',
      'pop',
    ]);
    assert.equal(missing.code, 6, missing.stderr);
    assert.match(missing.stderr, /does not exist/);
    await rmq(['group', 'delete', group, '--yes']);
  });

  test('before 5.4: a PRIORITY topic and --priority are refused in one line, exit 2', async (t) => {
    const [major, minor] = await clusterRelease();
    if (major > 5 || (major === 5 && minor >= 4)) {
      t.skip('the cluster runs 5.4+: release-55.test.ts shows priority at work');
      return;
    }
    const prio = uniqueName('it_prio');
    const created = await rmq(['topic', 'create', prio, '--type', 'PRIORITY']);
    assert.equal(created.code, 2, created.stderr);
    assert.equal(created.stderr.trim().split('\n').length, 1, created.stderr);
    assert.match(created.stderr, /PRIORITY topics need RocketMQ 5\.4 or newer; broker \S+ runs 5\.\d\.\d/);

    const sent = await rmq(['send', topic, '--body', 'x', '--priority', '3']);
    assert.equal(sent.code, 2, sent.stderr);
    assert.equal(sent.stderr.trim().split('\n').length, 1, sent.stderr);
    assert.match(sent.stderr, /priority messages need RocketMQ 5\.4 or newer; broker \S+ runs 5\.\d\.\d/);
  });
});
