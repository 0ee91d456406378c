/**
 * rmq's consumer answers CONSUME_MESSAGE_DIRECTLY (309), which a broker forwards from an admin
 * tool (`rmq message resend`, the dashboard's resend, mqadmin consumeMessage): the message in
 * the body goes to the consumer's handler once, as Java's ConsumeMessageConcurrentlyService
 * .consumeMessageDirectly does: no send-back on failure and no offset (the message is not from
 * a queue this client pulls). The answer says what the handler did. Several consumers (groups)
 * can share one client; the request names the group.
 */
import { type CMResult, encodeConsumeMessageDirectlyResult } from '../protocol/consume-message-directly.js';
import { decodeMessages, inflateBody, type MessageExt } from '../protocol/message.js';
import { RequestCode, ResponseCode } from '../remoting/codes.js';
import type { MQClient } from './mq-client.js';

/** One direct delivery: the handler's verdict, or what it threw. */
export type DirectConsume = (
  message: MessageExt,
  brokerName: string,
) => Promise<{ status: 'ack' | 'nack' }> | { status: 'ack' | 'nack' };

const served = new WeakMap<MQClient, Map<string, DirectConsume>>();

/** Answers direct deliveries for `group` on this client's connections until withdrawn. */
export function serveConsumeDirectly(
  client: MQClient,
  group: string,
  consume: DirectConsume,
  options: { maxBodyBytes?: number | undefined } = {},
): () => void {
  let groups = served.get(client);
  if (!groups) {
    const table = new Map<string, DirectConsume>();
    groups = table;
    served.set(client, table);
    client.remoting.onRequest(RequestCode.CONSUME_MESSAGE_DIRECTLY, async (req) => {
      const group = req.extFields.consumerGroup ?? '';
      const handle = table.get(group);
      if (!handle) {
        return {
          code: ResponseCode.SYSTEM_ERROR,
          remark: `The Consumer Group <${group}> not exist in this consumer`,
        };
      }
      let message: MessageExt | undefined;
      try {
        message = decodeMessages(req.body, { inflate: false })[0];
      } catch (err) {
        return { code: ResponseCode.SYSTEM_ERROR, remark: `unreadable message: ${(err as Error).message}` };
      }
      if (!message) return { code: ResponseCode.SYSTEM_ERROR, remark: 'no message in the request' };
      const t0 = Date.now();
      let consumeResult: CMResult;
      let remark: string | null = null;
      try {
        const r = await handle(inflateBody(message, options.maxBodyBytes), req.extFields.brokerName ?? '');
        consumeResult = r.status === 'ack' ? 'CR_SUCCESS' : 'CR_LATER';
      } catch (err) {
        consumeResult = 'CR_THROW_EXCEPTION';
        remark = String((err as Error)?.message ?? err);
      }
      return {
        code: ResponseCode.SUCCESS,
        body: encodeConsumeMessageDirectlyResult({
          order: false,
          autoCommit: true,
          consumeResult,
          remark,
          spentTimeMills: Date.now() - t0,
        }),
      };
    });
  }
  groups.set(group, consume);
  return () => {
    if (groups.get(group) === consume) groups.delete(group);
  };
}
