/**
 * Transactions: the half message, its END_TRANSACTION, and the answer to the broker's
 * check-back (docs/protocol.md, "Transactions"). The Producer's sendTransaction and
 * onTransactionCheck are these; they need of a producer only what `TransactionHost` names, so
 * this module imports nothing from producer.ts and the two stay free of a cycle.
 */
import { InvalidArgumentError } from '../errors.js';
import { readCheckTransactionState } from '../protocol/check-transaction-state.js';
import { endTransactionHeader, type TransactionAction } from '../protocol/end-transaction.js';
import { decodeOffsetMsgId, type MessageExt, Prop, SysFlag } from '../protocol/message.js';
import { RequestCode } from '../remoting/codes.js';
import type { MQClient } from './mq-client.js';
import type { OutgoingMessage } from './outgoing-message.js';

/** What the broker's check-back asks about, for the caller's decision. */
export interface CheckRequest {
  message: MessageExt | undefined;
  msgId: string;
  transactionId: string;
  brokerAddress: string;
}

/** The parts of a send's result a half message is ended with. */
export interface HalfSent {
  msgId: string;
  offsetMsgId: string;
  brokerAddress: string;
  queueOffset: number;
  transactionId?: string | undefined;
  /** The broker that stored the half message, when the sender knows it. */
  brokerName?: string | undefined;
}

/** What a transaction needs of its producer. */
export interface TransactionHost<R extends HalfSent> {
  readonly group: string;
  readonly client: MQClient;
  publishQueues(topic: string): Promise<unknown>;
  send(msg: OutgoingMessage, options: { extraProps?: Record<string, string>; sysFlag?: number }): Promise<R>;
}

/**
 * Sends a transaction half message, then ends it as `action` says (unknown: leave it to the
 * broker's check-back, answered by the handler given to onTransactionCheck).
 */
export async function sendTransaction<R extends HalfSent>(
  host: TransactionHost<R>,
  msg: OutgoingMessage,
  action: TransactionAction,
): Promise<R & { action: TransactionAction }> {
  if (msg.delayLevel || msg.delayMs !== undefined || msg.deliverAtMs !== undefined) {
    throw new InvalidArgumentError('a transaction message cannot be delayed');
  }
  // The check-back only reaches channels registered for the producer group: heartbeat first.
  await host.publishQueues(msg.topic);
  await host.client.heartbeat();
  const result = await host.send(msg, {
    extraProps: { [Prop.TRAN_MSG]: 'true', [Prop.PGROUP]: host.group },
    sysFlag: SysFlag.TRANSACTION_PREPARED,
  });
  const { offset } = decodeOffsetMsgId(result.offsetMsgId);
  await host.client.remoting.oneway(
    result.brokerAddress,
    RequestCode.END_TRANSACTION,
    endTransactionHeader({
      producerGroup: host.group,
      tranStateTableOffset: result.queueOffset,
      commitLogOffset: offset,
      action,
      fromTransactionCheck: false,
      msgId: result.msgId,
      transactionId: result.transactionId ?? result.msgId,
      topic: msg.topic,
      brokerName: result.brokerName,
    }),
  );
  return { ...result, action };
}

/** Answers the broker's transaction check-back (CHECK_TRANSACTION_STATE) with `decide`. */
export function onTransactionCheck(
  host: Pick<TransactionHost<HalfSent>, 'group' | 'client'>,
  decide: (req: CheckRequest) => TransactionAction | Promise<TransactionAction>,
): void {
  host.client.remoting.onRequest(RequestCode.CHECK_TRANSACTION_STATE, async (req, conn) => {
    const check = readCheckTransactionState(req);
    const { message, msgId, transactionId } = check;
    const action = await decide({ message, msgId, transactionId, brokerAddress: conn.address });
    conn.oneway(
      RequestCode.END_TRANSACTION,
      endTransactionHeader({
        producerGroup: check.producerGroup ?? host.group,
        tranStateTableOffset: check.tranStateTableOffset,
        commitLogOffset: check.commitLogOffset,
        action,
        fromTransactionCheck: true,
        msgId,
        transactionId,
        topic: check.topic,
      }),
    );
    return undefined;
  });
}
