/**
 * `rmq dlq list`: the dead letters of a consumer group, read from %DLQ%<group> without consuming
 * them: PULL_MESSAGE with the tools group (TOOLS_CONSUMER, which every broker has) and no offset
 * committed, so neither the named group nor any other moves.
 *
 * What a dead letter says about itself (the broker's CONSUMER_SEND_MSG_BACK, see
 * core/protocol/consumer-send-back.ts): RETRY_TOPIC holds the topic it was sent to,
 * ORIGIN_MESSAGE_ID the offset id of the first stored copy, UNIQ_KEY the producer's message id,
 * reconsumeTimes the deliveries that failed, storeTimestamp when it was stored in the DLQ (the
 * last failure). A proxy's DLQ forward (5.x, pop consumers) writes DLQ_ORIGIN_TOPIC and
 * DLQ_ORIGIN_MESSAGE_ID instead; both are read.
 *
 * The first failure is not recorded anywhere: the retry topic's copies carry no time of their
 * own. It is known only when there was one failure (reconsumeTimes 1: first = last); otherwise
 * firstFailureTime is null and bornTime (the producer's send) bounds it from below.
 */
import { type Admin, validateGroupName } from '../core/client/admin.js';
import { dlqTopic } from '../core/client/consumer.js';
import { MessageQuery, routeBrokers } from '../core/client/query.js';
import { BrokerResponseError, InvalidArgumentError, NotFoundError } from '../core/errors.js';
import { type MessageExt, Prop, SYSTEM_PROPERTIES } from '../core/protocol/message.js';
import { ResponseCode } from '../core/remoting/codes.js';
import { parseDuration } from '../core/util/units.js';

export interface DlqFilter {
  /** A message key the dead letter must carry (one of KEYS). */
  key?: string | undefined;
  /** The tag it must carry. */
  tag?: string | undefined;
  /** Stored in the DLQ (last failure) at or after this epoch ms. */
  sinceMs?: number | undefined;
  /** Stored in the DLQ before this epoch ms. */
  untilMs?: number | undefined;
  /** At most this many matching messages. */
  limit?: number | undefined;
}

export interface DlqMessage {
  /** UNIQ_KEY: the producer's message id. */
  msgId: string;
  /** Offset id of this copy in the DLQ. */
  offsetMsgId: string;
  /** The topic it was sent to; null when the broker recorded none. */
  originTopic: string | null;
  /** Offset id of the first stored copy (in the original topic). */
  originMsgId: string | null;
  brokerName: string;
  queueId: number;
  queueOffset: number;
  reconsumeTimes: number;
  /** When the producer sent it. */
  bornTime: string;
  /** When it was stored in the DLQ: the last failure. */
  lastFailureTime: string;
  /** Known only after a single failure (then the same as lastFailureTime), else null. */
  firstFailureTime: string | null;
  tags: string | null;
  keys: string[];
  properties: Record<string, string>;
  bodyBytes: number;
}

export interface DlqListResult {
  group: string;
  topic: string;
  /** Messages in the DLQ now, whatever the filters. */
  total: number;
  /** Listed (matching, up to --limit). */
  count: number;
  /** True when --limit stopped the scan: more may match. */
  truncated: boolean;
  messages: DlqMessage[];
}

/** Where one dead letter is: enough to read it again. */
export interface DlqPosition {
  brokerName: string;
  address: string;
  queueId: number;
  queueOffset: number;
}

/** Parses --since/--until: an ISO time, epoch ms, or a duration back from now (30m, 2h, 7d). */
export function parseTimeBound(input: string, flag: string, now = Date.now()): number {
  const v = input.trim();
  if (/^\d{10,}$/.test(v)) return Number(v);
  if (/^\d+(\.\d+)?\s*[a-z]+$/i.test(v)) {
    const days = /^(\d+)\s*d$/i.exec(v);
    return now - (days ? Number(days[1]) * 86_400_000 : parseDuration(v, flag));
  }
  const t = Date.parse(v);
  if (Number.isNaN(t)) {
    throw new InvalidArgumentError(`invalid ${flag} "${input}"`, {
      hint: 'use an ISO time like 2026-11-22T10:00:00Z, epoch milliseconds, or a duration back from now like 2h or 7d',
    });
  }
  return t;
}

export function checkFilter(f: DlqFilter): void {
  if (f.limit !== undefined && (!Number.isInteger(f.limit) || f.limit < 1)) {
    throw new InvalidArgumentError(`--limit must be a whole number of at least 1, got ${f.limit}`);
  }
  if (f.sinceMs !== undefined && f.untilMs !== undefined && f.sinceMs >= f.untilMs) {
    throw new InvalidArgumentError('--since must be before --until');
  }
}

export function matches(m: MessageExt, f: DlqFilter): boolean {
  if (f.tag !== undefined && m.properties[Prop.TAGS] !== f.tag) return false;
  if (f.key !== undefined && !(m.properties[Prop.KEYS] ?? '').split(' ').includes(f.key)) return false;
  if (f.sinceMs !== undefined && m.storeTimestamp < f.sinceMs) return false;
  if (f.untilMs !== undefined && m.storeTimestamp >= f.untilMs) return false;
  return true;
}

