/** Cluster, topic and group admin against the real broker the suite runs against. */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, describe, test } from 'node:test';
import { rmq, uniqueName } from '../helpers/cli.js';

interface ErrorBody {
  error: { kind: string; message: string; exitCode: number; hint?: string };
}

describe('cluster list', () => {
  test('lists a master broker with its version', async () => {
    const r = await rmq(['cluster', 'list', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const { clusters } = r.json as {
      clusters: { name: string; brokers: { role: string; version: string; address: string }[] }[];
    };
    assert.ok(clusters.length >= 1);
    const master = clusters.flatMap((c) => c.brokers).find((b) => b.role === 'MASTER');
    assert.ok(master, 'a master broker');
    assert.match(master.version ?? '', /^V(5|4)_\d+_\d+/, JSON.stringify(master));
    assert.match(master.address, /^127\.0\.0\.1:\d+$/);
  });

  test('human output is a table on stdout, nothing on stderr', async () => {
    const r = await rmq(['cluster', 'list']);
    assert.equal(r.code, 0);
    assert.match(r.stdout.split('\n')[0]!, /^CLUSTER\s+BROKER\s+ID\s+ROLE\s+ADDRESS\s+VERSION/);
    assert.equal(r.stderr, '');
  });
});

describe('topic lifecycle', () => {
  const topic = uniqueName('it_topic');
  after(async () => {
    await rmq(['topic', 'delete', topic, '--yes']);
  });

  test('create, list, describe, update, delete', async () => {
    const created = await rmq(['topic', 'create', topic, '--queues', '4', '--json']);
    assert.equal(created.code, 0, created.stderr);
    assert.deepEqual(
      {
        action: (created.json as { action: string }).action,
        routed: (created.json as { routed: boolean }).routed,
      },
      { action: 'created', routed: true },
    );

    const listed = await rmq(['topic', 'list', '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    const item = (
      listed.json as { topics: { name: string; writeQueues: number; system: boolean }[] }
    ).topics.find((t) => t.name === topic);
    assert.ok(item, 'new topic is listed');
    assert.equal(item.writeQueues, 4);
    assert.ok(
      !(listed.json as { topics: { name: string }[] }).topics.some((t) => t.name === 'TBW102'),
      'system topics hidden by default',
    );
    const withSystem = await rmq(['topic', 'list', '--system', '--json']);
    assert.ok((withSystem.json as { topics: { name: string }[] }).topics.some((t) => t.name === 'TBW102'));

    const described = await rmq(['topic', 'describe', topic, '--json']);
    assert.equal(described.code, 0, described.stderr);
    const d = described.json as {
      queues: { queueId: number; minOffset: number; maxOffset: number }[];
      totalMessages: number;
    };
    assert.deepEqual(
      d.queues.map((q) => q.queueId),
      [0, 1, 2, 3],
    );
    assert.equal(d.totalMessages, 0);

    const updated = await rmq(['topic', 'create', topic, '--queues', '6', '--json']);
    assert.equal(updated.code, 0, updated.stderr);
    assert.equal((updated.json as { action: string }).action, 'updated');
    const again = await rmq(['topic', 'describe', topic, '--json']);
    assert.equal((again.json as { queues: unknown[] }).queues.length, 6);

    const deleted = await rmq(['topic', 'delete', topic, '--yes', '--json']);
    assert.equal(deleted.code, 0, deleted.stderr);
    const gone = await rmq(['topic', 'describe', topic, '--json']);
    assert.equal(gone.code, 6);
    assert.equal((gone.json as ErrorBody).error.kind, 'not-found');
  });

  test('a 5.x topic type is stored and shown', async (t) => {
    const cluster = await rmq(['cluster', 'list', '--json']);
    const version = (cluster.json as { clusters: { brokers: { version: string }[] }[] }).clusters[0]!
      .brokers[0]!.version;
    if (!version.startsWith('V5')) return t.skip(`broker is ${version}`);
    const fifo = uniqueName('it_fifo');
    try {
      const r = await rmq(['topic', 'create', fifo, '--type', 'FIFO', '--json']);
      assert.equal(r.code, 0, r.stderr);
      const d = await rmq(['topic', 'describe', fifo, '--json']);
      assert.equal((d.json as { type: string }).type, 'FIFO');
    } finally {
      await rmq(['topic', 'delete', fifo, '--yes']);
    }
  });
});

describe('group lifecycle', () => {
  test('create, list, describe, update, delete', async () => {
    const group = uniqueName('it_group');
    const created = await rmq(['group', 'create', group, '--json']);
    assert.equal(created.code, 0, created.stderr);
    assert.equal((created.json as { action: string }).action, 'created');

    const updated = await rmq(['group', 'create', group, '--retry-max-times', '3', '--json']);
    assert.equal((updated.json as { action: string }).action, 'updated');

    const listed = await rmq(['group', 'list', '--json']);
    const g = (listed.json as { groups: { name: string; retryMaxTimes: number }[] }).groups.find(
      (x) => x.name === group,
    );
    assert.equal(g?.retryMaxTimes, 3);

    const described = await rmq(['group', 'describe', group, '--json']);
    assert.equal(described.code, 0, described.stderr);
    const d = described.json as { online: boolean; consumers: unknown[]; totalLag: number };
    assert.deepEqual(
      { online: d.online, consumers: d.consumers.length, totalLag: d.totalLag },
      { online: false, consumers: 0, totalLag: 0 },
    );

    const deleted = await rmq(['group', 'delete', group, '--yes']);
    assert.equal(deleted.code, 0, deleted.stderr);
    const gone = await rmq(['group', 'describe', group]);
    assert.equal(gone.code, 6);
    assert.match(gone.stderr, /consumer group ".*" does not exist/);
  });
});

describe('errors a user meets', () => {
  test('describing a missing topic: one line on stderr, exit 6, no stack', async () => {
    const r = await rmq(['topic', 'describe', uniqueName('missing')]);
    assert.equal(r.code, 6);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^Error: topic ".*" does not exist — /);
    assert.doesNotMatch(r.stderr, /\bat .*\.js:\d+/);
  });

  test('a refused name server: exit 3, one line naming the address', async () => {
    const r = await rmq(['topic', 'list', '-n', '127.0.0.1:1', '--timeout', '2s']);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /127\.0\.0\.1:1/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });

  test('a name server that never answers: exit 4 within --timeout', async () => {
    // Accepts the connection and then says nothing, like a hung server.
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const r = await rmq(['cluster', 'list', '-n', `127.0.0.1:${port}`, '--timeout', '1s', '--json']);
      assert.equal(r.code, 4, r.stdout + r.stderr);
      assert.equal((r.json as ErrorBody).error.kind, 'timeout');
      assert.ok(r.ms < 5000, `took ${r.ms} ms`);
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  });

  test('NAMESRV_ADDR is honoured and --namesrv wins over it', async () => {
    const viaEnv = await rmq(['cluster', 'list', '--json'], { env: { NAMESRV_ADDR: '127.0.0.1:1' } });
    assert.equal(viaEnv.code, 3);
    const viaFlag = await rmq(
      ['cluster', 'list', '--json', '-n', process.env.RMQ_TEST_NAMESRV ?? '127.0.0.1:9876'],
      {
        env: { NAMESRV_ADDR: '127.0.0.1:1' },
      },
    );
    assert.equal(viaFlag.code, 0, viaFlag.stderr);
    const rmqEnvWins = await rmq(['cluster', 'list', '--json'], {
      env: { RMQ_NAMESRV: '127.0.0.1:1', NAMESRV_ADDR: process.env.RMQ_TEST_NAMESRV ?? '127.0.0.1:9876' },
    });
    assert.equal(rmqEnvWins.code, 3);
  });

  test('deleting without --yes when not interactive: exit 2', async () => {
    const r = await rmq(['topic', 'delete', 'whatever']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--yes/);
  });

  test('an invalid topic name: exit 2 with the rule', async () => {
    const r = await rmq(['topic', 'create', 'bad topic!']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /invalid topic name/);
  });

  test('an unknown flag: exit 2', async () => {
    const r = await rmq(['topic', 'list', '--bogus']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Nonexistent flag: --bogus/);
  });
});
