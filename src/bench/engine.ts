/**
 * The headless benchmark engine: drives producers and consumers through injected ports, keeps
 * the histograms and counters, emits `start`, `tick` (one per interval) and `done`, and
 * resolves to a BenchResult. It knows nothing of oclif, terminals or files.
 *
 * Time: run start t0 → warmup (--warmup) → measure window → sending stops → in-flight replies
 * settle → drain (consumers catch up, at most --drain after sending stopped) → done.
 *
 * A sample belongs to the measure window when its message's intended send time is at or after
 * the window's start; throughput counts completions inside the window. So nothing sent during
 * warmup leaks into a statistic, and a reply that lands just after the window still counts.
 *
 * Open loop (--rate R): message n is due at t0 + n/R s, assigned to producer n mod P. A due
 * message waits in its producer's queue while the in-flight limit is reached, and its `send`
 * latency runs from the due time, so a stalled broker shows as latency, not as a slower rate
 * (coordinated omission). `send_raw` runs from the moment the request left.
 * Closed loop: each producer keeps its in-flight limit busy; `send` and `send_raw` coincide.
 */
import { EventEmitter } from 'node:events';
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { BrokerResponseError, RocketMQError } from '../core/errors.js';
import { type Clock, type Pacer, systemClock, type TimerHandle } from './clock.js';
import { decodeHeader, encodeHeader, newRunId, rollsBack } from './header.js';
import {
  encodeHistogram,
  type Histogram,
  intervalLatency,
  newHistogram,
  recordUs,
  summarize,
} from './histogram.js';
import {
  type BenchInterval,
  type BenchParameters,
  type BenchResult,
  HISTOGRAM_NAMES,
  type HistogramName,
  type Phase,
  type RateStats,
  SCHEMA_VERSION,
} from './result.js';
import { Verifier, type VerifierState } from './verify.js';

export interface OutMessage {
  body: Buffer;
  /** the bench header (see header.ts), carried in the `rmqb` property */
  header: string;
  tags?: string | undefined;
  keys?: string[] | undefined;
  messageGroup?: string | undefined;
  deliverAtMs?: number | undefined;
}

export type TxAction = 'commit' | 'rollback' | 'unknown';

/** What the engine needs from a producer. Every promise must settle (ports enforce timeouts). */
export interface ProducerPort {
  /** Connects and warms the route, so the first measured send is not a connection set-up. */
  open(): Promise<void>;
  /** Resolves (with anything) when the broker acknowledged. */
  send(msg: OutMessage): Promise<unknown>;
  /**
   * Optional: send()'s callback form, used instead of send() when present (a promise per message
   * is garbage, and garbage is GC pauses in the latencies). `done` is called once, with
   * undefined when the broker acknowledged, else the error, and never before sendCb returns.
   */
  sendCb?(msg: OutMessage, done: (err: unknown) => void): void;
  /** Resolves when the request was handed to the kernel (there is no reply): not when it was queued. */
  sendOneway(msg: OutMessage): Promise<unknown>;
  sendBatch(msgs: OutMessage[]): Promise<unknown>;
  sendTransaction(msg: OutMessage, action: TxAction): Promise<unknown>;
  close(): Promise<void>;
}

export interface ReceivedMessage {
  /** the `rmqb` property, if any */
  header: string | undefined;
  bytes: number;
}

export interface ConsumerPort {
  /** Resolves once the consumer is subscribed; onMessage is called for every delivery. */
  start(onMessage: (m: ReceivedMessage) => void): Promise<void>;
  stop(): Promise<void>;
}

export interface ProducerHooks {
  /** The answer to a broker's transaction check-back for the message with this header. */
  transactionDecision(header: string | undefined): TxAction;
}

export interface BenchPorts {
  producer(index: number, hooks: ProducerHooks): ProducerPort;
  /** `group` indexes parameters.groupNames. */
  consumer(index: number, group: number): ConsumerPort;
  /** Resolves when every consumer group has settled its queue assignment. */
  consumersSettled?(): Promise<void>;
}

export interface EngineOptions {
  params: BenchParameters;
  ports: BenchPorts;
  payload: Buffer;
  clock?: Clock;
  runId?: string;
  signal?: AbortSignal;
  toolVersion?: string;
  /** Watch the event loop and CPU (off in virtual-time tests, where they mean nothing). */
  system?: boolean;
  /** First producer index (workers number their producers apart). */
  producerBase?: number;
  /** First consumer index: consumers of one group need distinct client ids across workers. */
  consumerBase?: number;
  /**
   * Called once producers and consumers are ready; resolves with the moment (µs, engine clock)
   * the run starts, so the engines of several worker threads start together.
   */
  beforeStart?: () => Promise<number | undefined>;
  /** Replaces the drain's own completion test (workers: the main thread sees every engine). */
  drainComplete?: () => boolean;
}

