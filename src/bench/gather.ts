/**
 * Gathering one run from several engines, whatever carries their messages: worker threads
 * (workers.ts) or bench agents on other hosts over RocketMQ (services/bench/agents.ts).
 *
 * It merges their intervals as they come (histograms shipped encoded and added, so per-interval
 * quantiles stay exact), decides when the drain is over from everyone's counts (a message sent by
 * one engine is often received by another), and merges the results at the end: histograms
 * added, counts summed, verification tables combined and recounted. A source that is gone (a
 * thread that failed, an agent that stopped reporting) no longer holds intervals back, and the
 * merge is of the results that came.
 */
import type { DrainProgress } from './engine.js';
import {
  decodeHistogram,
  encodeHistogram,
  type Histogram,
  intervalLatency,
  newHistogram,
} from './histogram.js';
import { combineIntervals, mergeResults } from './merge.js';
import type { BrokerTally } from './brokers.js';
import { type Counts, resultWarnings, type TickEvent, zeroCounts } from './meter.js';
import {
  type BenchInterval,
  type BenchParameters,
  type BenchResult,
  HISTOGRAM_NAMES,
  type HistogramName,
} from './result.js';
import { Verifier, type VerifierState } from './verify.js';

/** One broker's sends in a source's interval, as they travel (the histogram encoded). */
export interface WorkerBrokerTally {
  name: string;
  sent: number;
  errors: number;
  send?: string;
}

/** One source's interval as it travels: the rendered interval and its non-empty histograms, encoded. */
export interface SourceTick {
  interval: BenchInterval;
  histograms: Partial<Record<HistogramName, string>>;
  startUs: number;
  endUs: number;
  /** The interval's counts, bytes included (for live metrics; sources that lack them: figures from the interval). */
  counts?: Counts | undefined;
  /** Sends per broker in the measure window, the histogram encoded. */
  brokers?: WorkerBrokerTally[] | undefined;
}

/** Every histogram of the ticks, decoded and added (one set, all names present). */
function decodedSum(ticks: readonly SourceTick[]): Record<HistogramName, Histogram> {
  const histograms = Object.fromEntries(HISTOGRAM_NAMES.map((h) => [h, newHistogram()])) as Record<
    HistogramName,
    Histogram
  >;
  for (const m of ticks) {
    for (const [h, b64] of Object.entries(m.histograms) as [HistogramName, string][]) {
      histograms[h].add(decodeHistogram(b64));
    }
  }
  return histograms;
}

/**
 * An engine's tick as it travels to the process that gathers (a worker's message, an agent's bus
 * message): non-empty histograms encoded, counts, and sends per broker with their histograms.
 */
export function encodeSourceTick(e: TickEvent): SourceTick {
  const histograms: Partial<Record<HistogramName, string>> = {};
  for (const [name, h] of Object.entries(e.histograms) as [HistogramName, Histogram][]) {
    if (h.totalCount > 0) histograms[name] = encodeHistogram(h);
  }
  const brokers: WorkerBrokerTally[] = [];
  for (const [name, t] of e.brokers ?? []) {
    if (t.sent === 0 && t.errors === 0 && t.send.totalCount === 0) continue;
    const row: WorkerBrokerTally = { name, sent: t.sent, errors: t.errors };
    if (t.send.totalCount > 0) row.send = encodeHistogram(t.send);
    brokers.push(row);
  }
  return {
    interval: e.interval,
    histograms,
    startUs: e.startUs,
    endUs: e.endUs,
    ...(e.counts ? { counts: e.counts } : {}),
    brokers,
  };
}

/** One source's tick as a TickEvent of its own (its histograms decoded), e.g. for per-agent metrics. */
export function sourceTickEvent(m: SourceTick): TickEvent {
  const histograms = decodedSum([m]);
  const brokers = new Map<string, BrokerTally>();
  for (const b of m.brokers ?? []) {
    brokers.set(b.name, {
      sent: b.sent,
      errors: b.errors,
      send: b.send ? decodeHistogram(b.send) : newHistogram(),
    });
  }
  return {
    interval: m.interval,
    histograms,
    startUs: m.startUs,
    endUs: m.endUs,
    ...(m.counts ? { counts: m.counts } : {}),
    ...(brokers.size > 0 ? { brokers } : {}),
  };
}

