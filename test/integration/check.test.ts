/**
 * `rmq check` against the real broker: each format on a healthy cluster, then each way a check
 * fails (lag over its levels, a name server that does not answer, masters missing, a DLQ growing
 * between two runs) with the exit codes cron and Nagios act on; bad input is one line.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Ajv } from 'ajv';
import type { CheckItem, CheckResult } from '../../src/services/check.js';
import { REPO_ROOT, rmq, TEST_NAMESRV, uniqueName } from '../helpers/cli.js';
import { assertOneLine } from '../helpers/faults.js';
import { produce } from '../helpers/produce.js';

const stateHome = mkdtempSync(join(tmpdir(), 'rmq-check-it-'));
/** Every run gets a state dir of the test's own: a developer's real one is never touched. */
const env = { XDG_STATE_HOME: stateHome };
const check = (args: string[]) => rmq(['check', ...args], { env, timeoutMs: 60_000 });

const topics: string[] = [];
const groups: string[] = [];
after(async () => {
  await Promise.all(topics.map((t) => rmq(['topic', 'delete', t, '--yes'])));
  await Promise.all(groups.map((g) => rmq(['group', 'delete', g, '--yes'])));
  await Promise.all(
    groups.flatMap((g) => [`%RETRY%${g}`, `%DLQ%${g}`].map((t) => rmq(['topic', 'delete', t, '--yes']))),
  );
  rmSync(stateHome, { recursive: true, force: true });
});

const item = (r: CheckResult, name: string): CheckItem => {
  const found = r.checks.find((c) => c.name === name);
  assert.ok(found, `no check ${name} in ${JSON.stringify(r.checks.map((c) => c.name))}`);
  return found;
};

async function topicAndGroup(prefix: string): Promise<{ topic: string; group: string }> {
  const topic = uniqueName(`it_check_${prefix}`);
  const group = uniqueName(`g_check_${prefix}`);
  const t = await rmq(['topic', 'create', topic, '--queues', '1']);
  assert.equal(t.code, 0, t.stderr);
  topics.push(topic);
  const g = await rmq(['group', 'create', group]);
  assert.equal(g.code, 0, g.stderr);
  groups.push(group);
  return { topic, group };
}

/** The group consumes what the topic has, so that it has a committed offset (lag known, 0). */
async function consumeAll(topic: string, group: string, extra: string[] = []): Promise<void> {
  const r = await rmq(
    ['consume', topic, '-g', group, '--from', 'first', '--idle-timeout', '6s', '--output', 'body', ...extra],
    { timeoutMs: 60_000 },
  );
  assert.equal(r.code, 0, r.stderr);
}

async function groupLag(group: string): Promise<number> {
  const r = await rmq(['group', 'describe', group, '--json']);
  assert.equal(r.code, 0, r.stderr);
  return (r.json as { totalLag: number }).totalLag;
}

let lagTopic: string;
let lagGroup: string;
before(async () => {
  ({ topic: lagTopic, group: lagGroup } = await topicAndGroup('lag'));
  await produce([{ topic: lagTopic, body: Buffer.from('first') }]);
  await consumeAll(lagTopic, lagGroup);
  assert.equal(await groupLag(lagGroup), 0, 'the group has consumed everything');
});

