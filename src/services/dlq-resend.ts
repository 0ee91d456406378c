/**
 * `rmq dlq resend`: sends dead letters back to the topic they were sent to (or --to), planned
 * first. Each goes out as a new message with the same body, keys, tags, message group, flag,
 * user properties and message id (UNIQ_KEY, so an idempotent consumer knows it); the retry
 * bookkeeping the broker added (RETRY_TOPIC, ORIGIN_MESSAGE_ID, DELAY, reconsume counts…) is
 * left behind, so the message starts over. The dead letter stays in the DLQ; the resend log
 * (dlq-log.ts) remembers it was sent, and a later run skips it unless --again.
 *
 * The plan reads the DLQ without bodies; applying reads each message again by its queue offset,
 * so a resend of a large DLQ never holds more than one body.
 */
import type { Admin } from '../core/client/admin.js';
import { validateTopicName } from '../core/client/admin.js';
import { MQClient } from '../core/client/mq-client.js';
import { Producer } from '../core/client/producer.js';
import { MessageQuery } from '../core/client/query.js';
import type { ClientSecurity } from '../core/client/remoting-client.js';
import { NotFoundError } from '../core/errors.js';
import { type MessageExt, Prop, SYSTEM_PROPERTIES } from '../core/protocol/message.js';
import type { OutgoingMessage } from '../core/client/outgoing-message.js';
import { checkFilter, type DlqFilter, type DlqPosition, originTopicOf, scanDlq } from './dlq.js';
import { appendResendLog, entryKey, readResendLog, resendLogPath } from './dlq-log.js';
import { bodyErrorText } from './message-record.js';

/** The producer group resends are sent under. */
export const RESEND_PRODUCER_GROUP = 'rmq-dlq-resend';

export interface DlqResendItem {
  msgId: string;
  brokerName: string;
  queueId: number;
  queueOffset: number;
  originTopic: string | null;
  /** Where it goes: --to, else the original topic; null when neither is known. */
  to: string | null;
  /** planned: will be sent; then resent or failed. skipped: in the resend log (no --again). */
  status: 'planned' | 'resent' | 'skipped' | 'failed';
  /** Why skipped or failed. */
  reason: string | null;
  /** Offset id of the copy stored in `to`, once resent. */
  newOffsetMsgId: string | null;
}

export interface DlqResendResult {
  group: string;
  topic: string;
  to: string | null;
  dryRun: boolean;
  again: boolean;
  /** The resend log of this cluster and group. */
  logFile: string;
  /** Messages the plan sends. */
  planned: number;
  resent: number;
  skipped: number;
  failed: number;
  /** True when --limit stopped the scan: more may match. */
  truncated: boolean;
  messages: DlqResendItem[];
}

export interface DlqResendInput extends DlqFilter {
  group: string;
  to?: string | undefined;
  again: boolean;
  dryRun: boolean;
  namesrv: string[];
  timeoutMs: number;
  security?: ClientSecurity | undefined;
  maxBodyBytes?: number | undefined;
}

/** The message to send for a dead letter: what the producer sent, minus the retry bookkeeping. */
export function resendMessage(m: MessageExt, to: string): OutgoingMessage {
  const properties: [string, string][] = Object.entries(m.properties).filter(
    ([k]) => !SYSTEM_PROPERTIES.has(k),
  );
  const uniq = m.properties[Prop.UNIQ_KEY];
  if (uniq) properties.push([Prop.UNIQ_KEY, uniq]);
  const keys = (m.properties[Prop.KEYS] ?? '').split(' ').filter((k) => k.length > 0);
  return {
    topic: to,
    body: m.body,
    tags: m.properties[Prop.TAGS],
    keys: keys.length > 0 ? keys : undefined,
    properties: Object.fromEntries(properties),
    messageGroup: m.properties[Prop.SHARDING_KEY],
    flag: m.flag,
  };
}

async function topicExists(admin: Admin, topic: string): Promise<boolean> {
  try {
    await admin.namesrv.getTopicRoute(topic);
    return true;
  } catch (err) {
    if (err instanceof NotFoundError) return false;
    throw err;
  }
}

/** The cluster(s) the DLQ lives in, for the log's name: brokers of one name can be re-addressed. */
async function clusterKey(admin: Admin, group: string, brokerNames: Set<string>): Promise<string> {
  const info = await admin.getClusterInfo();
  let names = info.brokers.filter((b) => brokerNames.has(b.brokerName)).map((b) => b.cluster);
  if (names.length === 0) {
    const held = new Set((await admin.groupBrokers(group)).map((b) => b.brokerName));
    names = info.brokers.filter((b) => held.has(b.brokerName)).map((b) => b.cluster);
  }
  return [...new Set(names)].sort().join('+') || 'unknown-cluster';
}