/** Counts a coordinator needs to decide, across engines, that the drain is complete. */
export interface DrainProgress {
  /** acknowledged messages consumers should see */
  acked: number;
  /** per group: messages received (first receipts when verifying) */
  received: number[];
}

export interface StartEvent {
  runId: string;
  parameters: BenchParameters;
  startedAt: string;
  /** the run's t0 on the engine clock (µs since the epoch) */
  startUs: number;
}

export interface TickEvent {
  interval: BenchInterval;
  /** The interval's histograms, valid only during the event (reset right after). */
  histograms: Record<HistogramName, Histogram>;
  startUs: number;
  endUs: number;
}

/** `NAME(code)` for broker responses, else the error kind (timeout, connection, …). */
export function errorKey(err: unknown): string {
  if (err instanceof BrokerResponseError) return `${err.codeName}(${err.responseCode})`;
  if (err instanceof RocketMQError) return err.kind;
  if (err instanceof Error) return err.name;
  return 'error';
}

interface Lane {
  id: number;
  port: ProducerPort;
  seq: number;
  inflight: number;
  /** open loop: due message indexes qHead, qHead + P, … (qLen of them) */
  qHead: number;
  qLen: number;
  /** --type fifo: a message group with a send in flight (one at a time keeps the order) */
  fifoBusy: Uint8Array | undefined;
  yielding: boolean;
}

/**
 * One request in flight. Reused once it completed, and its callbacks are made once per object:
 * fresh closures and arrays per message were most of the engine's garbage.
 */
class Flight {
  lane!: Lane;
  firstSeq = 0;
  /** messages in the request */
  n = 0;
  /** open loop: the schedule index of the first message (the others follow every P), else -1 */
  dueIndex = -1;
  sendUs = 0;
  /** messages whose intended send time is in the measure window */
  measured = 0;
  action: TxAction = 'commit';
  readonly done: (err: unknown) => void;
  readonly resolved: () => void;
  readonly rejected: (err: unknown) => void;

  constructor(engine: BenchEngine) {
    this.done = (err) => engine.settle(this, err ?? undefined, err !== undefined && err !== null);
    this.resolved = () => engine.settle(this, undefined, false);
    this.rejected = (err) => engine.settle(this, err ?? 'error', true);
  }
}

interface Counts {
  sent: number;
  sentBytes: number;
  errors: number;
  received: number;
  receivedBytes: number;
}

const zeroCounts = (): Counts => ({ sent: 0, sentBytes: 0, errors: 0, received: 0, receivedBytes: 0 });
const MiB = 1024 * 1024;
const ELD_RESOLUTION_MS = 10;
/**
 * Node's event-loop-delay histogram records whole sampling intervals (an idle loop reads
 * ≈ the resolution), so the delay is what exceeds the resolution. ns in, ms out.
 */
const loopDelayMs = (ns: number): number => round(Math.max(0, ns / 1e6 - ELD_RESOLUTION_MS), 2);
/** Closed-loop sends issued before yielding to I/O, so timers still fire on a fast port. */
const BURST = 256;
/**
 * --precise: requests issued in one turn of the event loop. After a pause (a GC, a descheduled
 * process) many messages are due at once; sent in one go, each one's reply waited behind the
 * encoding of all the others. Their wait for a turn is in `send`, which runs from the intended
 * time. Not fewer: every turn's sends cost a writev, the dearest call of a send on a VM (a third
 * of the CPU in bursts of 4, which then could not catch up with 20k msg/s on a busy machine).
 */
const PRECISE_BURST = 16;

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const round = (x: number, d = 1): number => {
  const f = 10 ** d;
  return Math.round(x * f) / f;
};

export class BenchEngine extends EventEmitter {
  readonly runId: string;
  private readonly p: BenchParameters;
  private readonly ports: BenchPorts;
  private readonly payload: Buffer;
  private readonly clock: Clock;
  private readonly signal: AbortSignal | undefined;
  private readonly toolVersion: string;
  private readonly system: boolean;
  private readonly producerBase: number;
  private readonly consumerBase: number;
  private readonly beforeStart: EngineOptions['beforeStart'];
  private readonly drainOverride: EngineOptions['drainComplete'];
  private readonly limit: number;
  private readonly verifier: Verifier | undefined;

  private lanes: Lane[] = [];
  private consumers: ConsumerPort[] = [];
  private phase: Phase = 'warmup';
  private t0 = 0;
  /** The start time given by beforeStart, when several engines start together. */
  private sharedT0: number | undefined;
  private measureStartUs = 0;
  /** Receipts of messages stamped from this time on are e2e samples. */
  private e2eFromUs = 0;
  private measureEndUs = 0;
  private sending = false;
  private scheduleDone = false;
  private finished = false;
  private interrupted = false;
  private nextDue = 0;
  /** Open loop: wakes dispatch() when the next message is due. */
  private pacer: Pacer | undefined;
  private tickTimer: TimerHandle | undefined;
  private phaseTimer: TimerHandle | undefined;
  private burst = 0;
  /** Open loop: requests the current turn may still issue (see PRECISE_BURST). */
  private turnBudget = Infinity;
  /** Open loop: the producer whose queue dispatch() flushes first this time. */
  private firstLane = 0;
  /** Flights not in use. */
  private readonly flights: Flight[] = [];

