/**
 * POP_LITE_MESSAGE (200070, brokers 5.5+): pop the lite topics the client subscribed with
 * LITE_SUBSCRIPTION_CTL (Java: PopLiteMessageRequestHeader, PopLiteMessageResponseHeader,
 * PopLiteMessageProcessor, MQClientAPIImpl#processPopLiteResponse). The broker walks the
 * client's events (lite topics with messages) and takes up to maxMsgNum from them; each lite
 * topic is consumed in order: the next message of one comes after the previous one is acked.
 *
 * Request extFields: clientId string (the one the subscription named) | consumerGroup string
 *   (bound to the topic: its lite.bind.topic) | topic string (the LITE parent topic)
 *   | maxMsgNum int (≤ 32) | invisibleTime int64 ms | pollTime int64 ms | bornTime int64 ms
 *   | attemptId string (optional) | bname string (optional).
 * Response: SUCCESS with the messages in the body (stored records, message.ts), each with the
 *   properties INNER_MULTI_DISPATCH "%LMQ%$P$L" and INNER_MULTI_QUEUE_OFFSET (its offset in that
 *   LMQ); POLLING_FULL or POLLING_TIMEOUT when there is none. extFields: popTime int64
 *   | invisibleTime int64 | reviveQid int (999 for lite) | orderCountInfo (attempts, ";"-separated).
 *   Errors: TOPIC_NOT_EXIST, SUBSCRIPTION_GROUP_NOT_EXIST, INVALID_PARAMETER (not LITE, a group
 *   bound elsewhere, over 32), NO_PERMISSION.
 *
 * Ack: ACK_MESSAGE (ack-message.ts) with topic = the parent, queueId 0, offset = the LMQ offset,
 * liteTopic = the lite topic, and an extraInfo the client builds as Java's client does:
 *   "0 <popTime> <invisibleTime> 999 0 <brokerName> 0 <lmqOffset>"
 * The broker answers SUCCESS, or NO_MESSAGE for an offset past the LMQ's end.
 */
import { ProtocolError } from '../errors.js';
import { ResponseCode } from '../remoting/codes.js';
import type { RemotingCommand } from '../remoting/command.js';
import { liteTopicOf } from './lite-info.js';
import { type MessageExt, Prop } from './message.js';

export const POP_LITE_ACCEPT: readonly number[] = [
  ResponseCode.SUCCESS,
  ResponseCode.POLLING_FULL,
  ResponseCode.POLLING_TIMEOUT,
  ResponseCode.PULL_NOT_FOUND,
];

export const LITE_ACK_ACCEPT: readonly number[] = [ResponseCode.SUCCESS, ResponseCode.NO_MESSAGE];

/** The reviveQid a lite pop answers with; a lite ack's extraInfo carries it back. */
export const LITE_REVIVE_QID = 999;

export interface PopLiteRequest {
  clientId: string;
  consumerGroup: string;
  topic: string;
  maxMsgNum: number;
  invisibleTimeMs: number;
  pollTimeMs: number;
}

export function popLiteMessageHeader(r: PopLiteRequest, now = Date.now()): Record<string, string> {
  return {
    clientId: r.clientId,
    consumerGroup: r.consumerGroup,
    topic: r.topic,
    maxMsgNum: String(r.maxMsgNum),
    invisibleTime: String(r.invisibleTimeMs),
    pollTime: String(r.pollTimeMs),
    bornTime: String(now),
  };
}

const int = (v: string | undefined, what: string): number => {
  const n = Number(v);
  if (v === undefined || !/^-?\d{1,19}$/.test(v) || !Number.isSafeInteger(n)) {
    throw new ProtocolError(`lite POP reply: ${what} is not an integer (${String(v).slice(0, 40)})`);
  }
  return n;
};

export interface PopLiteResponseHeader {
  popTime: number;
  invisibleTime: number;
}

export function readPopLiteResponse(res: RemotingCommand): PopLiteResponseHeader {
  if (res.code !== ResponseCode.SUCCESS) return { popTime: 0, invisibleTime: 0 };
  return {
    popTime: int(res.extFields.popTime, 'popTime'),
    invisibleTime: int(res.extFields.invisibleTime, 'invisibleTime'),
  };
}

/** Where a popped lite message sits: its lite topic and its offset in the lite topic's LMQ. */
export function litePosition(m: MessageExt, parentTopic: string): { liteTopic: string; offset: number } {
  const queues = m.properties[Prop.INNER_MULTI_DISPATCH]?.split(',') ?? [];
  const offsets = m.properties[Prop.INNER_MULTI_QUEUE_OFFSET]?.split(',') ?? [];
  if (queues.length !== 1 || offsets.length !== 1) {
    throw new ProtocolError(
      `lite POP reply: a message without one LMQ and its offset (${String(m.properties[Prop.INNER_MULTI_DISPATCH]).slice(0, 80)})`,
    );
  }
  const liteTopic = liteTopicOf(queues[0]!, parentTopic);
  if (liteTopic === undefined) {
    throw new ProtocolError(
      `lite POP reply: ${queues[0]!.slice(0, 80)} is not a lite topic of ${parentTopic}`,
    );
  }
  return { liteTopic, offset: int(offsets[0], 'LMQ offset') };
}

/** ACK_MESSAGE extFields for a popped lite message (see the top of this file). */
export function ackLiteHeader(
  group: string,
  parentTopic: string,
  brokerName: string,
  h: PopLiteResponseHeader,
  pos: { liteTopic: string; offset: number },
): Record<string, string> {
  return {
    consumerGroup: group,
    topic: parentTopic,
    queueId: '0',
    extraInfo: [0, h.popTime, h.invisibleTime, LITE_REVIVE_QID, 0, brokerName, 0, pos.offset].join(' '),
    offset: String(pos.offset),
    liteTopic: pos.liteTopic,
    bname: brokerName,
  };
}
