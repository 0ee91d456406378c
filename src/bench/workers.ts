/**
 * --workers W: the producers and consumers spread over W worker threads (worker.ts), each with
 * its own engine, event loop and connections, so a run can use more than one core.
 *
 * The main thread starts them together (one start time for all), merges their intervals as
 * they come (histograms shipped encoded and added, so per-interval quantiles stay exact),
 * decides when the drain is over from everyone's counts (a message sent by one thread is often
 * received by another), and merges the results: histograms added, counts summed, verification
 * tables combined and recounted.
 */
import { Worker } from 'node:worker_threads';
import { RocketMQError } from '../core/errors.js';
import { systemClock } from './clock.js';
import type { DrainProgress, StartEvent } from './engine.js';
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
import type { RocketMQPortsOptions } from './rocketmq.js';
import { Verifier, type VerifierState } from './verify.js';
import type { WorkerBrokerTally, WorkerInput } from './worker.js';

export interface WorkersInput {
  workers: number;
  params: BenchParameters;
  ports: Omit<RocketMQPortsOptions, 'onWarning'>;
  readQueues: number;
  payload: Buffer;
  /** --payload-dir: the bodies, copied to every thread */
  bodies?: Buffer[] | undefined;
  runId: string;
  toolVersion: string;
  signal?: AbortSignal | undefined;
  onStart?: (e: StartEvent) => void;
  onTick?: (e: TickEvent) => void;
  onWarning?: (message: string) => void;
}

/** `total` in `parts` integers as even as possible, the larger ones first. */
export function split(total: number, parts: number): number[] {
  const base = Math.floor(total / parts);
  return Array.from({ length: parts }, (_, i) => base + (i < total % parts ? 1 : 0));
}

/** Each worker's share of the workload; every worker gets at least one producer. */
export function shares(params: BenchParameters, workers: number): BenchParameters[] {
  const w = Math.max(1, Math.min(workers, params.producers));
  const producers = split(params.producers, w);
  const consumers = split(params.consumers, w);
  const messages = params.messages === undefined ? undefined : split(params.messages, w);
  return producers.map((p, i) => ({
    ...params,
    producers: p,
    consumers: consumers[i]!,
    rate: params.rate === undefined ? undefined : (params.rate * p) / params.producers,
    messages: messages?.[i],
    // The main thread ends the drain; a worker's own deadline is only a backstop.
    drainMs: params.drainMs + (params.messages === undefined ? 2000 : 120_000),
  }));
}

type FromWorker =
  | { type: 'ready' }
  | {
      type: 'tick';
      interval: BenchInterval;
      histograms: Partial<Record<HistogramName, string>>;
      startUs: number;
      endUs: number;
      counts?: Counts;
      brokers?: WorkerBrokerTally[];
    }
  | { type: 'phase'; phase: string; progress: DrainProgress }
  | { type: 'progress'; progress: DrainProgress }
  | { type: 'warning'; message: string }
  | { type: 'done'; result: BenchResult; verifier: VerifierState | undefined }
  | { type: 'error'; message: string; kind: string | undefined };

