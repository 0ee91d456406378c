/**
 * `rmq message get | query | print`: reading stored messages without consuming them — by id
 * (unique key or offset message id), by key through the broker's index, or by queue offset.
 * Output formats are consume's (text, ndjson, body, template) plus `detail`, one message as
 * labelled lines; ui/message-render.ts renders them. Knows nothing of oclif or terminals.
 */
import type { Admin } from '../core/client/admin.js';
import { type FoundMessage, MessageQuery, routeBrokers } from '../core/client/query.js';
import { InvalidArgumentError, NotFoundError } from '../core/errors.js';
import type { MessageExt } from '../core/protocol/message.js';
import { TRACE_TOPIC_DEFAULT } from '../core/protocol/trace.js';
import { OUTPUT_FORMATS } from './consume.js';
import { type MessageRecord, toRecord } from './message-record.js';
import { locate } from './trace-locate.js';

export const MESSAGE_OUTPUT_FORMATS = ['detail', ...OUTPUT_FORMATS] as const;
export type MessageOutputFormat = (typeof MESSAGE_OUTPUT_FORMATS)[number];

/** --max-body: largest inflated body; larger ones come back with bodyError. */
export interface BodyLimit {
  maxBodyBytes?: number | undefined;
}

export interface MessageGetInput extends BodyLimit {
  id: string;
  topic?: string | undefined;
  beginMs?: number | undefined;
  endMs?: number | undefined;
}

export interface MessageGetResult extends MessageRecord {
  idKind: 'unique-key' | 'offset-id';
  commitLogOffset: number;
  /** Times the message is stored in its topic (more than 1: the producer sent it again). */
  copies: number;
}

export interface MessageQueryInput extends BodyLimit {
  topic: string;
  key: string;
  beginMs?: number | undefined;
  endMs?: number | undefined;
  limit: number;
}

export interface MessageQueryResult {
  topic: string;
  key: string;
  count: number;
  messages: MessageRecord[];
  /** Brokers that could not be asked; their messages are missing. */
  failedBrokers: { brokerName: string; error: string }[];
}

export interface MessagePrintInput extends BodyLimit {
  topic: string;
  queueId: number;
  offset: number;
  count: number;
  broker?: string | undefined;
}

export interface MessagePrintResult {
  topic: string;
  brokerName: string;
  queueId: number;
  fromOffset: number;
  /** Where a next read would start. */
  nextOffset: number;
  minOffset: number;
  maxOffset: number;
  messages: MessageRecord[];
}

/** What a command prints: the records plus the raw messages (for body and template output). */
export interface Printed<T> {
  result: T;
  found: { message: MessageExt; brokerName: string }[];
}

/**
 * One message by id. An offset id is read at its store host; a unique key is looked up in
 * --topic, else in the topic its trace names, else in every topic's index.
 */
export async function getMessage(admin: Admin, input: MessageGetInput): Promise<Printed<MessageGetResult>> {
  const id = input.id.trim();
  if (!/^[0-9A-Za-z]+$/.test(id)) {
    throw new InvalidArgumentError(`"${input.id}" is not a message id`, {
      hint: 'pass the message id (UNIQ_KEY) or the offset message id, as `rmq send` prints them',
    });
  }
  const q = new MessageQuery(admin.client, admin.namesrv, { maxBodyBytes: input.maxBodyBytes });
  const info = await admin.getClusterInfo();
  const loc = await locate(q, info, { ...input, id }, TRACE_TOPIC_DEFAULT);
  const first = loc.found[0];
  if (!first) {
    throw new NotFoundError(`message ${id} not found${input.topic ? ` in topic ${input.topic}` : ''}`, {
      hint: input.topic
        ? 'check the id (UNIQ_KEY or offset message id), --topic and --begin/--end'
        : 'pass --topic: without it only traced messages and topics the index knows are searched',
    });
  }
  return {
    result: {
      ...toRecord(first.message, first.brokerName || null),
      idKind: loc.idKind,
      commitLogOffset: first.message.commitLogOffset,
      copies: loc.found.length,
    },
    found: [first],
  };
}

/**
 * Messages whose KEYS hold `key`, through the index of every broker of the topic: the `limit` most
 * recently stored (what the index answers with), oldest first.
 */
