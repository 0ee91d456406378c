/**
 * --workers W: the producers and consumers spread over W worker threads (worker.ts), each with
 * its own engine, event loop and connections, so a run can use more than one core.
 *
 * The main thread starts them together (one start time for all) and gathers the run from their
 * messages (gather.ts: intervals merged exactly as they come, the drain decided from everyone's
 * counts, the results merged), as a bench coordinator does from agents on other hosts.
 */
import { Worker } from 'node:worker_threads';
import { RocketMQError } from '../core/errors.js';
import { systemClock } from './clock.js';
import type { DrainProgress, StartEvent } from './engine.js';
import { Gather } from './gather.js';
import type { Histogram } from './histogram.js';
import type { Counts, TickEvent } from './meter.js';
import type { BenchInterval, BenchParameters, BenchResult, HistogramName } from './result.js';
import type { RocketMQPortsOptions } from './rocketmq.js';
import type { VerifierState } from './verify.js';
import type { WorkerBrokerTally } from './gather.js';
import type { WorkerInput } from './worker.js';

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
  const post = (m: unknown) => {
    for (const w of workers) w.postMessage(m);
  };
  const gather = new Gather(p, n, { onTick: input.onTick, drained: () => post({ type: 'drained' }) });
  let ready = 0;
  let failure: RocketMQError | undefined;

  let settle!: () => void;
  const allDone = new Promise<void>((r) => {
    settle = r;
  });
  const onAbort = () => post({ type: 'abort' });
  input.signal?.addEventListener('abort', onAbort);
  const fail = (i: number, err: RocketMQError) => {
    failure ??= err;
    post({ type: 'abort' });
    gather.lost(i);
    if (gather.allFinished) settle();
  };

  workers.forEach((w, i) => {
    w.on('message', (m: FromWorker) => {
      switch (m.type) {
        case 'ready':
          if (++ready === n) {
            // A moment ahead, so every thread is waiting when it comes.
            const startUs = systemClock.nowUs() + 50_000;
            post({ type: 'go', startUs });
            input.onStart?.({
              runId: input.runId,
              parameters: p,
              startedAt: new Date(startUs / 1000).toISOString(),
              startUs,
            });
          }
          break;
        case 'tick':
          gather.tick(i, m);
          break;
        case 'phase':
          gather.setPhase(i, m.phase, m.progress);
          break;
        case 'progress':
          gather.setProgress(i, m.progress);
          break;
        case 'warning':
          input.onWarning?.(m.message);
          break;
        case 'done':
          gather.done(i, m.result, m.verifier);
          if (gather.allFinished) settle();
          break;
        case 'error':
          fail(
            i,
            new RocketMQError(
              (m.kind as ConstructorParameters<typeof RocketMQError>[0] | undefined) ?? 'connection',
              `worker ${i}: ${m.message}`,
            ),
          );
          break;
      }
    });
    w.on('error', (err) => fail(i, new RocketMQError('connection', `worker ${i} failed: ${err.message}`)));
  });

  try {
    await allDone;
  } finally {
    input.signal?.removeEventListener('abort', onAbort);
    gather.close();
    await Promise.all(workers.map((w) => w.terminate()));
  }
  if (failure) throw failure;
  return gather.finish(input.runId, cpuStart);
}