  private inflight = 0;
  private inflightZero: ReturnType<typeof deferred> | undefined;
  private sendingStopped = deferred();
  private measuredIssued = 0;
  private measuredDue = 0;
  private measuredCompleted = 0;
  private unsent = 0;
  private foreign = 0;
  private saturated = 0;
  private early = 0;
  private skewed = 0;
  private skewedMaxUs = 0;
  /** acknowledged messages the consumers should see (rolled-back transactions excluded) */
  private ackedExpected = 0;
  private receivedByGroup: number[];

  private readonly phaseCounts: Record<Phase, Counts> = {
    warmup: zeroCounts(),
    measure: zeroCounts(),
    drain: zeroCounts(),
  };
  private iv: Counts = zeroCounts();
  private ivErrors = new Map<string, number>();
  private ivStartUs = 0;
  private readonly errors = new Map<string, number>();
  private readonly ih: Record<HistogramName, Histogram>;
  private readonly total: Record<HistogramName, Histogram>;
  private readonly intervals: BenchInterval[] = [];

  private eldInterval: IntervalHistogram | undefined;
  private eldMeasure: IntervalHistogram | undefined;
  private cpuStart: NodeJS.CpuUsage | undefined;
  private cpuTick: NodeJS.CpuUsage | undefined;
  private startedAt = '';

  constructor(options: EngineOptions) {
    super();
    this.p = options.params;
    this.ports = options.ports;
    this.payload = options.payload;
    this.clock = options.clock ?? systemClock;
    this.signal = options.signal;
    this.runId = options.runId ?? newRunId();
    this.toolVersion = options.toolVersion ?? '0.0.0';
    this.system = options.system ?? true;
    this.producerBase = options.producerBase ?? 0;
    this.consumerBase = options.consumerBase ?? 0;
    this.beforeStart = options.beforeStart;
    this.drainOverride = options.drainComplete;
    this.limit = this.p.mode === 'sync' ? 1 : Math.max(1, this.p.inflight);
    this.verifier = this.p.verify
      ? new Verifier(this.p.groupNames, this.p.type === 'fifo' ? this.p.fifoGroups : 0)
      : undefined;
    this.receivedByGroup = this.p.groupNames.map(() => 0);
    this.ih = Object.fromEntries(HISTOGRAM_NAMES.map((n) => [n, newHistogram()])) as Record<
      HistogramName,
      Histogram
    >;
    this.total = Object.fromEntries(HISTOGRAM_NAMES.map((n) => [n, newHistogram()])) as Record<
      HistogramName,
      Histogram
    >;
  }

  /** What this engine acknowledged and received so far, for a cross-engine drain decision. */
  drainProgress(): DrainProgress {
    return {
      acked: this.ackedExpected,
      received: this.verifier ? this.verifier.uniqueByGroup() : [...this.receivedByGroup],
    };
  }

  /** The verification tables, to merge with other engines' (worker threads). */
  verifierState(): VerifierState | undefined {
    return this.verifier?.exportState();
  }

  /** The cumulative histogram of the measure window (for SLO evaluation and logs). */
  histogram(name: HistogramName): Histogram {
    return this.total[name];
  }

