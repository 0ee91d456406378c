/**
 * The 5.5 release line on a cluster of the test's own: `--version 5.5` takes the newest 5.5.x that
 * Maven Central lists and serves completely (found from the repository's list, not from a table
 * in rmq), smoke passes on it, a timer message recalled before it is due never arrives, and a
 * PRIORITY topic's backlog is popped highest priority first. Lite topics: a LITE parent topic, a
 * bound group, sends to lite topics, their consumption in order, and every lite admin read.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Ajv } from 'ajv';
import { fetchReleases, lineReleases } from '../../src/local/releases.js';
import type { ConsumeResult } from '../../src/services/consume.js';
import type {
  BrokerLiteInfoResult,
  LiteBindResult,
  LiteClientInfoResult,
  LiteCreateResult,
  LiteGroupInfoResult,
  LiteTopicInfoResult,
  ParentTopicInfoResult,
} from '../../src/services/lite.js';
import type { RecallPlan } from '../../src/services/message-recall.js';
import type { SendSummary } from '../../src/services/send/index.js';
import { ndjson, REPO_ROOT, rmq, rmqBackground, uniqueName } from '../helpers/cli.js';
import { startCluster, type TestCluster, waitUntil } from '../helpers/cluster.js';
import { freeClusterPorts } from '../helpers/ports.js';

let c: TestCluster;
// A cache of its own: with the user's, a line resolved within the last day is taken from it without
// reading the repository's list, and there would be nothing to check. The jars come from Maven's
// local repository, so this costs a copy, not a download, after the first time.
const cache = mkdtempSync(join(tmpdir(), 'rmq-cache-55-'));

before(
  async () => {
    const { namesrvPort, brokerPort } = await freeClusterPorts();
    c = await startCluster('release-55', namesrvPort, brokerPort, {
      version: '5.5',
      env: { RMQ_CACHE_DIR: cache },
    });
  },
  { timeout: 900_000 },
);

after(async () => {
  await c?.down();
  rmSync(cache, { recursive: true, force: true });
});

describe('RocketMQ 5.5', { concurrency: false }, () => {
  test('--version 5.5 is the newest 5.5.x that resolves, as the repository lists them', async () => {
    const listed = lineReleases(await fetchReleases(), '5.5');
    assert.ok(listed.length > 0, 'Maven Central lists 5.5 releases');
    const release = c.upResult.release;
    assert.equal(release?.source, 'repository', 'a cache of its own: the list was read');
    assert.deepEqual(release.listed, listed);
    // Every newer release was tried and found incomplete, not skipped by a table.
    assert.deepEqual(
      release.skipped.map((s) => s.version),
      listed.slice(0, listed.indexOf(c.version)),
    );
    for (const s of release.skipped) assert.match(s.reason, /is not on Maven Central/);
    const info = await rmq(['cluster', 'list', '--json', ...c.n]);
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, new RegExp(`"V${c.version.replace(/\./g, '_')}"`));
  });

  test('smoke passes', { timeout: 300_000 }, async () => {
    const r = await rmq(['smoke', '--json', ...c.n], { timeoutMs: 240_000 });
    assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
  });

  test('a recalled timer message never arrives; its twin does', { timeout: 300_000 }, async () => {
    const topic = uniqueName('recall55');
    const created = await rmq(['topic', 'create', topic, '--queues', '1', ...c.n]);
    assert.equal(created.code, 0, created.stderr);
    // Due in 20 s: time for four commands on a loaded box before it is (the plan, a refusal, the
    // recall), and a check that more than 10 s were still left at the plan.
    const sent = await rmq(['send', topic, '--delay', '20s', '--json', ...c.n], {
      input: 'recalled\ncontrol\n',
    });
    assert.equal(sent.code, 0, sent.stderr);
    const [recalled, control] = (sent.json as SendSummary).results;
    assert.ok(recalled?.recallHandle && control?.recallHandle, 'a 5.5 broker gives timer messages a handle');

    const dry = await rmq(['message', 'recall', recalled.recallHandle, '--dry-run', '--json', ...c.n]);
    assert.equal(dry.code, 0, dry.stderr);
    const plan = dry.json as RecallPlan;
    assert.equal(plan.msgId, recalled.msgId);
    assert.equal(plan.recalled, false);
    assert.ok(plan.dueInMs > 10_000 && plan.dueInMs <= 20_001, `due in ${plan.dueInMs} ms`);

    const noYes = await rmq(['message', 'recall', recalled.recallHandle, ...c.n]);
    assert.equal(noYes.code, 2, 'no --yes without a terminal: refused');

    const r = await rmq(['message', 'recall', recalled.recallHandle, '--yes', '--json', ...c.n]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((r.json as RecallPlan).recalled, true);

    const group = uniqueName('recall55g');
    const consumer = rmqBackground(
      ['consume', topic, '-g', group, '--from', 'first', '--output', 'ndjson', ...c.n],
      {
        timeoutMs: 240_000,
      },
    );
    try {
      const seen = (): { msgId: string; body?: string }[] => ndjson(consumer.stdout());
      await waitUntil(
        'the control message arrives',
        () => seen().some((m) => m.msgId === control.msgId),
        150_000,
      );
      // The two were due within milliseconds of each other: a recalled one would be here by now,
      // and after a few more seconds surely.
      await new Promise((res) => setTimeout(res, 5000));
      assert.deepEqual(
        seen().map((m) => m.body),
        ['control'],
      );
    } finally {
      consumer.kill('SIGTERM');
      await consumer.done;
    }

    const bad = await rmq(['message', 'recall', 'not a handle', '--yes', ...c.n]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /not a recall handle/);
    const due = await rmq(['message', 'recall', control.recallHandle, '--yes', ...c.n]);
    assert.equal(due.code, 2, 'a delivered message cannot be recalled');
    assert.match(due.stderr, /delivered already/);
  });
  test('a PRIORITY backlog is popped highest priority first', { timeout: 300_000 }, async () => {
    const topic = uniqueName('prio55');
    const created = await rmq(['topic', 'create', topic, '--queues', '4', '--type', 'PRIORITY', ...c.n]);
    assert.equal(created.code, 0, created.stderr);
    // The backlog, lowest priority first: 60 each of 0, 1 and 2, then 20 of 3.
    const counts = [60, 60, 60, 20];
    for (const [p, n] of counts.entries()) {
      const input = Array.from({ length: n }, (_, i) => `p${p}-${i}\n`).join('');
      const sent = await rmq(['send', topic, '--priority', String(p), '--json', ...c.n], { input });
      assert.equal(sent.code, 0, sent.stderr);
      const results = (sent.json as SendSummary).results;
      assert.equal(results.length, n);
      // The broker, not the client, picks the queue: min(priority, write queues - 1).
      for (const r of results) assert.equal(r.queueId, p, `priority ${p} is stored in queue ${p}`);
    }
    const above = await rmq(['send', topic, '--priority', '9', '--body', 'p3-capped', ...c.n]);
    assert.equal(above.code, 0, above.stderr);
    assert.match(above.stderr, /above the highest level of \S+ \(3\)/);

    const total = counts.reduce((a, b) => a + b, 0) + 1;
    const group = uniqueName('prio55g');
    const r = await rmq(
      [
        'consume',
        topic,
        '-g',
        group,
        '--pop',
        '--from',
        'first',
        '--count',
        String(total),
        '--output',
        'body',
        ...c.n,
      ],
      { timeoutMs: 180_000 },
    );
    assert.equal(r.code, 0, r.stderr);
    const order = r.stdout
      .split('\n')
      .filter(Boolean)
      .map((b) => Number(/^p(\d)-/.exec(b)![1]));
    assert.equal(order.length, total);
    // Each pop reads the queues from the highest down, and `consume --pop` has one pop in flight
    // on a PRIORITY topic: the backlog comes out level by level, highest first.
    assert.deepEqual(
      order.join(''),
      [...order].sort((a, b) => b - a).join(''),
      'delivered highest priority first',
    );
    assert.equal(order.filter((p) => p === 3).length, 21);
  });
});

describe('RocketMQ 5.5 lite topics', { concurrency: false }, () => {
  const ajv = new Ajv({ strict: true, allErrors: true });
  // Every --json result here is checked against its schema: the schema test's cluster is older.
  const ok = async <T>(args: string[], input?: string): Promise<T> => {
    const r = await rmq([...args, '--json', ...c.n], input === undefined ? {} : { input });
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    const command = args[0] === 'lite' ? `lite-${args[1]}` : args[0]!;
    const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'schemas', `${command}.json`), 'utf8')) as object;
    const validate = ajv.getSchema(command) ?? (ajv.addSchema(schema, command), ajv.getSchema(command)!);
    assert.ok(validate(r.json), `${command}: ${ajv.errorsText(validate.errors)}`);
    return r.json as T;
  };
  const parent = uniqueName('lite55');
  const group = uniqueName('lite55g');

  test('a LITE parent topic and a group bound to it', async () => {
    const created = await ok<LiteCreateResult>([
      'lite',
      'create',
      parent,
      '--queues',
      '4',
      '--expiration',
      '1d',
    ]);
    assert.equal(created.action, 'created');
    assert.equal(created.expirationMinutes, 1440);
    const bound = await ok<LiteBindResult>(['lite', 'bind', group, '--topic', parent]);
    assert.deepEqual(
      bound.brokers.map((b) => b.brokerName),
      [c.brokerName],
    );
    // What the broker now says about both, through GET_BROKER_LITE_INFO and GET_PARENT_TOPIC_INFO.
    const broker = await ok<BrokerLiteInfoResult>(['lite', 'broker']);
    const b = broker.brokers.find((x) => x.brokerName === c.brokerName)!;
    assert.equal(b.topicMeta[parent], 1440);
    assert.deepEqual(b.groupMeta[parent], [group]);
    assert.ok(b.maxLmqNum > 0, 'the broker holds LMQs (rmq local up turned enableLmq on)');
    const info = await ok<ParentTopicInfoResult>(['lite', 'parent', parent]);
    assert.equal(info.liteTopicCount, 0);
    assert.deepEqual(info.brokers[0]!.groups, [group]);
    assert.equal(info.brokers[0]!.ttl, 1440);
  });

  test('sent to lite topics, consumed in order one lite topic at a time', { timeout: 240_000 }, async () => {
    await ok(['send', parent, '--lite-topic', 'room-a'], 'a1\na2\na3\n');
    await ok(['send', parent, '--lite-topic', 'room-b'], 'b1\nb2\n');
    const a = await ok<LiteTopicInfoResult>(['lite', 'topic', parent, 'room-a']);
    assert.equal(a.lmq, `%LMQ%$${parent}$room-a`);
    assert.equal(a.messages, 3);
    assert.equal(a.shardedTo, c.brokerName, 'sent where the broker shards it');
    assert.equal((await ok<ParentTopicInfoResult>(['lite', 'parent', parent])).liteTopicCount, 2);

    // Only room-a, from its first message; room-b stays untouched.
    const got = await ok<ConsumeResult>([
      'consume',
      parent,
      '-g',
      group,
      '--lite-topic',
      'room-a',
      '--from',
      'first',
      '--count',
      '3',
    ]);
    assert.equal(got.mode, 'lite');
    assert.deepEqual(
      got.messages!.map((m) => m.body),
      ['a1', 'a2', 'a3'],
    );
    // The acks moved the group's offset in room-a to its end; room-b has none.
    const lagA = await ok<LiteGroupInfoResult>([
      'lite',
      'group',
      group,
      '--topic',
      parent,
      '--lite-topic',
      'room-a',
    ]);
    assert.deepEqual(
      lagA.brokers[0]!.offsets && [
        lagA.brokers[0]!.offsets.brokerOffset,
        lagA.brokers[0]!.offsets.consumerOffset,
      ],
      [3, 3],
    );
    assert.equal(lagA.totalLagCount, 0);
    const lagB = await ok<LiteGroupInfoResult>([
      'lite',
      'group',
      group,
      '--topic',
      parent,
      '--lite-topic',
      'room-b',
    ]);
    assert.equal(lagB.brokers[0]!.offsets, null);

    // --from last (the default): a lite topic new to the group starts at its end.
    const late = uniqueName('lite55late');
    await ok(['lite', 'bind', late, '--topic', parent]);
    const none = await ok<ConsumeResult>([
      'consume',
      parent,
      '-g',
      late,
      '--lite-topic',
      'room-b',
      '--idle-timeout',
      '5s',
    ]);
    assert.equal(none.received, 0);
    await ok(['send', parent, '--lite-topic', 'room-b'], 'b3\n');
    const one = await ok<ConsumeResult>([
      'consume',
      parent,
      '-g',
      late,
      '--lite-topic',
      'room-b',
      '--count',
      '1',
    ]);
    assert.deepEqual(
      one.messages!.map((m) => m.body),
      ['b3'],
    );
  });

  test(
    'a running consumer is seen as subscriber and as client, and unsubscribes on exit',
    { timeout: 240_000 },
    async () => {
      const consumer = rmqBackground(
        [
          'consume',
          parent,
          '-g',
          group,
          '--lite-topic',
          'room-b',
          '--lite-topic',
          'room-c',
          '--output',
          'ndjson',
          ...c.n,
        ],
        { timeoutMs: 180_000 },
      );
      try {
        let clientId = '';
        await waitUntil(
          'the broker lists the consumer as a room-b subscriber',
          async () => {
            const t = await ok<LiteTopicInfoResult>(['lite', 'topic', parent, 'room-b']);
            clientId = t.brokers[0]!.subscribers.find((s) => s.group === group)?.clientId ?? '';
            return clientId !== '';
          },
          60_000,
        );
        const client = await ok<LiteClientInfoResult>([
          'lite',
          'client',
          parent,
          '-g',
          group,
          '--client-id',
          clientId,
        ]);
        assert.deepEqual(client.brokers[0]!.liteTopics, ['room-b', 'room-c']);
        assert.equal(client.brokers[0]!.liteTopicCount, 2);
        assert.ok(client.brokers[0]!.lastAccessTime > 0, 'it polls');
        // A message sent now arrives (room-c had none: --from last starts it at its end, 0).
        await ok(['send', parent, '--lite-topic', 'room-c'], 'c1\n');
        await waitUntil(
          'room-c reaches the consumer',
          () => ndjson<{ body: string }>(consumer.stdout()).some((m) => m.body === 'c1'),
          60_000,
        );
      } finally {
        consumer.kill('SIGTERM');
        await consumer.done;
      }
      const after = await ok<LiteTopicInfoResult>(['lite', 'topic', parent, 'room-b']);
      assert.deepEqual(
        after.brokers[0]!.subscribers.filter((s) => s.group === group),
        [],
        'unsubscribed on exit',
      );
    },
  );

  test('refused: not a LITE topic, a bad lite topic name, lite with POP', async () => {
    const plain = uniqueName('lite55plain');
    assert.equal((await rmq(['topic', 'create', plain, '--queues', '1', ...c.n])).code, 0);
    const cases: [string[], number, RegExp][] = [
      [['send', plain, '--lite-topic', 'x', '--body', 'hi'], 2, /is not a LITE topic/],
      [['lite', 'bind', uniqueName('g'), '--topic', plain], 2, /is not a LITE topic/],
      [['lite', 'parent', plain], 5, /INVALID_PARAMETER \(29\): Topic \[\S+\] type not match/],
      [['lite', 'topic', parent, 'bad$name'], 2, /may contain only letters, digits/],
      [['send', parent, '--lite-topic', 'a b', '--body', 'x'], 2, /may contain only letters, digits/],
      [
        ['consume', parent, '-g', group, '--lite-topic', 'a', '--pop', '--count', '1'],
        2,
        /does not go with --pop/,
      ],
      [['lite', 'parent', uniqueName('nosuch')], 6, /does not exist/],
    ];
    for (const [args, code, message] of cases) {
      const r = await rmq([...args, ...c.n]);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, message);
    }
  });
});