export async function planDlqResend(
  admin: Admin,
  input: DlqResendInput,
): Promise<{ plan: DlqResendResult; apply: () => Promise<DlqResendResult> }> {
  checkFilter(input);
  if (input.to !== undefined) {
    validateTopicName(input.to);
    if (!(await topicExists(admin, input.to))) {
      throw new NotFoundError(`topic "${input.to}" does not exist`, {
        hint: `create it first (\`rmq topic create ${input.to}\`) or leave out --to`,
      });
    }
  }
  const found: { item: DlqResendItem; at: DlqPosition }[] = [];
  const limit = input.limit ?? Number.POSITIVE_INFINITY;
  let truncated = false;
  const { topic } = await scanDlq(admin, input.group, input, (m, at) => {
    if (found.length >= limit) {
      truncated = true;
      return false;
    }
    const originTopic = originTopicOf(m);
    found.push({
      at,
      item: {
        msgId: m.msgId,
        brokerName: at.brokerName,
        queueId: at.queueId,
        queueOffset: at.queueOffset,
        originTopic,
        to: input.to ?? originTopic,
        status: 'planned',
        reason: null,
        newOffsetMsgId: null,
      },
    });
    return true;
  });
  const logFile = resendLogPath(
    await clusterKey(admin, input.group, new Set(found.map((f) => f.at.brokerName))),
    input.group,
  );
  const done = await readResendLog(logFile);
  const exists = new Map<string, boolean>();
  for (const { item } of found) {
    if (item.to === null) {
      item.status = 'failed';
      item.reason = 'the broker recorded no original topic: pass --to';
      continue;
    }
    if (!input.again && done.has(entryKey(item))) {
      item.status = 'skipped';
      item.reason = 'resent before (see the resend log; --again sends it anyway)';
      continue;
    }
    if (!exists.has(item.to)) exists.set(item.to, await topicExists(admin, item.to));
    if (!exists.get(item.to)) {
      item.status = 'failed';
      item.reason = `topic ${item.to} does not exist`;
    }
  }
  const result = (): DlqResendResult => {
    const items = found.map((f) => f.item);
    const count = (s: DlqResendItem['status']) => items.filter((i) => i.status === s).length;
    return {
      group: input.group,
      topic,
      to: input.to ?? null,
      dryRun: input.dryRun,
      again: input.again,
      logFile,
      planned: count('planned') + count('resent'),
      resent: count('resent'),
      skipped: count('skipped'),
      failed: count('failed'),
      truncated,
      messages: items,
    };
  };
  const plan = result();
  const apply = async (): Promise<DlqResendResult> => {
    const todo = found.filter((f) => f.item.status === 'planned');
    if (todo.length === 0) return result();
    const client = new MQClient({ namesrv: input.namesrv, timeoutMs: input.timeoutMs, ...input.security });
    try {
      const producer = new Producer(client, { group: RESEND_PRODUCER_GROUP, timeoutMs: input.timeoutMs });
      const reader = new MessageQuery(admin.client, admin.namesrv, { maxBodyBytes: input.maxBodyBytes });
      client.start();
      for (const { item, at } of todo) {
        try {
          const page = await reader.pull(at.address, topic, at.queueId, at.queueOffset, 1);
          const m = page.messages[0];
          if (!m || m.queueOffset !== at.queueOffset || m.msgId !== item.msgId) {
            throw new Error('no longer in the DLQ (expired or deleted since the plan)');
          }
          if (m.bodyError) throw new Error(bodyErrorText(m.bodyError));
          const sent = await producer.send(resendMessage(m, item.to!));
          item.status = 'resent';
          item.newOffsetMsgId = sent.offsetMsgId;
        } catch (err) {
          item.status = 'failed';
          item.reason = (err as Error).message;
          continue;
        }
        try {
          await appendResendLog(logFile, {
            at: new Date().toISOString(),
            brokerName: item.brokerName,
            queueId: item.queueId,
            queueOffset: item.queueOffset,
            msgId: item.msgId,
            to: item.to!,
            newMsgId: item.newOffsetMsgId,
          });
        } catch (err) {
          // Sent all the same: a later run without the entry would send it once more.
          item.reason = `resent, but not written to the resend log: ${(err as Error).message}`;
        }
      }
    } finally {
      await client.shutdown();
    }
    return result();
  };
  return { plan, apply };
}