  async run(): Promise<BenchResult> {
    const p = this.p;
    this.emit('setup');
    try {
      // Consumers first: their start position must precede the first message.
      for (let g = 0; g < p.groups; g++) {
        for (let c = 0; c < p.consumers; c++)
          this.consumers.push(this.ports.consumer(this.consumerBase + c, g));
      }
      await Promise.all(
        this.consumers.map((port, i) =>
          port.start((m) => this.onReceive(Math.floor(i / Math.max(1, p.consumers)), m)),
        ),
      );
      if (this.consumers.length > 0) await this.ports.consumersSettled?.();
      const hooks: ProducerHooks = { transactionDecision: (h) => this.transactionDecision(h) };
      for (let i = 0; i < p.producers; i++) {
        const id = this.producerBase + i;
        this.lanes.push({
          id,
          port: this.ports.producer(id, hooks),
          seq: 0,
          inflight: 0,
          qHead: 0,
          qLen: 0,
          fifoBusy: p.type === 'fifo' ? new Uint8Array(p.fifoGroups) : undefined,
          yielding: false,
        });
      }
      await Promise.all(this.lanes.map((l) => l.port.open()));
      const startAt = await this.beforeStart?.();
      this.sharedT0 = startAt;
      while (startAt !== undefined && this.clock.nowUs() < startAt) {
        await new Promise<void>((r) =>
          this.clock.setPreciseTimeout(r, (startAt - this.clock.nowUs()) / 1000),
        );
      }
    } catch (err) {
      this.finished = true;
      await this.closePorts();
      throw err;
    }

    if (this.system) {
      this.eldInterval = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
      this.eldInterval.enable();
      this.eldMeasure = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
      this.cpuStart = process.cpuUsage();
      this.cpuTick = this.cpuStart;
    }
    const onAbort = () => {
      this.interrupted = true;
      this.endMeasure();
    };
    this.signal?.addEventListener('abort', onAbort);

    // Engines started together (--workers) share the start time they were given, so warmup,
    // measure window and e2e cut-off are one moment for all threads, not one per thread.
    this.t0 = this.sharedT0 ?? this.clock.nowUs();
    this.startedAt = new Date().toISOString();
    this.emit('start', {
      runId: this.runId,
      parameters: p,
      startedAt: this.startedAt,
      startUs: this.t0,
    } satisfies StartEvent);
    this.ivStartUs = this.t0;
    this.measureStartUs = this.t0 + p.warmupMs * 1000;
    // Without a warmup no receipt is excluded (and no clock difference can drop a sample).
    this.e2eFromUs = p.warmupMs > 0 ? this.measureStartUs : 0;
    this.sending = true;
    this.armTick();
    if (p.warmupMs > 0) {
      this.phase = 'warmup';
      this.phaseTimer = this.clock.setTimeout(
        () => this.beginMeasure(),
        Math.max(0, (this.measureStartUs - this.clock.nowUs()) / 1000),
      );
    } else {
      this.beginMeasure();
    }
    if (this.lanes.length === 0) {
      // A consumer-only engine (a worker thread without producers): nothing to send.
    } else if (p.rate !== undefined) this.dispatch();
    else for (const lane of this.lanes) this.pump(lane);
    if (this.signal?.aborted) onAbort();

    await this.sendingStopped.promise;
    if (this.inflight > 0) {
      this.inflightZero = deferred();
      await this.inflightZero.promise;
    }
    await this.drain();

    this.finished = true;
    this.signal?.removeEventListener('abort', onAbort);
    this.closeInterval(this.clock.nowUs());
    if (this.tickTimer) this.clock.clearTimeout(this.tickTimer);
    const drainMs = (this.clock.nowUs() - this.measureEndUs) / 1000;
    this.eldInterval?.disable();
    await this.closePorts();
    const result = this.buildResult(drainMs);
    this.emit('done', result);
    return result;
  }

  // ---- phases ----

  private beginMeasure(): void {
    if (this.phase === 'measure' || this.measureEndUs > 0) return;
    if (this.p.warmupMs > 0) this.closeInterval(this.clock.nowUs());
    this.phase = 'measure';
    this.eldMeasure?.enable();
    this.emit('phase', 'measure');
    if (this.p.durationMs !== undefined) {
      const endUs = this.measureStartUs + this.p.durationMs * 1000;
      this.phaseTimer = this.clock.setTimeout(() => this.endMeasure(), (endUs - this.clock.nowUs()) / 1000);
    } else if (this.p.messages !== undefined && this.measuredCompleted >= this.p.messages) {
      this.endMeasure();
    }
  }

  private endMeasure(): void {
    if (this.measureEndUs > 0) return;
    if (this.phase === 'warmup') {
      if (this.phaseTimer) this.clock.clearTimeout(this.phaseTimer);
      this.phase = 'measure';
    }
    this.sending = false;
    const now = this.clock.nowUs();
    this.measureEndUs = Math.max(now, this.measureStartUs);
    if (this.phaseTimer) this.clock.clearTimeout(this.phaseTimer);
    this.pacer?.cancel();
    for (const lane of this.lanes) this.unsent += lane.qLen;
    this.closeInterval(now);
    this.eldMeasure?.disable();
    this.phase = 'drain';
    this.emit('phase', 'drain');
    this.sendingStopped.resolve();
  }

  private async drain(): Promise<void> {
    if (this.consumers.length === 0 || this.interrupted) return;
    const deadline = this.measureEndUs + this.p.drainMs * 1000;
    while (!this.drainComplete() && !this.interrupted) {
      const left = (deadline - this.clock.nowUs()) / 1000;
      if (left <= 0) break;
      await new Promise<void>((r) => this.clock.setTimeout(r, Math.min(50, left)));
    }
  }

  private drainComplete(): boolean {
    if (this.drainOverride) return this.drainOverride();
    if (this.verifier) return this.verifier.isComplete();
    return this.receivedByGroup.every((n) => n >= this.ackedExpected);
  }

  // ---- sending ----

  private dueUs(n: number): number {
    return this.t0 + (n * 1e6) / this.p.rate!;
  }

  /**
   * Open loop: moves every message due by now into its producer's queue, then sends what fits;
   * called by the pacer at each due time.
   */
  private dispatch = (): void => {
    this.burst = 0;
    if (!this.sending) return;
    this.turnBudget = this.p.precise ? PRECISE_BURST : Infinity;
    this.sendDue();
  };

