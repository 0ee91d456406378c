/**
 * The scripting contract: real `rmq <command> --json` output, against the real broker, validated
 * against the schemas committed in schemas/ (generated from the result types by
 * scripts/json-schemas.mjs, whose --check keeps them current). A failure prints ajv's errors.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Ajv, type ValidateFunction } from 'ajv';
import type { BenchResult } from '../../src/bench/result.js';
import type { MessageQueryResult } from '../../src/services/message.js';
import type { SendSummary } from '../../src/services/send/index.js';
import type { TraceResult } from '../../src/services/trace-result.js';
import { type CliResult, REPO_ROOT, rmq, uniqueName } from '../helpers/cli.js';
import { poll } from '../helpers/read-topic.js';

const ajv = new Ajv({ strict: true, allErrors: true });
const validators = new Map<string, ValidateFunction>();

function validator(schema: string): ValidateFunction {
  let v = validators.get(schema);
  if (!v) {
    const text = readFileSync(join(REPO_ROOT, 'schemas', `${schema}.json`), 'utf8');
    v = ajv.compile(JSON.parse(text) as object);
    validators.set(schema, v);
  }
  return v;
}

/**
 * Checks `rmq … --json` output against schemas/<schema>.json. The exit code and "stdout is JSON"
 * are asserted at once (later steps depend on them); shape mismatches are collected, so that one
 * run reports every command whose output strays, and thrown by done().
 */
class Shapes {
  private readonly problems: string[] = [];

  check(schema: string, r: CliResult, exitCode = 0): CliResult {
    assert.equal(
      r.code,
      exitCode,
      `exit ${r.code}, expected ${exitCode}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`,
    );
    assert.notEqual(r.json, undefined, `stdout is not one JSON document:\n${r.stdout}\nstderr: ${r.stderr}`);
    const validate = validator(schema);
    if (!validate(r.json)) {
      this.problems.push(
        `--json output does not match schemas/${schema}.json:\n` +
          `${ajv.errorsText(validate.errors, { separator: '\n', dataVar: 'output' })}\n` +
          `ajv errors: ${JSON.stringify(validate.errors)}\n` +
          `output: ${r.stdout.length > 2000 ? `${r.stdout.slice(0, 2000)}…` : r.stdout}`,
      );
    }
    return r;
  }

  done(): void {
    if (this.problems.length > 0) assert.fail(this.problems.join('\n\n'));
  }
}

const dir = mkdtempSync(join(tmpdir(), 'rmq-json-schema-it-'));
const topics: string[] = [];
const groups: string[] = [];

after(async () => {
  await Promise.all(topics.map((t) => rmq(['topic', 'delete', t, '--yes'])));
  await Promise.all(groups.map((g) => rmq(['group', 'delete', g, '--yes'])));
  // The broker made a retry topic for each group that consumed.
  await Promise.all(groups.map((g) => rmq(['topic', 'delete', `%RETRY%${g}`, '--yes'])));
  rmSync(dir, { recursive: true, force: true });
});

