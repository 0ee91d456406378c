/**
 * QUERY_CONSUMER_OFFSET (14): a group's committed offset of one queue (Java:
 * QueryConsumerOffsetRequestHeader, QueryConsumerOffsetResponseHeader, ConsumerManageProcessor).
 *
 * Request extFields: consumerGroup string | topic string | queueId int | setZeroIfNotFound bool
 *   (5.x; always "false": otherwise a 5.x broker answers 0 for a group it has never seen while
 *   the queue's first message is in memory, and "start from the last offset" would replay the
 *   queue. 4.9 ignores the key and answers 0 in that case.) | bname string (the queue's broker,
 *   when known: a 5.x proxy routes by it, see pull-message.ts)
 *
 * Response codes (QUERY_CONSUMER_OFFSET_ACCEPT): SUCCESS with extField offset int64, the next
 * offset the group will consume; QUERY_NOT_FOUND when the group has none there.
 */
import { ResponseCode } from '../remoting/codes.js';
import type { RemotingCommand } from '../remoting/command.js';

export const QUERY_CONSUMER_OFFSET_ACCEPT: readonly number[] = [
  ResponseCode.SUCCESS,
  ResponseCode.QUERY_NOT_FOUND,
];

export interface QueueOfGroup {
  consumerGroup: string;
  topic: string;
  queueId: number;
  /** The queue's broker name (bname), for a 5.x proxy; brokers ignore it. */
  brokerName?: string | undefined;
}

export function queryConsumerOffsetHeader(r: QueueOfGroup): Record<string, string> {
  const ext: Record<string, string> = {
    consumerGroup: r.consumerGroup,
    topic: r.topic,
    queueId: String(r.queueId),
    setZeroIfNotFound: 'false',
  };
  if (r.brokerName) ext.bname = r.brokerName;
  return ext;
}

/** The committed offset, or undefined when the group has none (or the broker sent no usable one). */
export function readConsumerOffset(res: RemotingCommand): number | undefined {
  if (res.code !== ResponseCode.SUCCESS) return undefined;
  const v = Number(res.extFields.offset);
  return Number.isFinite(v) && v >= 0 ? v : undefined;
}