export async function queryMessages(
  admin: Admin,
  input: MessageQueryInput,
): Promise<Printed<MessageQueryResult>> {
  if (!Number.isInteger(input.limit) || input.limit < 1) {
    throw new InvalidArgumentError(`--limit must be a whole number of at least 1, got ${input.limit}`);
  }
  const q = new MessageQuery(admin.client, admin.namesrv, { maxBodyBytes: input.maxBodyBytes });
  const { found, failedBrokers } = await q.byKey(input.topic, input.key, {
    unique: false,
    maxNum: Math.min(input.limit, 64),
    beginMs: input.beginMs,
    endMs: input.endMs,
  });
  // Several brokers may each return up to `limit`: keep the most recent overall.
  const kept: FoundMessage[] = found.slice(Math.max(0, found.length - input.limit));
  return {
    result: {
      topic: input.topic,
      key: input.key,
      count: kept.length,
      messages: kept.map((f) => toRecord(f.message, f.brokerName)),
      failedBrokers,
    },
    found: kept,
  };
}

/** Messages of one queue from an offset, read without consuming (no group offset moves). */
export async function printMessages(
  admin: Admin,
  input: MessagePrintInput,
): Promise<Printed<MessagePrintResult>> {
  if (!Number.isInteger(input.queueId) || input.queueId < 0) {
    throw new InvalidArgumentError(`--queue must be a whole number of at least 0, got ${input.queueId}`);
  }
  if (!Number.isInteger(input.offset) || input.offset < 0) {
    throw new InvalidArgumentError(`--offset must be a whole number of at least 0, got ${input.offset}`);
  }
  if (!Number.isInteger(input.count) || input.count < 1) {
    throw new InvalidArgumentError(`--count must be a whole number of at least 1, got ${input.count}`);
  }
  const route = await admin.namesrv.getTopicRoute(input.topic);
  const brokers = routeBrokers(route);
  let broker = brokers[0];
  if (input.broker) {
    broker = brokers.find((b) => b.brokerName === input.broker || b.address === input.broker);
    if (!broker) {
      throw new NotFoundError(`topic ${input.topic} has no queues on broker ${input.broker}`, {
        hint: `its brokers: ${brokers.map((b) => b.brokerName).join(', ')}`,
      });
    }
  } else if (brokers.length > 1) {
    throw new InvalidArgumentError(
      `topic ${input.topic} is on ${brokers.length} brokers: say which with --broker`,
      {
        hint: `its brokers: ${brokers.map((b) => b.brokerName).join(', ')}`,
      },
    );
  }
  if (!broker) throw new NotFoundError(`topic ${input.topic} has no broker with an address`);
  const queues = route.queues.find((x) => x.brokerName === broker.brokerName)?.readQueueNums ?? 0;
  if (input.queueId >= queues) {
    throw new InvalidArgumentError(
      `topic ${input.topic} has ${queues} read queue(s) on ${broker.brokerName}: --queue ${input.queueId} does not exist`,
    );
  }
  const q = new MessageQuery(admin.client, admin.namesrv, { maxBodyBytes: input.maxBodyBytes });
  const r = await q.pull(broker.address, input.topic, input.queueId, input.offset, input.count);
  if (r.messages.length === 0) {
    const why =
      input.offset < r.minOffset
        ? `offset ${input.offset} is below the queue's first offset ${r.minOffset} (older messages were deleted)`
        : `the queue ends at offset ${r.maxOffset}`;
    throw new NotFoundError(
      `no message at ${input.topic} ${broker.brokerName} queue ${input.queueId} offset ${input.offset}: ${why}`,
      { hint: `see \`rmq topic describe ${input.topic}\` for each queue's offsets` },
    );
  }
  return {
    result: {
      topic: input.topic,
      brokerName: broker.brokerName,
      queueId: input.queueId,
      fromOffset: input.offset,
      nextOffset: r.nextOffset,
      minOffset: r.minOffset,
      maxOffset: r.maxOffset,
      messages: r.messages.map((m) => toRecord(m, broker.brokerName)),
    },
    found: r.messages.map((message) => ({ message, brokerName: broker.brokerName })),
  };
}
