/** rmq broker list|status|config against the real broker the suite runs against. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rmq } from '../helpers/cli.js';

interface Broker {
  brokerName: string;
  address: string;
  role: string;
  version?: string;
  commitLogMaxOffset?: number;
  commitLogDisk?: { path: string; usedRatio: number }[];
  error?: string;
}
interface ErrorBody {
  error: { exitCode: number; message: string };
}

let master: Broker;

before(async () => {
  const r = await rmq(['broker', 'list', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const found = (r.json as { brokers: Broker[] }).brokers.find((b) => b.role === 'MASTER');
  assert.ok(found, 'a master broker');
  master = found;
});

const configOf = async (key: string): Promise<string> => {
  const r = await rmq(['broker', 'config', 'get', master.brokerName, key, '--json']);
  assert.equal(r.code, 0, r.stderr);
  return (r.json as { config: Record<string, string> }).config[key]!;
};

describe('broker list and status', () => {
  test('list: runtime stats of the master', () => {
    assert.equal(master.error, undefined);
    assert.match(master.version ?? '', /^V(4|5)_\d+_\d+/);
    assert.equal(typeof master.commitLogMaxOffset, 'number');
    assert.ok((master.commitLogDisk ?? []).length >= 1, JSON.stringify(master));
    const ratio = master.commitLogDisk![0]!.usedRatio;
    assert.ok(ratio > 0 && ratio < 1, `disk ratio ${ratio}`);
  });

  test('status by address: the raw runtime table comes along, human output is a table', async () => {
    const r = await rmq(['broker', 'status', master.address, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const [b] = (r.json as { brokers: (Broker & { runtime: Record<string, string> })[] }).brokers;
    assert.equal(b!.brokerName, master.brokerName);
    assert.equal(b!.runtime.brokerVersionDesc, master.version);
    const human = await rmq(['broker', 'status', master.brokerName]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /dispatch behind \(bytes\)\s+\d+/);
    assert.equal(human.stderr, '');
  });

  test('an unknown broker: one line, exit 6', async () => {
    const r = await rmq(['broker', 'status', 'no-such-broker']);
    assert.equal(r.code, 6);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /no-such-broker/);
  });
});

describe('broker config', () => {
  const key = 'fileReservedTime';
  let original = '';
  before(async () => {
    original = await configOf(key);
  });
  after(async () => {
    // Put back what the tests changed, whatever happened in them.
    if (original && (await configOf(key)) !== original) {
      const r = await rmq(['broker', 'config', 'set', master.brokerName, `${key}=${original}`, '--yes']);
      assert.equal(r.code, 0, r.stderr);
    }
  });

  test('get: all keys, or the ones named; an unknown key exits 2', async () => {
    const all = await rmq(['broker', 'config', 'get', master.brokerName, '--json']);
    assert.equal(all.code, 0, all.stderr);
    const config = (all.json as { config: Record<string, string> }).config;
    assert.ok(Object.keys(config).length > 100);
    assert.match(config[key]!, /^\d+$/);
    const bad = await rmq(['broker', 'config', 'get', master.brokerName, 'fileReserved', '--json']);
    assert.equal(bad.code, 2);
    assert.match((bad.json as ErrorBody).error.message, /no config key fileReserved/);
  });

  test('set: plan, refusals that change nothing, then a run-time key applied and read back', async () => {
    const next = String(Number(original) + 1);
    const plan = await rmq([
      'broker',
      'config',
      'set',
      master.brokerName,
      `${key}=${next}`,
      '--dry-run',
      '--json',
    ]);
    assert.equal(plan.code, 0, plan.stderr);
    const p = plan.json as {
      dryRun: boolean;
      changes: { key: string; old: string; new: string; appliesAtRunTime: boolean }[];
      keysWritten: number;
    };
    assert.equal(p.dryRun, true);
    assert.deepEqual(
      p.changes.map((c) => [c.key, c.old, c.new, c.appliesAtRunTime]),
      [[key, original, next, true]],
    );
    assert.ok(p.keysWritten > 100);
    assert.equal(await configOf(key), original, '--dry-run changed nothing');

    const noYes = await rmq(['broker', 'config', 'set', master.brokerName, `${key}=${next}`]);
    assert.equal(noYes.code, 2, noYes.stderr);
    const wrongType = await rmq(['broker', 'config', 'set', master.brokerName, `${key}=soon`, '--yes']);
    assert.equal(wrongType.code, 2, wrongType.stderr);
    assert.equal(wrongType.stderr.trim().split('\n').length, 1, wrongType.stderr);
    const refused = await rmq(['broker', 'config', 'set', master.brokerName, 'rocketmqHome=/tmp', '--yes']);
    assert.equal(refused.code, 2, refused.stderr);
    const unknown = await rmq(['broker', 'config', 'set', master.brokerName, 'noSuchKey=1', '--yes']);
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.equal(await configOf(key), original, 'refusals changed nothing');

    const set = await rmq([
      'broker',
      'config',
      'set',
      master.brokerName,
      `${key}=${next}`,
      '--yes',
      '--json',
    ]);
    assert.equal(set.code, 0, set.stderr);
    assert.deepEqual((set.json as { applied: { key: string; value: string; ok: boolean }[] }).applied, [
      { key, value: next, ok: true },
    ]);
    assert.equal(await configOf(key), next);

    const back = await rmq(['broker', 'config', 'set', master.brokerName, `${key}=${original}`, '--yes']);
    assert.equal(back.code, 0, back.stderr);
    assert.equal(await configOf(key), original);
  });

  test('diff: a broker against itself has no differences; an unknown broker exits 6', async () => {
    const same = await rmq([
      'broker',
      'config',
      'diff',
      master.brokerName,
      master.address,
      '--all',
      '--json',
    ]);
    assert.equal(same.code, 0, same.stderr);
    const d = same.json as { differences: unknown[]; compared: number };
    assert.deepEqual(d.differences, []);
    assert.ok(d.compared > 100);
    const bad = await rmq(['broker', 'config', 'diff', master.brokerName, 'no-such-broker']);
    assert.equal(bad.code, 6, bad.stderr);
  });
});
