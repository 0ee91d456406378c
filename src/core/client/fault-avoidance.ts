/**
 * Latency fault avoidance: a broker whose send failed or was slow is skipped for a while when
 * the producer picks a queue, so a dead master costs one timeout, not one per message.
 *
 * The periods are the Java client's (MQFaultStrategy): a send that took at least
 * 550 / 1,800 / 3,000 / 5,000 / 15,000 ms puts its broker aside for 2 / 5 / 6 / 10 / 30 s; a send
 * that failed (connection refused, timeout, an error from the broker) counts as 10,000 ms, i.e.
 * 10 s. Once its period is over a broker is on probation: one send at a time goes to it (a
 * probe), and only a fast answer gives it its whole share again. The Java client gives it the
 * whole share at once; a master restarted on a busy machine answered its first sends seconds
 * late, and every send of a producer's window then waited on it and failed. The Java client has
 * avoidance off by default (`sendLatencyFaultEnable`); rmq has it on, because its users meet dead
 * brokers in drills and benchmarks and expect the producer to stop trying them.
 */

const LATENCY_MS = [550, 1800, 3000, 5000, 15000] as const;
const AVOID_MS = [2000, 5000, 6000, 10000, 30000] as const;
/** What a failed send counts as (Java: `isolation ? 10000 : currentLatency`). */
const FAILED_AS_MS = 10_000;
/**
 * How long a probe holds its broker's probation: one that neither succeeds nor fails (a message
 * refused for its content says nothing of the broker) lets another go after it.
 */
const PROBE_LEASE_MS = 3000;

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
  /** brokerName → when it may be probed (ms since the epoch); kept until a fast answer. */
  private readonly until = new Map<string, number>();
  /** brokerName → until when its probe is out. */
  private readonly probes = new Map<string, number>();
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
      if (this.until.size > 0 && this.until.delete(brokerName)) this.probes.delete(brokerName);
      return;
    }
    this.until.set(brokerName, this.now() + ms);
    this.probes.delete(brokerName);
    const h = this.history.get(brokerName) ?? { brokerName, times: 0, lastLatencyMs: 0, lastFailed: false };
    h.times++;
    h.lastLatencyMs = Math.round(latencyMs);
    h.lastFailed = failed;
    this.history.set(brokerName, h);
  }

  /** Whether a queue of this broker may be picked now: not aside, and no probe out to it. */
  available(brokerName: string): boolean {
    if (this.until.size === 0) return true;
    const t = this.until.get(brokerName);
    if (t === undefined) return true;
    const now = this.now();
    if (t > now) return false;
    const probe = this.probes.get(brokerName);
    return probe === undefined || probe <= now;
  }

  /** Just before a send goes to this broker: on probation, the send is its probe. */
  sending(brokerName: string): void {
    if (this.until.size === 0) return;
    const t = this.until.get(brokerName);
    const now = this.now();
    if (t !== undefined && t <= now) this.probes.set(brokerName, now + PROBE_LEASE_MS);
  }

  /** Every broker put aside so far in this producer's life, most often first. */
  report(): AvoidedBroker[] {
    return [...this.history.values()].map((h) => ({ ...h })).sort((a, b) => b.times - a.times);
  }
}
