/**
 * The benchmark's measurements: counts per phase and per interval, error keys, the latency
 * histograms, the process's event loop and CPU, interval closing and the final BenchResult. The
 * engine (engine.ts) decides what is sent when and tells the meter what happened; the meter
 * never schedules anything.
 *
 * An interval is first an IntervalSample (counts, error keys, histograms, gauges: things that
 * add up across sources) and only then a BenchInterval (rates and quantiles, which do not).
 * Several sources measuring the same period (worker threads, bench agents on other hosts) merge
 * samples and render the merged one with the same intervalOf(), so its quantiles stay exact.
 *
 * The record methods run once per message or request: they take numbers, allocate nothing and
 * stay small enough to be inlined into the engine's send callback.
 */
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { BrokerResponseError, RocketMQError } from '../core/errors.js';
import { type BrokerTally, brokerRows, UNKNOWN_BROKER } from './brokers.js';
import { type ModeTally, modeRows, newModeTally } from './consume-modes.js';
import { StallTracker } from './stalls.js';
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
  countList,
  HISTOGRAM_NAMES,
  type HistogramName,
  type Phase,
  type ConsumeMode,
  type RateStats,
  SCHEMA_VERSION,
  type VerificationSummary,
} from './result.js';

export interface Counts {
  sent: number;
  sentBytes: number;
  errors: number;
  received: number;
  receivedBytes: number;
}

export const zeroCounts = (): Counts => ({ sent: 0, sentBytes: 0, errors: 0, received: 0, receivedBytes: 0 });

/** Read at an interval's close rather than summed over it. */
export interface Gauges {
  backlog: number;
  inflight: number;
  queued: number;
  eventLoopP99Ms: number;
  eventLoopMaxMs: number;
  cpuPct: number;
}

/**
 * One source's measurements of one interval, before anything is divided or rounded. Its
 * histograms are the meter's own and are reset once the interval's tick event returns.
 */
export interface IntervalSample {
  index: number;
  phase: Phase;
  /** engine clock, µs */
  startUs: number;
  endUs: number;
  counts: Counts;
  errors: Map<string, number>;
  histograms: Record<HistogramName, Histogram>;
  gauges: Gauges;
  /** The interval's sends per broker (measure window only), when the source tracks them. */
  brokers?: ReadonlyMap<string, BrokerTally>;
}

export interface TickEvent {
  interval: BenchInterval;
  /** The interval's histograms, valid only during the event (reset right after). */
  histograms: Record<HistogramName, Histogram>;
  startUs: number;
  endUs: number;
  /**
   * What `interval` was made from, for a consumer that merges it with other sources' samples;
   * absent on ticks that --workers merged from rendered intervals.
   */
  sample?: IntervalSample;
  /** The interval's counts, bytes included (sample.counts when there is a sample). */
  counts?: Counts;
  /** The interval's sends per broker in the measure window; valid only during the event. */
  brokers?: ReadonlyMap<string, BrokerTally>;
}

/** What the scheduler knows at the end of a run and the meter does not. */
export interface RunEnd {
  measureMs: number;
  drainMs: number;
  interrupted: boolean;
  /** messages due at --rate that never left their producer's queue */
  unsent: number;
  verification?: VerificationSummary | undefined;
  /** without --verify: whether the consumers caught up before the drain ended */
  caughtUp: boolean;
  /** when sending stopped (engine clock, µs): a stall still open then ends there */
  sendEndUs: number;
}

/** `NAME(code)` for broker responses, else the error kind (timeout, connection, …). */
export function errorKey(err: unknown): string {
  if (err instanceof BrokerResponseError) return `${err.codeName}(${err.responseCode})`;
  if (err instanceof RocketMQError) return err.kind;
  if (err instanceof Error) return err.name;
  return 'error';
}

const MiB = 1024 * 1024;
const ELD_RESOLUTION_MS = 10;

const round = (x: number, d = 1): number => {
  const f = 10 ** d;
  return Math.round(x * f) / f;
};

/**
 * Node's event-loop-delay histogram records whole sampling intervals (an idle loop reads
 * ≈ the resolution), so the delay is what exceeds the resolution. ns in, ms out.
 */
const loopDelayMs = (ns: number): number => round(Math.max(0, ns / 1e6 - ELD_RESOLUTION_MS), 2);

const histogramSet = (): Record<HistogramName, Histogram> =>
  Object.fromEntries(HISTOGRAM_NAMES.map((n) => [n, newHistogram()])) as Record<HistogramName, Histogram>;