  /**
   * dispatch()'s work within the turn's budget; --precise also calls it on every reply, so with
   * requests in flight the replies clock the schedule and the pacer sleeps (see Pacer.arm).
   */
  private sendDue(): void {
    const P = this.lanes.length;
    if (!this.scheduleDone) {
      const now = this.clock.nowUs();
      let moved = 0;
      while (this.dueUs(this.nextDue) <= now && moved < 100_000) {
        const due = this.dueUs(this.nextDue);
        if (this.p.messages !== undefined && due >= this.measureStartUs) {
          if (this.measuredDue >= this.p.messages) {
            this.scheduleDone = true;
            break;
          }
          this.measuredDue++;
        }
        const lane = this.lanes[this.nextDue % P]!;
        if (lane.qLen === 0) lane.qHead = this.nextDue;
        lane.qLen++;
        this.nextDue++;
        moved++;
      }
      if (this.p.messages !== undefined && this.measuredDue >= this.p.messages) this.scheduleDone = true;
    }
    // Producers take turns at going first, so a budget that runs out does not always run out
    // on the same ones.
    const start = this.firstLane;
    this.firstLane = (start + 1) % P;
    for (let i = 0; i < P; i++) this.flushQueue(this.lanes[(start + i) % P]!);
    if (this.sending && !(this.scheduleDone && this.turnBudget > 0)) {
      this.pacer ??= this.clock.pacer(this.dispatch, this.p.precise);
      // A budget spent with messages still waiting: straight back after a turn of the loop.
      if (this.turnBudget > 0) this.pacer.arm(this.dueUs(this.nextDue), this.inflight > 0);
      else this.pacer.arm(this.clock.nowUs());
    }
  }

  /** Open loop: sends queued due messages while the producer has room (and the turn has budget). */
  private flushQueue(lane: Lane): void {
    const P = this.lanes.length;
    const batch = this.p.batch;
    while (lane.qLen > 0 && lane.inflight < this.limit && this.sending) {
      const k = Math.min(batch, lane.qLen);
      if (k < batch && !this.scheduleDone) break;
      if (lane.fifoBusy?.[lane.seq % this.p.fifoGroups]) break;
      if (this.turnBudget <= 0) {
        // Spent by sends made as replies came in: the pacer comes back for the rest.
        this.pacer?.arm(this.clock.nowUs());
        break;
      }
      this.turnBudget--;
      const first = lane.qHead;
      lane.qHead += k * P;
      lane.qLen -= k;
      this.issue(lane, k, first);
    }
  }

  /** Closed loop: keeps the producer's in-flight limit busy. */
  private pump(lane: Lane): void {
    if (lane.yielding) return;
    while (this.sending && lane.inflight < this.limit) {
      const now = this.clock.nowUs();
      let k = this.p.batch;
      if (this.p.messages !== undefined && now >= this.measureStartUs) {
        const left = this.p.messages - this.measuredIssued;
        if (left <= 0) return;
        k = Math.min(k, left);
      }
      if (lane.fifoBusy?.[lane.seq % this.p.fifoGroups]) return;
      this.issue(lane, k, -1);
      if (++this.burst >= BURST) {
        lane.yielding = true;
        void this.clock.yield().then(() => {
          this.burst = 0;
          lane.yielding = false;
          this.pump(lane);
        });
        return;
      }
    }
  }

  private transactionDecision(header: string | undefined): TxAction {
    const h = decodeHeader(header);
    if (!h || h.runId !== this.runId) return 'rollback';
    return rollsBack(h.producer, h.seq, this.p.txRollbackRatio) ? 'rollback' : 'commit';
  }

