/**
 * Broker-side queue locks for orderly consumption (LOCK_BATCH_MQ / UNLOCK_BATCH_MQ): a consumer
 * handles a queue only while it holds the queue's lock on the queue's broker, so two members
 * never read one queue at once during a rebalance.
 */
import type { MessageQueue } from '../protocol/admin.js';
import { LOCK_BATCH_MQ_ACCEPT, lockBatchBody, readLockedQueues } from '../protocol/lock-batch-mq.js';
import { RequestCode } from '../remoting/codes.js';
import type { MQClient } from './mq-client.js';
import { mqKey } from './offset-store.js';

/** A queue as the locks see it; `locked` is set by lock() and unlock() leaves it alone. */
export interface LockableQueue {
  mq: MessageQueue;
  address: string;
  locked: boolean;
}

function byAddress<T extends LockableQueue>(qs: T[]): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const q of qs) m.set(q.address, [...(m.get(q.address) ?? []), q]);
  return m;
}

export class QueueLocks {
  constructor(
    private readonly client: MQClient,
    private readonly group: string,
    private readonly onWarning: (err: unknown) => void,
  ) {}

  private body(qs: LockableQueue[]): Buffer {
    return lockBatchBody(
      this.group,
      this.client.clientId,
      qs.map((q) => q.mq),
    );
  }

  /** Asks each broker for the locks of its queues; a failed broker leaves its queues unlocked. */
  async lock(qs: LockableQueue[]): Promise<void> {
    for (const [addr, list] of byAddress(qs)) {
      try {
        const res = await this.client.remoting.call(
          addr,
          RequestCode.LOCK_BATCH_MQ,
          {},
          { body: this.body(list), accept: LOCK_BATCH_MQ_ACCEPT },
        );
        const ok = new Set(readLockedQueues(res.body).map(mqKey));
        for (const q of list) q.locked = ok.has(mqKey(q.mq));
      } catch (err) {
        for (const q of list) q.locked = false;
        this.onWarning(err);
      }
    }
  }

  /** Releases the locks, best effort: an unreleased lock lapses on the broker by itself. */
  async unlock(qs: LockableQueue[]): Promise<void> {
    for (const [addr, list] of byAddress(qs)) {
      await this.client.remoting
        .call(
          addr,
          RequestCode.UNLOCK_BATCH_MQ,
          {},
          { body: this.body(list), timeoutMs: 2000, accept: LOCK_BATCH_MQ_ACCEPT },
        )
        .catch(() => {});
    }
  }
}
