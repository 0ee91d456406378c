/**
 * Bad input, command by command: each case gets one line on stderr saying what is wrong (and
 * usually what to do), its documented exit code, nothing on stdout, and no stack trace.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { rmq } from '../helpers/cli.js';

const USAGE = 2;
const NOT_FOUND = 6;

const cases: { args: string[]; code: number; says: RegExp; input?: string }[] = [
  { args: ['send', 't', '--body', 'x', '--count', '0'], code: USAGE, says: /--count must be .* at least 1/ },
  { args: ['send', 't', '--body', 'x', '--count', '-1'], code: USAGE, says: /--count/ },
  {
    args: ['send', 't', '--body', 'x', '--delay', '5x'],
    code: USAGE,
    says: /--delay: invalid duration "5x"/,
  },
  { args: ['send', 't', '--size', '10q'], code: USAGE, says: /invalid --size "10q"/ },
  {
    args: ['send', 't', '--body', 'x', '--property', 'novalue'],
    code: USAGE,
    says: /invalid --property "novalue"/,
  },
  {
    args: ['send', 't', '--body', 'x', '--delay-level', '19'],
    code: USAGE,
    says: /--delay-level must be .* 1 to 18/,
  },
  {
    args: ['send', 't', '--file', '/nonexistent/file'],
    code: USAGE,
    says: /cannot read --file \/nonexistent\/file/,
  },
  {
    args: ['send', 't', '--input', 'ndjson'],
    code: USAGE,
    says: /line 1: not a JSON record/,
    input: 'not json\n',
  },
  { args: ['send', 'bad topic!', '--body', 'x'], code: USAGE, says: /topic/ },
  { args: ['consume', 't'], code: USAGE, says: /Missing required flag group/ },
  {
    args: ['consume', 't', '-g', 'g', '--from', 'yesterday'],
    code: USAGE,
    says: /invalid --from "yesterday"/,
  },
  { args: ['consume', 't', '-g', 'g', '--nack', 'weird'], code: USAGE, says: /invalid --nack rule "weird"/ },
  {
    args: ['consume', 't', '-g', 'g', '--output', 'template'],
    code: USAGE,
    says: /--output template needs --template/,
  },
  {
    args: ['consume', 't', '-g', 'g', '--output', 'template', '--template', '{nope}'],
    code: USAGE,
    says: /unknown template token \{nope\}/,
  },
  {
    args: ['consume', 't', '-g', 'g', '--idle-timeout', 'abc'],
    code: USAGE,
    says: /--idle-timeout: invalid duration/,
  },
  { args: ['consume', 't', '-g', 'g', '--count', '0'], code: USAGE, says: /count/ },
  {
    args: ['cluster', 'list', '-n', '127.0.0.1'],
    code: USAGE,
    says: /invalid address "127\.0\.0\.1" — use host:port/,
  },
  { args: ['cluster', 'list', '-n', '127.0.0.1:99999'], code: USAGE, says: /invalid address/ },
  { args: ['topic', 'list', '--timeout', 'abc'], code: USAGE, says: /--timeout: invalid duration "abc"/ },
  { args: ['topic', 'create', 't', '--queues', '0'], code: USAGE, says: /--queues must be .* 1 to 1024/ },
  { args: ['topic', 'create', 'bad name'], code: USAGE, says: /invalid topic name "bad name"/ },
  {
    args: ['topic', 'create', 't', '--type', 'WEIRD'],
    code: USAGE,
    says: /Expected --type=WEIRD to be one of/,
  },
  { args: ['topic', 'delete', 't'], code: USAGE, says: /without confirmation — pass --yes/ },
  {
    args: ['topic', 'describe', 'missing_topic_bad_input'],
    code: NOT_FOUND,
    says: /topic "missing_topic_bad_input" does not exist/,
  },
  {
    args: ['group', 'describe', 'missing_group_bad_input'],
    code: NOT_FOUND,
    says: /consumer group .* does not exist/,
  },
  { args: ['group', 'create', 'g', '--retry-max-times', '-3'], code: USAGE, says: /retry-max-times/ },
  { args: ['bench', '--duration', '0s'], code: USAGE, says: /--duration must be above 0/ },
  { args: ['bench', '--rate', '-5'], code: USAGE, says: /--rate must be above 0/ },
  { args: ['bench', '--slo', 'p99(send)<20'], code: USAGE, says: /a latency needs a unit/ },
  { args: ['bench', '--slo', 'nonsense'], code: USAGE, says: /invalid --slo/ },
  {
    args: ['local', 'up', '--namesrv-port', '0', '--dir', '/tmp/rmq-bad-input-never'],
    code: USAGE,
    says: /invalid --namesrv-port 0/,
  },
  {
    args: ['local', 'up', '--version', '9.9', '--dir', '/tmp/rmq-bad-input-never'],
    code: USAGE,
    says: /version/,
  },
  {
    args: ['profile', 'use', 'no_such_profile'],
    code: NOT_FOUND,
    says: /profile "no_such_profile" does not exist/,
  },
  { args: ['profile', 'create', 'bad name!'], code: USAGE, says: /invalid profile name/ },
  { args: ['topic', 'list', '--bogus'], code: USAGE, says: /Nonexistent flag: --bogus/ },
];

describe('bad input', { concurrency: 4 }, () => {
  for (const c of cases) {
    test(`rmq ${c.args.join(' ')} → exit ${c.code}`, async () => {
      const r = await rmq(c.args, { input: c.input ?? '' });
      assert.equal(r.code, c.code, r.stderr);
      assert.equal(r.stdout, '', 'nothing on stdout');
      const errorLines = r.stderr.split('\n').filter((l) => l.startsWith('Error:'));
      assert.equal(errorLines.length, 1, r.stderr);
      assert.match(errorLines[0]!, c.says);
      assert.doesNotMatch(r.stderr, /^\s+at .+:\d+:\d+\)?$/m, 'no stack trace');
    });
  }

  test('--debug adds the stack trace', async () => {
    const r = await rmq(['cluster', 'list', '-n', '127.0.0.1', '--debug']);
    assert.equal(r.code, USAGE);
    assert.match(r.stderr, /^\s+at .+:\d+:\d+\)?$/m);
  });

  test('--json puts the error on stdout as one JSON document', async () => {
    const r = await rmq(['topic', 'create', 'bad name', '--json']);
    assert.equal(r.code, USAGE);
    assert.deepEqual((r.json as { error: { kind: string; exitCode: number } }).error.exitCode, USAGE);
    assert.equal((r.json as { error: { kind: string } }).error.kind, 'invalid-argument');
  });
});
