/**
 * CHANGE_MESSAGE_INVISIBLETIME (200053, brokers 5.0+): a popped message becomes visible again
 * after invisibleTime from now instead of when its pop said: a nack with a retry delay (Java:
 * ChangeInvisibleTimeRequestHeader, ChangeInvisibleTimeProcessor). The broker acks the old handle
 * and answers with a new pop time: the message's next ack needs a handle built from it.
 *
 * Request extFields: consumerGroup string | topic string (as for ACK_MESSAGE) | queueId int
 *   | extraInfo string (the ack handle) | offset int64 | invisibleTime int64 ms | bname string.
 * Response: SUCCESS with extFields popTime int64 | invisibleTime int64 | reviveQid int; NO_MESSAGE
 *   when the offset is out of the queue's range.
 */
import { ResponseCode } from '../remoting/codes.js';
import { ackMessageHeader } from './ack-message.js';

export const CHANGE_INVISIBLE_TIME_ACCEPT: readonly number[] = [
  ResponseCode.SUCCESS,
  ResponseCode.NO_MESSAGE,
];

export function changeInvisibleTimeHeader(
  group: string,
  topic: string,
  extraInfo: string,
  invisibleTimeMs: number,
): Record<string, string> {
  return { ...ackMessageHeader(group, topic, extraInfo), invisibleTime: String(Math.round(invisibleTimeMs)) };
}
