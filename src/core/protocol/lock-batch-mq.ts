/**
 * LOCK_BATCH_MQ (41) and UNLOCK_BATCH_MQ (42): broker-side queue locks for orderly consumption
 * (Java: LockBatchRequestBody, LockBatchResponseBody, UnlockBatchRequestBody; 4.9 and 5.x alike).
 * One module for both: they carry the same body.
 *
 * Request: no extFields; body JSON
 *   {"consumerGroup":string,"clientId":string,"onlyThisBroker":bool,
 *    "mqSet":[{"brokerName":string,"queueId":int,"topic":string}]}
 * Response codes (LOCK_BATCH_MQ_ACCEPT): SUCCESS. LOCK_BATCH_MQ answers a fastjson body
 *   {"lockOKMQSet":[{"brokerName","queueId","topic"}]}: the queues this client now holds.
 */
import { ResponseCode } from '../remoting/codes.js';
import { jsonNumber, jsonText, parseFastjson } from '../remoting/fastjson.js';
import { ProtocolError } from '../errors.js';
import type { MessageQueue } from './admin.js';

export const LOCK_BATCH_MQ_ACCEPT: readonly number[] = [ResponseCode.SUCCESS];

/** The request body of LOCK_BATCH_MQ and UNLOCK_BATCH_MQ. */
export function lockBatchBody(consumerGroup: string, clientId: string, mqs: MessageQueue[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      consumerGroup,
      clientId,
      onlyThisBroker: false,
      mqSet: mqs.map((mq) => ({ brokerName: mq.brokerName, queueId: mq.queueId, topic: mq.topic })),
    }),
  );
}

/** The queues a LOCK_BATCH_MQ answer says this client holds. */
export function readLockedQueues(body: Buffer | undefined): MessageQueue[] {
  const parsed = parseFastjson(body ?? '{}');
  const set =
    parsed && typeof parsed === 'object' ? (parsed as { lockOKMQSet?: unknown }).lockOKMQSet : undefined;
  if (set === undefined || set === null) return [];
  if (!Array.isArray(set)) throw new ProtocolError('lockOKMQSet is not a list');
  return set.map((x) => {
    if (!x || typeof x !== 'object') throw new ProtocolError('a locked queue is not an object');
    const o = x as Record<string, unknown>;
    return { topic: jsonText(o.topic), brokerName: jsonText(o.brokerName), queueId: jsonNumber(o.queueId) };
  });
}
