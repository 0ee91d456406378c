/** One meaning of backslash escapes for --delimiter (send, consume, message) and --template. */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import type { MessageExt } from '../../src/core/protocol/message.js';
import { parseDelimiter, unescapeBytes } from '../../src/services/escapes.js';
import { splitRecords } from '../../src/services/input.js';
import { writeMessages } from '../../src/ui/message-output.js';
import { compileTemplate } from '../../src/ui/message-render.js';

const message = (body: string): MessageExt =>
  ({
    topic: 't',
    msgId: 'M',
    offsetMsgId: 'O',
    queueId: 0,
    queueOffset: 0,
    bornTimestamp: 0,
    storeTimestamp: 0,
    bornHost: 'h:1',
    storeHost: 'h:2',
    reconsumeTimes: 0,
    commitLogOffset: 0,
    properties: { TAGS: 'tg' },
    body: Buffer.from(body),
  }) as unknown as MessageExt;

/** Collects what writeMessages writes, as a pipe would get it. */
function pipe() {
  const chunks: Buffer[] = [];
  const out = {
    isTTY: false,
    write(c: string | Uint8Array) {
      chunks.push(Buffer.from(c));
      return true;
    },
    once() {
      return out;
    },
  };
  return { out: out as unknown as NodeJS.WriteStream, bytes: () => Buffer.concat(chunks) };
}

describe('unescapeBytes', () => {
  it('decodes \\n \\t \\r \\0 \\xHH \\uHHHH \\\\ and keeps anything else as typed', () => {
    assert.deepEqual(unescapeBytes('\\n\\t\\r\\0'), Buffer.from('\n\t\r\0'));
    assert.deepEqual(unescapeBytes('\\x1e\\xff\\x00'), Buffer.from([0x1e, 0xff, 0x00]));
    assert.deepEqual(unescapeBytes('\\u00e9\\u2028'), Buffer.from('é\u2028', 'utf8'));
    assert.deepEqual(unescapeBytes('a\\\\nb'), Buffer.from('a\\nb'));
    assert.deepEqual(unescapeBytes('\\q\\x1\\u12\\'), Buffer.from('\\q\\x1\\u12\\'));
    assert.deepEqual(unescapeBytes('§|'), Buffer.from('§|', 'utf8'));
    assert.deepEqual(unescapeBytes(''), Buffer.alloc(0));
  });

  it('parseDelimiter refuses an empty delimiter unless output allows one', () => {
    assert.throws(() => parseDelimiter(''), /must not be empty/);
    assert.deepEqual(parseDelimiter('', { allowEmpty: true }), Buffer.alloc(0));
  });
});

describe('one delimiter on both ends of a pipe', () => {
  // Before: consume/message wrote the four characters "\x1e" while send split on the byte 0x1e.
  it("--output body --delimiter '\\x1e' writes the byte that send --delimiter '\\x1e' splits on", async () => {
    const p = pipe();
    await writeMessages(
      [
        { message: message('a\nb'), brokerName: 'b' },
        { message: message('c'), brokerName: 'b' },
      ],
      { output: 'body', delimiter: '\\x1e' },
      p.out,
    );
    assert.deepEqual(p.bytes(), Buffer.from('a\nb\x1ec\x1e'));
    const records: string[] = [];
    for await (const r of splitRecords(Readable.from([p.bytes()]), parseDelimiter('\\x1e')))
      records.push(r.data.toString());
    assert.deepEqual(records, ['a\nb', 'c']);
  });

  it('\\\\ is one backslash in output too (it was a backslash and a newline for \\\\n)', async () => {
    const p = pipe();
    await writeMessages(
      [{ message: message('x'), brokerName: 'b' }],
      { output: 'body', delimiter: '\\\\n' },
      p.out,
    );
    assert.deepEqual(p.bytes(), Buffer.from('x\\n'));
  });

  it('--template takes the same escapes', () => {
    const render = compileTemplate('{tags}\\x1e{body}\\r\\n\\\\t');
    assert.equal(render(message('B'), 't', 'b'), 'tg\x1eB\r\n\\t');
  });
});