export interface GatherHooks {
  onTick?: ((e: TickEvent) => void) | undefined;
  /** Every source's consumers caught up, or the drain window is over: tell them all. */
  drained: () => void;
}

export class Gather {
  private readonly progress: DrainProgress[];
  private readonly phase: string[];
  private readonly ticks = new Map<number, SourceTick[]>();
  private readonly emitted = new Set<number>();
  private readonly merged = new Map<number, BenchInterval>();
  private readonly results: (BenchResult | undefined)[];
  private readonly verifiers: (VerifierState | undefined)[];
  private readonly gone: boolean[];
  private finished = 0;
  private drainDeadline: NodeJS.Timeout | undefined;
  private drained = false;

  constructor(
    private readonly p: BenchParameters,
    readonly n: number,
    private readonly hooks: GatherHooks,
  ) {
    this.progress = Array.from({ length: n }, () => ({ acked: 0, received: p.groupNames.map(() => 0) }));
    this.phase = Array.from({ length: n }, () => 'warmup');
    this.results = new Array<BenchResult | undefined>(n);
    this.verifiers = new Array<VerifierState | undefined>(n);
    this.gone = new Array<boolean>(n).fill(false);
  }

  /** Acknowledged − received, the largest over the groups, across every source. */
  backlog(): number {
    const acked = this.progress.reduce((a, x) => a + x.acked, 0);
    let max = 0;
    for (let g = 0; g < this.p.groupNames.length; g++) {
      max = Math.max(max, acked - this.progress.reduce((a, x) => a + (x.received[g] ?? 0), 0));
    }
    return this.p.consumers > 0 ? max : 0;
  }

  complete(): boolean {
    return this.backlog() <= 0;
  }

  get allFinished(): boolean {
    return this.finished === this.n;
  }

  isFinished(i: number): boolean {
    return this.phase[i] === 'done';
  }

  tick(i: number, m: SourceTick): void {
    if (this.phase[i] === 'done' || this.emitted.has(m.interval.index)) return;
    const entry = this.ticks.get(m.interval.index) ?? [];
    entry.push(m);
    this.ticks.set(m.interval.index, entry);
    if (entry.length >= this.n - this.finished) this.emitTick(m.interval.index);
  }

  setPhase(i: number, phase: string, progress: DrainProgress): void {
    if (this.phase[i] === 'done') return;
    this.phase[i] = phase;
    this.setProgress(i, progress);
  }

  setProgress(i: number, progress: DrainProgress): void {
    this.progress[i] = progress;
    this.checkDrain();
  }

  /** A source's result (and its verification tables, with --verify). */
  done(i: number, result: BenchResult, verifier: VerifierState | undefined): void {
    if (this.phase[i] === 'done') return;
    this.results[i] = result;
    this.verifiers[i] = verifier;
    this.end(i);
  }

  /** A source that failed or stopped reporting: nothing more is waited for from it. */
  lost(i: number): void {
    if (this.phase[i] === 'done') return;
    this.gone[i] = true;
    this.end(i);
  }

  private end(i: number): void {
    this.phase[i] = 'done';
    this.finished++;
    this.checkDrain();
    // A finished source sends no more ticks: intervals waiting only for it can go out.
    for (const [index, entry] of [...this.ticks].sort((a, b) => a[0] - b[0])) {
      if (entry.length >= this.n - this.finished) this.emitTick(index);
    }
  }

  close(): void {
    if (this.drainDeadline) clearTimeout(this.drainDeadline);
  }

  private endDrain(): void {
    if (this.drained) return;
    this.drained = true;
    if (this.drainDeadline) clearTimeout(this.drainDeadline);
    this.hooks.drained();
  }

