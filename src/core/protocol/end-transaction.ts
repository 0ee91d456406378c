/**
 * END_TRANSACTION (37), oneway: commit or roll back a transaction half message, after the send
 * or in answer to the broker's CHECK_TRANSACTION_STATE (Java: EndTransactionRequestHeader,
 * EndTransactionProcessor, MessageSysFlag).
 *
 * Request extFields: producerGroup string | tranStateTableOffset int64 (the half message's
 *   queue offset) | commitLogOffset int64 (from its offset message id) | commitOrRollback int
 *   (8 commit, 12 rollback, 0 unknown: MessageSysFlag TRANSACTION_*_TYPE; the broker ignores 0
 *   and asks later) | fromTransactionCheck bool | msgId string (UNIQ_KEY) | transactionId string
 *   | topic string (5.x; 4.9 ignores it) | bname string (the half message's broker, when known:
 *   a 5.x proxy routes by it).
 * Oneway: no response.
 */

export type TransactionAction = 'commit' | 'rollback' | 'unknown';

/** commitOrRollback values (MessageSysFlag.TRANSACTION_COMMIT_TYPE, …_ROLLBACK_TYPE, …_NOT_TYPE). */
const COMMIT_OR_ROLLBACK: Record<TransactionAction, string> = { commit: '8', rollback: '12', unknown: '0' };

export interface EndTransaction {
  producerGroup: string;
  tranStateTableOffset: number | string;
  commitLogOffset: bigint | string;
  action: TransactionAction;
  fromTransactionCheck: boolean;
  msgId: string;
  transactionId: string;
  /** Sent when non-empty. */
  topic?: string | undefined;
  /** The half message's broker (bname), for a 5.x proxy; sent when non-empty. */
  brokerName?: string | undefined;
}

export function endTransactionHeader(e: EndTransaction): Record<string, string> {
  const ext: Record<string, string> = {
    producerGroup: e.producerGroup,
    tranStateTableOffset: String(e.tranStateTableOffset),
    commitLogOffset: String(e.commitLogOffset),
    commitOrRollback: COMMIT_OR_ROLLBACK[e.action],
    fromTransactionCheck: String(e.fromTransactionCheck),
    msgId: e.msgId,
    transactionId: e.transactionId,
  };
  if (e.topic) ext.topic = e.topic;
  if (e.brokerName) ext.bname = e.brokerName;
  return ext;
}
