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
  clearTimeout(handle: TimerHandle): void;
  /**
   * Sleeps the thread in the kernel for `ms`, running nothing else meanwhile, and wakes within
   * tens of µs. Only for the last ms before a start instant that engines share (see the engine).
   */
  sleepSync(ms: number): void;
  /** Lets pending I/O and timers run before continuing (a macrotask boundary). */
  yield(): Promise<void>;
  /**
   * A timer for a schedule that is re-armed at every due time (the open-loop pacer). `precise`:
   * to within a few µs of the due time rather than Node's 1 ms timers, so the schedule adds no
   * lateness of its own to the corrected latency.
   */
  pacer(fn: () => void, precise: boolean): Pacer;
}

/** Re-arming costs no allocation: at 20,000 msg/s it happens for nearly every message. */
export interface Pacer {
  /**
   * Calls the function at `atUs` (engine clock), at once if that has passed; replaces an earlier
   * arming. `replyDue`: a reply is on its way and its handler will call the function's work
   * itself, so a precise pacer need not busy-wait for `atUs` (see SystemPacer).
   */
  arm(atUs: number, replyDue?: boolean): void;
  cancel(): void;
}

// performance.timeOrigin is a getter that computes its value: read it once.
const originUs = performance.timeOrigin * 1000;
const nowUs = (): number => originUs + performance.now() * 1000;

/** Beyond this wait, a precise pacer sleeps on a timer (waking EARLY_US before the due time). */
const COARSE_US = 2500;
const EARLY_US = 1500;
/**
 * The longest a precise pacer busy-waits before letting I/O in. Below COARSE_US it must not
 * sleep (Node's timers are 1 ms), and every setImmediate turn allocates ~300 bytes (measured:
 * Immediate, async ids), so a turn per µs of waiting, as a setImmediate spin does, made most of
 * the garbage at 20k msg/s. A reply waits at most this long for the busy-wait to end.
 */
const SLICE_US = 25;

/**
 * Iterations of spin()'s loop per µs: the highest rate seen so far (being descheduled only ever
 * makes the loop look slower), so a wait calibrated on a busy machine does not keep reading the
 * clock.
 */
let spinPerUs = 1;
let spinSink = 0;

/** Register-only work: no clock read, so nothing allocated. */
function spin(n: number): void {
  let x = spinSink;
  for (let i = 0; i < n; i++) x = (x * 31 + i) | 0;
  spinSink = x;
}

/**
 * Busy-waits until `atUs`. Every clock read allocates a heap number (performance.now() is not a
 * fast call in Node 20), so it spins for about half the time left between reads: a handful of
 * reads per wait, not millions per second.
 */
function waitUntil(atUs: number): void {
  let now = nowUs();
  while (atUs - now > 0.5) {
    const n = Math.ceil(((atUs - now) / 2) * spinPerUs);
    spin(n);
    const t = nowUs();
    const dt = t - now;
    // n iterations in under a µs: the rate is at least n per µs.
    const rate = dt >= 1 ? n / dt : n;
    if (rate > spinPerUs) spinPerUs = rate;
    now = t;
  }
}

/**
 * A precise pacer with a reply on its way sleeps on this timer instead of busy-waiting: the
 * reply's handler sends what is due when it comes (the replies clock the schedule), and the
 * timer only covers a reply that does not. Busy-waiting through every gap (50 µs at 20k msg/s)
 * cost a whole core, and a process that never sleeps is the one the OS preempts for ms at a time.
 */
const BACKSTOP_MS = 1;

class SystemPacer implements Pacer {
  private at = 0;
  private armed = false;
  private replyDue = false;
  /** A setImmediate or a timer will run turn(). */
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private timerWakeUs = 0;
  private readonly turn = (): void => {
    this.scheduled = false;
    this.timer = undefined;
    this.run();
  };

  constructor(
    private readonly fn: () => void,
    private readonly precise: boolean,
  ) {}

  arm(atUs: number, replyDue = false): void {
    this.at = atUs;
    this.armed = true;
    this.replyDue = replyDue;
    if (this.scheduled) {
      // The reply's handler or what is scheduled (a turn, a timer about as soon) comes back in time.
      if (
        replyDue &&
        this.precise &&
        (this.timer === undefined || this.timerWakeUs - atUs <= BACKSTOP_MS * 1000)
      )
        return;
      // A sleeping timer that would wake too late for the new time is replaced.
      if (this.timer === undefined || this.timerWakeUs <= atUs - (this.precise ? EARLY_US : 0)) return;
      clearTimeout(this.timer);
      this.timer = undefined;
      this.scheduled = false;
    }
    this.schedule();
  }

  cancel(): void {
    this.armed = false;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.scheduled = false;
    }
    // A pending setImmediate turn finds nothing armed and ends.
  }

  private schedule(): void {
    const wait = this.at - nowUs();
    this.scheduled = true;
    if (!this.precise) {
      this.timerWakeUs = this.at;
      this.timer = setTimeout(this.turn, Math.max(0, wait / 1000));
    } else if (wait >= COARSE_US) {
      this.timerWakeUs = this.at - EARLY_US;
      this.timer = setTimeout(this.turn, (wait - EARLY_US) / 1000);
    } else {
      setImmediate(this.turn);
    }
  }

  private run(): void {
    if (!this.armed) return;
    if (this.precise) {
      const wait = this.at - nowUs();
      if (wait >= COARSE_US) {
        this.schedule();
        return;
      }
      if (wait > SLICE_US && this.replyDue) {
        this.scheduled = true;
        this.timerWakeUs = nowUs() + BACKSTOP_MS * 1000;
        this.timer = setTimeout(this.turn, BACKSTOP_MS);
        return;
      }
      if (wait > SLICE_US) {
        // Part of the wait here, then a turn of the event loop for the replies that came in.
        waitUntil(this.at - wait + SLICE_US);
        this.schedule();
        return;
      }
      waitUntil(this.at);
    }
    this.armed = false;
    this.fn();
  }
}

// Nothing ever notifies it: Atomics.wait on it is a futex sleep with a µs timeout.
const sleeper = new Int32Array(new SharedArrayBuffer(4));

export const systemClock: Clock = {
  nowUs,
  setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, ms)),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  sleepSync: (ms) => {
    if (ms > 0) Atomics.wait(sleeper, 0, 0, ms);
  },
  yield: () => new Promise((resolve) => setImmediate(resolve)),
  pacer: (fn, precise) => new SystemPacer(fn, precise),
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

  clearTimeout(handle: TimerHandle): void {
    (handle as FakeTimer).cancelled = true;
  }

  /** Time moves on at once; timers due meanwhile fire at the next advance(), at their due time. */
  sleepSync(ms: number): void {
    this.t += Math.max(0, ms) * 1000;
  }

  yield(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
  }

  pacer(fn: () => void): Pacer {
    let timer: TimerHandle | undefined;
    return {
      arm: (atUs) => {
        if (timer) this.clearTimeout(timer);
        timer = this.setTimeout(fn, (atUs - this.t) / 1000);
      },
      cancel: () => {
        if (timer) this.clearTimeout(timer);
        timer = undefined;
      },
    };
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
