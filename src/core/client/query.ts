/**
 * Finding stored messages: by key or unique key through the broker's index (QUERY_MESSAGE 12),
 * by offset message id (VIEW_MESSAGE_BY_ID 33, at the store host the id names), and by queue
 * offset (PULL_MESSAGE 11 without committing anything).
 *
 * QUERY_MESSAGE: ext `topic key maxNum beginTimestamp endTimestamp` + `_UNIQUE_KEY_QUERY`; sent to
 * every broker of the topic's route, answered with stored-message records (22 when none). The
 * index is keyed by `topic#key`, so a hash collision can return other messages: results are
 * filtered as Java's MQAdminImpl does (KEYS contain the key and the topic matches; or UNIQ_KEY
 * equals the id). A unique-key query makes the broker use its defaultQueryMaxNum (32); a key
 * query is capped by maxMsgsNumBatch (64).
 */
import { ConnectionError, NotFoundError, ProtocolError } from '../errors.js';
import {
  DEFAULT_MAX_BODY_BYTES,
  decodeMessages,
  decodeOffsetMsgId,
  inflateBody,
  type MessageExt,
} from '../protocol/message.js';
import { PULL_ACCEPT, pullMessageHeader, readPullResponse } from '../protocol/pull-message.js';
import {
  isQueryHit,
  QUERY_MESSAGE_ACCEPT,
  type QueryMessage,
  queryMessageHeader,
} from '../protocol/query-message.js';
import {
  QUERY_CONSUMER_OFFSET_ACCEPT,
  queryConsumerOffsetHeader,
  readConsumerOffset,
} from '../protocol/query-consumer-offset.js';
import { masterAddress, type TopicRoute } from '../protocol/route.js';
import { VIEW_MESSAGE_BY_ID_ACCEPT, viewMessageByIdHeader } from '../protocol/view-message-by-id.js';
import { RequestCode, ResponseCode } from '../remoting/codes.js';
import { parseFastjson } from '../remoting/fastjson.js';
import type { NameServerClient } from './namesrv.js';
import type { RemotingClient } from './remoting-client.js';

/** The group mqadmin's tools pull with; brokers create it at start, so pulling with it adds no group. */
export const TOOLS_CONSUMER_GROUP = 'TOOLS_CONSUMER';

export interface FoundMessage {
  message: MessageExt;
  brokerName: string;
  /** Address of the broker that answered. */
  address: string;
}

export interface IndexQueryOptions {
  /** Messages per broker (the broker caps it at 64; 32 for unique keys). */
  maxNum?: number;
  beginMs?: number;
  endMs?: number;
  timeoutMs?: number;
}

export interface IndexQueryResult {
  found: FoundMessage[];
  /** Brokers that could not be asked (their part of the answer is missing). */
  failedBrokers: { brokerName: string; error: string }[];
}

export interface PullResult {
  messages: MessageExt[];
  minOffset: number;
  maxOffset: number;
  /** Where the next read would start. */
  nextOffset: number;
}

/** Brokers of a route with a usable address, master preferred. */
export function routeBrokers(route: TopicRoute): { brokerName: string; address: string }[] {
  const out: { brokerName: string; address: string }[] = [];
  for (const b of route.brokers) {
    const address = masterAddress(b) ?? [...b.addrs.values()][0];
    if (address) out.push({ brokerName: b.brokerName, address });
  }
  return out;
}

/**
 * The store address an offset message id names, when the id is one: it decodes and (if
 * `brokerAddresses` is given) names a known broker. A UNIQ_KEY also decodes (both are 32 or 56
 * hex characters), but its "address" is an IP, pid and hash, which names no broker.
 */
export function offsetIdAddress(id: string, brokerAddresses?: ReadonlySet<string>): string | undefined {
  let address: string;
  try {
    address = decodeOffsetMsgId(id).address;
  } catch {
    return undefined;
  }
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  if (!(port > 0 && port < 65536)) return undefined;
  if (brokerAddresses && !brokerAddresses.has(address)) return undefined;
  return address;
}

