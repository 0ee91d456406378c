/**
 * RECALL_MESSAGE (370, brokers 5.3.2+): cancel a timer message before it is due (Java:
 * RecallMessageRequestHeader, RecallMessageProcessor). The broker stores a tombstone for the
 * message's unique key in the timer; when the timer reaches the original message it drops it.
 *
 * The handle comes with the send's reply (extField recallHandle), only for a timer message
 * (TIMER_DELAY_MS / TIMER_DELIVER_MS, not a delay level): base64url of the UTF-8 text
 *   "v1 <topic> <brokerName> <deliverAtMs + 1> <UNIQ_KEY>"   (fields separated by one space)
 *
 * Request extFields: producerGroup string (optional) | topic string | recallHandle string
 *   | bname string (the handle's broker, 5.x RPC header). No body.
 * Response: SUCCESS with extField msgId (the UNIQ_KEY); NO_PERMISSION when the broker has
 *   recallMessageEnable=false (its default); ILLEGAL_OPERATION for a handle of another topic or
 *   broker, or one that is due already ("timestamp invalid"); TOPIC_NOT_EXIST; SLAVE_NOT_AVAILABLE
 *   on a slave; SERVICE_NOT_AVAILABLE while read-only. Brokers before 5.3.2 answer
 *   REQUEST_CODE_NOT_SUPPORTED.
 */
import { InvalidArgumentError } from '../errors.js';
import { ResponseCode } from '../remoting/codes.js';

export const RECALL_MESSAGE_ACCEPT: readonly number[] = [ResponseCode.SUCCESS];

/** A real handle is ~150 characters; this is room for a 127-character topic and then some. */
export const RECALL_HANDLE_MAX_CHARS = 1024;

export interface RecallHandle {
  topic: string;
  brokerName: string;
  /** When the timer would deliver it (the broker adds 1 ms to the due time). */
  deliverAtMs: number;
  /** The message's UNIQ_KEY. */
  msgId: string;
}

/** Reads a handle as the broker will, so that a wrong one fails here with a reason. */
export function decodeRecallHandle(handle: string): RecallHandle {
  const bad = (why: string): InvalidArgumentError =>
    new InvalidArgumentError(`not a recall handle: ${why}`, {
      hint: 'use the recall handle the broker returned when the timer message was sent',
    });
  if (handle.length === 0 || handle.length > RECALL_HANDLE_MAX_CHARS) {
    throw bad(`length ${handle.length} (1 to ${RECALL_HANDLE_MAX_CHARS} characters)`);
  }
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(handle)) throw bad('it is not base64url text');
  const items = Buffer.from(handle, 'base64url').toString('utf8').split(' ');
  if (items[0] !== 'v1' || items.length < 5) throw bad('it is not a version 1 handle');
  const [, topic, brokerName, ts, msgId] = items as [string, string, string, string, string];
  const deliverAtMs = Number(ts);
  if (!/^\d{1,16}$/.test(ts) || !Number.isSafeInteger(deliverAtMs)) throw bad('its time is not a number');
  if (!topic || !brokerName || !msgId) throw bad('a field is empty');
  return { topic, brokerName, deliverAtMs, msgId };
}

export function recallMessageHeader(input: {
  producerGroup: string;
  topic: string;
  handle: string;
  brokerName: string;
}): Record<string, string> {
  return {
    producerGroup: input.producerGroup,
    topic: input.topic,
    recallHandle: input.handle,
    bname: input.brokerName,
  };
}
