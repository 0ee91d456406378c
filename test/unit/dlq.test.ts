/**
 * Dead letters and direct consumption without a broker: the CONSUME_MESSAGE_DIRECTLY codec (a
 * client's answer is hostile input), what a resend sends for a dead letter, the filters, and
 * the resend log (its path stays in its dir; a damaged line costs one entry, not the file).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import {
  consumeMessageDirectlyHeader,
  decodeConsumeMessageDirectlyResult,
  encodeConsumeMessageDirectlyResult,
} from '../../src/core/protocol/consume-message-directly.js';
import { createTopicHeader } from '../../src/core/protocol/create-topic.js';
import type { MessageExt } from '../../src/core/protocol/message.js';
import { ProtocolError } from '../../src/core/errors.js';
import { matches, parseTimeBound, toDlqMessage } from '../../src/services/dlq.js';
import { appendResendLog, entryKey, readResendLog, resendLogPath } from '../../src/services/dlq-log.js';
import { resendMessage } from '../../src/services/dlq-resend.js';

const deadLetter = (over: Partial<MessageExt> = {}, props: Record<string, string> = {}): MessageExt => ({
  topic: '%DLQ%g',
  queueId: 0,
  queueOffset: 7,
  commitLogOffset: 100,
  flag: 3,
  sysFlag: 0,
  bornTimestamp: 1_000,
  bornHost: '127.0.0.1:1',
  storeTimestamp: 5_000,
  storeHost: '127.0.0.1:10911',
  reconsumeTimes: 1,
  preparedTransactionOffset: 0,
  body: Buffer.from('hello'),
  bodyCompressed: false,
  properties: {
    RETRY_TOPIC: 'orders',
    ORIGIN_MESSAGE_ID: '7F000001000027AF0000000000000000',
    UNIQ_KEY: 'C0A80001000000000000000000000001',
    KEYS: 'a b',
    TAGS: 'paid',
    DELAY: '0',
    WAIT: 'false',
    CLUSTER: 'DefaultCluster',
    MAX_RECONSUME_TIMES: '16',
    color: 'red',
    ...props,
  },
  offsetMsgId: '7F000001000027AF0000000000000064',
  msgId: 'C0A80001000000000000000000000001',
  ...over,
});

describe('CONSUME_MESSAGE_DIRECTLY', () => {
  it('request header: group, client, offset id and topic', () => {
    assert.deepEqual(
      consumeMessageDirectlyHeader({ consumerGroup: 'g', clientId: 'c@1', msgId: 'ABC', topic: 'orders' }),
      { consumerGroup: 'g', clientId: 'c@1', msgId: 'ABC', topic: 'orders' },
    );
  });

  it('result: what a Java client answers, and what rmq answers, decode alike', () => {
    const java = Buffer.from(
      '{"autoCommit":true,"consumeResult":"CR_LATER","order":false,"remark":"boom","spentTimeMills":12}',
    );
    const r = decodeConsumeMessageDirectlyResult(java);
    assert.deepEqual(r, {
      order: false,
      autoCommit: true,
      consumeResult: 'CR_LATER',
      remark: 'boom',
      spentTimeMills: 12,
    });
    assert.deepEqual(decodeConsumeMessageDirectlyResult(encodeConsumeMessageDirectlyResult(r)), r);
  });

  it('hostile results fail with ProtocolError', () => {
    for (const body of [
      undefined,
      Buffer.alloc(0),
      Buffer.from('[1,2]'),
      Buffer.from('{"consumeResult":"CR_\u001b[2J"}'),
      Buffer.from(`{"remark":"${'x'.repeat(300 * 1024)}"}`),
      Buffer.from('{'.repeat(50)),
    ]) {
      assert.throws(() => decodeConsumeMessageDirectlyResult(body), ProtocolError, String(body?.length));
    }
  });

  it('a long remark is cut', () => {
    const r = decodeConsumeMessageDirectlyResult(Buffer.from(`{"remark":"${'x'.repeat(10_000)}"}`));
    assert.equal(r.remark!.length, 4096);
    assert.equal(r.consumeResult, null);
  });
});

describe('UPDATE_AND_CREATE_TOPIC for an update', () => {
  it("keeps the topic's sys flag; 0 on create", () => {
    const base = { topic: 't', readQueues: 4, writeQueues: 2, perm: 4, order: true };
    assert.equal(createTopicHeader(base).topicSysFlag, '0');
    const h = createTopicHeader({ ...base, topicSysFlag: 2 });
    assert.equal(h.topicSysFlag, '2');
    assert.equal(h.perm, '4');
    assert.equal(h.order, 'true');
    assert.equal(h.attributes, undefined, 'no attributes: the broker keeps the topic’s own');
  });
});

describe('dead letters', () => {
  it('listed with the original topic and ids; the first failure only when there was one', () => {
    const one = toDlqMessage(deadLetter(), 'broker-a');
    assert.equal(one.originTopic, 'orders');
    assert.equal(one.originMsgId, '7F000001000027AF0000000000000000');
    assert.equal(one.firstFailureTime, one.lastFailureTime);
    assert.deepEqual(one.properties, { color: 'red' });
    assert.deepEqual(one.keys, ['a', 'b']);
    assert.equal(toDlqMessage(deadLetter({ reconsumeTimes: 3 }), 'b').firstFailureTime, null);
    const m = deadLetter();
    delete m.properties.RETRY_TOPIC;
    m.properties.DLQ_ORIGIN_TOPIC = 'pop-topic';
    assert.equal(toDlqMessage(m, 'b').originTopic, 'pop-topic');
  });

  it('resent with body, keys, tags, flag, user properties and id; retry bookkeeping dropped', () => {
    const out = resendMessage(deadLetter({}, { __SHARDINGKEY: 'g1', __proto__x: 'p' }), 'orders');
    assert.equal(out.topic, 'orders');
    assert.equal(out.body.toString(), 'hello');
    assert.deepEqual(out.keys, ['a', 'b']);
    assert.equal(out.tags, 'paid');
    assert.equal(out.flag, 3);
    assert.equal(out.messageGroup, 'g1');
    assert.deepEqual(out.properties, {
      color: 'red',
      __proto__x: 'p',
      UNIQ_KEY: 'C0A80001000000000000000000000001',
    });
  });

  it('filters on key, tag and the time stored in the DLQ', () => {
    const m = deadLetter();
    assert.ok(matches(m, { key: 'b', tag: 'paid', sinceMs: 5_000, untilMs: 5_001 }));
    assert.ok(!matches(m, { key: 'a b' }));
    assert.ok(!matches(m, { tag: 'other' }));
    assert.ok(!matches(m, { sinceMs: 5_001 }));
    assert.ok(!matches(m, { untilMs: 5_000 }));
  });

  it('--since/--until: ISO, epoch ms, or a duration back from now', () => {
    const now = Date.parse('2026-12-01T12:00:00Z');
    assert.equal(parseTimeBound('2026-12-01T10:00:00Z', '--since', now), Date.parse('2026-12-01T10:00:00Z'));
    assert.equal(parseTimeBound('1796000000000', '--since', now), 1796000000000);
    assert.equal(parseTimeBound('2h', '--since', now), now - 7_200_000);
    assert.equal(parseTimeBound('7d', '--since', now), now - 7 * 86_400_000);
    assert.throws(() => parseTimeBound('yesterday-ish', '--since', now), /invalid --since/);
  });
});

describe('the resend log', () => {
  it('stays in its dir whatever the cluster and group are called', () => {
    const env = { RMQ_PROFILES_FILE: '/state/rmq/profiles.json' };
    const p = resendLogPath('../..', '%DLQ%|x', env);
    assert.equal(dirname(dirname(p)), '/state/rmq/dlq-resend');
    assert.ok(!p.includes('/../'), p);
  });

  it('a damaged line costs that entry, not the log', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rmq-dlq-log-'));
    try {
      const file = join(dir, 'sub', 'g.ndjson');
      const at = { brokerName: 'b', queueId: 0, queueOffset: 1, msgId: 'M1' };
      await appendResendLog(file, { ...at, at: 'now', to: 't', newMsgId: 'N' });
      writeFileSync(file, `${'{"brokerName":"b","queueId":0,"queueOff'}\n[]\nnull\n`, { flag: 'a' });
      await appendResendLog(file, { ...at, queueOffset: 2, msgId: 'M2', at: 'now', to: 't', newMsgId: 'N' });
      const keys = await readResendLog(file);
      assert.deepEqual([...keys].sort(), [entryKey(at), entryKey({ ...at, queueOffset: 2, msgId: 'M2' })]);
      assert.equal((await readResendLog(join(dir, 'none.ndjson'))).size, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
