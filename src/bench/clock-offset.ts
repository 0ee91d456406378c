/**
 * How far a bench agent's clock is from its coordinator's, from round trips over the bus, as
 * NTP's clock filter estimates it: the coordinator stamps a ping when it sends it (t1), the agent
 * when it reads it (t2) and when it answers (t3), the coordinator when the answer comes (t4).
 *
 *   offset θ = ((t2 − t1) + (t3 − t4)) / 2      agent clock − coordinator clock
 *   delay  δ = (t4 − t1) − (t3 − t2)            time on the way, both directions
 *
 * Whatever the two one-way delays are, the true offset lies within θ ± δ/2; a sample that waited
 * in a queue (a busy broker, a descheduled process) has a large δ and says little. So the
 * estimate is the least-delayed sample's θ, and its uncertainty that sample's δ/2.
 */
import { type Clock, type Pacer, systemClock, type TimerHandle } from './clock.js';

export interface OffsetSample {
  offsetUs: number;
  delayUs: number;
}

export interface OffsetEstimate {
  /** agent clock − coordinator clock, µs */
  offsetUs: number;
  /** the true offset is within offsetUs ± uncertaintyUs */
  uncertaintyUs: number;
  samples: number;
}

/** One round trip's sample; undefined for stamps that cannot be a round trip (δ < 0, not finite). */
export function offsetSample(t1: number, t2: number, t3: number, t4: number): OffsetSample | undefined {
  if (![t1, t2, t3, t4].every(Number.isFinite)) return undefined;
  const delayUs = t4 - t1 - (t3 - t2);
  if (delayUs < 0 || t3 < t2 || t4 < t1) return undefined;
  return { offsetUs: (t2 - t1 + (t3 - t4)) / 2, delayUs };
}

export class OffsetEstimator {
  private readonly samples: OffsetSample[] = [];

  /** @param keep the most recent samples considered (a drifting clock makes old ones stale) */
  constructor(private readonly keep = 64) {}

  add(s: OffsetSample | undefined): void {
    if (!s) return;
    this.samples.push(s);
    if (this.samples.length > this.keep) this.samples.shift();
  }

  get count(): number {
    return this.samples.length;
  }

  estimate(): OffsetEstimate | undefined {
    let best: OffsetSample | undefined;
    for (const s of this.samples) if (!best || s.delayUs < best.delayUs) best = s;
    if (!best) return undefined;
    return { offsetUs: best.offsetUs, uncertaintyUs: best.delayUs / 2, samples: this.samples.length };
  }
}

/**
 * The system clock moved onto the coordinator's: an agent's engine stamps and schedules in
 * coordinator time, so a start time, intervals and send stamps mean the same on every agent and
 * e2e across agents is off by at most the two agents' uncertainties.
 */
export class OffsetClock implements Clock {
  /** @param offsetUs agent clock − coordinator clock (set it again before the engine starts) */
  constructor(
    public offsetUs: number,
    private readonly base: Clock = systemClock,
  ) {}

  nowUs(): number {
    return this.base.nowUs() - this.offsetUs;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.base.setTimeout(fn, ms);
  }

  clearTimeout(handle: TimerHandle): void {
    this.base.clearTimeout(handle);
  }

  sleepSync(ms: number): void {
    this.base.sleepSync(ms);
  }

  yield(): Promise<void> {
    return this.base.yield();
  }

  pacer(fn: () => void, precise: boolean): Pacer {
    const inner = this.base.pacer(fn, precise);
    return {
      arm: (atUs, replyDue) => inner.arm(atUs + this.offsetUs, replyDue),
      cancel: () => inner.cancel(),
    };
  }
}
