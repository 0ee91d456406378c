/**
 * Hardening of what users and servers hand us (issue #9): durations a timer cannot hold,
 * property separators in message fields, words that name Object built-ins, control characters
 * on a terminal, and profile settings that belong to one cluster only.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { parseDuration } from '../../src/core/util/units.js';

describe('durations', () => {
  it('accept up to 2^31 − 1 ms, what setTimeout can hold', () => {
    assert.equal(parseDuration('24d'), 24 * 86_400_000);
    assert.equal(parseDuration('2147483647'), 2 ** 31 - 1);
  });

  it('above it are a usage error, not a timer that fires at once', () => {
    for (const input of ['25d', '2147483648', '600h', '1d600h', '9'.repeat(400)]) {
      assert.throws(
        () => parseDuration(input, '--timeout'),
        (err: unknown) =>
          err instanceof InvalidArgumentError &&
          /--timeout ".*" is above the maximum of 24\.8 days/.test(err.message),
        input,
      );
    }
  });
});
