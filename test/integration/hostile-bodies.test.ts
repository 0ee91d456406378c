/**
 * Bodies built to hurt the reader, against the real broker: a large body of control characters.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MessageRecord } from '../../src/services/message-record.js';
import { rmq, uniqueName } from '../helpers/cli.js';
import { produce } from '../helpers/produce.js';

const MiB = 1024 * 1024;

type Rec = MessageRecord;

describe('large bodies in --json output', () => {
  test(
    '--json prints a 2 MiB body of control characters (12 MB of JSON escapes)',
    { timeout: 120_000 },
    async () => {
      const t = uniqueName('it_escapes');
      const c = await rmq(['topic', 'create', t, '--queues', '1', '--json']);
      assert.equal(c.code, 0, c.stderr);
      try {
        // NUL bytes are valid UTF-8: the record carries them as text, each escaped as \u0000.
        await produce([{ topic: t, body: Buffer.alloc(2 * MiB) }]);
        const r = await rmq(['message', 'print', '-t', t, '-q', '0', '--offset', '0', '--json']);
        assert.equal(r.code, 0, r.stderr);
        const m = (r.json as { messages: Rec[] }).messages[0]!;
        assert.equal(m.body?.length, 2 * MiB);
      } finally {
        await rmq(['topic', 'delete', t, '--yes']);
      }
    },
  );
});