  /**
   * Sends `n` messages as one request. Open loop: their intended send times are the schedule's
   * slots dueIndex, dueIndex + P, …; closed loop (dueIndex -1): the moment they leave.
   */
  private issue(lane: Lane, n: number, dueIndex: number): void {
    const p = this.p;
    const sendUs = this.clock.nowUs();
    const firstSeq = lane.seq;
    const P = this.lanes.length;
    let measured = 0;
    let single: OutMessage | undefined;
    const msgs: OutMessage[] | undefined = n > 1 || p.batch > 1 ? new Array<OutMessage>(n) : undefined;
    for (let i = 0; i < n; i++) {
      const seq = lane.seq++;
      if ((dueIndex < 0 ? sendUs : this.dueUs(dueIndex + i * P)) >= this.measureStartUs) measured++;
      const m: OutMessage = { body: this.payload, header: encodeHeader(this.runId, lane.id, seq, sendUs) };
      if (p.keys) m.keys = [`${this.runId}-${lane.id}-${seq}`];
      if (p.tags.length > 0) m.tags = p.tags[seq % p.tags.length];
      if (lane.fifoBusy) {
        const j = seq % p.fifoGroups;
        lane.fifoBusy[j] = 1;
        m.messageGroup = `${this.runId}-${lane.id}-${j}`;
      }
      if (p.type === 'delay') m.deliverAtMs = Math.round(sendUs / 1000) + (p.delayMs ?? 0);
      if (msgs) msgs[i] = m;
      else single = m;
    }
    this.measuredIssued += measured;
    lane.inflight++;
    this.inflight++;
    let action: TxAction = 'commit';
    if (p.type === 'transaction' && rollsBack(lane.id, firstSeq, p.txRollbackRatio)) {
      action = 'rollback';
      this.verifier?.rollback(lane.id, firstSeq);
    }
    const f = this.flights.pop() ?? new Flight(this);
    f.lane = lane;
    f.firstSeq = firstSeq;
    f.n = n;
    f.dueIndex = dueIndex;
    f.sendUs = sendUs;
    f.measured = measured;
    f.action = action;
    const port = lane.port;
    if (!msgs && p.mode !== 'oneway' && p.type !== 'transaction' && port.sendCb) {
      try {
        port.sendCb(single!, f.done);
      } catch (err) {
        process.nextTick(f.done, err ?? 'error');
      }
      return;
    }
    let promise: Promise<unknown>;
    try {
      if (p.mode === 'oneway') promise = port.sendOneway(msgs ? msgs[0]! : single!);
      else if (msgs) promise = port.sendBatch(msgs);
      else if (p.type === 'transaction') promise = port.sendTransaction(single!, action);
      else promise = port.send(single!);
    } catch (err) {
      promise = Promise.reject(err);
    }
    promise.then(f.resolved, f.rejected);
  }

  /** A flight's outcome (called through its callbacks; `failed` with `err` the error). */
  settle(f: Flight, err: unknown, failed: boolean): void {
    const lane = f.lane;
    const firstSeq = f.firstSeq;
    const n = f.n;
    const dueIndex = f.dueIndex;
    const sendUs = f.sendUs;
    const measured = f.measured;
    const action = f.action;
    this.flights.push(f);
    const now = this.clock.nowUs();
    lane.inflight--;
    this.inflight--;
    if (lane.fifoBusy) {
      for (let i = 0; i < n; i++) lane.fifoBusy[(firstSeq + i) % this.p.fifoGroups] = 0;
    }
    const pc = this.phaseCounts[this.phase];
    if (failed) {
      const key = errorKey(err);
      this.ivErrors.set(key, (this.ivErrors.get(key) ?? 0) + n);
      if (this.phase !== 'warmup') this.errors.set(key, (this.errors.get(key) ?? 0) + n);
      this.iv.errors += n;
      pc.errors += n;
      if (this.verifier) for (let i = 0; i < n; i++) this.verifier.failed(lane.id, firstSeq + i);
    } else {
      const bytes = n * this.payload.length;
      this.iv.sent += n;
      this.iv.sentBytes += bytes;
      pc.sent += n;
      pc.sentBytes += bytes;
      if (action !== 'rollback') this.ackedExpected += n;
      if (this.verifier) for (let i = 0; i < n; i++) this.verifier.acknowledged(lane.id, firstSeq + i);
      if (this.p.mode !== 'oneway' && measured > 0) {
        const P = this.lanes.length;
        for (let i = 0; i < n; i++) {
          const t = dueIndex < 0 ? sendUs : this.dueUs(dueIndex + i * P);
          if (t < this.measureStartUs) continue;
          if (!recordUs(this.ih.send, now - t)) this.saturated++;
          if (!recordUs(this.ih.send_raw, now - sendUs)) this.saturated++;
        }
      }
    }
    this.measuredCompleted += measured;
    if (
      this.p.messages !== undefined &&
      this.measuredCompleted >= this.p.messages &&
      this.phase === 'measure' &&
      this.measureEndUs === 0
    ) {
      this.endMeasure();
    }
    if (this.sending) {
      if (this.p.rate === undefined) this.pump(lane);
      else if (this.p.precise) this.sendDue();
      else this.flushQueue(lane);
    }
    if (this.inflight === 0 && this.inflightZero) this.inflightZero.resolve();
  }

  // ---- receiving ----

  private onReceive(group: number, m: ReceivedMessage): void {
    if (this.finished) return;
    const h = decodeHeader(m.header);
    if (!h || h.runId !== this.runId) {
      this.foreign++;
      return;
    }
    const now = this.clock.nowUs();
    this.iv.received++;
    this.iv.receivedBytes += m.bytes;
    const pc = this.phaseCounts[this.phase];
    pc.received++;
    pc.receivedBytes += m.bytes;
    this.receivedByGroup[group] = (this.receivedByGroup[group] ?? 0) + 1;
    if (now < h.sendUs) {
      // Stamped by another process whose clock is ahead of ours (separate-process mode).
      this.skewed++;
      this.skewedMaxUs = Math.max(this.skewedMaxUs, h.sendUs - now);
    }
    if (h.sendUs >= this.e2eFromUs) {
      if (!recordUs(this.ih.e2e, now - h.sendUs)) this.saturated++;
      if (this.p.type === 'delay') {
        const deliverAtUs = (Math.round(h.sendUs / 1000) + (this.p.delayMs ?? 0)) * 1000;
        const late = now - deliverAtUs;
        if (late < 0) this.early++;
        if (!recordUs(this.ih.delay, late)) this.saturated++;
      }
    }
    this.verifier?.received(group, h.producer, h.seq);
  }