describe('--json output matches schemas/', { concurrency: true }, () => {
  test('cluster list', async () => {
    const s = new Shapes();
    s.check('cluster-list', await rmq(['cluster', 'list', '--json']));
    s.done();
  });

  test('topic, group, send, consume, message and trace, over one topic', { timeout: 120_000 }, async () => {
    const s = new Shapes();
    const topic = uniqueName('it_schema');
    const group = uniqueName('it_schema_cg');
    topics.push(topic);
    groups.push(group);

    s.check('topic-create', await rmq(['topic', 'create', topic, '--queues', '1', '--json']));
    s.check('topic-list', await rmq(['topic', 'list', '--json']));
    s.check('topic-describe', await rmq(['topic', 'describe', topic, '--json']));
    s.check('group-create', await rmq(['group', 'create', group, '--json']));
    s.check('group-list', await rmq(['group', 'list', '--json']));

    const sent = await rmq([
      'send',
      topic,
      '--body',
      'schema',
      '--count',
      '3',
      '--key',
      'schema-key',
      '--tag',
      'st',
      '--property',
      'color=blue',
      '--trace',
      '--json',
    ]);
    s.check('send', sent);
    const summary = sent.json as SendSummary;
    assert.equal(summary.sent, 3);
    const first = summary.results[0]!;

    const consumed = await rmq(
      ['consume', topic, '-g', group, '--from', 'first', '--until-end', '--trace', '--json'],
      {
        timeoutMs: 60_000,
      },
    );
    s.check('consume', consumed);
    s.check('group-describe', await rmq(['group', 'describe', group, '--json']));

    s.check('message-get', await rmq(['message', 'get', first.msgId, '--topic', topic, '--json']));
    // The key index is built asynchronously: wait for the messages to be found.
    let query: CliResult | undefined;
    const indexed = await poll(async () => {
      query = await rmq(['message', 'query', '--topic', topic, '--key', 'schema-key', '--json']);
      return query.code === 0 && (query.json as MessageQueryResult).count === 3;
    }, 10_000);
    assert.ok(indexed, `message query never found the 3 messages: ${query?.stdout}${query?.stderr}`);
    s.check('message-query', query!);
    s.check(
      'message-print',
      await rmq([
        'message',
        'print',
        '--topic',
        topic,
        '--queue',
        '0',
        '--offset',
        '0',
        '--count',
        '3',
        '--json',
      ]),
    );

    // Trace records are written asynchronously: wait for the Pub record and the group's attempt.
    let trace: CliResult | undefined;
    const traced = await poll(async () => {
      trace = await rmq(['trace', first.msgId, '--topic', topic, '--json'], { timeoutMs: 30_000 });
      const t = trace.json as TraceResult;
      return (
        trace.code === 0 &&
        t.publish.length > 0 &&
        t.groups.some((g) => g.group === group && g.attempts.length > 0)
      );
    }, 20_000);
    assert.ok(traced, `trace never showed the Pub and Sub records: ${trace?.stdout}${trace?.stderr}`);
    s.check('trace', trace!);

    s.check('group-delete', await rmq(['group', 'delete', group, '--yes', '--json']));
    s.check('topic-delete', await rmq(['topic', 'delete', topic, '--yes', '--json']));
    s.done();
  });

  test('profile create, list, show, use, delete', async () => {
    const s = new Shapes();
    const env = { RMQ_PROFILES_FILE: join(dir, 'profiles', 'profiles.json') };
    s.check(
      'profile-create',
      await rmq(['profile', 'create', 'plain', '--namesrv', '127.0.0.1:9876', '--timeout', '3s', '--json'], {
        env,
      }),
    );
    s.check(
      'profile-create',
      await rmq(
        [
          'profile',
          'create',
          'secured',
          '--namesrv',
          'a:9876;b:9876',
          '--access-key',
          'ak',
          '--tls',
          '--json',
        ],
        {
          env: { ...env, RMQ_SECRET_KEY: 'not-a-real-secret' },
        },
      ),
    );
    s.check('profile-list', await rmq(['profile', 'list', '--json'], { env }));
    const shown = await rmq(['profile', 'show', 'secured', '--json'], { env });
    s.check('profile-show', shown);
    assert.doesNotMatch(shown.stdout, /not-a-real-secret/);
    s.check('profile-use', await rmq(['profile', 'use', 'secured', '--json'], { env }));
    s.check('profile-show', await rmq(['profile', 'show', '--json'], { env }));
    s.check('profile-delete', await rmq(['profile', 'delete', 'plain', '--json'], { env }));
    s.done();
  });

  test('local status, down and logs of a dir where nothing runs', async () => {
    const s = new Shapes();
    const empty = join(dir, 'local');
    mkdirSync(empty);
    const status = await rmq(['local', 'status', '--dir', empty, '--json']);
    s.check('local-status', status);
    assert.equal((status.json as { state: string }).state, 'stopped');
    s.check('local-down', await rmq(['local', 'down', '--dir', empty, '--json']));
    const logs = join(empty, 'home', 'logs', 'rocketmqlogs');
    mkdirSync(logs, { recursive: true });
    writeFileSync(join(logs, 'broker.log'), 'one\ntwo\nthree\n');
    s.check('local-logs', await rmq(['local', 'logs', '--dir', empty, '--tail', '2', '--json']));
    s.done();
  });

  test('bench, then plan, compare, merge and plot from its result', { timeout: 90_000 }, async () => {
    const s = new Shapes();
    const bench = await rmq(['bench', '--duration', '3s', '--json'], { timeoutMs: 80_000 });
    s.check('bench', bench);
    assert.ok((bench.json as BenchResult).totals.sent > 0);
    const file = join(dir, 'bench.json');
    writeFileSync(file, bench.stdout);
    s.check('bench-plan', await rmq(['bench', 'plan', file, '--target', '1000', '--json']));
    s.check('bench-compare', await rmq(['bench', 'compare', file, file, '--json']));
    s.check('bench-merge', await rmq(['bench', 'merge', file, '--json']));
    s.check('bench-plot', await rmq(['bench', 'plot', file, '--out', join(dir, 'bench.svg'), '--json']));
    s.done();
  });

  test('smoke --types normal', { timeout: 120_000 }, async () => {
    const s = new Shapes();
    s.check(
      'smoke',
      await rmq(['smoke', '--types', 'normal', '--count', '3', '--json'], { timeoutMs: 110_000 }),
    );
    s.done();
  });

  test('errors: not found, usage', async () => {
    const s = new Shapes();
    s.check('error', await rmq(['topic', 'describe', uniqueName('it_schema_missing'), '--json']), 6);
    s.check('error', await rmq(['bench', '--slo', 'p99(send)<20', '--json']), 2);
    s.done();
  });
});
