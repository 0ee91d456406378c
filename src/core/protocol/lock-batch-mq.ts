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
import { parseFastjson } from '../remoting/fastjson.js';
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
  const parsed = parseFastjson(body ?? '{}') as { lockOKMQSet?: unknown[] };
  return (parsed.lockOKMQSet ?? []).map((x) => {
    const o = x as MessageQueue;
    return { topic: o.topic, brokerName: o.brokerName, queueId: Number(o.queueId) };
  });
}
