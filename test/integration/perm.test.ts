/**
 * `rmq topic update` and `rmq broker perm` against the real broker. What refuses what, as
 * RocketMQ does it: a read-only topic or broker is routed read-only, so producers (rmq send)
 * refuse to send; a write-only topic makes the broker refuse pulls; a read-only broker itself
 * refuses sends to an ordered topic, even from a producer that still holds the writable route.
 * Read-write restores each. The broker is always made read-write again, whatever happened.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MQClient } from '../../src/core/client/mq-client.js';
import { Producer } from '../../src/core/client/producer.js';
import { BrokerResponseError } from '../../src/core/errors.js';
import { ResponseCode } from '../../src/core/remoting/codes.js';
import type { BrokerPermResult } from '../../src/services/broker-perm.js';
import type { TopicDescribeResult } from '../../src/services/topic.js';
import type { TopicUpdateResult } from '../../src/services/topic-update.js';
import { rmq, TEST_NAMESRV, uniqueName } from '../helpers/cli.js';
import { assertSchema } from '../helpers/schema.js';

const topic = uniqueName('it_perm');
const ordered = uniqueName('it_perm_ordered');
let client: MQClient;
let producer: Producer;

const describeTopic = async (): Promise<TopicDescribeResult> => {
  const r = await rmq(['topic', 'describe', topic, '--json']);
  assert.equal(r.code, 0, r.stderr);
  return r.json as TopicDescribeResult;
};

/**
 * A send through a producer whose route was read while the topic was writable: it goes to the
 * broker whatever the name servers say now, so what comes back is the broker's own verdict.
 */
const sendWithOldRoute = (to = topic) => producer.send({ topic: to, body: Buffer.from('x') });

const assertBrokerRefuses = async (what: RegExp) => {
  await assert.rejects(sendWithOldRoute(ordered), (err: unknown) => {
    assert.ok(err instanceof BrokerResponseError, String(err));
    assert.equal(err.responseCode, ResponseCode.NO_PERMISSION);
    assert.match(err.remark ?? '', what);
    return true;
  });
};

/** `rmq send` of one message: refused while the route has no writable queue. */
const cliSend = () => rmq(['send', topic, '--body', 'x']);

const printFirst = () => rmq(['message', 'print', '-t', topic, '-q', '0', '--offset', '0', '--json']);

before(async () => {
  for (const args of [
    ['topic', 'create', topic, '--queues', '1'],
    ['topic', 'create', ordered, '--queues', '1', '--order'],
  ]) {
    const r = await rmq(args);
    assert.equal(r.code, 0, r.stderr);
  }
  client = new MQClient({ namesrv: [TEST_NAMESRV], timeoutMs: 5000 });
  producer = new Producer(client, { group: uniqueName('it_perm_p'), retries: 0 });
  // Caches the writable routes, and puts a message at offset 0 of the topic.
  await sendWithOldRoute();
  await sendWithOldRoute(ordered);
});

after(async () => {
  await client.shutdown();
  await rmq(['topic', 'delete', topic, '--yes']);
  await rmq(['topic', 'delete', ordered, '--yes']);
});