export async function runWorkers(
  input: WorkersInput,
): Promise<{ result: BenchResult; histograms: Record<HistogramName, Histogram> }> {
  const p = input.params;
  const parts = shares(p, input.workers);
  const cpuStart = process.cpuUsage();
  const payload = new Uint8Array(input.payload);
  let base = 0;
  let consumerBase = 0;
  const workers = parts.map((params) => {
    const data: WorkerInput = {
      params,
      // Other threads hold the rest of each group: a consumer has settled when it holds its share.
      ports: { ...input.ports, groupConsumers: p.consumers },
      readQueues: input.readQueues,
      payload,
      bodies: input.bodies,
      runId: input.runId,
      producerBase: base,
      consumerBase,
      toolVersion: input.toolVersion,
    };
    base += params.producers;
    consumerBase += params.consumers;
    return new Worker(new URL('./worker.js', import.meta.url), { workerData: data });
  });
  const n = workers.length;
  const progress: DrainProgress[] = workers.map(() => ({ acked: 0, received: p.groupNames.map(() => 0) }));
  const phase: string[] = workers.map(() => 'warmup');
  const ticks = new Map<number, { msgs: Extract<FromWorker, { type: 'tick' }>[] }>();
  const done: Extract<FromWorker, { type: 'done' }>[] = new Array(n);
  let ready = 0;
  let finished = 0;
  let drainDeadline: NodeJS.Timeout | undefined;
  let drained = false;
  let failure: RocketMQError | undefined;
  let startUs = 0;
  const emitted = new Set<number>();
  const merged = new Map<number, BenchInterval>();

  let settle!: () => void;
  const allDone = new Promise<void>((r) => {
    settle = r;
  });
  const post = (m: unknown) => {
    for (const w of workers) w.postMessage(m);
  };
  const onAbort = () => post({ type: 'abort' });
  input.signal?.addEventListener('abort', onAbort);

  const backlog = (): number => {
    const acked = progress.reduce((a, x) => a + x.acked, 0);
    let max = 0;
    for (let g = 0; g < p.groupNames.length; g++) {
      max = Math.max(max, acked - progress.reduce((a, x) => a + (x.received[g] ?? 0), 0));
    }
    return p.consumers > 0 ? max : 0;
  };
  const complete = (): boolean => backlog() <= 0;
  const endDrain = () => {
    if (drained) return;
    drained = true;
    if (drainDeadline) clearTimeout(drainDeadline);
    post({ type: 'drained' });
  };
  const checkDrain = () => {
    if (drained || !phase.every((x) => x === 'drain' || x === 'done')) return;
    if (p.consumers === 0 || complete()) endDrain();
    else drainDeadline ??= setTimeout(endDrain, p.drainMs);
  };
  const emitTick = (index: number) => {
    const entry = ticks.get(index);
    if (!entry || emitted.has(index)) return;
    emitted.add(index);
    ticks.delete(index);
    const histograms = Object.fromEntries(HISTOGRAM_NAMES.map((h) => [h, newHistogram()])) as Record<
      HistogramName,
      Histogram
    >;
    for (const m of entry.msgs) {
      for (const [h, b64] of Object.entries(m.histograms) as [HistogramName, string][]) {
        histograms[h].add(decodeHistogram(b64));
      }
    }
    const interval = combineIntervals(
      entry.msgs.map((m) => m.interval),
      index,
    );
    interval.send = intervalLatency(histograms.send);
    interval.e2e = intervalLatency(histograms.e2e);
    interval.backlog = backlog();
    merged.set(index, interval);
    const counts = zeroCounts();
    const brokers = new Map<string, BrokerTally>();
    for (const m of entry.msgs) {
      if (m.counts) for (const k of Object.keys(counts) as (keyof Counts)[]) counts[k] += m.counts[k];
      for (const b of m.brokers ?? []) {
        let t = brokers.get(b.name);
        if (!t) brokers.set(b.name, (t = { sent: 0, errors: 0, send: newHistogram() }));
        t.sent += b.sent;
        t.errors += b.errors;
        if (b.send) t.send.add(decodeHistogram(b.send));
      }
    }
    input.onTick?.({
      interval,
      histograms,
      startUs: Math.min(...entry.msgs.map((m) => m.startUs)),
      endUs: Math.max(...entry.msgs.map((m) => m.endUs)),
      counts,
      brokers,
    });
  };

  workers.forEach((w, i) => {
    w.on('message', (m: FromWorker) => {
      switch (m.type) {
        case 'ready':
          if (++ready === n) {
            // A moment ahead, so every thread is waiting when it comes.
            startUs = systemClock.nowUs() + 50_000;
            post({ type: 'go', startUs });
            input.onStart?.({
              runId: input.runId,
              parameters: p,
              startedAt: new Date(startUs / 1000).toISOString(),
              startUs,
            });
          }
          break;
        case 'tick': {
          const entry = ticks.get(m.interval.index) ?? { msgs: [] };
          entry.msgs.push(m);
          ticks.set(m.interval.index, entry);
          if (entry.msgs.length === n - finished) emitTick(m.interval.index);
          break;
        }
        case 'phase':
          phase[i] = m.phase;
          progress[i] = m.progress;
          checkDrain();
          break;
        case 'progress':
          progress[i] = m.progress;
          checkDrain();
          break;
        case 'warning':
          input.onWarning?.(m.message);
          break;
        case 'done':
          done[i] = m;
          phase[i] = 'done';
          finished++;
          checkDrain();
          // A finished worker sends no more ticks: intervals waiting only for it can go out.
          for (const [index, entry] of [...ticks].sort((a, b) => a[0] - b[0])) {
            if (entry.msgs.length >= n - finished) emitTick(index);
          }
          if (finished === n) settle();
          break;
        case 'error':
          failure ??= new RocketMQError(
            (m.kind as ConstructorParameters<typeof RocketMQError>[0] | undefined) ?? 'connection',
            `worker ${i}: ${m.message}`,
          );
          post({ type: 'abort' });
          finished++;
          phase[i] = 'done';
          if (finished === n) settle();
          break;
      }
    });
    w.on('error', (err) => {
      failure ??= new RocketMQError('connection', `worker ${i} failed: ${err.message}`);
      finished++;
      phase[i] = 'done';
      if (finished === n) settle();
    });
  });

  try {
    await allDone;
  } finally {
    input.signal?.removeEventListener('abort', onAbort);
    if (drainDeadline) clearTimeout(drainDeadline);
    await Promise.all(workers.map((w) => w.terminate()));
  }
  if (failure) throw failure;
  for (const index of [...ticks.keys()].sort((a, b) => a - b)) emitTick(index);

  const results = done.map((d) => d.result);
  const { result, histograms } = mergeResults(results);
  // One run, not several: the per-interval latencies are exact here (merged as they came).
  delete result.merged;
  result.runId = input.runId;
  result.parameters = p;
  result.intervals = [...merged.values()].sort((a, b) => a.index - b.index);
  const cpu = process.cpuUsage(cpuStart);
  const handled = result.totals.sent + result.totals.received;
  result.cpu = {
    userMs: Math.round(cpu.user / 100) / 10,
    systemMs: Math.round(cpu.system / 100) / 10,
    usPerMessage: handled > 0 ? Math.round(((cpu.user + cpu.system) / handled) * 100) / 100 : null,
  };
  const states = done.map((d) => d.verifier).filter((v): v is VerifierState => v !== undefined);
  if (states.length > 0) {
    const reordered = p.groupNames.map((_, g) =>
      results.reduce((a, r) => a + (r.verification?.groups[g]?.reordered ?? 0), 0),
    );
    result.verification = Verifier.merge(states, reordered).summary(result.phases.drainMs);
  }
  result.warnings = resultWarnings(result, complete());
  for (const h of HISTOGRAM_NAMES)
    if (histograms[h].totalCount > 0) result.histograms[h] = encodeHistogram(histograms[h]);
  return { result, histograms };
}