export function originTopicOf(m: MessageExt): string | null {
  return m.properties[Prop.RETRY_TOPIC] ?? m.properties[Prop.DLQ_ORIGIN_TOPIC] ?? null;
}

export function toDlqMessage(m: MessageExt, brokerName: string): DlqMessage {
  const properties: [string, string][] = Object.entries(m.properties).filter(
    ([k]) => !SYSTEM_PROPERTIES.has(k),
  );
  const last = new Date(m.storeTimestamp).toISOString();
  return {
    msgId: m.msgId,
    offsetMsgId: m.offsetMsgId,
    originTopic: originTopicOf(m),
    originMsgId: m.properties[Prop.ORIGIN_MESSAGE_ID] ?? m.properties[Prop.DLQ_ORIGIN_MESSAGE_ID] ?? null,
    brokerName,
    queueId: m.queueId,
    queueOffset: m.queueOffset,
    reconsumeTimes: m.reconsumeTimes,
    bornTime: new Date(m.bornTimestamp).toISOString(),
    lastFailureTime: last,
    firstFailureTime: m.reconsumeTimes <= 1 ? last : null,
    tags: m.properties[Prop.TAGS] ?? null,
    keys: (m.properties[Prop.KEYS] ?? '').split(' ').filter((k) => k.length > 0),
    // Entries, then fromEntries: a property named "__proto__" must stay a property.
    properties: Object.fromEntries(properties),
    bodyBytes: m.bodyError ? m.bodyError.storedBytes : m.body.length,
  };
}

/** A DLQ queue with its offsets. */
interface DlqQueue {
  brokerName: string;
  address: string;
  queueId: number;
  minOffset: number;
  maxOffset: number;
}

/**
 * The DLQ's queues; an empty list when the group has no DLQ yet. NotFoundError when the group
 * does not exist (a DLQ without its group is still listed: groups can be deleted, letters stay).
 */
export async function dlqQueues(admin: Admin, group: string): Promise<{ topic: string; queues: DlqQueue[] }> {
  validateGroupName(group);
  const topic = dlqTopic(group);
  let route: Awaited<ReturnType<Admin['namesrv']['getTopicRoute']>> | undefined;
  try {
    route = await admin.namesrv.getTopicRoute(topic);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
  if (!route) {
    await admin.groupBrokers(group); // throws NotFoundError for an unknown group
    return { topic, queues: [] };
  }
  const queues: DlqQueue[] = [];
  for (const b of routeBrokers(route)) {
    for (const s of await admin.topicStats(b.address, topic)) {
      queues.push({ ...b, queueId: s.mq.queueId, minOffset: s.minOffset, maxOffset: s.maxOffset });
    }
  }
  queues.sort((a, b) => a.brokerName.localeCompare(b.brokerName) || a.queueId - b.queueId);
  return { topic, queues };
}

/** A DLQ written before 4.x made it readable: say how to read it. */
function permissionHint(err: unknown, topic: string): unknown {
  if (err instanceof BrokerResponseError && err.responseCode === ResponseCode.NO_PERMISSION) {
    return new BrokerResponseError(err.responseCode, err.remark, err.address, {
      hint: `the DLQ is not readable; make it so with \`rmq topic update '${topic}' --perm rw\``,
    });
  }
  return err;
}

/**
 * Every matching dead letter, oldest first per queue, read page by page (bodies as stored, not
 * kept): `visit` sees each match and returns false to stop.
 */
export async function scanDlq(
  admin: Admin,
  group: string,
  filter: DlqFilter,
  visit: (m: MessageExt, at: DlqPosition) => boolean,
  options: { maxBodyBytes?: number | undefined } = {},
): Promise<{ topic: string; total: number; stopped: boolean }> {
  const { topic, queues } = await dlqQueues(admin, group);
  const q = new MessageQuery(admin.client, admin.namesrv, options);
  let total = 0;
  for (const x of queues) total += x.maxOffset - x.minOffset;
  for (const x of queues) {
    let next = x.minOffset;
    while (next < x.maxOffset) {
      let page;
      try {
        page = await q.pull(x.address, topic, x.queueId, next, 32, { inflate: false });
      } catch (err) {
        throw permissionHint(err, topic);
      }
      if (page.messages.length === 0) break;
      for (const m of page.messages) {
        if (!matches(m, filter)) continue;
        if (
          !visit(m, {
            brokerName: x.brokerName,
            address: x.address,
            queueId: x.queueId,
            queueOffset: m.queueOffset,
          })
        )
          return { topic, total, stopped: true };
      }
      next = page.nextOffset;
    }
  }
  return { topic, total, stopped: false };
}

export async function listDlq(admin: Admin, input: { group: string } & DlqFilter): Promise<DlqListResult> {
  checkFilter(input);
  const messages: DlqMessage[] = [];
  const limit = input.limit ?? Number.POSITIVE_INFINITY;
  let truncated = false;
  const { topic, total } = await scanDlq(admin, input.group, input, (m, at) => {
    if (messages.length >= limit) {
      truncated = true;
      return false;
    }
    messages.push(toDlqMessage(m, at.brokerName));
    return true;
  });
  return { group: input.group, topic, total, count: messages.length, truncated, messages };
}
