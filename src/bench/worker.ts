/**
 * Entry point of one --workers thread: a BenchEngine over its share of the producers and
 * consumers, started and drained on the main thread's word.
 *
 * Messages (both directions are structured clones):
 *   main → worker  { type: 'go', startUs }   start the run at this moment (engine clock, µs)
 *                  { type: 'drained' }        every engine's consumers caught up (or time is up)
 *                  { type: 'abort' }          stop now (Ctrl-C)
 *   worker → main  { type: 'ready' }                             producers and consumers are up
 *                  { type: 'tick', interval, histograms,         histograms: encoded, non-empty ones
 *                    counts, brokers }                           brokers: per broker, histogram encoded
 *                  { type: 'phase', phase, progress }            the engine entered a phase
 *                  { type: 'progress', progress }                during the drain, every 50 ms
 *                  { type: 'warning', message }
 *                  { type: 'done', result, verifier }            BenchResult and VerifierState
 *                  { type: 'error', message, kind }
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RocketMQError } from '../core/errors.js';
import { BenchEngine } from './engine.js';
import { encodeSourceTick } from './gather.js';
import type { TickEvent } from './meter.js';
import type { BenchParameters } from './result.js';
import { type RocketMQPortsOptions, rocketmqPorts } from './rocketmq.js';

export interface WorkerInput {
  params: BenchParameters;
  ports: Omit<RocketMQPortsOptions, 'onWarning'>;
  readQueues: number;
  payload: Uint8Array;
  bodies?: Uint8Array[] | undefined;
  runId: string;
  producerBase: number;
  consumerBase: number;
  toolVersion: string;
}

async function main(): Promise<void> {
  const port = parentPort!;
  const input = workerData as WorkerInput;
  const controller = new AbortController();
  let drained = false;
  let go: ((startUs: number) => void) | undefined;
  const started = new Promise<number>((resolve) => {
    go = resolve;
  });
  port.on('message', (m: { type: string; startUs?: number }) => {
    if (m.type === 'go') go?.(m.startUs ?? 0);
    else if (m.type === 'drained') drained = true;
    else if (m.type === 'abort') controller.abort();
  });
  const warn = (err: unknown) =>
    port.postMessage({ type: 'warning', message: String((err as Error)?.message ?? err) });
  const engine = new BenchEngine({
    params: input.params,
    ports: rocketmqPorts({ ...input.ports, onWarning: warn }, input.readQueues),
    payload: Buffer.from(input.payload),
    bodies: input.bodies?.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength)),
    runId: input.runId,
    producerBase: input.producerBase,
    consumerBase: input.consumerBase,
    toolVersion: input.toolVersion,
    signal: controller.signal,
    beforeStart: () => {
      port.postMessage({ type: 'ready' });
      return started;
    },
    drainComplete: () => drained,
  });
  let progressTimer: NodeJS.Timeout | undefined;
  engine.on('tick', (e: TickEvent) => port.postMessage({ type: 'tick', ...encodeSourceTick(e) }));
  engine.on('phase', (phase: string) => {
    port.postMessage({ type: 'phase', phase, progress: engine.drainProgress() });
    if (phase === 'drain') {
      progressTimer = setInterval(
        () => port.postMessage({ type: 'progress', progress: engine.drainProgress() }),
        50,
      );
    }
  });
  engine.on('warning', warn);
  try {
    const result = await engine.run();
    port.postMessage({ type: 'done', result, verifier: engine.verifierState() });
  } catch (err) {
    port.postMessage({
      type: 'error',
      message: String((err as Error)?.message ?? err),
      kind: err instanceof RocketMQError ? err.kind : undefined,
    });
  } finally {
    if (progressTimer) clearInterval(progressTimer);
  }
}

if (parentPort) await main();
