/**
 * `rmq message resend <id> --group G [--client ID]`: one stored message delivered straight to a
 * consumer of the group, as the dashboard's "resend" does (CONSUME_MESSAGE_DIRECTLY through the
 * broker that stores it; see core/protocol/consume-message-directly.ts). Nothing is stored or
 * committed: the consumer runs its handler once and says how it went. Without --client the
 * first connected client (by id) gets it, as in the dashboard.
 */
import { type Admin, validateGroupName } from '../core/client/admin.js';
import { Ops } from '../core/client/ops.js';
import { NotFoundError } from '../core/errors.js';
import type { CMResult } from '../core/protocol/consume-message-directly.js';
import { decodeOffsetMsgId } from '../core/protocol/message.js';
import { getMessage } from './message.js';

export interface MessageResendClient {
  clientId: string;
  /** Whether the client answered (then consumeResult says what its handler did). */
  ok: boolean;
  consumeResult: CMResult | null;
  remark: string | null;
  spentTimeMills: number | null;
  /** Why there is no answer: not online, timed out, does not support the request. */
  error: string | null;
}

export interface MessageResendResult {
  msgId: string;
  offsetMsgId: string;
  /** The topic the message was sent to (a retry or DLQ copy's original topic). */
  topic: string;
  brokerName: string | null;
  group: string;
  clients: MessageResendClient[];
}

export async function resendToConsumer(
  admin: Admin,
  input: { id: string; group: string; client?: string | undefined; topic?: string | undefined },
): Promise<MessageResendResult> {
  validateGroupName(input.group);
  const brokers = await admin.groupBrokers(input.group);
  const ops = new Ops(admin.client);
  const online = new Set<string>();
  for (const b of brokers) {
    const list = await ops.consumerConnections(b.address, input.group);
    for (const c of list?.connections ?? []) if (c.clientId) online.add(c.clientId);
  }
  const ids = [...online].sort();
  if (input.client !== undefined && !online.has(input.client)) {
    throw new NotFoundError(`client "${input.client}" of group ${input.group} is not connected`, {
      hint: `see \`rmq group clients ${input.group}\``,
    });
  }
  const clientId = input.client ?? ids[0];
  if (clientId === undefined) {
    throw new NotFoundError(`group ${input.group} has no consumer online to deliver to`, {
      hint: 'start a consumer of the group first',
    });
  }
  const { result: m } = await getMessage(admin, { id: input.id, topic: input.topic });
  // The broker reads its own commit log at the offset the id holds: ask the one that stored it.
  const storeHost = decodeOffsetMsgId(m.offsetMsgId).address;
  const r = await ops.consumeMessageDirectly(storeHost, {
    group: input.group,
    clientId,
    offsetMsgId: m.offsetMsgId,
    topic: m.topic,
  });
  const client: MessageResendClient = r.ok
    ? {
        clientId,
        ok: true,
        consumeResult: r.result.consumeResult,
        remark: r.result.remark,
        spentTimeMills: r.result.spentTimeMills,
        error: null,
      }
    : { clientId, ok: false, consumeResult: null, remark: null, spentTimeMills: null, error: r.reason };
  return {
    msgId: m.msgId,
    offsetMsgId: m.offsetMsgId,
    topic: m.topic,
    brokerName: m.brokerName,
    group: input.group,
    clients: [client],
  };
}