/** An interval's line in the result: rates over its length, quantiles of its histograms. */
export function intervalOf(s: IntervalSample, t0Us: number): BenchInterval {
  const secs = (s.endUs - s.startUs) / 1e6;
  const c = s.counts;
  return {
    index: s.index,
    phase: s.phase,
    startMs: round((s.startUs - t0Us) / 1000),
    endMs: round((s.endUs - t0Us) / 1000),
    sent: c.sent,
    sendErrors: c.errors,
    received: c.received,
    sendTps: round(c.sent / secs),
    receiveTps: round(c.received / secs),
    sendMBps: round(c.sentBytes / secs / MiB, 3),
    receiveMBps: round(c.receivedBytes / secs / MiB, 3),
    backlog: s.gauges.backlog,
    inflight: s.gauges.inflight,
    queued: s.gauges.queued,
    errors: Object.fromEntries(s.errors),
    send: intervalLatency(s.histograms.send),
    e2e: intervalLatency(s.histograms.e2e),
    eventLoopP99Ms: s.gauges.eventLoopP99Ms,
    eventLoopMaxMs: s.gauges.eventLoopMaxMs,
    cpuPct: s.gauges.cpuPct,
  };
}

export class Meter {
  private readonly p: BenchParameters;
  private readonly runId: string;
  private readonly toolVersion: string;

  private current: Phase = 'warmup';
  private readonly phaseCounts: Record<Phase, Counts> = {
    warmup: zeroCounts(),
    measure: zeroCounts(),
    drain: zeroCounts(),
  };
  /** the current phase's counts */
  private pc: Counts = this.phaseCounts.warmup;
  private iv: Counts = zeroCounts();
  private ivErrors = new Map<string, number>();
  private ivStartUs = 0;
  private readonly errors = new Map<string, number>();
  /** Acknowledged but not stored as the broker was configured to, by SendStatus (whole run). */
  private readonly notAsAsked = new Map<string, number>();
  private readonly ih = histogramSet();
  private readonly total = histogramSet();
  private readonly intervals: BenchInterval[] = [];
  /** The measure window's sends per broker ("which broker is slow" is a capacity test's first question). */
  private readonly perBroker = new Map<string, BrokerTally>();
  /** This interval's share of perBroker, folded into it as the interval closes (live metrics read it). */
  private readonly ivBrokers = new Map<string, BrokerTally>();
  /** The measure window's e2e per consume mode, when the run has POP groups. */
  private readonly perMode = new Map<ConsumeMode, ModeTally>();

  private t0 = 0;
  /** Receipts of messages stamped from this time on are e2e samples. */
  private e2eFromUs = 0;
  private startedAt = '';
  private foreign = 0;
  private saturated = 0;
  private early = 0;
  private skewed = 0;
  private skewedMaxUs = 0;

  private stalls: StallTracker | undefined;

  private eldInterval: IntervalHistogram | undefined;
  private eldMeasure: IntervalHistogram | undefined;
  private cpuStart: NodeJS.CpuUsage | undefined;
  private cpuTick: NodeJS.CpuUsage | undefined;

  constructor(params: BenchParameters, runId: string, toolVersion: string) {
    this.p = params;
    this.runId = runId;
    this.toolVersion = toolVersion;
  }

  get phase(): Phase {
    return this.current;
  }

  /** Counts from now on belong to this phase. */
  setPhase(phase: Phase): void {
    this.current = phase;
    this.pc = this.phaseCounts[phase];
  }

  /** Watches the event loop and CPU (from now to the run's end). */
  watchSystem(): void {
    this.eldInterval = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
    this.eldInterval.enable();
    this.eldMeasure = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
    this.cpuStart = process.cpuUsage();
    this.cpuTick = this.cpuStart;
  }

  /** The run starts at t0 (µs); the first interval with it. Returns the wall-clock start. */
  start(t0Us: number, e2eFromUs: number): string {
    this.t0 = t0Us;
    if (this.p.producers > 0) this.stalls = new StallTracker(t0Us);
    this.ivStartUs = t0Us;
    this.e2eFromUs = e2eFromUs;
    this.startedAt = new Date().toISOString();
    return this.startedAt;
  }

  /** The event-loop figure of the result covers the measure window only. */
  measureWindow(open: boolean): void {
    if (open) this.eldMeasure?.enable();
    else this.eldMeasure?.disable();
  }

  /** The run is over: the per-interval loop monitor stops. */
  stopSystem(): void {
    this.eldInterval?.disable();
  }