export interface MessageQueryOptions {
  /** Largest inflated body (see inflateBody); larger ones come back as stored with bodyError. */
  maxBodyBytes?: number | undefined;
}

/**
 * Bodies are inflated only for the messages a method returns, one at a time, after filtering:
 * an index answer of 64 records that hash-collided with the key costs no inflating.
 */
export class MessageQuery {
  readonly maxBodyBytes: number;

  constructor(
    readonly client: RemotingClient,
    readonly namesrv: NameServerClient,
    options: MessageQueryOptions = {},
  ) {
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  }

  /**
   * QUERY_MESSAGE on every broker of the topic; messages whose KEYS hold `key` (or, with
   * `unique`, whose UNIQ_KEY is `key`), oldest first. NotFoundError if the topic has no route.
   * @example await query.byKey('orders', 'order-42', { unique: false })
   */
  async byKey(
    topic: string,
    key: string,
    options: IndexQueryOptions & { unique?: boolean } = {},
  ): Promise<IndexQueryResult> {
    const route = await this.namesrv.getTopicRoute(topic);
    const brokers = routeBrokers(route);
    const query: QueryMessage = {
      topic,
      key,
      unique: options.unique ?? false,
      maxNum: options.maxNum,
      beginMs: options.beginMs,
      endMs: options.endMs,
    };
    const ext = queryMessageHeader(query);
    const timeoutMs = options.timeoutMs ?? this.client.timeoutMs * 3;
    const result: IndexQueryResult = { found: [], failedBrokers: [] };
    const errors: unknown[] = [];
    await Promise.all(
      brokers.map(async (b) => {
        try {
          const res = await this.client.call(b.address, RequestCode.QUERY_MESSAGE, ext, {
            timeoutMs,
            accept: QUERY_MESSAGE_ACCEPT,
          });
          if (res.code !== ResponseCode.SUCCESS) return;
          for (const m of decodeMessages(res.body, { inflate: false })) {
            if (isQueryHit(query, m)) {
              inflateBody(m, this.maxBodyBytes);
              result.found.push({ message: m, brokerName: b.brokerName, address: b.address });
            }
          }
        } catch (err) {
          errors.push(err);
          result.failedBrokers.push({ brokerName: b.brokerName, error: (err as Error).message });
        }
      }),
    );
    if (brokers.length > 0 && errors.length === brokers.length) throw errors[0];
    result.found.sort(
      (a, b) =>
        a.message.storeTimestamp - b.message.storeTimestamp ||
        a.message.commitLogOffset - b.message.commitLogOffset,
    );
    return result;
  }

  /**
   * VIEW_MESSAGE_BY_ID at the store host an offset message id names.
   * NotFoundError when the broker has no message at that offset.
   */
  async byOffsetId(
    id: string,
    options: { timeoutMs?: number; brokerName?: string } = {},
  ): Promise<FoundMessage> {
    const { address, offset } = decodeOffsetMsgId(id);
    let res;
    try {
      res = await this.client.call(address, RequestCode.VIEW_MESSAGE_BY_ID, viewMessageByIdHeader(offset), {
        timeoutMs: options.timeoutMs,
        accept: VIEW_MESSAGE_BY_ID_ACCEPT,
      });
    } catch (err) {
      if (err instanceof ConnectionError) {
        throw new ConnectionError(
          address,
          `cannot reach ${address}, the store host of ${id}: ${err.message}`,
          {
            cause: err,
            hint: 'an offset message id names the broker that stored the message; is it up and reachable?',
          },
        );
      }
      throw err;
    }
    if (res.code !== ResponseCode.SUCCESS) {
      throw new NotFoundError(`no message at commit-log offset ${offset} of ${address}`, {
        hint: 'the id may be wrong, or the commit log holding it was deleted',
      });
    }
    let messages: MessageExt[];
    try {
      messages = decodeMessages(res.body, { maxBodyBytes: this.maxBodyBytes });
    } catch (err) {
      // An offset that is not the start of a record reads garbage.
      if (err instanceof ProtocolError) {
        throw new NotFoundError(`no message starts at commit-log offset ${offset} of ${address}`);
      }
      throw err;
    }
    const message = messages[0];
    if (!message) throw new NotFoundError(`no message at commit-log offset ${offset} of ${address}`);
    return { message, brokerName: options.brokerName ?? '', address };
  }

