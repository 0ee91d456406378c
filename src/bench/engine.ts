/**
 * The headless benchmark engine: the scheduler. It drives producers and consumers through
 * injected ports (ports.ts), tells its Meter (meter.ts) what was sent, acknowledged and
 * received, emits `start`, `tick` (one per interval) and `done`, and resolves to the meter's
 * BenchResult. It knows nothing of oclif, terminals or files.
 *
 * Over 500 lines on purpose: the open and closed loops, the flights and the phase timers share
 * state on the per-message path, and a module boundary there would be a call and an object
 * between them (the send path is kept free of per-message allocation).
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
 *
 * --rate-profile: message n is due when the profile's integral reaches n (profile.ts), so the
 * intended times, and the correction above, follow a changing rate. --backlog: every delivery
 * is held from the start until the producers have the backlog acknowledged, then released;
 * --duration counts from the catch-up (workload-report.ts has the figures).
 */
import { EventEmitter } from 'node:events';
import { type Clock, type Pacer, systemClock, type TimerHandle } from './clock.js';
import { decodeHeader, encodeHeader, newRunId, rollsBack } from './header.js';
import type { Histogram } from './histogram.js';
import { Meter, type TickEvent } from './meter.js';
import { ProfileSchedule, profilePeak } from './profile.js';
import type { BenchParameters, BenchResult, HistogramName } from './result.js';
import type {
  BenchPorts,
  ConsumerPort,
  OutMessage,
  ProducerHooks,
  ProducerPort,
  ReceivedMessage,
  TxAction,
} from './ports.js';
import { Verifier, type VerifierState } from './verify.js';
import { bodyPool, KeyPicker } from './workload.js';
import { backlogThreshold, type BacklogState, type StepMarks, workloadResult } from './workload-report.js';

/** How long before a shared start an engine leaves its timer for a kernel sleep (see start). */
const SHARED_START_BLOCK_MS = 20;

export interface EngineOptions {
  params: BenchParameters;
  ports: BenchPorts;
  payload: Buffer;
  /**
   * Bodies to send in turn instead of `payload` (--payload-dir). Without it, a size distribution
   * (parameters.sizes) draws a pool from `payload`, which must then be its largest size.
   */
  bodies?: Buffer[];
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
  /**
   * Record e2e only for messages of these producers ([first, end)): a bench agent's own, when
   * latency is to be measured without comparing clocks of different hosts (--e2e local).
   */
  e2eProducers?: readonly [number, number] | undefined;
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
  /** their body bytes */
  bytes = 0;
  /** open loop: the schedule index of the first message (the others follow every P), else -1 */
  dueIndex = -1;
  sendUs = 0;
  /** messages whose intended send time is in the measure window */
  measured = 0;
  action: TxAction = 'commit';
  readonly done: (err: unknown, brokerName?: string, status?: string) => void;
  readonly resolved: (value: unknown) => void;
  readonly rejected: (err: unknown) => void;

  constructor(engine: BenchEngine) {
    this.done = (err, brokerName, status) =>
      engine.settle(this, err ?? undefined, err !== undefined && err !== null, brokerName, status);
    this.resolved = (value) => engine.settle(this, undefined, false, brokerOf(value), statusOf(value));
    this.rejected = (err) => engine.settle(this, err ?? 'error', true, brokerOf(err));
  }
}

/** The broker a port's answer names (a send result, a batch's first, an error), if any. */
function brokerOf(v: unknown): string | undefined {
  const x: unknown = Array.isArray(v) ? v[0] : v;
  if (typeof x !== 'object' || x === null) return undefined;
  const name = (x as { brokerName?: unknown }).brokerName;
  return typeof name === 'string' ? name : undefined;
}

/** How a port's answer says the broker stored it (a send result's or a batch's `status`), if it does. */
function statusOf(v: unknown): string | undefined {
  const x: unknown = Array.isArray(v) ? v[0] : v;
  if (typeof x !== 'object' || x === null) return undefined;
  const status = (x as { status?: unknown }).status;
  return typeof status === 'string' ? status : undefined;
}

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

