/**
 * rmq namesrv config get|set|diff, namesrv kv list|get|put|delete and broker config diff
 * --defaults against the real name server and broker the suite runs against. Whatever a test
 * changes it puts back in after(), whatever happened in it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rmq, TEST_NAMESRV } from '../helpers/cli.js';
import { freePortBlock } from '../helpers/ports.js';
import { assertSchema } from '../helpers/schema.js';

interface ErrorBody {
  error: { exitCode: number; message: string };
}
interface ConfigGet {
  namesrvs: { address: string; config?: Record<string, string>; error?: string }[];
}

const namesrvValue = async (key: string): Promise<string> => {
  const r = await rmq(['namesrv', 'config', 'get', key, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const [n] = (r.json as ConfigGet).namesrvs;
  assert.equal(n!.address, TEST_NAMESRV);
  return n!.config![key]!;
};

const oneLine = (stderr: string): void => assert.equal(stderr.trim().split('\n').length, 1, stderr);

describe('namesrv config', () => {
  // Read on each route request only when needWaitForService is on (off by default): safe to move.
  const key = 'waitSecondsForService';
  let original = '';
  before(async () => {
    original = await namesrvValue(key);
  });
  after(async () => {
    if (original && (await namesrvValue(key)) !== original) {
      const r = await rmq(['namesrv', 'config', 'set', `${key}=${original}`, '--yes']);
      assert.equal(r.code, 0, r.stderr);
    }
  });

  test('get: all keys or the ones named; an unknown key exits 2', async () => {
    const all = await rmq(['namesrv', 'config', 'get', '--json']);
    assert.equal(all.code, 0, all.stderr);
    assertSchema('namesrv-config-get', all.json);
    const config = (all.json as ConfigGet).namesrvs[0]!.config!;
    assert.ok(Object.keys(config).length > 20, JSON.stringify(config));
    assert.match(config.listenPort ?? '', /^\d+$/);
    const bad = await rmq(['namesrv', 'config', 'get', 'waitSecondsForServic']);
    assert.equal(bad.code, 2, bad.stderr);
    oneLine(bad.stderr);
    assert.match(bad.stderr, /did you mean waitSecondsForService/);
  });

  test('set: plan, refusals that change nothing, then applied, read back and restored', async () => {
    const next = String(Number(original) + 1);
    const plan = await rmq(['namesrv', 'config', 'set', `${key}=${next}`, '--dry-run', '--json']);
    assert.equal(plan.code, 0, plan.stderr);
    const p = plan.json as {
      dryRun: boolean;
      changes: number;
      namesrvs: {
        address: string;
        changes: { key: string; old: string; new: string; appliesAtRunTime: boolean }[];
      }[];
    };
    assertSchema('namesrv-config-set', plan.json);
    assert.equal(p.dryRun, true);
    assert.equal(p.changes, 1);
    assert.deepEqual(
      p.namesrvs.map((n) => [n.address, n.changes.map((c) => [c.key, c.old, c.new, c.appliesAtRunTime])]),
      [[TEST_NAMESRV, [[key, original, next, true]]]],
    );

    const noYes = await rmq(['namesrv', 'config', 'set', `${key}=${next}`]);
    assert.equal(noYes.code, 2, noYes.stderr);
    oneLine(noYes.stderr);
    for (const a of ['noSuchKey=1', `${key}=soon`, 'kvConfigPath=/tmp/x', 'rocketmqHome=/tmp']) {
      const r = await rmq(['namesrv', 'config', 'set', a, '--yes']);
      assert.equal(r.code, 2, `${a}: ${r.stderr}`);
      oneLine(r.stderr);
    }
    assert.equal(await namesrvValue(key), original, 'refusals and the missing --yes changed nothing');

    const set = await rmq(['namesrv', 'config', 'set', `${key}=${next}`, '--yes', '--json']);
    assert.equal(set.code, 0, set.stderr);
    assertSchema('namesrv-config-set', set.json);
    const s = set.json as { namesrvs: { applied: { key: string; value: string; ok: boolean }[] }[] };
    assert.deepEqual(s.namesrvs[0]!.applied, [{ key, value: next, ok: true }]);
    assert.equal(await namesrvValue(key), next);

    const back = await rmq(['namesrv', 'config', 'set', `${key}=${original}`, '--yes']);
    assert.equal(back.code, 0, back.stderr);
    assert.match(back.stdout, /applied/);
    assert.equal(await namesrvValue(key), original);
  });

  test('an unknown name server address: one line, exit 3; a reachable one beside it still answers', async () => {
    const port = await freePortBlock(1);
    const dead = `127.0.0.1:${port}`;
    const r = await rmq(['namesrv', 'config', 'get', key, '-n', dead]);
    assert.equal(r.code, 3, r.stderr);
    oneLine(r.stderr);
    const set = await rmq(['namesrv', 'config', 'set', `${key}=1`, '--yes', '-n', `${TEST_NAMESRV};${dead}`]);
    assert.equal(set.code, 3, set.stderr);
    assert.equal(await namesrvValue(key), original, 'a plan that cannot read every name server changes none');
    const both = await rmq(['namesrv', 'config', 'get', key, '-n', `${TEST_NAMESRV};${dead}`, '--json']);
    assert.equal(both.code, 3, both.stderr);
    const rows = (both.json as ConfigGet).namesrvs;
    assert.deepEqual(rows[0], { address: TEST_NAMESRV, config: { [key]: original } });
    assert.equal(rows[1]!.address, dead);
    assert.match(rows[1]!.error ?? '', /refused|reach/);
  });

  test('diff: a name server against itself has no differences, with or without --all', async () => {
    for (const extra of [[], ['--all']]) {
      const d = await rmq(['namesrv', 'config', 'diff', TEST_NAMESRV, TEST_NAMESRV, ...extra, '--json']);
      assert.equal(d.code, 0, d.stderr);
      assertSchema('namesrv-config-diff', d.json);
      const body = d.json as { differences: unknown[]; compared: number };
      assert.deepEqual(body.differences, []);
      assert.ok(body.compared > 20);
    }
  });
});

describe('namesrv kv', () => {
  // One fixed namespace: a name server keeps a namespace once written (emptied, never removed).
  const ns = 'rmq-test-kv';
  const key = `k-${process.pid}-${Date.now()}`;
  after(async () => {
    const r = await rmq(['namesrv', 'kv', 'get', '--namespace', ns, key]);
    if (r.code === 0) await rmq(['namesrv', 'kv', 'delete', '--namespace', ns, key, '--yes']);
  });

  test('put, get, list, delete, each change planned first', async () => {
    const missing = await rmq(['namesrv', 'kv', 'get', '--namespace', ns, key]);
    assert.equal(missing.code, 6, missing.stderr);
    oneLine(missing.stderr);

    const noYes = await rmq(['namesrv', 'kv', 'put', '--namespace', ns, key, 'v1']);
    assert.equal(noYes.code, 2, noYes.stderr);
    const dry = await rmq(['namesrv', 'kv', 'put', '--namespace', ns, key, 'v1', '--dry-run', '--json']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual((dry.json as { namesrvs: unknown[] }).namesrvs, [
      { address: TEST_NAMESRV, old: null, changed: true },
    ]);
    assert.equal((await rmq(['namesrv', 'kv', 'get', '--namespace', ns, key])).code, 6, 'nothing put yet');

    const put = await rmq(['namesrv', 'kv', 'put', '--namespace', ns, key, 'v1 = one', '--yes', '--json']);
    assert.equal(put.code, 0, put.stderr);
    assertSchema('namesrv-kv-put', put.json);
    assert.deepEqual((put.json as { namesrvs: unknown[] }).namesrvs, [
      { address: TEST_NAMESRV, old: null, changed: true, applied: true },
    ]);
    const got = await rmq(['namesrv', 'kv', 'get', '--namespace', ns, key]);
    assert.equal(got.code, 0, got.stderr);
    assert.equal(got.stdout, 'v1 = one\n');
    const gotJson = await rmq(['namesrv', 'kv', 'get', '--namespace', ns, key, '--json']);
    assertSchema('namesrv-kv-get', gotJson.json);
    assert.deepEqual((gotJson.json as { namesrvs: unknown[] }).namesrvs, [
      { address: TEST_NAMESRV, value: 'v1 = one' },
    ]);

    const again = await rmq(['namesrv', 'kv', 'put', '--namespace', ns, key, 'v2', '--yes', '--json']);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual((again.json as { namesrvs: unknown[] }).namesrvs, [
      { address: TEST_NAMESRV, old: 'v1 = one', changed: true, applied: true },
    ]);

    const list = await rmq(['namesrv', 'kv', 'list', '--namespace', ns, '--json']);
    assert.equal(list.code, 0, list.stderr);
    assertSchema('namesrv-kv-list', list.json);
    const l = list.json as { entries: { key: string; values: string[]; same: boolean }[] };
    assert.deepEqual(
      l.entries.find((e) => e.key === key),
      { key, values: ['v2'], same: true },
    );

    const del = await rmq(['namesrv', 'kv', 'delete', '--namespace', ns, key, '--yes', '--json']);
    assert.equal(del.code, 0, del.stderr);
    assertSchema('namesrv-kv-delete', del.json);
    assert.deepEqual((del.json as { namesrvs: unknown[] }).namesrvs, [
      { address: TEST_NAMESRV, old: 'v2', changed: true, applied: true },
    ]);
    assert.equal((await rmq(['namesrv', 'kv', 'get', '--namespace', ns, key])).code, 6);
    const delAgain = await rmq(['namesrv', 'kv', 'delete', '--namespace', ns, key, '--yes']);
    assert.equal(delAgain.code, 6, delAgain.stderr);
    oneLine(delAgain.stderr);
  });

  test('a namespace no name server has exits 6; a bad namespace exits 2', async () => {
    const r = await rmq(['namesrv', 'kv', 'list', '--namespace', `rmq-no-such-ns-${Date.now()}`]);
    assert.equal(r.code, 6, r.stderr);
    oneLine(r.stderr);
    const bad = await rmq(['namesrv', 'kv', 'get', '--namespace', ' padded', 'k', '--json']);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match((bad.json as ErrorBody).error.message, /invalid namespace/);
  });
});

describe('broker config diff --defaults', () => {
  // Read per pull (DefaultMessageStore#isTheBatchFull): a value one off changes little, briefly.
  const key = 'maxTransferCountOnMessageInMemory';
  let broker = '';
  let original = '';
  const brokerValue = async (): Promise<string> => {
    const r = await rmq(['broker', 'config', 'get', broker, key, '--json']);
    assert.equal(r.code, 0, r.stderr);
    return (r.json as { config: Record<string, string> }).config[key]!;
  };
  before(async () => {
    const r = await rmq(['broker', 'list', '--json']);
    assert.equal(r.code, 0, r.stderr);
    broker = (r.json as { brokers: { brokerName: string; role: string }[] }).brokers.find(
      (b) => b.role === 'MASTER',
    )!.brokerName;
    original = await brokerValue();
  });
  after(async () => {
    if (original && (await brokerValue()) !== original) {
      const r = await rmq(['broker', 'config', 'set', broker, `${key}=${original}`, '--yes']);
      assert.equal(r.code, 0, r.stderr);
    }
  });

  interface Diff {
    b: unknown;
    defaults: { version: string; machineDependent: string[]; noDefault: string[] };
    differences: { key: string; a: string | null; b: string | null }[];
  }
  const diff = async (): Promise<Diff> => {
    const r = await rmq(['broker', 'config', 'diff', broker, '--defaults', '--json'], { timeoutMs: 300_000 });
    assert.equal(r.code, 0, r.stderr);
    assertSchema('broker-config-diff', r.json);
    return r.json as Diff;
  };

  test("a changed key shows against the version's defaults, and goes once restored", async () => {
    const before = await diff();
    assert.equal(before.b, null);
    assert.match(before.defaults.version, /^\d+\.\d+\.\d+$/);
    // `rmq local` sets these on purpose (see its config), so they differ from RocketMQ's defaults.
    for (const k of ['waitTimeMillsInSendQueue', 'fileReservedTime']) {
      assert.ok(
        before.differences.some((d) => d.key === k),
        `${k} in ${JSON.stringify(before.differences)}`,
      );
    }
    // Thread pools sized from the processor count are not compared: this machine says nothing of the broker's.
    assert.ok(before.defaults.machineDependent.includes('sendMessageThreadPoolNums'));
    const row = before.differences.find((d) => d.key === key);
    const defaultValue = row ? row.b! : original;
    assert.ok(!row || row.a === original);

    const next = String(Number(original) + 1);
    const set = await rmq(['broker', 'config', 'set', broker, `${key}=${next}`, '--yes']);
    assert.equal(set.code, 0, set.stderr);
    const changed = await diff();
    assert.deepEqual(
      changed.differences.find((d) => d.key === key),
      next === defaultValue ? undefined : { key, a: next, b: defaultValue },
    );
    assert.deepEqual(
      changed.differences.filter((d) => d.key !== key),
      before.differences.filter((d) => d.key !== key),
      'nothing else moved',
    );

    const back = await rmq(['broker', 'config', 'set', broker, `${key}=${original}`, '--yes']);
    assert.equal(back.code, 0, back.stderr);
    assert.deepEqual((await diff()).differences, before.differences);
  });

  test('--defaults with a second broker, or neither: one line, exit 2', async () => {
    const both = await rmq(['broker', 'config', 'diff', broker, broker, '--defaults']);
    assert.equal(both.code, 2, both.stderr);
    oneLine(both.stderr);
    const none = await rmq(['broker', 'config', 'diff', broker]);
    assert.equal(none.code, 2, none.stderr);
    oneLine(none.stderr);
  });
});