  get intervalStartUs(): number {
    return this.ivStartUs;
  }

  /** The cumulative histogram of the measure window (for SLO evaluation and logs). */
  histogram(name: HistogramName): Histogram {
    return this.total[name];
  }

  // ---- per request / per message ----

  /** A message of another run (or none) found on the topic. */
  foreignReceived(): void {
    this.foreign++;
  }

  /** `n` messages the broker acknowledged (or that left, oneway) at `nowUs`. */
  sent(n: number, bytes: number, nowUs: number): void {
    this.stalls?.acked(nowUs);
    this.iv.sent += n;
    this.iv.sentBytes += bytes;
    this.pc.sent += n;
    this.pc.sentBytes += bytes;
  }

  /**
   * `n` acknowledged messages the broker stored but did not flush or replicate as configured
   * (FLUSH_DISK_TIMEOUT, FLUSH_SLAVE_TIMEOUT, SLAVE_NOT_AVAILABLE): acknowledged, and on the master
   * only, so a zero-loss claim does not hold for them.
   */
  storedNotAsAsked(status: string, n: number): void {
    this.notAsAsked.set(status, (this.notAsAsked.get(status) ?? 0) + n);
  }

  /** `n` messages of a request that failed with `err`. */
  sendFailed(err: unknown, n: number): void {
    const key = errorKey(err);
    this.ivErrors.set(key, (this.ivErrors.get(key) ?? 0) + n);
    if (this.current !== 'warmup') this.errors.set(key, (this.errors.get(key) ?? 0) + n);
    this.iv.errors += n;
    this.pc.errors += n;
  }

  /** One acknowledged message's `send` (from its intended time) and `send_raw` latency, µs. */
  sendLatency(sendUs: number, rawUs: number, brokerName?: string): void {
    if (!recordUs(this.ih.send, sendUs)) this.saturated++;
    if (!recordUs(this.ih.send_raw, rawUs)) this.saturated++;
    if (brokerName !== undefined) recordUs(this.tally(brokerName).send, sendUs);
  }

  /** `n` messages of a request settled in the measure window at `brokerName` (unknown: undefined). */
  brokerSettled(brokerName: string | undefined, n: number, failed: boolean): void {
    const t = this.tally(brokerName ?? UNKNOWN_BROKER);
    if (failed) t.errors += n;
    else t.sent += n;
  }

  private tally(name: string, into: Map<string, BrokerTally> = this.ivBrokers): BrokerTally {
    let t = into.get(name);
    if (!t) {
      t = { sent: 0, errors: 0, send: newHistogram() };
      into.set(name, t);
    }
    return t;
  }

  /** Adds the interval's per-broker tallies to the window's and zeroes them (their histograms are reused). */
  private foldBrokers(): void {
    for (const [name, t] of this.ivBrokers) {
      if (t.sent === 0 && t.errors === 0 && t.send.totalCount === 0) continue;
      const total = this.tally(name, this.perBroker);
      total.sent += t.sent;
      total.errors += t.errors;
      if (t.send.totalCount > 0) {
        total.send.add(t.send);
        t.send.reset();
      }
      t.sent = 0;
      t.errors = 0;
    }
  }

  /**
   * A message of this run received at `nowUs`, stamped `sentUs` by its producer, by consumer
   * group `group` (an index of the parameters' groupNames). `e2e` false: counted, but its latency
   * is not a sample (a bench agent with --e2e local, for a message another host sent).
   */
  received(bytes: number, nowUs: number, sentUs: number, group = 0, e2e = true): void {
    const mode = this.p.consumeModes?.[group];
    if (mode && e2e && this.current === 'measure' && sentUs >= this.e2eFromUs) {
      let t = this.perMode.get(mode);
      if (!t) this.perMode.set(mode, (t = newModeTally()));
      t.groups.add(this.p.groupNames[group] ?? String(group));
      t.received++;
      recordUs(t.e2e, nowUs - sentUs);
    }
    this.iv.received++;
    this.iv.receivedBytes += bytes;
    this.pc.received++;
    this.pc.receivedBytes += bytes;
    if (!e2e) return;
    if (nowUs < sentUs) {
      // Stamped by another process whose clock is ahead of ours (separate-process mode).
      this.skewed++;
      this.skewedMaxUs = Math.max(this.skewedMaxUs, sentUs - nowUs);
    }
    if (sentUs >= this.e2eFromUs) {
      if (!recordUs(this.ih.e2e, nowUs - sentUs)) this.saturated++;
      if (this.p.type === 'delay') {
        const deliverAtUs = (Math.round(sentUs / 1000) + (this.p.delayMs ?? 0)) * 1000;
        const late = nowUs - deliverAtUs;
        if (late < 0) this.early++;
        if (!recordUs(this.ih.delay, late)) this.saturated++;
      }
    }
  }

