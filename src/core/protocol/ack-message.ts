/**
 * ACK_MESSAGE (200051, brokers 5.0+): a popped message is done; the broker will not deliver it
 * again (Java: AckMessageRequestHeader, AckMessageProcessor).
 *
 * Request extFields: consumerGroup string | topic string (the message's own: the topic, or the
 *   group's POP retry topic; pop-message.ts ackTopic) | queueId int | extraInfo string (the ack
 *   handle, pop-message.ts) | offset int64 (the message's queue offset) | bname string. No body.
 * Response: SUCCESS; NO_MESSAGE when the offset is out of the queue's range (e.g. the invisible
 *   time ran out and the message was revived elsewhere); MESSAGE_ILLEGAL for a bad handle.
 */
import { ResponseCode } from '../remoting/codes.js';
import { ackTopic, parseExtraInfo } from './pop-message.js';

export const ACK_MESSAGE_ACCEPT: readonly number[] = [ResponseCode.SUCCESS, ResponseCode.NO_MESSAGE];

export function ackMessageHeader(group: string, topic: string, extraInfo: string): Record<string, string> {
  const e = parseExtraInfo(extraInfo);
  return {
    consumerGroup: group,
    topic: ackTopic(topic, group, e.retry),
    queueId: String(e.queueId),
    extraInfo,
    offset: String(e.queueOffset),
    bname: e.brokerName,
  };
}
