/** A recall handle is user input that names a broker and a topic: read strictly, within a budget. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { decodeRecallHandle, RECALL_HANDLE_MAX_CHARS } from '../../src/core/protocol/recall-message.js';

// What a 5.5.0 broker returned for `rmq send recall-t --delay 30s` (base64url, padded).
const REAL = 'djEgcmVjYWxsLXQgYnJva2VyLWEgMTc5NjE5ODgxNzAwMSBDMDAwMDIwMjVCNDk1NENDOTI5MjA2RTNCQjc5MDAwMA==';

describe('decodeRecallHandle', () => {
  test("reads a broker's handle", () => {
    assert.deepEqual(decodeRecallHandle(REAL), {
      topic: 'recall-t',
      brokerName: 'broker-a',
      deliverAtMs: 1796198817001,
      msgId: 'C00002025B4954CC929206E3BB790000',
    });
  });

  test('refuses what is not one, each with a reason', () => {
    const b64 = (s: string): string => Buffer.from(s).toString('base64url');
    const cases: [string, RegExp][] = [
      ['', /length 0/],
      ['A'.repeat(RECALL_HANDLE_MAX_CHARS + 1), /length 1025/],
      ['not a handle', /not base64url/],
      [b64('v2 t b 1 id'), /not a version 1 handle/],
      [b64('v1 t b 1'), /not a version 1 handle/],
      [b64('v1 t b 12x id'), /time is not a number/],
      [b64('v1 t b 99999999999999999 id'), /time is not a number/],
      [b64('v1  b 1 id'), /a field is empty/],
    ];
    for (const [handle, why] of cases) {
      assert.throws(
        () => decodeRecallHandle(handle),
        (e: Error) => e instanceof InvalidArgumentError && why.test(e.message),
        handle.slice(0, 40),
      );
    }
  });
});
