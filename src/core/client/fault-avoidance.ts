/**
 * Latency fault avoidance: a broker whose send failed or was slow is skipped for a while when
 * the producer picks a queue, so a dead master costs one timeout, not one per message.
 *
 * The periods are the Java client's (MQFaultStrategy): a send that took at least
 * 550 / 1,800 / 3,000 / 5,000 / 15,000 ms puts its broker aside for 2 / 5 / 6 / 10 / 30 s; a send
 * that failed (connection refused, timeout, an error from the broker) counts as 10,000 ms, i.e.
 * 10 s. A later fast send to the broker clears it. The Java client has this off by default
 * (`sendLatencyFaultEnable`); rmq has it on, because its users meet dead brokers in drills and
 * benchmarks and expect the producer to stop trying them.
 */

const LATENCY_MS = [550, 1800, 3000, 5000, 15000] as const;
const AVOID_MS = [2000, 5000, 6000, 10000, 30000] as const;
/** What a failed send counts as (Java: `isolation ? 10000 : currentLatency`). */
const FAILED_AS_MS = 10_000;

/** How long a send of this latency puts its broker aside (0: not at all). */
export function avoidanceMs(latencyMs: number): number {
  for (let i = LATENCY_MS.length - 1; i >= 0; i--) if (latencyMs >= LATENCY_MS[i]!) return AVOID_MS[i]!;
  return 0;
}

/** One broker put aside, for a result or a report. */
export interface AvoidedBroker {
  brokerName: string;
  /** How many times it was put aside. */
  times: number;
  /** The latency (or failure) that last put it aside, in ms. */
  lastLatencyMs: number;
  lastFailed: boolean;
}

export class FaultAvoidance {
  /** brokerName → when it may be used again (ms since the epoch). */
  private readonly until = new Map<string, number>();
  private readonly history = new Map<string, AvoidedBroker>();

  constructor(
    readonly enabled = true,
    private readonly now: () => number = Date.now,
  ) {}

  /** After every send attempt: `failed` for an error, else its latency. */
  record(brokerName: string, latencyMs: number, failed: boolean): void {
    if (!this.enabled) return;
    const ms = avoidanceMs(failed ? FAILED_AS_MS : latencyMs);
    if (ms === 0) {
      // The common case, per message on the hot path: one size check when nothing is avoided.
      if (this.until.size > 0) this.until.delete(brokerName);
      return;
    }
    this.until.set(brokerName, this.now() + ms);
    const h = this.history.get(brokerName) ?? { brokerName, times: 0, lastLatencyMs: 0, lastFailed: false };
    h.times++;
    h.lastLatencyMs = Math.round(latencyMs);
    h.lastFailed = failed;
    this.history.set(brokerName, h);
  }

  /** Whether a queue of this broker may be picked now. */
  available(brokerName: string): boolean {
    if (this.until.size === 0) return true;
    const t = this.until.get(brokerName);
    if (t === undefined) return true;
    if (t <= this.now()) {
      this.until.delete(brokerName);
      return true;
    }
    return false;
  }

  /** Every broker put aside so far in this producer's life, most often first. */
  report(): AvoidedBroker[] {
    return [...this.history.values()].map((h) => ({ ...h })).sort((a, b) => b.times - a.times);
  }
}
