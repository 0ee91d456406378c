import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type ErrorKind, RocketMQError } from '../../src/core/errors.js';
import {
  EXIT_CODE_TABLE,
  NAGIOS_EXIT_CODE_TABLE,
  ExitCode,
  exitCodeFor,
  type Outcome,
  outcomeOfError,
} from '../../src/exit-codes.js';

test('every error kind maps to its documented exit code', () => {
  const expected: Record<ErrorKind, number> = {
    connection: 3,
    timeout: 4,
    broker: 5,
    'not-found': 6,
    protocol: 7,
    environment: 8,
    'invalid-argument': 2,
    'check-failed': 9,
  };
  for (const [kind, code] of Object.entries(expected)) {
    assert.equal(exitCodeFor(outcomeOfError(new RocketMQError(kind as ErrorKind, 'x'))), code, kind);
  }
});

test('every run outcome maps to its documented exit code', () => {
  const expected: Partial<Record<Outcome, number>> = {
    ok: 0,
    passed: 0,
    interrupted: 130,
    'slo-failed': 99,
    'check-failed': 9,
    drift: 9,
    usage: 2,
    bug: 1,
  };
  for (const [outcome, code] of Object.entries(expected)) assert.equal(exitCodeFor(outcome as Outcome), code);
  // Anything that is not one of the core's errors is a bug: exit 1, never 0.
  assert.equal(exitCodeFor(outcomeOfError(new TypeError('x'))), ExitCode.FAILURE);
  assert.equal(exitCodeFor(outcomeOfError('a string')), ExitCode.FAILURE);
});

test('the table lists every exit code once, and names match ExitCode', () => {
  const codes = EXIT_CODE_TABLE.map((r) => r.code);
  assert.equal(new Set(codes).size, codes.length);
  for (const row of EXIT_CODE_TABLE) assert.equal(ExitCode[row.name], row.code);
  assert.equal(EXIT_CODE_TABLE.length, Object.keys(ExitCode).length);
});

test('the README documents the same exit-code table', () => {
  const readme = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');
  for (const row of EXIT_CODE_TABLE) {
    const line = new RegExp(`^\\|\\s*${row.code}\\s*\\|\\s*\`${row.name}\`\\s*\\|`, 'm');
    assert.match(readme, line, `README row for exit code ${row.code} ${row.name}`);
  }
});

test('the README documents the Nagios exit codes of `rmq check --format nagios`', () => {
  const readme = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');
  assert.deepEqual(
    NAGIOS_EXIT_CODE_TABLE.map((r) => r.code),
    [0, 1, 2, 3],
  );
  for (const row of NAGIOS_EXIT_CODE_TABLE) {
    const line = new RegExp(
      `^\\|\\s*${row.code}\\s*\\|\\s*\`${row.status.toUpperCase()}\`\\s*\\|\\s*${row.meaning.replace(/[()]/g, '\\$&')}\\s*\\|`,
      'm',
    );
    assert.match(readme, line, `README row for Nagios code ${row.code}`);
  }
});