export class BenchEngine extends EventEmitter {
  readonly runId: string;
  private readonly p: BenchParameters;
  private readonly ports: BenchPorts;
  private readonly bodies: Buffer[];
  private bodyIndex = 0;
  private readonly keyPicker: KeyPicker | undefined;
  /** --keys N: messages per key */
  private readonly keyCounts: Uint32Array | undefined;
  /** --rate-profile: the schedule (else message n is due at t0 + n / rate) */
  private schedule: ProfileSchedule | undefined;
  private readonly stepMarks: StepMarks = { acked: [], timers: [] };
  /** acknowledged messages (committed or not): the rate profile's per-step counts */
  private ackedAll = 0;
  /** --backlog / --consume-time: consumers' deliveries wait for this */
  private gate: ReturnType<typeof deferred> | undefined;
  private readonly bl: BacklogState | undefined;
  /** --consume-time: per consumer, when its simulated processing is free again (µs) */
  private busyUntil: number[] = [];
  private readonly clock: Clock;
  private readonly signal: AbortSignal | undefined;
  private readonly system: boolean;
  private readonly producerBase: number;
  private readonly consumerBase: number;
  private readonly beforeStart: EngineOptions['beforeStart'];
  private readonly drainOverride: EngineOptions['drainComplete'];
  private readonly e2eProducers: EngineOptions['e2eProducers'];
  private readonly limit: number;
  private readonly verifier: Verifier | undefined;
  private readonly meter: Meter;
  private readonly emitTick = (e: TickEvent): void => {
    this.emit('tick', e);
  };

  private lanes: Lane[] = [];
  private consumers: ConsumerPort[] = [];
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
  /** A --duration run's scheduled end: nothing falls due at or after it, however late its timer fires. */
  private scheduleEndUs = Infinity;
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
  /** When the last request left (engine clock, µs). */
  private lastIssueUs = 0;
  /** acknowledged messages the consumers should see (rolled-back transactions excluded) */
  private ackedExpected = 0;
  private ackedBytes = 0;
  private receivedByGroup: number[];
  private receivedBytesByGroup: number[];