  /**
   * Reads up to `count` messages of one queue from `offset` (PULL_MESSAGE with the subscription
   * in the header, committing nothing). Reads stop at the end of the queue.
   */
  async pull(
    address: string,
    topic: string,
    queueId: number,
    offset: number,
    count: number,
    options: { group?: string; timeoutMs?: number; inflate?: boolean } = {},
  ): Promise<PullResult> {
    const out: MessageExt[] = [];
    let next = offset;
    let minOffset = 0;
    let maxOffset = 0;
    for (let rounds = 0; out.length < count && rounds < 100_000; rounds++) {
      const ext = pullMessageHeader({
        consumerGroup: options.group ?? TOOLS_CONSUMER_GROUP,
        topic,
        queueId,
        queueOffset: next,
        maxMsgNums: Math.min(32, count - out.length),
        subscription: '*',
        subVersion: 0,
        expressionType: 'TAG',
      });
      const res = await this.client.call(address, RequestCode.PULL_MESSAGE, ext, {
        timeoutMs: options.timeoutMs,
        accept: PULL_ACCEPT,
      });
      const header = readPullResponse(res);
      minOffset = header.minOffset ?? minOffset;
      maxOffset = header.maxOffset ?? maxOffset;
      const nextBegin = header.nextBeginOffset ?? next;
      if (res.code === ResponseCode.SUCCESS) {
        for (const m of decodeMessages(res.body, { inflate: false })) {
          if (m.queueOffset < next || out.length >= count) continue;
          out.push(options.inflate === false ? m : inflateBody(m, this.maxBodyBytes));
        }
      } else if (res.code === ResponseCode.PULL_NOT_FOUND) {
        break;
      } else if (res.code === ResponseCode.PULL_OFFSET_MOVED && out.length === 0 && nextBegin > next) {
        // Below the queue's min offset (deleted): the caller asked for what is gone, so say so.
        next = nextBegin;
        break;
      }
      if (nextBegin <= next) break;
      next = nextBegin;
    }
    const last = out[out.length - 1];
    return { messages: out, minOffset, maxOffset, nextOffset: last ? last.queueOffset + 1 : next };
  }

  /**
   * A group's committed offset of one queue (the next offset it will consume), or null when it
   * has none there (QUERY_CONSUMER_OFFSET with setZeroIfNotFound=false, so "none" stays "none").
   */
  async consumerOffset(
    address: string,
    group: string,
    topic: string,
    queueId: number,
  ): Promise<number | null> {
    const res = await this.client.call(
      address,
      RequestCode.QUERY_CONSUMER_OFFSET,
      queryConsumerOffsetHeader({ consumerGroup: group, topic, queueId }),
      { accept: QUERY_CONSUMER_OFFSET_ACCEPT },
    );
    return readConsumerOffset(res) ?? null;
  }

  /**
   * Groups subscribed to a topic on a broker: online subscribers and groups with offsets
   * (QUERY_TOPIC_CONSUME_BY_WHO: ext `topic`; body {"groupList":[…]}).
   */
  async groupsOf(topic: string, address: string): Promise<string[]> {
    const res = await this.client.call(address, RequestCode.QUERY_TOPIC_CONSUME_BY_WHO, { topic });
    const body = parseFastjson(res.body ?? '{}') as { groupList?: unknown } | null;
    if (!body || typeof body !== 'object') throw new ProtocolError(`unreadable group list of ${topic}`);
    return Array.isArray(body.groupList) ? body.groupList.map(String) : [];
  }
}