  // ---- intervals ----

  /**
   * Ends the current interval at `nowUs` (after its start): records it, hands it to `onTick`
   * while its histograms are still its own, then folds them into the run's and starts the next.
   */
  closeInterval(
    nowUs: number,
    scheduler: Pick<Gauges, 'backlog' | 'inflight' | 'queued'>,
    onTick: (e: TickEvent) => void,
  ): void {
    const startUs = this.ivStartUs;
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
    const sample: IntervalSample = {
      index: this.intervals.length,
      phase: this.current,
      startUs,
      endUs: nowUs,
      counts: this.iv,
      errors: this.ivErrors,
      histograms: this.ih,
      gauges: { ...scheduler, eventLoopP99Ms, eventLoopMaxMs, cpuPct },
      brokers: this.ivBrokers,
    };
    const interval = intervalOf(sample, this.t0);
    this.intervals.push(interval);
    onTick({
      interval,
      histograms: this.ih,
      startUs,
      endUs: nowUs,
      sample,
      counts: this.iv,
      brokers: this.ivBrokers,
    });
    this.foldBrokers();
    for (const name of HISTOGRAM_NAMES) {
      if (this.ih[name].totalCount > 0) {
        this.total[name].add(this.ih[name]);
        this.ih[name].reset();
      }
    }
    this.iv = zeroCounts();
    this.ivErrors = new Map();
    this.ivStartUs = nowUs;
  }

  // ---- the result ----

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

  result(end: RunEnd): BenchResult {
    const p = this.p;
    this.foldBrokers();
    const measureMs = end.measureMs;
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
      interrupted: end.interrupted,
      parameters: p,
      phases: { warmupMs: p.warmupMs, measureMs: round(measureMs), drainMs: round(end.drainMs) },
      totals: {
        sent: sum('sent'),
        sendErrors: sum('errors'),
        received: sum('received'),
        measuredSent: this.phaseCounts.measure.sent,
        measuredReceived: this.phaseCounts.measure.received,
        bytesSent: sum('sentBytes'),
        bytesReceived: sum('receivedBytes'),
        unsent: end.unsent,
        foreign: this.foreign,
        saturated: this.saturated,
        early: this.early,
        skewed: this.skewed,
        skewedMaxUs: Math.round(this.skewedMaxUs),
        storedNotAsAsked: [...this.notAsAsked.values()].reduce((a, b) => a + b, 0),
      },
      throughput: { send: this.rateStats('send', measureS), receive: this.rateStats('receive', measureS) },
      latency,
      histograms,
      errors: countList(this.errors),
      eventLoop,
      cpu,
      intervals: this.intervals,
      warnings: [],
    };
    // Ports that name no broker (fakes, results of a proxy that hides them) get no breakdown.
    if ([...this.perBroker.keys()].some((k) => k !== UNKNOWN_BROKER)) {
      result.brokers = brokerRows(this.perBroker, measureS);
    }
    if (this.perMode.size > 0) result.consumeModes = modeRows(this.perMode, measureS);
    if (end.verification) result.verification = end.verification;
    if (this.notAsAsked.size > 0) result.notAsAsked = countList(this.notAsAsked);
    if (this.stalls) result.stalls = this.stalls.result(end.sendEndUs);
    result.warnings = resultWarnings(result, end.caughtUp);
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
  if (r.totals.storedNotAsAsked) {
    const by = (r.notAsAsked ?? []).map((e) => `${e.key} ${e.count}`).join(', ');
    w.push(
      `${r.totals.storedNotAsAsked} acknowledged messages were stored but not flushed or replicated as the broker is configured to${by ? ` (${by})` : ''}: when acknowledged they were on the master only`,
    );
  }
  if (r.totals.unsent > 0) {
    w.push(`${r.totals.unsent} messages due at --rate ${p.rate} were never sent: the producers fell behind`);
  }
  // A --rate-profile's rate is its peak: its steps are judged one by one (workload-report.ts).
  if (
    p.rate !== undefined &&
    !p.rateProfile &&
    r.throughput.send.tps < p.rate * 0.95 &&
    r.phases.measureMs >= 1000
  ) {
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