  constructor(options: EngineOptions) {
    super();
    this.p = options.params;
    this.ports = options.ports;
    this.bodies =
      options.bodies && options.bodies.length > 0
        ? options.bodies
        : this.p.sizes
          ? bodyPool(this.p.sizes, options.payload, 1 + (options.producerBase ?? 0))
          : [options.payload];
    this.keyPicker =
      this.p.keyCount !== undefined
        ? new KeyPicker(
            this.p.keyCount,
            this.p.keyDist ?? { kind: 'uniform' },
            7919 + (options.producerBase ?? 0),
          )
        : undefined;
    this.keyCounts = this.p.keyCount !== undefined ? new Uint32Array(this.p.keyCount) : undefined;
    this.bl =
      this.p.backlog !== undefined
        ? {
            held: false,
            built: false,
            releaseUs: 0,
            caughtUpUs: 0,
            builtMessages: 0,
            builtBytes: 0,
            receivedAtRelease: 0,
            receivedAtCatchUp: 0,
            threshold: backlogThreshold(this.p),
          }
        : undefined;
    this.clock = options.clock ?? systemClock;
    this.signal = options.signal;
    this.runId = options.runId ?? newRunId();
    this.system = options.system ?? true;
    this.producerBase = options.producerBase ?? 0;
    this.consumerBase = options.consumerBase ?? 0;
    this.beforeStart = options.beforeStart;
    this.drainOverride = options.drainComplete;
    this.e2eProducers = options.e2eProducers;
    this.limit = this.p.mode === 'sync' ? 1 : Math.max(1, this.p.inflight);
    this.verifier = this.p.verify
      ? new Verifier(this.p.groupNames, this.p.type === 'fifo' ? this.p.fifoGroups : 0)
      : undefined;
    this.receivedByGroup = this.p.groupNames.map(() => 0);
    this.receivedBytesByGroup = this.p.groupNames.map(() => 0);
    this.meter = new Meter(this.p, this.runId, options.toolVersion ?? '0.0.0');
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
    return this.meter.histogram(name);
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
      // --backlog holds every delivery until the backlog is built (the consumers are subscribed
      // and hold their queues, but take nothing more); --consume-time makes each one take time.
      if (this.bl && this.consumers.length > 0) {
        this.bl.held = true;
        this.gate = deferred();
      }
      this.busyUntil = this.consumers.map(() => 0);
      await Promise.all(
        this.consumers.map((port, i) =>
          port.start((m) => this.onReceive(Math.floor(i / Math.max(1, p.consumers)), m, i)),
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
      // Engines started together (threads, agents on other hosts) must start within ms of each
      // other. A Node timer fires only to the ms and only when the event loop is free; a busy-wait
      // (the last 30 ms, until Dec 3) is what a loaded Linux scheduler runs last, as it has used
      // up its share: an agent started 85 ms late in CI. So a timer until BLOCK_MS before, then
      // a kernel sleep to the instant: woken on time, and run soon, as a task that slept.
      while (startAt !== undefined && this.clock.nowUs() < startAt) {
        const leftMs = (startAt - this.clock.nowUs()) / 1000;
        if (leftMs <= SHARED_START_BLOCK_MS) this.clock.sleepSync(leftMs);
        else await new Promise<void>((r) => this.clock.setTimeout(r, leftMs - SHARED_START_BLOCK_MS));
      }
    } catch (err) {
      this.finished = true;
      await this.closePorts();
      throw err;
    }

    if (this.system) this.meter.watchSystem();
    const onAbort = () => {
      this.interrupted = true;
      this.endMeasure();
    };
    this.signal?.addEventListener('abort', onAbort);

    // Engines started together (--workers) share the start time they were given, so warmup,
    // measure window and e2e cut-off are one moment for all threads, not one per thread.
    this.t0 = this.sharedT0 ?? this.clock.nowUs();
    this.measureStartUs = this.t0 + p.warmupMs * 1000;
    if (p.rateProfile && p.rate !== undefined) {
      // The profile starts with the measure window; the warmup runs at its first rate. A share of
      // the producers runs the profile scaled by its share of the peak.
      const segs = p.rateProfile.segments;
      const first = segs[0]!.from;
      this.schedule = new ProfileSchedule(
        p.warmupMs > 0 ? [{ from: first, to: first, ms: p.warmupMs }, ...segs] : segs,
        this.t0,
        p.rate / profilePeak(segs),
      );
    }
    // Without a warmup no receipt is excluded (and no clock difference can drop a sample).
    const startedAt = this.meter.start(this.t0, p.warmupMs > 0 ? this.measureStartUs : 0);
    this.emit('start', {
      runId: this.runId,
      parameters: p,
      startedAt,
      startUs: this.t0,
    } satisfies StartEvent);
    this.sending = true;
    this.armTick();
    if (p.warmupMs > 0) {
      this.meter.setPhase('warmup');
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
    // The last step of a --rate-profile keeps the replies that were in flight when it ended.
    this.stepMarks.end = this.ackedAll;
    await this.drain();

    this.finished = true;
    this.signal?.removeEventListener('abort', onAbort);
    this.closeInterval(this.clock.nowUs());
    if (this.tickTimer) this.clock.clearTimeout(this.tickTimer);
    const drainMs = (this.clock.nowUs() - this.measureEndUs) / 1000;
    this.meter.stopSystem();
    await this.closePorts();
    const result = this.meter.result({
      measureMs: Math.max(0, (this.measureEndUs - this.measureStartUs) / 1000),
      drainMs,
      interrupted: this.interrupted,
      unsent: this.unsent,
      verification: this.verifier?.summary(Math.round(drainMs * 10) / 10),
      caughtUp: this.consumers.length === 0 || this.drainComplete(),
      sendEndUs: this.measureEndUs,
    });
    const workload = workloadResult({
      params: p,
      result,
      keyCounts: this.keyCounts,
      schedule: this.schedule,
      measureStartUs: this.measureStartUs,
      t0: this.t0,
      marks: this.stepMarks,
      backlog: this.bl,
    });
    if (workload) {
      result.workload = workload.workload;
      result.warnings.push(...workload.warnings);
    }
    this.emit('done', result);
    return result;
  }

  // ---- phases ----

  private beginMeasure(): void {
    if (this.meter.phase === 'measure' || this.measureEndUs > 0) return;
    if (this.p.warmupMs > 0) this.closeInterval(this.clock.nowUs());
    this.meter.setPhase('measure');
    this.meter.measureWindow(true);
    this.emit('phase', 'measure');
    if (this.bl) {
      // --backlog: --duration counts from the catch-up (see caughtUp); until then a time limit.
      const limitUs = this.t0 + (this.p.backlogTimeoutMs ?? 600_000) * 1000;
      this.phaseTimer = this.clock.setTimeout(() => this.endMeasure(), (limitUs - this.clock.nowUs()) / 1000);
    } else if (this.p.durationMs !== undefined) {
      const endUs = this.measureStartUs + this.p.durationMs * 1000;
      this.scheduleEndUs = endUs;
      this.endAt(endUs);
      if (this.schedule && this.p.rateProfile) this.markSteps();
    } else if (this.p.messages !== undefined && this.measuredCompleted >= this.p.messages) {
      this.endMeasure();
    }
  }

  private endMeasure(): void {
    if (this.measureEndUs > 0) return;
    if (this.meter.phase === 'warmup') {
      if (this.phaseTimer) this.clock.clearTimeout(this.phaseTimer);
      this.meter.setPhase('measure');
    }
    this.sending = false;
    const now = this.clock.nowUs();
    this.measureEndUs = Math.max(this.windowEnd(now), this.measureStartUs);
    if (this.phaseTimer) this.clock.clearTimeout(this.phaseTimer);
    this.pacer?.cancel();
    for (const t of this.stepMarks.timers) this.clock.clearTimeout(t);
    // Held deliveries go on (and are counted) during the drain.
    this.release(now);
    // What fell due since the pacer last ran (it runs late on a busy event loop) is unsent too:
    // an interrupted 500 msg/s run in CI otherwise left 19 due messages out of every count.
    if (this.p.rate !== undefined) this.takeDue(now);
    for (const lane of this.lanes) this.unsent += lane.qLen;
    // (An interrupt in the warmup: the window is empty, the warmup's interval ends now.)
    this.closeInterval(Math.min(now, this.measureEndUs));
    this.meter.measureWindow(false);
    this.meter.setPhase('drain');
    this.emit('phase', 'drain');
    this.sendingStopped.resolve();
  }

  /**
   * Open loop, ended by its --duration: the window is the schedule's, stretched only as far as its
   * last messages went out late. An end timer that fires late on a busy machine, with every message
   * due already sent, adds no sending time: counted, its lateness made a 500 msg/s run read
   * 466.6 msg/s in CI (5000 sent in 10.7 s, none unsent).
   */
  private windowEnd(nowUs: number): number {
    if (this.interrupted || this.p.rate === undefined || nowUs <= this.scheduleEndUs) return nowUs;
    if (this.dueUs(this.nextDue) < this.scheduleEndUs) return nowUs;
    for (const lane of this.lanes) if (lane.qLen > 0) return nowUs;
    return Math.min(nowUs, Math.max(this.scheduleEndUs, this.lastIssueUs));
  }

  /**
   * An interrupted run skips the drain, but not with --verify: what was acknowledged and not yet
   * received would be counted as lost (a Ctrl-C'd run reported 1 lost and exit 9 for a message
   * delivered ms later). It drains as a finished run does, within --drain; a second Ctrl-C exits.
   * (An agent's drain is the coordinator's word: an agent whose coordinator is gone ends at once.)
   */
  private async drain(): Promise<void> {
    if (this.consumers.length === 0 || (this.interrupted && !this.verifier)) return;
    const deadline = this.measureEndUs + this.p.drainMs * 1000;
    while (!this.drainComplete() && (!this.interrupted || this.verifier)) {
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
    return this.schedule ? this.schedule.dueUs(n) : this.t0 + (n * 1e6) / this.p.rate!;
  }

  /** --rate-profile: the acknowledged count at each segment's start, for the achieved rate per step. */
  private markSteps(): void {
    let at = this.measureStartUs;
    this.stepMarks.acked = [this.ackedAll];
    for (const seg of this.p.rateProfile!.segments.slice(0, -1)) {
      at += seg.ms * 1000;
      const i = this.stepMarks.timers.length + 1;
      this.stepMarks.timers.push(
        this.clock.setTimeout(
          () => {
            this.stepMarks.acked[i] = this.ackedAll;
          },
          (at - this.clock.nowUs()) / 1000,
        ),
      );
    }
  }

  // ---- --backlog ----

  /** The consumers may take messages again (the backlog is built, or the run ends). */
  private release(nowUs: number): void {
    const bl = this.bl;
    if (!bl?.held) return;
    bl.held = false;
    bl.releaseUs = nowUs;
    bl.builtMessages = this.backlog();
    bl.builtBytes = this.backlogBytes();
    bl.receivedAtRelease = this.receivedByGroup.reduce((a, b) => a + b, 0);
    this.gate?.resolve();
    if (this.sending)
      this.emit(
        'workload',
        `backlog of ${bl.builtMessages.toLocaleString('en-US')} messages built: consumers released`,
      );
  }

  private backlogBytes(): number {
    let max = 0;
    for (const r of this.receivedBytesByGroup) max = Math.max(max, this.ackedBytes - r);
    return max;
  }

  private backlogReached(): boolean {
    const target = this.p.backlog!;
    return target.bytes !== undefined
      ? this.backlogBytes() >= target.bytes
      : this.backlog() >= target.messages;
  }

  /** After the release: the backlog is down to its threshold, so --duration starts now. */
  private checkCaughtUp(nowUs: number): void {
    const bl = this.bl!;
    if (bl.held || bl.caughtUpUs > 0 || bl.releaseUs === 0 || !this.sending) return;
    if (this.backlog() > bl.threshold) return;
    bl.caughtUpUs = nowUs;
    bl.receivedAtCatchUp = this.receivedByGroup.reduce((a, b) => a + b, 0);
    this.emit(
      'workload',
      `consumers caught up ${((nowUs - bl.releaseUs) / 1e6).toFixed(1)} s after the release`,
    );
    const endUs = nowUs + (this.p.durationMs ?? 0) * 1000;
    this.scheduleEndUs = endUs;
    if (this.phaseTimer) this.clock.clearTimeout(this.phaseTimer);
    this.endAt(endUs);
  }

  /**
   * Ends the window at `endUs`, not before: a timer can fire a ms or two early by the engine's
   * clock (libuv counts from its loop time, read when the turn that set it began), which made a
   * step of a --rate-profile one message short of its schedule.
   */
  private endAt(endUs: number): void {
    const leftMs = (endUs - this.clock.nowUs()) / 1000;
    if (leftMs <= 0) this.endMeasure();
    else this.phaseTimer = this.clock.setTimeout(() => this.endAt(endUs), leftMs);
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
    this.takeDue(this.clock.nowUs());
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

  /** Open loop: moves the messages the schedule made due by `now` into their producers' queues. */
  private takeDue(now: number): void {
    const P = this.lanes.length;
    if (!this.scheduleDone) {
      let moved = 0;
      while (this.dueUs(this.nextDue) <= now && moved < 100_000) {
        const due = this.dueUs(this.nextDue);
        // A late end timer (a busy machine) must not add messages past the window: the run makes
        // exactly rate x duration messages due (and the pacer is not re-armed to spin until then).
        if (due >= this.scheduleEndUs) {
          this.scheduleDone = true;
          break;
        }
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
    this.lastIssueUs = sendUs;
    const firstSeq = lane.seq;
    const P = this.lanes.length;
    let measured = 0;
    let bytes = 0;
    let single: OutMessage | undefined;
    const msgs: OutMessage[] | undefined = n > 1 || p.batch > 1 ? new Array<OutMessage>(n) : undefined;
    for (let i = 0; i < n; i++) {
      const seq = lane.seq++;
      if ((dueIndex < 0 ? sendUs : this.dueUs(dueIndex + i * P)) >= this.measureStartUs) measured++;
      const body =
        this.bodies.length === 1 ? this.bodies[0]! : this.bodies[this.bodyIndex++ % this.bodies.length]!;
      bytes += body.length;
      const m: OutMessage = { body, header: encodeHeader(this.runId, lane.id, seq, sendUs) };
      if (p.keys) m.keys = [`${this.runId}-${lane.id}-${seq}`];
      if (this.keyPicker) {
        const k = this.keyPicker.pick();
        this.keyCounts![k]!++;
        const key = `k${k}`;
        m.keys = [key];
        m.hashKey = key;
      }
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
    f.bytes = bytes;
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
  settle(f: Flight, err: unknown, failed: boolean, brokerName: string | undefined, status?: string): void {
    const lane = f.lane;
    const firstSeq = f.firstSeq;
    const n = f.n;
    const bytes = f.bytes;
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
    if (this.meter.phase === 'measure') this.meter.brokerSettled(brokerName, n, failed);
    if (failed) {
      this.meter.sendFailed(err, n);
      if (this.verifier) for (let i = 0; i < n; i++) this.verifier.failed(lane.id, firstSeq + i);
    } else {
      this.meter.sent(n, bytes, now);
      this.ackedAll += n;
      if (status !== undefined && status !== 'SEND_OK') this.meter.storedNotAsAsked(status, n);
      if (action !== 'rollback') {
        this.ackedExpected += n;
        this.ackedBytes += bytes;
        if (this.bl?.held && this.backlogReached()) {
          this.bl.built = true;
          this.release(now);
        }
      }
      if (this.verifier) for (let i = 0; i < n; i++) this.verifier.acknowledged(lane.id, firstSeq + i);
      if (this.p.mode !== 'oneway' && measured > 0) {
        const P = this.lanes.length;
        for (let i = 0; i < n; i++) {
          const t = dueIndex < 0 ? sendUs : this.dueUs(dueIndex + i * P);
          if (t < this.measureStartUs) continue;
          this.meter.sendLatency(now - t, now - sendUs, brokerName);
        }
      }
    }
    this.measuredCompleted += measured;
    if (
      this.p.messages !== undefined &&
      this.measuredCompleted >= this.p.messages &&
      this.meter.phase === 'measure' &&
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

  private onReceive(group: number, m: ReceivedMessage, consumer: number): void | Promise<void> {
    if (this.finished) return;
    if (this.bl?.held || this.p.consumeTimeMs !== undefined) return this.receiveLater(group, m, consumer);
    this.record(group, m);
  }

  /**
   * A delivery that waits: for the release of a --backlog, then for its consumer's simulated
   * processing (--consume-time: one message at a time per consumer). It counts as received when
   * processed, so e2e runs to the end of its processing and the backlog includes what waits.
   */
  private async receiveLater(group: number, m: ReceivedMessage, consumer: number): Promise<void> {
    if (this.bl?.held) await this.gate!.promise;
    const ms = this.p.consumeTimeMs;
    if (ms !== undefined && ms > 0 && !this.finished) {
      const now = this.clock.nowUs();
      // From when the consumer is free, not from when this timer wakes: timer lateness does not
      // slow the simulated consumer below 1 / --consume-time.
      const start = Math.max(now, this.busyUntil[consumer] ?? 0);
      const end = start + ms * 1000;
      this.busyUntil[consumer] = end;
      await new Promise<void>((r) => this.clock.setTimeout(r, (end - now) / 1000));
    }
    if (this.finished) return;
    this.record(group, m);
  }

  private record(group: number, m: ReceivedMessage): void {
    const h = decodeHeader(m.header);
    if (!h || h.runId !== this.runId) {
      this.meter.foreignReceived();
      return;
    }
    const now = this.clock.nowUs();
    const own = this.e2eProducers;
    const e2e = !own || (h.producer >= own[0] && h.producer < own[1]);
    this.meter.received(m.bytes, now, h.sendUs, group, e2e);
    this.receivedByGroup[group] = (this.receivedByGroup[group] ?? 0) + 1;
    this.receivedBytesByGroup[group] = (this.receivedBytesByGroup[group] ?? 0) + m.bytes;
    this.verifier?.received(group, h.producer, h.seq);
    if (this.bl) this.checkCaughtUp(now);
  }

  // ---- intervals ----

  private armTick(): void {
    if (this.tickTimer) this.clock.clearTimeout(this.tickTimer);
    if (this.finished) return;
    const at = this.meter.intervalStartUs + this.p.intervalMs * 1000;
    this.tickTimer = this.clock.setTimeout(
      () => {
        this.tickTimer = undefined;
        this.burst = 0;
        const now = this.clock.nowUs();
        // Past the window's scheduled end (its timer is late too): the window ends, so no
        // interval of it runs past the end the result gives it.
        if (this.meter.phase === 'measure' && now >= this.scheduleEndUs) this.endMeasure();
        else this.closeInterval(now);
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
    if (nowUs > this.meter.intervalStartUs) {
      let queued = 0;
      for (const l of this.lanes) queued += l.qLen;
      this.meter.closeInterval(
        nowUs,
        { backlog: this.backlog(), inflight: this.inflight, queued },
        this.emitTick,
      );
    }
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
}
