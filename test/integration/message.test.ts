/** `rmq message get | query | print` against the real broker: they return what was sent, unconsumed. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MessageRecord } from '../../src/services/message-record.js';
import type { MessageGetResult, MessagePrintResult, MessageQueryResult } from '../../src/services/message.js';
import type { SendSummary } from '../../src/services/send/index.js';
import { ndjson, rmq, uniqueName } from '../helpers/cli.js';
import { poll } from '../helpers/read-topic.js';

let topic = '';
let sent: SendSummary;

before(async () => {
  topic = uniqueName('it_message');
  const c = await rmq(['topic', 'create', topic, '--queues', '1', '--json']);
  assert.equal(c.code, 0, c.stderr);
  const r = await rmq(
    ['send', topic, '--key', 'shared', '--tag', 'tm', '--property', 'color=blue', '--json'],
    { input: 'first\nsecond ✓\nthird\n' },
  );
  assert.equal(r.code, 0, r.stderr);
  sent = r.json as SendSummary;
  assert.equal(sent.sent, 3);
});

after(async () => {
  await rmq(['topic', 'delete', topic, '--yes']);
});

const bodies = (ms: MessageRecord[]): (string | undefined)[] => ms.map((m) => m.body);

describe('rmq message', { concurrency: true }, () => {
  test('get by message id and by offset id returns the message with its properties', async () => {
    const s = sent.results[1]!;
    const byId = await rmq(['message', 'get', s.msgId, '--topic', topic, '--json']);
    assert.equal(byId.code, 0, byId.stderr);
    const m = byId.json as MessageGetResult;
    assert.equal(m.idKind, 'unique-key');
    assert.equal(m.body, 'second ✓');
    assert.equal(m.msgId, s.msgId);
    assert.equal(m.offsetMsgId, s.offsetMsgId);
    assert.equal(m.queueOffset, 1);
    assert.equal(m.tags, 'tm');
    assert.deepEqual(m.keys, ['shared']);
    assert.deepEqual(m.properties, { color: 'blue' });

    const byOffset = await rmq(['message', 'get', s.offsetMsgId!, '--json']);
    assert.equal(byOffset.code, 0, byOffset.stderr);
    const o = byOffset.json as MessageGetResult;
    assert.equal(o.idKind, 'offset-id');
    assert.equal(o.msgId, s.msgId);
    assert.equal(o.body, 'second ✓');

    const detail = await rmq(['message', 'get', s.msgId, '-t', topic]);
    assert.equal(detail.code, 0, detail.stderr);
    assert.match(detail.stdout, new RegExp(`^Message ID: +${s.msgId}$`, 'm'));
    assert.match(detail.stdout, /^Properties: +color=blue$/m);
    assert.match(detail.stdout, /Body \(10 bytes\):\nsecond ✓\n$/);

    const raw = await rmq(['message', 'get', s.msgId, '-t', topic, '--output', 'body']);
    assert.equal(raw.stdout, 'second ✓\n');
  });

  test('get of an unknown id exits 6', async () => {
    const r = await rmq(['message', 'get', 'C0A8000100002A9F0000000000000000', '-t', topic, '--json']);
    assert.equal(r.code, 6, r.stdout);
    assert.equal((r.json as { error: { kind: string } }).error.kind, 'not-found');
  });

  test('query by key returns every message with that key, oldest first', async () => {
    let q: MessageQueryResult | undefined;
    // The index is built asynchronously: allow it a moment.
    await poll(async () => {
      const r = await rmq(['message', 'query', '--topic', topic, '--key', 'shared', '--json']);
      assert.equal(r.code, 0, r.stderr);
      q = r.json as MessageQueryResult;
      return q.count === 3;
    }, 10_000);
    assert.deepEqual(bodies(q!.messages), ['first', 'second ✓', 'third']);
    assert.deepEqual(
      q!.messages.map((m) => m.msgId),
      sent.results.map((r) => r.msgId),
    );

    const limited = await rmq([
      'message',
      'query',
      '-t',
      topic,
      '-k',
      'shared',
      '--limit',
      '2',
      '-o',
      'ndjson',
    ]);
    assert.equal(limited.code, 0, limited.stderr);
    // The index answers with the most recently stored matches.
    assert.deepEqual(bodies(ndjson<MessageRecord>(limited.stdout)), ['second ✓', 'third']);

    const none = await rmq(['message', 'query', '-t', topic, '-k', 'nope', '--json']);
    assert.equal(none.code, 0, none.stderr);
    assert.equal((none.json as MessageQueryResult).count, 0);
  });

  test('print reads a queue from an offset, in order, without consuming', async () => {
    const r = await rmq([
      'message',
      'print',
      '--topic',
      topic,
      '--queue',
      '0',
      '--offset',
      '1',
      '--count',
      '5',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const p = r.json as MessagePrintResult;
    assert.deepEqual(bodies(p.messages), ['second ✓', 'third']);
    assert.equal(p.nextOffset, 3);
    assert.equal(p.maxOffset, 3);

    const tpl = await rmq([
      'message',
      'print',
      '-t',
      topic,
      '-q',
      '0',
      '--offset',
      '0',
      '-c',
      '3',
      '--output',
      'template',
      '--template',
      '{offset} {prop.color} {body}',
    ]);
    assert.equal(tpl.stdout, '0 blue first\n1 blue second ✓\n2 blue third\n');

    const past = await rmq(['message', 'print', '-t', topic, '-q', '0', '--offset', '3', '--json']);
    assert.equal(past.code, 6, past.stdout);
    assert.match((past.json as { error: { message: string } }).error.message, /the queue ends at offset 3/);

    const badQueue = await rmq(['message', 'print', '-t', topic, '-q', '7', '--offset', '0', '--json']);
    assert.equal(badQueue.code, 2, badQueue.stdout);
  });
});
