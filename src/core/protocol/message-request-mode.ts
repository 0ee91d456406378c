/**
 * How the Java push consumers of a group fetch one topic's messages (5.x, per broker): PULL, or
 * POP, where the broker hands out messages and the group's members share every queue
 * (Java: MessageRequestMode, SetMessageRequestModeRequestBody, QueryAssignmentProcessor,
 * MessageRequestModeManager, mqadmin setConsumeMode).
 *
 * SET_MESSAGE_REQUEST_MODE (401), to a broker: no extFields; body fastjson
 *   {"topic":"T","consumerGroup":"G","mode":"POP","popShareQueueNum":0}
 *   SUCCESS (0), kept in the broker's messageRequestMode.json; TOPIC_NOT_EXIST (17) for a topic
 *   the broker does not hold; SUBSCRIPTION_GROUP_NOT_EXIST (26); NO_PERMISSION (16) for a retry
 *   topic. popShareQueueNum 0: every POP member is given all the queues.
 *
 * QUERY_ASSIGNMENT (400), to a broker: no extFields; body fastjson
 *   {"topic":"T","consumerGroup":"G","clientId":"…","strategyName":"AVG","messageModel":"BROADCASTING"}
 *   SUCCESS (0): body {"messageQueueAssignments":[{"messageQueue":{"topic":"T","brokerName":"b",
 *   "queueId":0},"mode":"POP","attachments":{}}…]}, each queue with the group's mode (the
 *   broker's defaultMessageRequestMode, PULL, where none was set); the list is missing when the
 *   broker does not know the topic. BROADCASTING asks for every queue of the topic and needs no
 *   member of the group online (CLUSTERING allocates among the members and answers nothing
 *   without one).
 */
import { ProtocolError } from '../errors.js';
import { parseFastjson } from '../remoting/fastjson.js';

export const CONSUME_MODES = ['PULL', 'POP'] as const;
export type ConsumeMode = (typeof CONSUME_MODES)[number];

export interface MessageRequestMode {
  topic: string;
  consumerGroup: string;
  mode: ConsumeMode;
  /** POP members that also share the queues of the N members after them; 0: all queues. */
  popShareQueueNum: number;
}

export function setMessageRequestModeBody(m: MessageRequestMode): Buffer {
  return Buffer.from(JSON.stringify(m), 'utf8');
}

/** A client id the broker never sees in a heartbeat: BROADCASTING allocates nothing by it. */
export const QUERY_CLIENT_ID = 'rmq-admin@query-assignment';

export function queryAssignmentBody(topic: string, consumerGroup: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      topic,
      consumerGroup,
      clientId: QUERY_CLIENT_ID,
      strategyName: 'AVG',
      messageModel: 'BROADCASTING',
    }),
    'utf8',
  );
}

/** A topic has at most 1024 queues a broker; the body is tens of bytes a queue. */
const LIMITS = { maxLength: 1024 * 1024, maxDepth: 8 };

/**
 * The mode of a QUERY_ASSIGNMENT answer: the one its queues carry, or undefined when it lists
 * none (a topic the broker does not know). Throws ProtocolError on a body that is not one, or
 * when the queues disagree (a broker sets one mode for a topic and group).
 */
export function decodeAssignmentMode(body: Buffer | undefined): ConsumeMode | undefined {
  if (!body || body.length === 0) return undefined;
  const v = parseFastjson(body, LIMITS);
  if (!v || typeof v !== 'object' || Array.isArray(v)) {
    throw new ProtocolError('QUERY_ASSIGNMENT answer is not an object');
  }
  const list = (v as Record<string, unknown>).messageQueueAssignments;
  if (list === undefined || list === null) return undefined;
  if (!Array.isArray(list)) throw new ProtocolError('messageQueueAssignments is not a list');
  let mode: ConsumeMode | undefined;
  for (const a of list) {
    const m = a && typeof a === 'object' ? (a as Record<string, unknown>).mode : undefined;
    if (m !== 'PULL' && m !== 'POP') {
      throw new ProtocolError(`a queue assignment has mode ${JSON.stringify(m) ?? 'undefined'}`);
    }
    if (mode !== undefined && m !== mode) throw new ProtocolError('queue assignments disagree on the mode');
    mode = m;
  }
  return mode;
}