  // ---- intervals ----

  private armTick(): void {
    if (this.tickTimer) this.clock.clearTimeout(this.tickTimer);
    if (this.finished) return;
    const at = this.ivStartUs + this.p.intervalMs * 1000;
    this.tickTimer = this.clock.setTimeout(
      () => {
        this.tickTimer = undefined;
        this.burst = 0;
        this.closeInterval(this.clock.nowUs());
      },
      (at - this.clock.nowUs()) / 1000,
    );
  }

  private backlog(): number {
    if (this.consumers.length === 0) return 0;
    let max = 0;
    for (const r of this.receivedByGroup) max = Math.max(max, this.ackedExpected - r);
    return max;
  }

  private closeInterval(nowUs: number): void {
    const startUs = this.ivStartUs;
    if (nowUs <= startUs) {
      this.armTick();
      return;
    }
    const s = (nowUs - startUs) / 1e6;
    let eventLoopP99Ms = 0;
    let eventLoopMaxMs = 0;
    if (this.eldInterval && this.eldInterval.count > 0) {
      eventLoopP99Ms = loopDelayMs(this.eldInterval.percentile(99));
      eventLoopMaxMs = loopDelayMs(this.eldInterval.max);
      this.eldInterval.reset();
    }
    let cpuPct = 0;
    if (this.cpuTick) {
      const d = process.cpuUsage(this.cpuTick);
      this.cpuTick = process.cpuUsage();
      cpuPct = round(((d.user + d.system) / (nowUs - startUs)) * 100);
    }
    let queued = 0;
    for (const l of this.lanes) queued += l.qLen;
    const interval: BenchInterval = {
      index: this.intervals.length,
      phase: this.phase,
      startMs: round((startUs - this.t0) / 1000),
      endMs: round((nowUs - this.t0) / 1000),
      sent: this.iv.sent,
      sendErrors: this.iv.errors,
      received: this.iv.received,
      sendTps: round(this.iv.sent / s),
      receiveTps: round(this.iv.received / s),
      sendMBps: round(this.iv.sentBytes / s / MiB, 3),
      receiveMBps: round(this.iv.receivedBytes / s / MiB, 3),
      backlog: this.backlog(),
      inflight: this.inflight,
      queued,
      errors: Object.fromEntries(this.ivErrors),
      send: intervalLatency(this.ih.send),
      e2e: intervalLatency(this.ih.e2e),
      eventLoopP99Ms,
      eventLoopMaxMs,
      cpuPct,
    };
    this.intervals.push(interval);
    this.emit('tick', { interval, histograms: this.ih, startUs, endUs: nowUs } satisfies TickEvent);
    for (const name of HISTOGRAM_NAMES) {
      if (this.ih[name].totalCount > 0) {
        this.total[name].add(this.ih[name]);
        this.ih[name].reset();
      }
    }
    this.iv = zeroCounts();
    this.ivErrors = new Map();
    this.ivStartUs = nowUs;
    this.armTick();
  }

  // ---- end ----

  private async closePorts(): Promise<void> {
    const results = await Promise.allSettled([
      ...this.consumers.map((c) => c.stop()),
      ...this.lanes.map((l) => l.port.close()),
    ]);
    for (const r of results) if (r.status === 'rejected') this.emit('warning', r.reason);
  }

  private rateStats(kind: 'send' | 'receive', measureS: number): RateStats {
    const pc = this.phaseCounts.measure;
    const count = kind === 'send' ? pc.sent : pc.received;
    const bytes = kind === 'send' ? pc.sentBytes : pc.receivedBytes;
    // A short last interval says little about a rate: only full-length ones count.
    const full = this.intervals.filter(
      (i) => i.phase === 'measure' && i.endMs - i.startMs >= this.p.intervalMs * 0.5,
    );
    const rates = full.map((i) => (kind === 'send' ? i.sendTps : i.receiveTps));
    return {
      tps: measureS > 0 ? round(count / measureS) : 0,
      mbps: measureS > 0 ? round(bytes / measureS / MiB, 3) : 0,
      perInterval:
        rates.length === 0
          ? null
          : {
              min: Math.min(...rates),
              avg: round(rates.reduce((a, b) => a + b, 0) / rates.length),
              max: Math.max(...rates),
            },
    };
  }

