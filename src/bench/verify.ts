/**
 * Verification accounting: which (producer, sequence) pairs were acknowledged, rolled back or
 * failed, and how often each consumer group received each. One byte per message per group, so
 * 10 million messages cost 10 MB per group.
 *
 * A receipt may arrive before its acknowledgement (the broker stores, the consumer pulls, and
 * only then the send's reply is read), so both orders are counted.
 */
import type { VerificationGroup, VerificationSummary } from './result.js';

const ACKED = 1;
const FAILED = 2;
const ROLLBACK = 4;

/** A byte array that grows to fit any index. */
class Bytes {
  a = new Uint8Array(1024);
  get(i: number): number {
    return i < this.a.length ? this.a[i]! : 0;
  }
  set(i: number, v: number): void {
    if (i >= this.a.length) {
      let n = this.a.length * 2;
      while (n <= i) n *= 2;
      const b = new Uint8Array(n);
      b.set(this.a);
      this.a = b;
    }
    this.a[i] = v;
  }
}

interface GroupState {
  name: string;
  /** per producer: receipts per sequence, saturating at 255 */
  received: Bytes[];
  unique: number;
  duplicates: number;
  reordered: number;
  /** acknowledged (not rolled back) and received at least once */
  matched: number;
  /** per producer × FIFO group: highest sequence received so far */
  lastSeq: Map<number, number>;
}

/** A Verifier's tables as plain data (structured-clonable, for worker threads). */
export interface VerifierState {
  groupNames: string[];
  fifoGroups: number;
  /** per producer: send state bytes */
  send: (Uint8Array | null)[];
  /** per group, per producer: receipt counts */
  received: (Uint8Array | null)[][];
  rolledBack: number;
}

export class Verifier {
  private readonly send: Bytes[] = [];
  private readonly groups: GroupState[];
  private readonly maxSeq: number[] = [];
  private acked = 0;
  private rolledBack = 0;
  private unackedReceived = 0;
  private rolledBackReceived = 0;

  /** @param fifoGroups message groups per producer (0: no order check) */
  constructor(
    groupNames: string[],
    private readonly fifoGroups = 0,
  ) {
    this.groups = groupNames.map((name) => ({
      name,
      received: [],
      unique: 0,
      duplicates: 0,
      reordered: 0,
      matched: 0,
      lastSeq: new Map(),
    }));
  }

  private sendState(producer: number): Bytes {
    let s = this.send[producer];
    if (!s) {
      s = new Bytes();
      this.send[producer] = s;
    }
    return s;
  }

  private noteSeq(producer: number, seq: number): void {
    if (seq > (this.maxSeq[producer] ?? -1)) this.maxSeq[producer] = seq;
  }

  /** The producer decided to roll this transaction back: it must never be received. */
  rollback(producer: number, seq: number): void {
    const s = this.sendState(producer);
    s.set(seq, s.get(seq) | ROLLBACK);
    this.rolledBack++;
    this.noteSeq(producer, seq);
    for (const g of this.groups) {
      if ((g.received[producer]?.get(seq) ?? 0) > 0) this.rolledBackReceived++;
    }
  }

  acknowledged(producer: number, seq: number): void {
    const s = this.sendState(producer);
    const st = s.get(seq);
    s.set(seq, st | ACKED);
    this.noteSeq(producer, seq);
    if (st & ROLLBACK) return;
    this.acked++;
    for (const g of this.groups) {
      if ((g.received[producer]?.get(seq) ?? 0) > 0) {
        g.matched++;
        // counted as unacknowledged when it arrived ahead of its reply
        this.unackedReceived--;
      }
    }
  }

  failed(producer: number, seq: number): void {
    const s = this.sendState(producer);
    s.set(seq, s.get(seq) | FAILED);
    this.noteSeq(producer, seq);
  }

  /** Counts a receipt; returns true for the first receipt of the message in this group. */
  received(group: number, producer: number, seq: number, checkOrder = true): boolean {
    const g = this.groups[group];
    if (!g) return false;
    let r = g.received[producer];
    if (!r) {
      r = new Bytes();
      g.received[producer] = r;
    }
    const n = r.get(seq);
    r.set(seq, n < 255 ? n + 1 : 255);
    this.noteSeq(producer, seq);
    if (n > 0) {
      g.duplicates++;
      return false;
    }
    g.unique++;
    const st = this.send[producer]?.get(seq) ?? 0;
    if (st & ROLLBACK) this.rolledBackReceived++;
    else if (st & ACKED) g.matched++;
    else this.unackedReceived++;
    if (this.fifoGroups > 0 && checkOrder) {
      const key = producer * this.fifoGroups + (seq % this.fifoGroups);
      const last = g.lastSeq.get(key) ?? -1;
      if (seq < last) g.reordered++;
      else g.lastSeq.set(key, seq);
    }
    return true;
  }

