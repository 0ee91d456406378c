/**
 * The engine's only source of time, injectable so tests run a whole benchmark in virtual time.
 */

export type TimerHandle = { readonly __timer: true } | NodeJS.Timeout;

export interface Clock {
  /**
   * Microseconds since the Unix epoch from the monotonic clock (performance.timeOrigin +
   * performance.now()), so producer and consumer stamps in one process agree to the µs.
   */
  nowUs(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /**
   * Like setTimeout, but fires within tens of µs of the due time rather than Node's 1 ms timer
   * granularity: the open-loop schedule must not add its own lateness to the corrected latency.
   */
  setPreciseTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  /** Lets pending I/O and timers run before continuing (a macrotask boundary). */
  yield(): Promise<void>;
}

const nowUs = (): number => (performance.timeOrigin + performance.now()) * 1000;

interface PreciseTimer {
  readonly __timer: true;
  timeout: NodeJS.Timeout | undefined;
  cancelled: boolean;
}

/**
 * A coarse timer to within 1.5 ms of the due time, then setImmediate turns (which let I/O run in
 * between) until it is due; so a gap under 1.5 ms costs a busy event loop, not a late message.
 */
function preciseTimeout(fn: () => void, ms: number): PreciseTimer {
  const due = nowUs() + ms * 1000;
  const t: PreciseTimer = { __timer: true, timeout: undefined, cancelled: false };
  const spin = () => {
    if (t.cancelled) return;
    if (nowUs() >= due) fn();
    else setImmediate(spin);
  };
  if (ms >= 2.5) {
    t.timeout = setTimeout(() => {
      t.timeout = undefined;
      spin();
    }, ms - 1.5);
  } else {
    setImmediate(spin);
  }
  return t;
}

export const systemClock: Clock = {
  nowUs,
  setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, ms)),
  setPreciseTimeout: preciseTimeout,
  clearTimeout: (h) => {
    if ('cancelled' in h) {
      const t = h as PreciseTimer;
      t.cancelled = true;
      if (t.timeout) clearTimeout(t.timeout);
    } else {
      clearTimeout(h as NodeJS.Timeout);
    }
  },
  yield: () => new Promise((resolve) => setImmediate(resolve)),
};

interface FakeTimer {
  readonly __timer: true;
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * Virtual time for tests: nothing moves until advance(); timers fire in due order with the
 * clock set to their due time, and promise chains settle between two timers.
 */
export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: FakeTimer[] = [];

  constructor(startUs = 1_700_000_000_000_000) {
    this.t = startUs;
  }

  nowUs(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: FakeTimer = {
      __timer: true,
      at: this.t + Math.max(0, ms) * 1000,
      seq: this.seq++,
      fn,
      cancelled: false,
    };
    this.timers.push(timer);
    return timer;
  }

  setPreciseTimeout(fn: () => void, ms: number): TimerHandle {
    return this.setTimeout(fn, ms);
  }

  clearTimeout(handle: TimerHandle): void {
    (handle as FakeTimer).cancelled = true;
  }

  yield(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
  }

  /** Number of timers still armed. */
  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** Moves time forward by `ms`, firing every timer due on the way. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms * 1000;
    for (;;) {
      await settle();
      this.timers = this.timers.filter((t) => !t.cancelled);
      let next: FakeTimer | undefined;
      for (const t of this.timers) {
        if (t.at <= target && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      }
      if (!next) break;
      this.timers.splice(this.timers.indexOf(next), 1);
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = target;
    await settle();
  }

  /** Advances in steps until `p` settles (or `maxMs` of virtual time passed). */
  async run<T>(p: Promise<T>, stepMs = 10, maxMs = 3_600_000): Promise<T> {
    let done = false;
    const watched = p.finally(() => {
      done = true;
    });
    for (let elapsed = 0; !done && elapsed < maxMs; elapsed += stepMs) await this.advance(stepMs);
    return watched;
  }
}

/** Lets promise chains and setImmediate callbacks run (a few rounds, for chains of awaits). */
async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) await new Promise((resolve) => setImmediate(resolve));
}
