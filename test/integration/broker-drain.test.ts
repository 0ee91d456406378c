/**
 * rmq broker drain|undrain against the suite's single broker: the plan, refusals that change
 * nothing, and a drain whose wait runs out (exit 4) because an online consumer cannot keep up
 * (its stdout is a pipe nobody reads, so it stops taking messages), beside a group with nobody
 * online (reported, not waited for). The drain under a bench, with a second master taking the
 * writes, is in local-topology.test.ts. The broker is made read-write again whatever happens.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import type { BrokerDrainResult } from '../../src/services/broker-drain.js';
import { BIN_PATH, REPO_ROOT, rmq, TEST_NAMESRV } from '../helpers/cli.js';
import { waitUntil } from '../helpers/cluster.js';
import { assertSchema } from '../helpers/schema.js';

const suffix = `${process.pid}_${Date.now()}`;
const topic = `drain_it_${suffix}`;
const stuck = `drain_stuck_${suffix}`;
const offline = `drain_offline_${suffix}`;

let broker = '';
let consumer: ChildProcess | undefined;

const permission = async (): Promise<string> => {
  const r = await rmq(['broker', 'config', 'get', broker, 'brokerPermission', '--json']);
  assert.equal(r.code, 0, r.stderr);
  return (r.json as { config: Record<string, string> }).config.brokerPermission!;
};

const lagOf = async (group: string): Promise<number> => {
  const r = await rmq(['group', 'describe', group, '--json']);
  return r.code === 0 ? ((r.json as { totalLag?: number }).totalLag ?? -1) : -1;
};

before(async () => {
  const r = await rmq(['broker', 'list', '--json']);
  assert.equal(r.code, 0, r.stderr);
  broker = (r.json as { brokers: { brokerName: string; role: string }[] }).brokers.find(
    (b) => b.role === 'MASTER',
  )!.brokerName;
  assert.equal((await rmq(['topic', 'create', topic, '--queues', '2'])).code, 0);
  for (const g of [stuck, offline]) assert.equal((await rmq(['group', 'create', g])).code, 0);
  const sent = await rmq(['send', topic, '--size', '2k', '-c', '300', '--json']);
  assert.equal(sent.code, 0, sent.stderr);
  // The broker knows a group's topics from its offsets: this one read one message and left.
  const once = await rmq(['consume', topic, '-g', offline, '--from', 'first', '--count', '1', '-o', 'body']);
  assert.equal(once.code, 0, once.stderr);
});

after(async () => {
  consumer?.kill('SIGKILL');
  if (broker) await rmq(['broker', 'undrain', broker, '--yes']);
  await rmq(['topic', 'delete', topic, '--yes']);
  for (const g of [stuck, offline]) await rmq(['group', 'delete', g, '--yes']);
});

describe('broker drain', () => {
  test('dry run and refusals change nothing; an unknown broker exits 6', async () => {
    const original = await permission();
    const dry = await rmq(['broker', 'drain', broker, '--dry-run', '--json']);
    assert.equal(dry.code, 0, dry.stderr);
    assertSchema('broker-drain', dry.json);
    const d = dry.json as BrokerDrainResult;
    assert.equal(d.dryRun, true);
    assert.equal(d.permission.new & 2, 0);
    // A group that consumed once and left: listed with its backlog, not waited for. One that
    // never consumed the broker's topics has no queues there and is not listed.
    assert.deepEqual(
      d.groups.find((x) => x.group === offline),
      {
        group: offline,
        online: false,
        lagAtStart: 299,
        finalLag: 299,
        drainedAfterMs: null,
        status: 'offline',
      },
    );
    assert.equal(
      d.groups.find((x) => x.group === stuck),
      undefined,
    );
    const noYes = await rmq(['broker', 'drain', broker]);
    assert.equal(noYes.code, 2, noYes.stderr);
    assert.equal(noYes.stderr.trim().split('\n').length, 1, noYes.stderr);
    const badWait = await rmq(['broker', 'drain', broker, '--yes', '--wait', '5s', '--settle', '10s']);
    assert.equal(badWait.code, 2, badWait.stderr);
    assert.equal(await permission(), original, 'nothing changed');
    const unknown = await rmq(['broker', 'drain', 'no-such-broker', '--yes']);
    assert.equal(unknown.code, 6, unknown.stderr);
    assert.equal((await rmq(['broker', 'undrain', 'no-such-broker', '--yes'])).code, 6);
  });

  test('a consumer that cannot keep up: the wait runs out, exit 4, the broker stays read-only until undrain', async () => {
    // stdout is a pipe this test never reads: once it is full the consumer takes no more.
    consumer = spawn(
      process.execPath,
      [BIN_PATH, 'consume', topic, '-g', stuck, '--from', 'first', '--pipe-window', '4KiB', '-o', 'body'],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, NAMESRV_ADDR: TEST_NAMESRV, NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    await waitUntil(
      'the consumer is online and stuck with a backlog',
      async () => {
        const r = await rmq(['group', 'clients', stuck, '--json']);
        return r.code === 0 && (await lagOf(stuck)) > 0;
      },
      60_000,
      1000,
    );
    const drain = await rmq(
      ['broker', 'drain', broker, '--yes', '--wait', '6s', '--settle', '2s', '--json'],
      {
        timeoutMs: 60_000,
      },
    );
    assert.equal(drain.code, 4, drain.stderr);
    assertSchema('broker-drain', drain.json);
    const d = drain.json as BrokerDrainResult;
    assert.equal(d.drained, false);
    assert.equal(d.permissionApplied, true);
    const s = d.groups.find((g) => g.group === stuck);
    assert.ok(s && s.online && s.status === 'lagging' && s.finalLag > 0, JSON.stringify(d.groups));
    assert.equal(d.groups.find((g) => g.group === offline)?.status, 'offline');
    assert.ok(d.elapsedMs >= 6000 && d.elapsedMs < 30_000, `${d.elapsedMs} ms`);
    assert.equal(Number(await permission()) & 2, 0, 'still read-only');

    // Run again while read-only: nothing to change, only the wait (no --yes needed).
    const again = await rmq(['broker', 'drain', broker, '--wait', '3s', '--settle', '1s', '--json']);
    assert.equal(again.code, 4, again.stderr);
    assert.equal((again.json as BrokerDrainResult).permissionChanged, false);

    const undrain = await rmq(['broker', 'undrain', broker, '--yes', '--json']);
    assert.equal(undrain.code, 0, undrain.stderr);
    assertSchema('broker-undrain', undrain.json);
    assert.equal((undrain.json as { applied: boolean }).applied, true);
    assert.equal(Number(await permission()) & 2, 2, 'writable again');
  });
});