  /** Per group: messages received at least once. */
  uniqueByGroup(): number[] {
    return this.groups.map((g) => g.unique);
  }

  exportState(): VerifierState {
    return {
      groupNames: this.groups.map((g) => g.name),
      fifoGroups: this.fifoGroups,
      send: this.send.map((b) => b?.a ?? null),
      received: this.groups.map((g) => g.received.map((b) => b?.a ?? null)),
      rolledBack: this.rolledBack,
    };
  }

  /**
   * One Verifier from several engines' tables: send states are combined per producer, receipt
   * counts added, and the accounting replayed; receipt order across engines is unknown, so
   * `reordered` is the sum of what each engine saw.
   */
  static merge(states: VerifierState[], reordered: number[] = []): Verifier {
    const first = states[0]!;
    const v = new Verifier(first.groupNames, first.fifoGroups);
    const producers = Math.max(
      0,
      ...states.map((s) => s.send.length),
      ...states.flatMap((s) => s.received.map((r) => r.length)),
    );
    for (let p = 0; p < producers; p++) {
      let len = 0;
      for (const s of states) {
        len = Math.max(len, s.send[p]?.length ?? 0);
        for (const r of s.received) len = Math.max(len, r[p]?.length ?? 0);
      }
      if (len === 0) continue;
      const send = new Uint8Array(len);
      for (const s of states) {
        const a = s.send[p];
        if (a) for (let i = 0; i < a.length; i++) send[i]! |= a[i]!;
      }
      const recv = first.groupNames.map(() => new Uint16Array(len));
      for (const s of states) {
        s.received.forEach((byProducer, g) => {
          const a = byProducer[p];
          if (a) for (let i = 0; i < a.length; i++) recv[g]![i]! += a[i]!;
        });
      }
      for (let seq = 0; seq < len; seq++) {
        const st = send[seq]!;
        if (st & ROLLBACK) v.rollback(p, seq);
        if (st & FAILED) v.failed(p, seq);
        if (st & ACKED) v.acknowledged(p, seq);
        for (let g = 0; g < recv.length; g++) {
          for (let k = 0; k < recv[g]![seq]!; k++) v.received(g, p, seq, false);
        }
      }
    }
    v.groups.forEach((g, i) => {
      g.reordered = reordered[i] ?? 0;
    });
    return v;
  }

  /** Every acknowledged (committed) message has been received by every group. */
  isComplete(): boolean {
    return this.groups.every((g) => g.matched >= this.acked);
  }

  summary(drainMs: number): VerificationSummary {
    const lostSample: string[] = [];
    const groups: VerificationGroup[] = this.groups.map((g) => {
      let lost = 0;
      for (let p = 0; p < this.send.length; p++) {
        const s = this.send[p];
        if (!s) continue;
        const r = g.received[p];
        const top = this.maxSeq[p] ?? -1;
        for (let seq = 0; seq <= top; seq++) {
          const st = s.get(seq);
          if ((st & ACKED) === 0 || st & ROLLBACK) continue;
          if ((r?.get(seq) ?? 0) === 0) {
            lost++;
            if (lostSample.length < 20) lostSample.push(`${p}:${seq}`);
          }
        }
      }
      return {
        group: g.name,
        receivedUnique: g.unique,
        lost,
        duplicates: g.duplicates,
        reordered: g.reordered,
      };
    });
    return {
      acknowledged: this.acked,
      lost: groups.reduce((a, g) => a + g.lost, 0),
      duplicates: groups.reduce((a, g) => a + g.duplicates, 0),
      reordered: groups.reduce((a, g) => a + g.reordered, 0),
      unacknowledgedReceived: this.unackedReceived,
      rolledBackReceived: this.rolledBackReceived,
      rolledBack: this.rolledBack,
      complete: this.isComplete(),
      drainMs,
      groups,
      lostSample,
    };
  }
}
