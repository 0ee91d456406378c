/**
 * Hardening of what users and servers hand the CLI (issue #9), end to end against the suite's
 * broker: durations a timer cannot hold, property separators, Object built-in names, control
 * characters on a terminal, and profile settings that belong to one cluster only.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type CliResult, rmq } from '../helpers/cli.js';

const USAGE = 2;

const show = (r: CliResult): string => `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;

/** The one "Error:" line of a failed run, which must carry no stack trace. */
function errorLine(r: CliResult): string {
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('Error:'));
  assert.equal(lines.length, 1, show(r));
  assert.doesNotMatch(r.stderr, /^\s+at .+:\d+:\d+\)?$/m, 'no stack trace');
  return lines[0]!;
}

describe('input hygiene', { concurrency: 4 }, () => {
  test('a duration above 2^31 − 1 ms is a usage error, not a request that times out at once', async () => {
    for (const args of [
      ['topic', 'list', '--timeout', '25d'],
      ['consume', 't', '-g', 'g', '--idle-timeout', '2147483648'],
    ]) {
      const r = await rmq(args);
      assert.equal(r.code, USAGE, show(r));
      assert.match(errorLine(r), /is above the maximum of 24\.8 days/);
      assert.doesNotMatch(r.stderr, /TimeoutOverflowWarning/);
    }
    const ok = await rmq(['topic', 'list', '--timeout', '24d', '--names-only']);
    assert.equal(ok.code, 0, show(ok));
  });
});
