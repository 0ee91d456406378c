/**
 * QUERY_MESSAGE (12): messages by key or unique key through the broker's index, sent to every
 * broker of the topic's route (Java: QueryMessageRequestHeader, QueryMessageProcessor,
 * MQAdminImpl).
 *
 * Request extFields: topic string | key string | maxNum int | beginTimestamp int64 (ms)
 *   | endTimestamp int64 (ms) | _UNIQUE_KEY_QUERY bool ("true": key is a UNIQ_KEY; the broker then
 *   replaces maxNum with its defaultQueryMaxNum, 32; "false": a KEYS key, capped by
 *   maxMsgsNumBatch, 64).
 *
 * Response codes (QUERY_MESSAGE_ACCEPT): SUCCESS, stored-message records in the body
 * (message.ts); QUERY_NOT_FOUND when the index has none. The index is keyed by `topic#key`, so a
 * hash collision returns other messages too: isQueryHit keeps what MQAdminImpl keeps.
 */
import { ResponseCode } from '../remoting/codes.js';
import { type MessageExt, Prop } from './message.js';

export const QUERY_MESSAGE_ACCEPT: readonly number[] = [ResponseCode.SUCCESS, ResponseCode.QUERY_NOT_FOUND];

/** The broker's caps when maxNum is not given: defaultQueryMaxNum and maxMsgsNumBatch. */
export const DEFAULT_UNIQUE_QUERY_MAX = 32;
export const DEFAULT_KEY_QUERY_MAX = 64;

export interface QueryMessage {
  topic: string;
  key: string;
  /** true: `key` is a UNIQ_KEY; false: one of the KEYS. */
  unique: boolean;
  maxNum?: number | undefined;
  beginMs?: number | undefined;
  endMs?: number | undefined;
}

export function queryMessageHeader(q: QueryMessage): Record<string, string> {
  return {
    topic: q.topic,
    key: q.key,
    maxNum: String(q.maxNum ?? (q.unique ? DEFAULT_UNIQUE_QUERY_MAX : DEFAULT_KEY_QUERY_MAX)),
    beginTimestamp: String(Math.max(0, Math.floor(q.beginMs ?? 0))),
    endTimestamp: String(Math.floor(q.endMs ?? Number.MAX_SAFE_INTEGER)),
    _UNIQUE_KEY_QUERY: String(q.unique),
  };
}

/** Whether a returned message is one the query asked for, not a hash neighbour of it. */
export function isQueryHit(q: Pick<QueryMessage, 'topic' | 'key' | 'unique'>, m: MessageExt): boolean {
  return q.unique
    ? m.msgId === q.key
    : m.topic === q.topic && (m.properties[Prop.KEYS] ?? '').split(' ').includes(q.key);
}
