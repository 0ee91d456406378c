/** Transactions of `rmq send`: which messages this process sent, and its answers to check-backs. */
import type { CheckRequest } from '../../core/client/producer-transaction.js';
import type { TransactionAction } from '../../core/client/producer.js';

export const TRANSACTION_ACTIONS = ['commit', 'rollback', 'unknown'] as const;
export const CHECK_RESULTS = ['commit', 'rollback'] as const;
export type CheckResult = (typeof CHECK_RESULTS)[number];

/** Which transaction messages this process sent, and the answers it owes the broker's checks. */
export class TransactionBook {
  private readonly actions = new Map<string, TransactionAction>();
  private readonly unchecked = new Set<string>();
  private wake: (() => void) | undefined;
  checksAnswered = 0;
  checksForOthers = 0;

  constructor(private readonly checkResult: CheckResult) {}

  sending(msgId: string, action: TransactionAction): void {
    this.actions.set(msgId, action);
    if (action === 'unknown') this.unchecked.add(msgId);
  }

  failed(msgId: string): void {
    this.actions.delete(msgId);
    this.unchecked.delete(msgId);
  }

  /**
   * The answer to a check-back. A message sent as commit/rollback keeps that answer; an unknown
   * one gets --check-result. A message of another process sharing the group is left unknown, so
   * its own producer decides.
   */
  decide(req: CheckRequest): TransactionAction {
    const action = this.actions.get(req.msgId);
    if (action === undefined) {
      this.checksForOthers++;
      return 'unknown';
    }
    this.checksAnswered++;
    if (this.unchecked.delete(req.msgId) && this.unchecked.size === 0) this.wake?.();
    return action === 'unknown' ? this.checkResult : action;
  }

  /** Unknown messages whose check has not come yet. */
  get pending(): number {
    return this.unchecked.size;
  }

  /** Waits until every unknown message was checked, `ms` passed, or the signal fired. */
  async waitForChecks(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.unchecked.size === 0 || ms <= 0 || signal?.aborted) return;
    await new Promise<void>((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', finish);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.wake = finish;
      signal?.addEventListener('abort', finish, { once: true });
    });
  }
}
