/**
 * A queue's committable offset: it moves past a message only once the message was handled and
 * is safely out, and never past one that was lost (the queue is then poisoned: nothing later is
 * committed, so the lost message is read again by whoever reads the queue next).
 */

export interface Pending {
  next: number;
  /** handling: in the handler; unsettled: handled, waiting for `durable`; then ok or lost. */
  state: 'handling' | 'unsettled' | 'ok' | 'lost';
}

export interface Settling {
  pending: Pending[];
  committable: number;
  poisoned: boolean;
}

/** Moves the committable offset over the leading run of durable messages. */
export function settle(q: Settling): void {
  while (q.pending.length > 0 && !q.poisoned) {
    const head = q.pending[0]!;
    if (head.state === 'handling' || head.state === 'unsettled') break;
    if (head.state === 'lost') {
      q.poisoned = true;
      break;
    }
    q.committable = Math.max(q.committable, head.next);
    q.pending.shift();
  }
}

/** settle() as if every unsettled message were out. */
export function committableOnceOut(q: Settling): number {
  let offset = q.committable;
  if (q.poisoned) return offset;
  for (const p of q.pending) {
    if (p.state === 'handling' || p.state === 'lost') break;
    offset = Math.max(offset, p.next);
  }
  return offset;
}
