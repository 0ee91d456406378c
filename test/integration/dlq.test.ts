/**
 * `rmq dlq list | resend` and `rmq message resend` against the real broker, with real dead
 * letters: a group with retryMaxTimes 0 whose consumer (`rmq consume --nack all`) fails every
 * message, so the broker moves each to %DLQ%<group> on its first failure.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Admin } from '../../src/core/client/admin.js';
import { parseNamesrvList } from '../../src/core/client/namesrv.js';
import { MessageQuery, TOOLS_CONSUMER_GROUP } from '../../src/core/client/query.js';
import type { SendResult } from '../../src/core/client/producer.js';
import type { DlqListResult } from '../../src/services/dlq.js';
import type { DlqResendResult } from '../../src/services/dlq-resend.js';
import type { MessageResendResult } from '../../src/services/message-resend.js';
import { type Background, rmq, rmqBackground, TEST_NAMESRV, uniqueName } from '../helpers/cli.js';
import { produce } from '../helpers/produce.js';
import { assertSchema } from '../helpers/schema.js';
import { poll, TopicReader } from '../helpers/read-topic.js';

const topic = uniqueName('it_dlq_t');
const group = uniqueName('it_dlq_g');
const dlq = `%DLQ%${group}`;
// The resend log lives next to the profiles file: a directory of this run's own.
const stateDir = mkdtempSync(join(tmpdir(), 'rmq-dlq-state-'));
const env = { RMQ_PROFILES_FILE: join(stateDir, 'profiles.json') };
const reader = new TopicReader(uniqueName('it_dlq_reader'));
let sent: SendResult[] = [];
let failedAt = 0;

const list = async (...args: string[]): Promise<DlqListResult> => {
  const r = await rmq(['dlq', 'list', group, '--json', ...args], { env });
  assert.equal(r.code, 0, r.stderr);
  assertSchema('dlq-list', r.json);
  return r.json as DlqListResult;
};
const resend = async (...args: string[]) => {
  const r = await rmq(['dlq', 'resend', group, '--json', ...args], { env });
  if (r.code === 0) assertSchema('dlq-resend', r.json);
  return { ...r, result: r.json as DlqResendResult };
};
const countOf = (t: string) => reader.count(t);

before(async () => {
  for (const args of [
    ['topic', 'create', topic, '--queues', '2'],
    ['group', 'create', group, '--retry-max-times', '0'],
  ]) {
    const r = await rmq(args);
    assert.equal(r.code, 0, r.stderr);
  }
  sent = await produce(
    [0, 1, 2, 3].map((i) => ({
      topic,
      body: Buffer.from(`dead letter ${i}`),
      keys: [`k${i}`],
      tags: i < 2 ? 'A' : 'B',
      properties: { color: 'red', n: String(i) },
    })),
    { sequential: true },
  );
  failedAt = Date.now();
  const c = await rmq(
    [
      'consume',
      topic,
      '-g',
      group,
      '--from',
      'first',
      '--nack',
      'all',
      '--max-reconsume',
      '0',
      '--count',
      '4',
    ],
    { timeoutMs: 60_000 },
  );
  assert.equal(c.code, 0, c.stderr);
  assert.ok(await poll(async () => (await countOf(dlq)) === 4, 30_000), 'four messages in the DLQ');
});

after(async () => {
  await reader.close();
  await rmq(['group', 'delete', group, '--yes']);
  await rmq(['topic', 'delete', topic, '--yes']);
  rmSync(stateDir, { recursive: true, force: true });
});

describe('rmq dlq list', () => {
  test('every dead letter with its original topic, id, reconsume count and failure times', async () => {
    const r = await list();
    assert.equal(r.topic, dlq);
    assert.equal(r.total, 4);
    assert.equal(r.count, 4);
    assert.equal(r.truncated, false);
    assert.deepEqual(r.messages.map((m) => m.msgId).sort(), sent.map((s) => s.msgId).sort());
    for (const m of r.messages) {
      const i = Number(m.properties.n);
      assert.equal(m.originTopic, topic);
      assert.equal(m.originMsgId, sent[i]!.offsetMsgId, 'ORIGIN_MESSAGE_ID names the first stored copy');
      assert.equal(m.reconsumeTimes, 1);
      assert.deepEqual(m.keys, [`k${i}`]);
      assert.equal(m.tags, i < 2 ? 'A' : 'B');
      assert.equal(m.properties.color, 'red');
      assert.equal(m.firstFailureTime, m.lastFailureTime, 'one failure: first = last');
      assert.ok(Date.parse(m.lastFailureTime) >= Date.parse(m.bornTime));
      assert.equal(m.bodyBytes, `dead letter ${i}`.length);
    }
    const human = await rmq(['dlq', 'list', group], { env });
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /4 of 4 dead letters/);
  });

  test('filters: --key, --tag, --since/--until, --limit', async () => {
    assert.deepEqual(
      (await list('--key', 'k2')).messages.map((m) => m.keys[0]),
      ['k2'],
    );
    const b = await list('--tag', 'B');
    assert.deepEqual(
      b.messages.map((m) => m.tags),
      ['B', 'B'],
    );
    assert.equal(b.total, 4, 'total counts the whole DLQ');
    assert.equal((await list('--since', new Date(Date.now() + 60_000).toISOString())).count, 0);
    assert.equal((await list('--until', String(failedAt - 60_000))).count, 0);
    assert.equal((await list('--since', '1h')).count, 4);
    const one = await list('--limit', '1');
    assert.equal(one.count, 1);
    assert.equal(one.truncated, true);
  });

  test('reading commits no offset, for the group or the tools group', async () => {
    await list();
    const admin = new Admin({ namesrv: parseNamesrvList(TEST_NAMESRV), timeoutMs: 5000 });
    try {
      const route = await admin.namesrv.getTopicRoute(dlq);
      const q = new MessageQuery(admin.client, admin.namesrv);
      for (const b of route.brokers) {
        const address = [...b.addrs.values()][0]!;
        for (const g of [group, TOOLS_CONSUMER_GROUP]) {
          assert.equal(await q.consumerOffset(address, g, dlq, 0), null, `${g} has no offset on ${dlq}`);
        }
      }
    } finally {
      admin.close();
    }
  });

  test('an unknown group: one line, exit 6', async () => {
    const r = await rmq(['dlq', 'list', uniqueName('it_no_group')], { env });
    assert.equal(r.code, 6);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /does not exist/);
  });
});

describe('rmq dlq resend', () => {
  test('no --yes without a terminal, and --dry-run: a plan, nothing sent', async () => {
    const before = await countOf(topic);
    const refused = await rmq(['dlq', 'resend', group], { env });
    assert.equal(refused.code, 2);
    assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
    assert.match(refused.stderr, /without confirmation/);
    const dry = await resend('--dry-run', '--key', 'k0');
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(dry.result.dryRun, true);
    assert.equal(dry.result.planned, 1);
    assert.equal(dry.result.resent, 0);
    assert.equal(dry.result.messages[0]!.to, topic);
    assert.equal(await countOf(topic), before);
    assert.equal(existsSync(dry.result.logFile), false, 'a dry run writes no log');
  });

  test('bad input: --to an unknown topic, an unknown group: exit 6, nothing sent', async () => {
    const before = await countOf(topic);
    const to = await rmq(['dlq', 'resend', group, '--to', uniqueName('it_no_topic'), '--yes'], { env });
    assert.equal(to.code, 6);
    assert.equal(to.stderr.trim().split('\n').length, 1, to.stderr);
    const g = await rmq(['dlq', 'resend', uniqueName('it_no_group'), '--yes'], { env });
    assert.equal(g.code, 6);
    assert.equal(g.stderr.trim().split('\n').length, 1, g.stderr);
    assert.equal(await countOf(topic), before);
  });

  test('back to the original topic with body, keys, tags and properties; a second run skips; --again resends', async () => {
    const first = await resend('--tag', 'A', '--yes');
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(
      { resent: first.result.resent, skipped: first.result.skipped, failed: first.result.failed },
      { resent: 2, skipped: 0, failed: 0 },
    );
    assert.ok(first.result.logFile.startsWith(stateDir), first.result.logFile);
    assert.equal(readFileSync(first.result.logFile, 'utf8').trim().split('\n').length, 2);

    const stored = await reader.readUntil(topic, (ms) => ms.length === 6, 15_000);
    assert.equal(stored.length, 6, 'four originals and two resent');
    const copies = stored.filter((m) => m.reconsumeTimes === 0 && m.storeTimestamp > failedAt);
    assert.equal(copies.length, 2);
    for (const m of copies) {
      const i = Number(m.properties.n);
      assert.ok(i === 0 || i === 1, `only tag A: ${i}`);
      assert.equal(m.body.toString(), `dead letter ${i}`);
      assert.equal(m.properties.KEYS, `k${i}`);
      assert.equal(m.properties.TAGS, 'A');
      assert.equal(m.properties.color, 'red');
      assert.equal(m.msgId, sent[i]!.msgId, 'the message id is kept');
      assert.equal(m.properties.RETRY_TOPIC, undefined, 'retry bookkeeping is dropped');
      assert.equal(m.properties.ORIGIN_MESSAGE_ID, undefined);
    }
    assert.equal(await countOf(dlq), 4, 'dead letters stay in the DLQ');

    const second = await resend('--yes');
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(
      { resent: second.result.resent, skipped: second.result.skipped },
      { resent: 2, skipped: 2 },
    );
    const third = await resend('--yes');
    assert.equal(third.code, 0, third.stderr);
    assert.deepEqual(
      { resent: third.result.resent, skipped: third.result.skipped },
      { resent: 0, skipped: 4 },
    );
    assert.equal(await countOf(topic), 8);

    const again = await resend('--again', '--key', 'k3', '--yes');
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.result.resent, 1);
    assert.ok(await poll(async () => (await countOf(topic)) === 9, 15_000));
  });
});

describe('rmq message resend', () => {
  const g2 = uniqueName('it_dlq_direct');
  let consumer: Background | undefined;

  before(async () => {
    const c = await rmq(['group', 'create', g2]);
    assert.equal(c.code, 0, c.stderr);
    consumer = rmqBackground([
      'consume',
      topic,
      '-g',
      g2,
      '--from',
      'last',
      '--nack',
      'key:k1',
      '-o',
      'ndjson',
    ]);
    const online = await poll(
      async () => {
        const r = await rmq(['group', 'clients', g2, '--json']);
        return r.code === 0 && (r.json as { online: boolean }).online;
      },
      60_000,
      500,
    );
    assert.ok(online, `consumer online: ${consumer.stderr()}`);
  });

  after(async () => {
    consumer?.kill('SIGTERM');
    await consumer?.done;
    await rmq(['group', 'delete', g2, '--yes']);
  });

  test("a dead letter delivered to rmq's own consumer: its handler's verdict comes back", async () => {
    const letters = (await list()).messages;
    const k0 = letters.find((m) => m.keys[0] === 'k0')!;
    const ok = await rmq(['message', 'resend', k0.offsetMsgId, '--group', g2, '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    assertSchema('message-resend', ok.json);
    const r = ok.json as MessageResendResult;
    assert.equal(r.topic, topic);
    assert.equal(r.clients.length, 1);
    assert.equal(r.clients[0]!.ok, true);
    assert.equal(r.clients[0]!.consumeResult, 'CR_SUCCESS');
    assert.ok(
      await poll(async () => consumer!.stdout().includes('dead letter 0'), 10_000),
      'the consumer wrote the message out',
    );
    const rec = JSON.parse(
      consumer!
        .stdout()
        .trim()
        .split('\n')
        .find((l) => l.includes('dead letter 0'))!,
    ) as {
      topic: string;
    };
    assert.equal(rec.topic, topic, 'the consumer sees the original topic');

    // The consumer fails k1 (--nack key:k1): CR_LATER, exit 9.
    const k1 = letters.find((m) => m.keys[0] === 'k1')!;
    const later = await rmq(['message', 'resend', k1.msgId, '--topic', topic, '--group', g2, '--json']);
    assert.equal(later.code, 9, later.stderr);
    assert.equal((later.json as MessageResendResult).clients[0]!.consumeResult, 'CR_LATER');
  });

  test('bad input: an unknown client or group, a group with no consumer online: one line, exit 6', async () => {
    const id = sent[0]!.offsetMsgId;
    for (const args of [
      ['--group', g2, '--client', 'no-such-client'],
      ['--group', uniqueName('it_no_group')],
      ['--group', group],
    ]) {
      const r = await rmq(['message', 'resend', id, ...args]);
      assert.equal(r.code, 6, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});