  private buildResult(drainMs: number): BenchResult {
    const p = this.p;
    const measureMs = Math.max(0, (this.measureEndUs - this.measureStartUs) / 1000);
    const measureS = measureMs / 1000;
    const all = Object.values(this.phaseCounts);
    const sum = (k: keyof Counts) => all.reduce((a, c) => a + c[k], 0);
    const latency: BenchResult['latency'] = {};
    const histograms: BenchResult['histograms'] = {};
    for (const name of HISTOGRAM_NAMES) {
      const s = summarize(this.total[name]);
      if (s) {
        latency[name] = s;
        histograms[name] = encodeHistogram(this.total[name]);
      }
    }
    let cpu: BenchResult['cpu'] = { userMs: 0, systemMs: 0, usPerMessage: null };
    if (this.cpuStart) {
      const d = process.cpuUsage(this.cpuStart);
      const handled = sum('sent') + sum('received');
      cpu = {
        userMs: round(d.user / 1000),
        systemMs: round(d.system / 1000),
        usPerMessage: handled > 0 ? round((d.user + d.system) / handled, 2) : null,
      };
    }
    const eld = this.eldMeasure;
    const eventLoop =
      eld && eld.count > 0
        ? {
            p50Ms: loopDelayMs(eld.percentile(50)),
            p99Ms: loopDelayMs(eld.percentile(99)),
            maxMs: loopDelayMs(eld.max),
          }
        : { p50Ms: 0, p99Ms: 0, maxMs: 0 };
    const result: BenchResult = {
      schemaVersion: SCHEMA_VERSION,
      tool: { name: 'rmq', version: this.toolVersion },
      runId: this.runId,
      startedAt: this.startedAt,
      endedAt: new Date().toISOString(),
      interrupted: this.interrupted,
      parameters: p,
      phases: { warmupMs: p.warmupMs, measureMs: round(measureMs), drainMs: round(drainMs) },
      totals: {
        sent: sum('sent'),
        sendErrors: sum('errors'),
        received: sum('received'),
        measuredSent: this.phaseCounts.measure.sent,
        measuredReceived: this.phaseCounts.measure.received,
        bytesSent: sum('sentBytes'),
        bytesReceived: sum('receivedBytes'),
        unsent: this.unsent,
        foreign: this.foreign,
        saturated: this.saturated,
        early: this.early,
        skewed: this.skewed,
        skewedMaxUs: Math.round(this.skewedMaxUs),
      },
      throughput: { send: this.rateStats('send', measureS), receive: this.rateStats('receive', measureS) },
      latency,
      histograms,
      errors: [...this.errors]
        .map(([key, count]) => ({ key, count }))
        .sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : 1)),
      eventLoop,
      cpu,
      intervals: this.intervals,
      warnings: [],
    };
    if (this.verifier) result.verification = this.verifier.summary(round(drainMs));
    result.warnings = resultWarnings(result, this.consumers.length === 0 || this.drainComplete());
    return result;
  }
}

/**
 * Sentences about a run's own validity. `caughtUp`: without --verify, whether the consumers
 * caught up before the drain ended.
 */
export function resultWarnings(r: BenchResult, caughtUp: boolean): string[] {
  const w: string[] = [];
  const p = r.parameters;
  if (r.eventLoop.p99Ms > 50) {
    w.push(
      `the client's event loop lagged (p99 ${r.eventLoop.p99Ms} ms): latencies include the tool's own delay`,
    );
  }
  const busy = r.intervals.filter((i) => i.phase === 'measure' && i.cpuPct >= 90).length;
  const measured = r.intervals.filter((i) => i.phase === 'measure').length;
  // --precise spins through idle time, so its CPU figure says nothing about saturation.
  if (busy > 0 && busy >= measured / 2 && !p.precise) {
    w.push('this process used ≥ 90 % of a core for most of the run: the tool may be the bottleneck');
  }
  if (r.totals.unsent > 0) {
    w.push(`${r.totals.unsent} messages due at --rate ${p.rate} were never sent: the producers fell behind`);
  }
  if (p.rate !== undefined && r.throughput.send.tps < p.rate * 0.95 && r.phases.measureMs >= 1000) {
    w.push(`achieved ${r.throughput.send.tps} msg/s of the ${p.rate} msg/s target`);
  }
  if (r.totals.saturated > 0) w.push(`${r.totals.saturated} samples exceeded 60 s and were recorded as 60 s`);
  if (r.verification && !r.verification.complete && !r.interrupted) {
    w.push('the drain window ended before every acknowledged message was received');
  } else if (!r.verification && p.consumers > 0 && !caughtUp && !r.interrupted) {
    w.push('the drain window ended before the consumers caught up');
  }
  if (r.totals.foreign > 0) w.push(`ignored ${r.totals.foreign} messages of other runs found on the topic`);
  if (r.totals.early > 0) w.push(`${r.totals.early} delayed messages arrived before their delivery time`);
  if (r.totals.skewed > 0) {
    w.push(
      `${r.totals.skewed} messages arrived before their send time (by up to ${(r.totals.skewedMaxUs / 1000).toFixed(1)} ms): the sending process's clock is ahead, and e2e is off by the skew`,
    );
  }
  return w;
}