describe('rmq topic update', () => {
  test('no --yes without a terminal, and --dry-run: a plan, nothing changed', async () => {
    const refused = await rmq(['topic', 'update', topic, '--perm', 'r']);
    assert.equal(refused.code, 2);
    assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
    const dry = await rmq(['topic', 'update', topic, '--perm', 'r', '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /RW- → R--/);
    assert.ok((await describeTopic()).brokers.every((b) => b.perm === 'RW-'));
  });

  test('--perm r: sends are refused; --perm w: the broker refuses reads; --perm rw restores both', async () => {
    try {
      const r = await rmq(['topic', 'update', topic, '--perm', 'r', '--yes', '--json']);
      assert.equal(r.code, 0, r.stderr);
      assertSchema('topic-update', r.json);
      const u = r.json as TopicUpdateResult;
      assert.ok(u.brokers.length >= 1);
      for (const b of u.brokers) {
        assert.deepEqual(b.perm, { old: 'RW-', new: 'R--' });
        assert.equal(b.applied, true);
      }
      assert.ok((await describeTopic()).brokers.every((b) => b.perm === 'R--'));
      const before = (await describeTopic()).totalMessages;
      const refused = await cliSend();
      assert.equal(refused.code, 6, refused.stderr);
      assert.match(refused.stderr, /no writable queue/);
      assert.equal((await describeTopic()).totalMessages, before, 'nothing stored');
      assert.equal((await printFirst()).code, 0, 'a read-only topic is read');

      const w = await rmq(['topic', 'update', topic, '--perm', 'w', '--yes']);
      assert.equal(w.code, 0, w.stderr);
      const pull = await printFirst();
      assert.equal(pull.code, 5, pull.stderr);
      assert.match(pull.stdout, /NO_PERMISSION|pulling message is forbidden/);
    } finally {
      const rw = await rmq(['topic', 'update', topic, '--perm', 'rw', '--yes']);
      assert.equal(rw.code, 0, rw.stderr);
    }
    assert.ok((await describeTopic()).brokers.every((b) => b.perm === 'RW-'));
    const sent = await cliSend();
    assert.equal(sent.code, 0, sent.stderr);
    assert.equal((await printFirst()).code, 0);
  });

  test('queue counts: the plan shows the change and what it means; applied, the route has them', async () => {
    const grow = await rmq(['topic', 'update', topic, '--read-queues', '4', '--write-queues', '4', '--yes']);
    assert.equal(grow.code, 0, grow.stderr);
    const d = await describeTopic();
    assert.ok(d.brokers.every((b) => b.readQueues === 4 && b.writeQueues === 4 && b.perm === 'RW-'));
    const dry = await rmq(['topic', 'update', topic, '--read-queues', '2', '--dry-run', '--json']);
    assert.equal(dry.code, 0, dry.stderr);
    assertSchema('topic-update', dry.json);
    const plan = dry.json as TopicUpdateResult;
    assert.deepEqual(plan.brokers[0]!.readQueues, { old: 4, new: 2 });
    assert.deepEqual(plan.brokers[0]!.writeQueues, { old: 4, new: 4 });
    assert.ok(
      plan.notes.some((n) => /queues 2–3 are no longer read/.test(n)) &&
        plan.notes.some((n) => /queues 2–3 are written but not read/.test(n)),
      plan.notes.join('\n'),
    );
    assert.ok(
      (await describeTopic()).brokers.every((b) => b.readQueues === 4),
      'a dry run changes nothing',
    );
  });

  test('bad input: an unknown topic exits 6, nothing to change exits 2', async () => {
    const unknown = await rmq(['topic', 'update', uniqueName('it_no_topic'), '--perm', 'r', '--yes']);
    assert.equal(unknown.code, 6);
    assert.equal(unknown.stderr.trim().split('\n').length, 1, unknown.stderr);
    const nothing = await rmq(['topic', 'update', topic, '--yes']);
    assert.equal(nothing.code, 2);
    const bad = await rmq(['topic', 'update', topic, '--write-queues', '0', '--yes']);
    assert.equal(bad.code, 2);
  });
});

describe('rmq broker perm', () => {
  let master = '';
  const permission = async (): Promise<string> => {
    const r = await rmq(['broker', 'config', 'get', master, 'brokerPermission', '--json']);
    assert.equal(r.code, 0, r.stderr);
    return (r.json as { config: Record<string, string> }).config.brokerPermission!;
  };

  before(async () => {
    const d = await describeTopic();
    master = d.brokers[0]!.brokerName;
    assert.equal(await permission(), '6');
  });

  test('no --yes without a terminal, --dry-run, an unknown broker: nothing changed', async () => {
    const refused = await rmq(['broker', 'perm', master, '--read-only']);
    assert.equal(refused.code, 2);
    assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
    const dry = await rmq(['broker', 'perm', master, '--read-only', '--dry-run', '--json']);
    assert.equal(dry.code, 0, dry.stderr);
    assertSchema('broker-perm', dry.json);
    assert.deepEqual((dry.json as BrokerPermResult).permission, {
      old: 6,
      new: 4,
      oldText: 'RW-',
      newText: 'R--',
    });
    const unknown = await rmq(['broker', 'perm', 'no-such-broker', '--read-only', '--yes']);
    assert.equal(unknown.code, 6);
    assert.equal(unknown.stderr.trim().split('\n').length, 1, unknown.stderr);
    const neither = await rmq(['broker', 'perm', master, '--yes']);
    assert.equal(neither.code, 2);
    assert.equal(await permission(), '6');
  });

  test('--read-only: routed read-only, sends refused (by the broker for an ordered topic); --read-write restores', async () => {
    try {
      const r = await rmq(['broker', 'perm', master, '--read-only', '--yes', '--json']);
      assert.equal(r.code, 0, r.stderr);
      assertSchema('broker-perm', r.json);
      assert.equal((r.json as BrokerPermResult).applied, true);
      assert.equal(await permission(), '4');
      await assertBrokerRefuses(/sending message is forbidden/);
      const routed = (await describeTopic()).brokers.find((b) => b.brokerName === master)!;
      assert.equal(routed.perm, 'R--', 'the name servers route it read-only');
      const refused = await cliSend();
      assert.equal(refused.code, 6, refused.stderr);
      const again = await rmq(['broker', 'perm', master, '--read-only', '--yes', '--json']);
      assert.equal(again.code, 0, again.stderr);
      assert.equal((again.json as BrokerPermResult).changed, false);
    } finally {
      const rw = await rmq(['broker', 'perm', master, '--read-write', '--yes']);
      assert.equal(rw.code, 0, rw.stderr);
    }
    assert.equal(await permission(), '6');
    assert.equal((await describeTopic()).brokers.find((b) => b.brokerName === master)!.perm, 'RW-');
    for (const t of [topic, ordered]) {
      const sent = await rmq(['send', t, '--body', 'x']);
      assert.equal(sent.code, 0, sent.stderr);
    }
  });
});
