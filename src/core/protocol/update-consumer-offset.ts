/**
 * UPDATE_CONSUMER_OFFSET (15): commit a group's offset of one queue (Java:
 * UpdateConsumerOffsetRequestHeader, ConsumerManageProcessor; 4.9 and 5.x alike).
 *
 * Request extFields: consumerGroup string | topic string | queueId int | commitOffset int64
 *   (the next offset to consume) | bname string (the queue's broker, when known: a 5.x proxy
 *   routes by it). No body.
 *
 * Response codes (UPDATE_CONSUMER_OFFSET_ACCEPT): SUCCESS; no extFields. Java sends it oneway;
 * rmq waits for the answer (see the consumer's offset committer for why).
 */
import { ResponseCode } from '../remoting/codes.js';
import type { QueueOfGroup } from './query-consumer-offset.js';

export const UPDATE_CONSUMER_OFFSET_ACCEPT: readonly number[] = [ResponseCode.SUCCESS];

export function updateConsumerOffsetHeader(
  r: QueueOfGroup & { commitOffset: number },
): Record<string, string> {
  const ext: Record<string, string> = {
    consumerGroup: r.consumerGroup,
    topic: r.topic,
    queueId: String(r.queueId),
    commitOffset: String(r.commitOffset),
  };
  if (r.brokerName) ext.bname = r.brokerName;
  return ext;
}
