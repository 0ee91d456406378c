/**
 * CHECK_TRANSACTION_STATE (39), from the broker, oneway: "what became of this half message?"
 * (Java: CheckTransactionStateRequestHeader, Broker2Client.checkProducerTransactionState,
 * ClientRemotingProcessor.checkTransactionState).
 *
 * Request extFields: topic string | tranStateTableOffset int64 | commitLogOffset int64
 *   | msgId string (UNIQ_KEY) | transactionId string | offsetMsgId string. Body: the half message,
 *   one stored record (message.ts); its PGROUP property names the producer group.
 * No response: the producer answers with END_TRANSACTION (end-transaction.ts) on the same
 * connection, with the check's offsets and fromTransactionCheck=true.
 *
 * Every field is the broker's and may be missing or odd: readCheckTransactionState never throws
 * on the header, and the answer carries what came ("0" for an offset that did not).
 */
import type { RemotingCommand } from '../remoting/command.js';
import { decodeMessages, type MessageExt, Prop } from './message.js';

export interface CheckTransactionState {
  /** The half message, when the body held one. */
  message: MessageExt | undefined;
  /** UNIQ_KEY: the header's msgId, else the message's. */
  msgId: string;
  transactionId: string;
  /** The message's producer group (PGROUP), if it names one. */
  producerGroup: string | undefined;
  tranStateTableOffset: string;
  commitLogOffset: string;
  topic: string | undefined;
}

export function readCheckTransactionState(req: RemotingCommand): CheckTransactionState {
  const h = req.extFields;
  const message = decodeMessages(req.body)[0];
  const msgId = h.msgId ?? message?.properties[Prop.UNIQ_KEY] ?? '';
  return {
    message,
    msgId,
    transactionId: h.transactionId ?? message?.properties[Prop.UNIQ_KEY] ?? msgId,
    producerGroup: message?.properties[Prop.PGROUP],
    tranStateTableOffset: h.tranStateTableOffset ?? '0',
    commitLogOffset: h.commitLogOffset ?? '0',
    topic: h.topic,
  };
}
