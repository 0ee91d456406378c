/**
 * CONSUMER_SEND_MSG_BACK (36): hand a message the handler rejected back to the broker, which
 * stores it again in %RETRY%<group> (original topic in the RETRY_TOPIC property), or in
 * %DLQ%<group> (Java: ConsumerSendMsgBackRequestHeader, AbstractSendMessageProcessor
 * .consumerSendMsgBack; 4.9 and 5.x alike).
 *
 * Request extFields: offset int64 (the message's commit-log offset) | group string
 *   | delayLevel int (0: the broker picks 3 + reconsumeTimes; -1: straight to the DLQ)
 *   | originMsgId string | originTopic string | unitMode bool ("false") | maxReconsumeTimes int
 *   | bname string (the broker the message was pulled from, when known: a 5.x proxy routes by it).
 * Response codes (CONSUMER_SEND_BACK_ACCEPT): SUCCESS; no extFields.
 */
import { ResponseCode } from '../remoting/codes.js';

export const CONSUMER_SEND_BACK_ACCEPT: readonly number[] = [ResponseCode.SUCCESS];

/** delayLevel that sends the message to the dead-letter queue at once. */
export const DELAY_LEVEL_DLQ = -1;

export interface SendBack {
  commitLogOffset: number;
  group: string;
  delayLevel: number;
  originMsgId: string;
  originTopic: string;
  maxReconsumeTimes: number;
  /** The broker the message came from (bname), for a 5.x proxy. */
  brokerName?: string | undefined;
}

export function consumerSendBackHeader(r: SendBack): Record<string, string> {
  const ext: Record<string, string> = {
    offset: String(r.commitLogOffset),
    group: r.group,
    delayLevel: String(r.delayLevel),
    originMsgId: r.originMsgId,
    originTopic: r.originTopic,
    unitMode: 'false',
    maxReconsumeTimes: String(r.maxReconsumeTimes),
  };
  if (r.brokerName) ext.bname = r.brokerName;
  return ext;
}