describe('rmq check', { concurrency: false }, () => {
  test('healthy: every format exits 0; --json and --format json are the schema document', async () => {
    const text = await check(['--max-lag', `${lagGroup}=5`]);
    assert.equal(text.code, 0, text.stdout + text.stderr);
    assert.match(text.stdout, /^STATUS\s+CHECK\s+VALUE/);
    assert.match(text.stdout, /RMQ OK: 0 critical, 0 warning, 0 unknown, \d+ ok\n$/);
    assert.match(text.stdout, new RegExp(`OK\\s+lag:${lagGroup}\\s+0\\s+5`));

    const json = await check(['--max-lag', `${lagGroup}=5`, '--json']);
    assert.equal(json.code, 0, json.stderr);
    const viaFormat = await check(['--max-lag', `${lagGroup}=5`, '--format', 'json']);
    assert.equal(viaFormat.code, 0, viaFormat.stderr);
    const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'schemas', 'check.json'), 'utf8')) as object;
    const validate = new Ajv({ strict: true, allErrors: true }).compile(schema);
    for (const doc of [json.json, viaFormat.json]) assert.ok(validate(doc), JSON.stringify(validate.errors));
    const r = json.json as CheckResult;
    assert.equal(r.status, 'ok');
    assert.deepEqual(
      Object.keys(viaFormat.json as object).sort(),
      Object.keys(r).sort(),
      'one document, whichever flag asked for it',
    );
    assert.equal(item(r, `namesrv:${TEST_NAMESRV}`).value, 1);
    const masters = item(r, 'brokers').value!;
    assert.ok(masters >= 1);
    const writable = r.checks.filter((c) => c.kind === 'writable');
    assert.equal(writable.length, masters, 'every master is checked for writes');
    assert.ok(
      writable.every((c) => c.status === 'ok' && c.value === 1),
      JSON.stringify(writable),
    );
    const disks = r.checks.filter((c) => c.kind === 'disk');
    assert.ok(disks.length >= masters, 'disk use of every broker');
    assert.ok(
      disks.every((d) => d.value !== null && d.value > 0 && d.value < 1),
      JSON.stringify(disks),
    );
    assert.equal(item(r, `lag:${lagGroup}`).value, 0);

    const nagios = await check(['--max-lag', `${lagGroup}=5`, '--format', 'nagios']);
    assert.equal(nagios.code, 0, nagios.stdout + nagios.stderr);
    assert.equal(nagios.stdout.split('\n').length, 2, 'one line');
    assert.match(
      nagios.stdout,
      new RegExp(`^RMQ OK - all ${r.checks.length} checks ok \\| .*'lag:${lagGroup}'=0;;5;0`),
    );

    const prom = await check(['--max-lag', `${lagGroup}=5`, '--format', 'prometheus']);
    assert.equal(prom.code, 0, prom.stderr);
    assert.match(prom.stdout, /^# HELP rmq_check_overall_status /);
    assert.match(prom.stdout, /\nrmq_check_overall_status 0\n/);
    assert.match(prom.stdout, new RegExp(`\\nrmq_group_lag\\{group="${lagGroup}"\\} 0\\n`));
    assert.match(prom.stdout, /\nrmq_broker_disk_used_ratio\{broker="[^"]+",broker_id="0",/);
    assert.ok(prom.stdout.endsWith('\n# EOF\n'));
    const promtool = process.env.PROMTOOL || 'promtool';
    const linted = spawnSync(promtool, ['check', 'metrics'], { input: prom.stdout, encoding: 'utf8' });
    if (!linted.error) assert.equal(linted.status, 0, linted.stdout + linted.stderr);
  });

  test('lag over its levels: critical (exit 9, nagios 2), between them a warning (nagios 1)', async () => {
    await produce(Array.from({ length: 10 }, (_, i) => ({ topic: lagTopic, body: Buffer.from(`m${i}`) })));
    assert.equal(await groupLag(lagGroup), 10);
    const crit = await check(['--max-lag', `${lagGroup}=5`, '--json']);
    assert.equal(crit.code, 9, crit.stdout);
    const r = crit.json as CheckResult;
    assert.equal(r.status, 'critical');
    const lag = item(r, `lag:${lagGroup}`);
    assert.deepEqual(
      [lag.status, lag.value, lag.threshold],
      ['critical', 10, { warning: null, critical: 5 }],
    );

    const nagios = await check(['--max-lag', `${lagGroup}=5`, '--format', 'nagios']);
    assert.equal(nagios.code, 2, nagios.stdout);
    assert.match(nagios.stdout, new RegExp(`^RMQ CRITICAL - CRITICAL group ${lagGroup}: 10 messages behind`));
    const warn = await check(['--max-lag', `${lagGroup}=5,20`, '--format', 'nagios']);
    assert.equal(warn.code, 1, warn.stdout);
    assert.match(warn.stdout, /^RMQ WARNING - WARNING group /);
    const warnText = await check(['--max-lag', `${lagGroup}=5,20`]);
    assert.equal(warnText.code, 9, 'a warning fails a cron run too');
    const prom = await check(['--max-lag', `${lagGroup}=5`, '--format', 'prometheus']);
    assert.equal(prom.code, 9);
    assert.match(prom.stdout, new RegExp(`\\nrmq_check_status\\{check="lag:${lagGroup}",kind="lag"\\} 2\\n`));
    assert.match(prom.stdout, new RegExp(`\\nrmq_group_lag\\{group="${lagGroup}"\\} 10\\n`));

    const missing = uniqueName('g_check_missing');
    const none = await check(['--max-lag', `${missing}=5`, '--json']);
    assert.equal(none.code, 9);
    assert.match(item(none.json as CheckResult, `lag:${missing}`).message, /does not exist/);
  });

  test('a name server that does not answer is critical, by its address; the others still count', async () => {
    const r = await check(['-n', `${TEST_NAMESRV};127.0.0.1:1`, '--json']);
    assert.equal(r.code, 9, r.stdout);
    const doc = r.json as CheckResult;
    assert.equal(item(doc, `namesrv:${TEST_NAMESRV}`).status, 'ok');
    const dead = item(doc, 'namesrv:127.0.0.1:1');
    assert.deepEqual([dead.status, dead.value], ['critical', 0]);
    assert.match(dead.message, /127\.0\.0\.1:1 did not answer/);
    assert.equal(item(doc, 'brokers').status, 'ok', 'the cluster was read from the one that answered');
    const nagios = await check(['-n', `${TEST_NAMESRV};127.0.0.1:1`, '--format', 'nagios']);
    assert.equal(nagios.code, 2);
    assert.match(
      nagios.stdout,
      /^RMQ CRITICAL - CRITICAL name server 127\.0\.0\.1:1 did not answer.*'namesrv:127\.0\.0\.1:1'=0;;1:;0;1/,
    );
    const alone = await check(['-n', '127.0.0.1:1', '--format', 'nagios']);
    assert.equal(alone.code, 2, alone.stdout);
    assert.match(alone.stdout, /no name server answered/);
  });

  test('--expect-brokers: more masters than registered, or a name not registered, is critical', async () => {
    const healthy = (await check(['--json'])).json as CheckResult;
    const masters = item(healthy, 'brokers').value!;
    const names = healthy.checks.filter((c) => c.kind === 'writable').map((c) => c.labels.broker!);
    for (const expect of [String(masters), names.join(',')]) {
      const enough = await check(['--expect-brokers', expect]);
      assert.equal(enough.code, 0, enough.stdout);
    }
    const more = await check(['--expect-brokers', String(masters + 1), '--format', 'nagios']);
    assert.equal(more.code, 2, more.stdout);
    assert.match(
      more.stdout,
      new RegExp(`CRITICAL ${masters} master\\(s\\) registered, ${masters + 1} expected`),
    );
    const named = await check(['--expect-brokers', `${names[0]},no-such-broker`, '--json']);
    assert.equal(named.code, 9);
    assert.match(
      item(named.json as CheckResult, 'brokers').message,
      /no master registered for no-such-broker/,
    );
  });

  test('a read-only master is critical; writable again once its permission is back', async () => {
    const healthy = (await check(['--json'])).json as CheckResult;
    const master = healthy.checks.find((c) => c.kind === 'writable')!.labels.broker!;
    const set = (perm: number) =>
      rmq(['broker', 'config', 'set', master, `brokerPermission=${perm}`, '--yes']);
    // The suite's broker runs one file at a time: no other test sends while it is read-only.
    assert.equal((await set(4)).code, 0);
    try {
      const r = await check(['--format', 'nagios']);
      assert.equal(r.code, 2, r.stdout);
      assert.match(
        r.stdout,
        new RegExp(`CRITICAL master ${master} \\(.*\\) is read-only \\(brokerPermission 4\\)`),
      );
      assert.match(r.stdout, new RegExp(`'writable:${master}'=0;;1:;0;1`));
    } finally {
      assert.equal((await set(6)).code, 0);
    }
    let code = -1;
    for (let i = 0; i < 15 && code !== 0; i++) {
      if (i > 0) await new Promise((res) => setTimeout(res, 2000));
      code = (await check([])).code;
    }
    assert.equal(code, 0, 'writable again');
  });

  test(
    'DLQ growth: unknown on the first run, then the rate between runs; state in rmq state dir',
    { timeout: 180_000 },
    async () => {
      const { topic, group } = await topicAndGroup('dlq');
      const first = await check(['--max-dlq-growth', `${group}=1/h`, '--json']);
      assert.equal(first.code, 0, `unknown alone does not fail a run: ${first.stdout}`);
      const baseline = item(first.json as CheckResult, `dlq-growth:${group}`);
      assert.equal(baseline.status, 'unknown');
      assert.match(baseline.message, /needs a second run/);
      const statePath = join(stateHome, 'rmq', 'check-state.json');
      assert.equal(statSync(statePath).mode & 0o777, 0o600);

      await produce(Array.from({ length: 3 }, (_, i) => ({ topic, body: Buffer.from(`dead${i}`) })));
      await consumeAll(topic, group, ['--nack', 'all', '--max-reconsume', '0']);
      // The broker registers a new DLQ topic with the name server on its own schedule: run until
      // the run that sees the three messages arrive; that run's rate is over the threshold.
      let grown: CheckItem | undefined;
      let code = -1;
      for (let i = 0; i < 20 && grown?.dlqMessages !== 3; i++) {
        const r = await check(['--max-dlq-growth', `${group}=1/h`, '--json']);
        grown = item(r.json as CheckResult, `dlq-growth:${group}`);
        code = r.code;
        if (grown.dlqMessages !== 3) {
          assert.equal(grown.status, 'ok', JSON.stringify(grown));
          await new Promise((res) => setTimeout(res, 2000));
        }
      }
      assert.equal(grown?.dlqMessages, 3, JSON.stringify(grown));
      assert.equal(grown.status, 'critical', JSON.stringify(grown));
      assert.ok(grown.value! > 1, `rate ${grown.value}/h`);
      assert.equal(code, 9);
      assert.ok(JSON.parse(readFileSync(statePath, 'utf8')).dlq, 'observations kept');

      // Without a group: every group with a DLQ; nothing new since the last run: 0/h, ok.
      const again = await check(['--max-dlq-growth', '1/h', '--json']);
      const still = item(again.json as CheckResult, `dlq-growth:${group}`);
      assert.deepEqual([still.status, still.value, still.dlqMessages], ['ok', 0, 3]);
    },
  );

  test('bad input: one line and exit 2; under --format nagios, UNKNOWN and exit 3', async () => {
    for (const args of [
      ['--max-disk', '90%,80%'],
      ['--max-lag', 'nogroupthreshold'],
      ['--max-dlq-growth', 'g=5'],
      ['--expect-brokers', '0'],
      ['--max-lag', 'g=1', '--max-lag', 'g=2'],
      ['--format', 'xml'],
    ]) {
      const r = await check(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assertOneLine(r.stderr, args.join(' '));
      assert.equal(r.stdout, '');
    }
    const nagios = await check(['--format', 'nagios', '--max-disk', 'lots']);
    assert.equal(nagios.code, 3, nagios.stdout + nagios.stderr);
    assert.match(nagios.stdout, /^RMQ UNKNOWN - --max-disk: "lots" is not a non-negative number\n$/);
  });
});
