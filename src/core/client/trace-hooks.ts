/**
 * Tracing hooks: a producer whose sends, batches and transactions leave Pub and EndTransaction
 * records, a transaction check-back that leaves its EndTransaction, and a consumer handler that
 * leaves SubBefore/SubAfter per delivery. Each wraps its target and hands records to a
 * TraceDispatcher (trace.ts); none of them fails or delays the call it wraps.
 */
import { Prop } from '../protocol/message.js';
import type { Handler } from './consumer.js';
import type { Producer, TransactionAction } from './producer.js';
import type { CheckRequest } from './producer-transaction.js';
import { TraceDispatcher } from './trace.js';

/** The producer calls a traced sender makes; Producer has them, tests pass a fake. */
export type TracedSends = Pick<Producer, 'send' | 'sendOneway' | 'sendBatch' | 'sendTransaction'>;

/**
 * `target` with message tracing: a Pub record after each answered send (none for oneway: no
 * answer, as in Java), one per message of a batch, and an EndTransaction after a transaction
 * message was ended.
 * @example const traced = tracedProducer(producer, tracer); await traced.send(msg)
 */
export function tracedProducer(target: TracedSends, tracer: TraceDispatcher): TracedSends {
  return {
    send: async (msg, options) => {
      const t0 = Date.now();
      const r = await target.send(msg, options);
      tracer.published(msg, r, t0);
      return r;
    },
    sendOneway: (msg) => target.sendOneway(msg),
    sendBatch: async (msgs) => {
      const t0 = Date.now();
      const rs = await target.sendBatch(msgs);
      // Java divides a send's cost among the messages it carried.
      const each = (Date.now() - t0) / Math.max(1, rs.length);
      rs.forEach((r, i) => tracer.published(msgs[i]!, r, t0, t0 + each));
      return rs;
    },
    sendTransaction: async (msg, action) => {
      const t0 = Date.now();
      const r = await target.sendTransaction(msg, action);
      tracer.published({ ...msg, properties: { ...msg.properties, [Prop.TRAN_MSG]: 'true' } }, r, t0);
      tracer.transactionEnded({
        topic: msg.topic,
        msgId: r.msgId,
        tags: msg.tags,
        keys: msg.keys,
        brokerAddress: r.brokerAddress,
        transactionId: r.transactionId ?? r.msgId,
        action,
        fromTransactionCheck: false,
        regionId: r.regionId,
      });
      return r;
    },
  };
}

/** EndTransaction for a check-back this process answered; `topic` when the check names none. */
export function traceCheckBack(
  tracer: TraceDispatcher,
  req: CheckRequest,
  action: TransactionAction,
  topic: string,
): void {
  const p = req.message?.properties ?? {};
  tracer.transactionEnded({
    topic: p[Prop.REAL_TOPIC] ?? req.message?.topic ?? topic,
    msgId: req.msgId,
    tags: p[Prop.TAGS],
    keys: p[Prop.KEYS],
    brokerAddress: req.brokerAddress,
    transactionId: req.transactionId,
    action,
    fromTransactionCheck: true,
    regionId: p[Prop.MSG_REGION],
  });
}

/**
 * `handle` with consume tracing: SubBefore before it runs, SubAfter with its outcome (an ack is
 * success, a nack FAILED, a throw EXCEPTION).
 * @example await consumer.start(tracedHandler(handle, tracer))
 */
export function tracedHandler(handle: Handler, tracer: TraceDispatcher): Handler {
  return async (d) => {
    const token = tracer.consumeStarted(d.message, d.topic);
    try {
      const r = await handle(d);
      tracer.consumeEnded(token, { success: r.status === 'ack' });
      return r;
    } catch (err) {
      tracer.consumeEnded(token, { success: false, returnType: 'EXCEPTION' });
      throw err;
    }
  };
}
