/**
 * Who is connected, against the real broker: `group clients` and `group status` see two running
 * `rmq consume` processes (and that they subscribe differently), `topic producers` sees a
 * running `rmq send`. The broker keeps one subscription table per group (the last heartbeat
 * wins), so the mismatch can only be found by asking each member, which is what is proven here.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type {
  GroupClientsResult,
  GroupStatusResult,
  TopicProducersResult,
} from '../../src/services/connections.js';
import { type Background, rmq, rmqBackground, uniqueName } from '../helpers/cli.js';
import { poll } from '../helpers/read-topic.js';

const topic = uniqueName('it_conn');
const group = uniqueName('it_conn_g');
const pgroup = uniqueName('it_conn_pg');
const running: Background[] = [];

before(async () => {
  const t = await rmq(['topic', 'create', topic, '--queues', '4']);
  assert.equal(t.code, 0, t.stderr);
  const g = await rmq(['group', 'create', group]);
  assert.equal(g.code, 0, g.stderr);
});

after(async () => {
  for (const b of running) b.kill('SIGKILL');
  await Promise.all(running.map((b) => b.done));
  await rmq(['group', 'delete', group, '--yes']);
  await rmq(['topic', 'delete', topic, '--yes']);
});

async function clients(min: number): Promise<GroupClientsResult> {
  let last: GroupClientsResult | undefined;
  const seen = await poll(
    async () => {
      const r = await rmq(['group', 'clients', group, '--json']);
      assert.equal(r.code, 0, r.stderr);
      last = r.json as GroupClientsResult;
      // Both members known, and both answered for their own subscriptions.
      return last.clients.filter((c) => c.subscriptions !== null).length >= min;
    },
    60_000,
    500,
  );
  assert.ok(seen, `fewer than ${min} members answered within 60 s: ${JSON.stringify(last)}`);
  return last!;
}

describe('who is connected', () => {
  test('group clients and group status: two members that subscribe differently are flagged', async () => {
    running.push(
      rmqBackground(['consume', topic, '-g', group, '--tag', 'a', '--output', 'ndjson'], {
        timeoutMs: 180_000,
      }),
      rmqBackground(['consume', topic, '-g', group, '--tag', 'b', '--output', 'ndjson'], {
        timeoutMs: 180_000,
      }),
    );
    const c = await clients(2);
    assert.equal(c.group, group);
    assert.equal(c.online, true);
    assert.equal(c.consumeType, 'CONSUME_PASSIVELY');
    assert.equal(c.messageModel, 'CLUSTERING');
    assert.equal(c.clients.length, 2);
    assert.equal(new Set(c.clients.map((x) => x.clientId)).size, 2);
    for (const x of c.clients) {
      assert.match(x.clientAddr, /^127\.0\.0\.1:\d+$/);
      assert.ok(x.brokers.length >= 1, JSON.stringify(x));
      assert.ok(x.version > 0);
    }
    const exprs = c.clients.map((x) => x.subscriptions!.find((s) => s.topic === topic)?.expression).sort();
    assert.deepEqual(exprs, ['a', 'b']);
    assert.equal(c.subscriptionsConsistent, false);
    assert.equal(c.mismatches.length, 1);
    assert.equal(c.mismatches[0]!.topic, topic);
    assert.deepEqual(c.mismatches[0]!.members.map((m) => m.expression).sort(), ['a', 'b']);

    // The human table says so too, on stdout; exit 0 all the same.
    const text = await rmq(['group', 'clients', group]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(c.clients[0]!.clientId.replace(/[.@|]/g, '\\$&')));
    assert.match(text.stdout + text.stderr, /differ|mismatch/i);

    // Running info, answered by rmq's own consumer: its queues of the topic and their state.
    const s = await rmq(['group', 'status', group, '--json']);
    assert.equal(s.code, 0, s.stderr);
    const st = s.json as GroupStatusResult;
    assert.equal(st.clients.length, 2);
    for (const x of st.clients) {
      assert.equal(x.ok, true, x.error);
      assert.ok(x.subscriptions!.some((sub) => sub.topic === topic));
      assert.ok(
        x.queues!.every((q) => q.topic === topic || q.topic.startsWith('%RETRY%')),
        JSON.stringify(x.queues),
      );
    }
    // Four queues, rebalanced over the two members: each holds some, together all four.
    const held = st.clients.flatMap((x) => x.queues!.filter((q) => q.topic === topic).map((q) => q.queueId));
    assert.deepEqual(held.sort(), [0, 1, 2, 3]);
    assert.equal(st.subscriptionsConsistent, false);

    const one = await rmq(['group', 'status', group, '--client', st.clients[0]!.clientId, '--json']);
    assert.equal(one.code, 0, one.stderr);
    assert.deepEqual(
      (one.json as GroupStatusResult).clients.map((x) => x.clientId),
      [st.clients[0]!.clientId],
    );
  });

  test('topic producers: a running send is listed under its producer group', async () => {
    const send = rmqBackground(['send', topic, '--input', 'ndjson', '-g', pgroup, '--output', 'ndjson'], {
      keepStdinOpen: true,
      timeoutMs: 180_000,
    });
    running.push(send);
    send.write('{"body":"hello"}\n');
    let last: TopicProducersResult | undefined;
    const seen = await poll(
      async () => {
        if (!send.stdout().includes('SEND_OK')) return false;
        const r = await rmq(['topic', 'producers', topic, '--group', pgroup, '--json']);
        assert.equal(r.code, 0, r.stderr);
        last = r.json as TopicProducersResult;
        return last.producers.length > 0;
      },
      60_000,
      500,
    );
    assert.ok(seen, `no producer listed within 60 s: ${send.stderr()} ${JSON.stringify(last)}`);
    assert.equal(last!.topic, topic);
    assert.equal(last!.group, pgroup);
    assert.equal(last!.producers.length, 1);
    assert.match(last!.producers[0]!.clientAddr, /^127\.0\.0\.1:\d+$/);
    // Nobody else's producers: another group's list is empty.
    const other = await rmq(['topic', 'producers', topic, '--group', uniqueName('it_conn_none'), '--json']);
    assert.equal(other.code, 0, other.stderr);
    assert.deepEqual((other.json as TopicProducersResult).producers, []);
    send.kill('SIGTERM');
  });

  test('bad input: one line, documented exit code', async () => {
    const missing = await rmq(['group', 'clients', uniqueName('it_conn_nogroup')]);
    assert.equal(missing.code, 6, missing.stderr);
    assert.equal(missing.stderr.trim().split('\n').length, 1, missing.stderr);
    const noClient = await rmq(['group', 'status', group, '--client', 'nobody@1']);
    assert.equal(noClient.code, 6, noClient.stderr);
    assert.match(noClient.stderr, /client "nobody@1" of group .* is not connected/);
    const badName = await rmq(['topic', 'producers', 'bad topic!', '--group', pgroup]);
    assert.equal(badName.code, 2, badName.stderr);
    assert.equal(badName.stderr.trim().split('\n').length, 1, badName.stderr);
  });
});