  private checkDrain(): void {
    if (this.drained || !this.phase.every((x) => x === 'drain' || x === 'done')) return;
    if (this.p.consumers === 0 || this.complete()) this.endDrain();
    else this.drainDeadline ??= setTimeout(() => this.endDrain(), this.p.drainMs);
  }

  private emitTick(index: number): void {
    const entry = this.ticks.get(index);
    if (!entry || this.emitted.has(index)) return;
    this.emitted.add(index);
    this.ticks.delete(index);
    const histograms = decodedSum(entry);
    const interval = combineIntervals(
      entry.map((m) => m.interval),
      index,
    );
    interval.send = intervalLatency(histograms.send);
    interval.e2e = intervalLatency(histograms.e2e);
    interval.backlog = this.backlog();
    this.merged.set(index, interval);
    // Counts only when every source sent its own: a sum over some would undercount.
    let counts: Counts | undefined;
    if (entry.every((m) => m.counts)) {
      counts = zeroCounts();
      for (const m of entry)
        for (const k of Object.keys(counts) as (keyof Counts)[]) counts[k] += m.counts![k];
    }
    const brokers = new Map<string, BrokerTally>();
    for (const m of entry) {
      for (const b of m.brokers ?? []) {
        let t = brokers.get(b.name);
        if (!t) brokers.set(b.name, (t = { sent: 0, errors: 0, send: newHistogram() }));
        t.sent += b.sent;
        t.errors += b.errors;
        if (b.send) t.send.add(decodeHistogram(b.send));
      }
    }
    this.hooks.onTick?.({
      interval,
      histograms,
      startUs: Math.min(...entry.map((m) => m.startUs)),
      endUs: Math.max(...entry.map((m) => m.endUs)),
      ...(counts ? { counts } : {}),
      ...(brokers.size > 0 ? { brokers } : {}),
    });
  }

  /** Intervals still held back (some source never sent them) go out now. */
  flush(): void {
    for (const index of [...this.ticks.keys()].sort((a, b) => a - b)) this.emitTick(index);
  }

  /** Indexes of the sources whose result came. */
  reported(): number[] {
    return this.results.flatMap((r, i) => (r ? [i] : []));
  }

  /**
   * The merged result of the sources that reported (at least one must have): the per-interval
   * latencies are exact (merged as they came), everything else as `bench merge` combines it.
   */
  finish(
    runId: string,
    cpuStart: NodeJS.CpuUsage,
  ): { result: BenchResult; histograms: Record<HistogramName, Histogram> } {
    this.flush();
    const results = this.results.filter((r): r is BenchResult => r !== undefined);
    const { result, histograms } = mergeResults(results);
    // One run, not several: the per-interval latencies are exact here (merged as they came).
    delete result.merged;
    result.runId = runId;
    result.parameters = this.p;
    result.intervals = [...this.merged.values()].sort((a, b) => a.index - b.index);
    // This process's CPU (the sources' own is in their results, not summed here).
    const cpu = process.cpuUsage(cpuStart);
    const handled = result.totals.sent + result.totals.received;
    result.cpu = {
      userMs: Math.round(cpu.user / 100) / 10,
      systemMs: Math.round(cpu.system / 100) / 10,
      usPerMessage: handled > 0 ? Math.round(((cpu.user + cpu.system) / handled) * 100) / 100 : null,
    };
    const states = this.verifiers.filter((v): v is VerifierState => v !== undefined);
    if (states.length > 0) {
      const reordered = this.p.groupNames.map((_, g) =>
        results.reduce((a, r) => a + (r.verification?.groups[g]?.reordered ?? 0), 0),
      );
      result.verification = Verifier.merge(states, reordered).summary(result.phases.drainMs);
    }
    result.warnings = resultWarnings(result, this.complete());
    for (const h of HISTOGRAM_NAMES)
      if (histograms[h].totalCount > 0) result.histograms[h] = encodeHistogram(histograms[h]);
    return { result, histograms };
  }
}
