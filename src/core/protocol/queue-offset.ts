/**
 * A queue's offsets: GET_MAX_OFFSET (30), GET_MIN_OFFSET (31), SEARCH_OFFSET_BY_TIMESTAMP (29)
 * (Java: GetMaxOffsetRequestHeader, GetMinOffsetRequestHeader, SearchOffsetRequestHeader and
 * their response headers; 4.9 and 5.x alike). One module for the three: they share the request
 * fields and the answer, and differ only in the code and SEARCH's timestamp.
 *
 * Request extFields: topic string | queueId int | timestamp int64 epoch ms (SEARCH only)
 *   | bname string (the queue's broker, when known: a 5.x proxy routes by it).
 * Response codes (QUEUE_OFFSET_ACCEPT): SUCCESS; extField offset int64. The max offset is the
 * offset the next message will get; SEARCH answers the first offset stored at or after the time.
 */
import type { MessageQueue } from './admin.js';
import { ResponseCode } from '../remoting/codes.js';
import type { RemotingCommand } from '../remoting/command.js';

export const QUEUE_OFFSET_ACCEPT: readonly number[] = [ResponseCode.SUCCESS];

/** A queue; its broker name when the caller knows it. */
export type QueueRef = Pick<MessageQueue, 'topic' | 'queueId'> & { brokerName?: string | undefined };

/** The extFields of GET_MAX_OFFSET and GET_MIN_OFFSET. */
export function queueOffsetHeader(mq: QueueRef): Record<string, string> {
  const ext: Record<string, string> = { topic: mq.topic, queueId: String(mq.queueId) };
  if (mq.brokerName) ext.bname = mq.brokerName;
  return ext;
}

/** The extFields of SEARCH_OFFSET_BY_TIMESTAMP. */
export function searchOffsetHeader(mq: QueueRef, timestampMs: number): Record<string, string> {
  return { ...queueOffsetHeader(mq), timestamp: String(timestampMs) };
}

/** The answered offset (0 when the broker sent none). */
export function readQueueOffset(res: RemotingCommand): number {
  return Number(res.extFields.offset ?? 0);
}
