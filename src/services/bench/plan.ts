/**
 * The workload of `rmq bench`, checked and completed before anything connects: contradictory
 * flags are one InvalidArgumentError (exit 2), implied settings become notes.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { newRunId } from '../../bench/header.js';
import {
  type BenchParameters,
  CONSUME_MODES,
  type ConsumeMode,
  type MessageType,
} from '../../bench/result.js';
import { parseSlo, VERIFY_METRICS } from '../../bench/slo.js';
import { parseRateProfile, profileMs, profilePeak } from '../../bench/profile.js';
import {
  type BacklogTarget,
  type KeyDistribution,
  parseBacklog,
  parseKeyCount,
  parseKeyDist,
  parseSizeSpec,
  type SizeDistribution,
  sizeMax,
  sizeMean,
} from '../../bench/workload.js';
import { MAX_BODY_BYTES } from '../../core/client/outgoing-message.js';
import { InvalidArgumentError } from '../../core/errors.js';
import { type BenchInput, type BenchPlan, DEFAULT_DURATION_MS, DEFAULT_INFLIGHT } from './model.js';

function bad(message: string, hint?: string): InvalidArgumentError {
  return new InvalidArgumentError(message, hint ? { hint } : {});
}

/** Checks and completes the workload; throws InvalidArgumentError (exit 2) for contradictions. */
export function planBench(input: BenchInput): BenchPlan {
  const notes: string[] = [];
  if (input.runId !== undefined && !/^[0-9a-z]{1,16}$/.test(input.runId)) {
    throw bad(`invalid --run-id "${input.runId}"`, 'use up to 16 characters a-z 0-9');
  }
  const runId = input.runId ?? newRunId();
  if (input.producers === 0) {
    // Receive-only: the other half of a two-process run (producers elsewhere, same --run-id).
    if (input.consumers === 0) throw bad('nothing to do: --producers 0 and --consumers 0');
    if (input.runId === undefined || input.topic === undefined) {
      throw bad("--producers 0 receives another process's run: give its --topic and --run-id");
    }
    for (const [flag, set] of [
      ['--rate', input.rate !== undefined],
      ['--rate-profile', input.rateProfile !== undefined],
      ['--backlog', input.backlog !== undefined],
      ['--messages', input.messages !== undefined],
      ['--verify', input.verify],
      ['--find-max', input.findMax],
      ['--workers', (input.workers ?? 1) > 1],
    ] as const) {
      if (set) throw bad(`${flag} needs producers in this process`);
    }
  }
  let type: MessageType = input.type ?? 'normal';
  if (input.delayMs !== undefined && input.type === undefined) type = 'delay';
  if (type === 'delay' && input.delayMs === undefined)
    throw bad('--type delay needs --delay', 'e.g. --delay 5s');
  if (input.delayMs !== undefined && type !== 'delay') throw bad('--delay goes with --type delay');
  if (input.txRollbackRatio !== undefined && type !== 'transaction') {
    throw bad('--tx-rollback-ratio goes with --type transaction');
  }
  const ratio = input.txRollbackRatio ?? 0;
  if (!(ratio >= 0 && ratio <= 1)) throw bad('--tx-rollback-ratio is between 0 and 1');
  if (input.durationMs !== undefined && input.messages !== undefined) {
    throw bad('use either --duration or --messages, not both');
  }
  if (input.rate !== undefined && !(input.rate > 0)) throw bad('--rate must be above 0');
  if (input.durationMs !== undefined && !(input.durationMs > 0))
    throw bad('--duration must be above 0', 'e.g. --duration 30s');
  if (input.messages !== undefined && !(input.messages > 0)) throw bad('--messages must be at least 1');
  if (input.precise && input.rate === undefined && !input.findMax && input.rateProfile === undefined)
    throw bad('--precise goes with --rate');
  if (input.workers !== undefined && input.workers > 1 && input.workers > input.producers) {
    throw bad(
      `--workers ${input.workers} is more than --producers ${input.producers}`,
      'every worker thread needs a producer',
    );
  }
  if (input.findMax && input.messages !== undefined)
    throw bad('--find-max runs steps of --duration, not --messages');
  if (input.proxy !== undefined) {
    if (input.findMax)
      throw bad('--proxy and --find-max cannot be combined', 'run --find-max against each on its own');
    if (input.producers === 0) {
      throw bad('--proxy runs the workload twice in this process: it needs producers here');
    }
    // The fence that settles oneway sends relies on one broker connection answering in order;
    // a proxy forwards each request on connections of its own.
    if (input.mode === 'oneway')
      throw bad('--proxy cannot measure --mode oneway', 'use --mode async or sync');
    if (!/^[^\s:;,]+:\d{1,5}$/.test(input.proxy)) {
      throw bad(`invalid --proxy "${input.proxy}"`, "give the proxy's remoting address, host:port");
    }
  }
  if (input.planTps !== undefined && !(input.planTps > 0)) throw bad('--plan-tps must be above 0');
  if (input.batch > 1) {
    if (type !== 'normal')
      throw bad(`--batch cannot be used with --type ${type}`, 'RocketMQ batches hold normal messages only');
    if (input.mode === 'oneway') throw bad('--batch cannot be used with --mode oneway');
  }
  if (input.mode === 'oneway' && (type === 'fifo' || type === 'transaction')) {
    throw bad(`--type ${type} needs acknowledged sends: use --mode sync or async`);
  }
  if (input.payloadFile !== undefined && (input.size !== 1024 || input.sizeSpec !== undefined))
    notes.push('--size is ignored with --payload-file');
  const w = planWorkload(input, type);
  notes.push(...w.notes);
  let inflight = input.inflight ?? DEFAULT_INFLIGHT;
  if (input.mode === 'sync') {
    if (input.inflight !== undefined && input.inflight !== 1) {
      notes.push('--mode sync sends one message at a time per producer: --inflight is ignored');
    }
    inflight = 1;
  }
  const slos = input.slo.map(parseSlo);
  let verify = input.verify;
  const verifyMetrics = slos.filter((s) => s.metric.kind === 'scalar' && VERIFY_METRICS.has(s.metric.name));
  if (verifyMetrics.length > 0 && !verify) {
    verify = true;
    notes.push(`--slo ${verifyMetrics[0]!.expr} turns on --verify`);
  }
  if (verify && input.consumers === 0) throw bad('--verify needs consumers', 'drop --consumers 0');
  if (verify && input.producers === 0) throw bad('--verify needs producers in this process');
  for (const s of slos) {
    const h = s.metric.kind === 'scalar' ? undefined : s.metric.histogram;
    if ((h === 'e2e' || (s.metric.kind === 'scalar' && s.metric.name === 'rtps')) && input.consumers === 0) {
      throw bad(`--slo ${s.expr} needs consumers`);
    }
    if (h === 'delay' && type !== 'delay') throw bad(`--slo ${s.expr} needs --type delay`);
    if (s.metric.kind === 'scalar' && s.metric.name === 'reordered' && type !== 'fifo') {
      throw bad(`--slo ${s.expr} needs --type fifo`);
    }
  }
  let warmupMs = input.warmupMs;
  if (input.findMax && warmupMs === 0) {
    // A step's first second (connections, JIT, broker page cache) is not its steady state.
    warmupMs = 1000;
    notes.push('--find-max: each step warms up for 1s (set --warmup to change)');
  }
  const modes = (input.consumeModes ?? []).map((m) => m.trim().toLowerCase()).filter((m) => m !== '');
  for (const m of modes) {
    if (!(CONSUME_MODES as readonly string[]).includes(m)) {
      throw bad(
        `unknown --consume-mode "${m}"`,
        'use pull, pop, or a list such as pull,pop (one per group, in turn)',
      );
    }
  }
  let groups = input.groups;
  if (modes.length > groups) {
    groups = modes.length;
    notes.push(`--consume-mode ${modes.join(',')}: ${groups} consumer groups, one per mode`);
  }
  if (modes.includes('pop') && input.consumers === 0) throw bad('--consume-mode pop needs consumers');
  if (modes.includes('pop') && type === 'fifo') {
    throw bad(
      '--consume-mode pop does not keep FIFO order in rmq',
      'use --consume-mode pull with --type fifo',
    );
  }
  const consumeModes = modes.includes('pop')
    ? Array.from({ length: groups }, (_, i) => modes[i % modes.length] as ConsumeMode)
    : undefined;
  const groupPrefix = input.group ?? `rmq_bench_${runId}`;
  const groupNames =
    groups === 1 ? [groupPrefix] : Array.from({ length: groups }, (_, i) => `${groupPrefix}_${i}`);
  const tags = (input.tags ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  const params: BenchParameters = {
    topic: input.topic ?? `rmq_bench_${runId}`,
    queues: input.queues,
    producers: input.producers,
    consumers: input.consumers,
    groups,
    groupNames,
    consumeModes,
    size: w.size,
    sizes: w.sizes,
    payloadFile: input.payloadFile,
    payloadDir: input.payloadDir,
    keys: input.keys && w.keyCount === undefined,
    keyCount: w.keyCount,
    keyDist: w.keyDist,
    consumeTimeMs: input.consumeTimeMs,
    rateProfile: w.rateProfile,
    backlog: w.backlog,
    backlogTimeoutMs: w.backlog ? (input.backlogTimeoutMs ?? DEFAULT_BACKLOG_TIMEOUT_MS) : undefined,
    tags,
    mode: input.mode,
    batch: input.batch,
    inflight,
    rate: w.rate,
    precise: input.precise ?? false,
    durationMs:
      input.messages === undefined ? (w.durationMs ?? input.durationMs ?? DEFAULT_DURATION_MS) : undefined,
    messages: input.messages,
    warmupMs,
    intervalMs: input.intervalMs,
    type,
    delayMs: input.delayMs,
    fifoGroups: input.fifoGroups,
    txRollbackRatio: ratio,
    verify,
    drainMs: input.drainMs,
    slo: input.slo,
  };
  return {
    params,
    slos,
    runId,
    ephemeralTopic: input.topic === undefined,
    ephemeralGroups: input.group === undefined,
    notes,
  };
}

export const DEFAULT_BACKLOG_TIMEOUT_MS = 600_000;

interface WorkloadPlan {
  size: number;
  sizes?: SizeDistribution | undefined;
  keyCount?: number | undefined;
  keyDist?: KeyDistribution | undefined;
  rate?: number | undefined;
  durationMs?: number | undefined;
  rateProfile?: BenchParameters['rateProfile'];
  backlog?: BacklogTarget | undefined;
  notes: string[];
}

/** The workload shapes (--size distributions, --keys N, --rate-profile, --backlog, …), checked. */
function planWorkload(input: BenchInput, type: MessageType): WorkloadPlan {
  const notes: string[] = [];
  const workers = input.workers ?? 1;
  let size = input.size;
  let sizes: SizeDistribution | undefined;
  if (input.sizeSpec !== undefined) {
    const d = parseSizeSpec(input.sizeSpec);
    if (d.kind === 'fixed') size = d.size;
    else {
      sizes = d;
      size = Math.round(sizeMean(d));
    }
  }
  if (input.payloadDir !== undefined) {
    if (input.payloadFile !== undefined) throw bad('use either --payload-file or --payload-dir, not both');
    if (sizes)
      throw bad(
        '--size ranges and weights cannot be used with --payload-dir',
        "the files' sizes are the sizes",
      );
  }
  if (input.payloadDir !== undefined && input.sizeSpec !== undefined && !sizes)
    notes.push('--size is ignored with --payload-dir');
  if (sizes && input.payloadFile !== undefined)
    throw bad('--size ranges and weights cannot be used with --payload-file');
  if (sizes && input.batch > 1 && sizeMax(sizes) * input.batch > 4 * 1024 * 1024) {
    throw bad(
      `--batch ${input.batch} of up to ${sizeMax(sizes)}-byte bodies can exceed 4 MiB per request`,
      'lower --batch or the largest size',
    );
  }
  let keyCount: number | undefined;
  let keyDist: KeyDistribution | undefined;
  if (input.keyCount !== undefined) keyCount = parseKeyCount(input.keyCount);
  if (input.keyDist !== undefined) {
    if (keyCount === undefined)
      throw bad('--key-dist goes with --keys N', 'e.g. --keys 1000 --key-dist zipf:1.1');
    keyDist = parseKeyDist(input.keyDist);
  }
  if (keyCount !== undefined) {
    keyDist ??= { kind: 'uniform' };
    if (type === 'fifo')
      notes.push('--type fifo: the message group picks the queue; --keys only sets the keys');
  }
  if (input.consumeTimeMs !== undefined) {
    if (!(input.consumeTimeMs > 0)) throw bad('--consume-time must be above 0', 'e.g. --consume-time 2ms');
    if (input.consumers === 0) throw bad('--consume-time needs consumers', 'drop --consumers 0');
  }
  let rate = input.rate;
  let durationMs: number | undefined;
  let rateProfile: BenchParameters['rateProfile'];
  if (input.rateProfile !== undefined) {
    for (const [flag, set] of [
      ['--rate', input.rate !== undefined],
      ['--duration', input.durationMs !== undefined],
      ['--messages', input.messages !== undefined],
      ['--find-max', input.findMax],
    ] as const) {
      if (set)
        throw bad(`--rate-profile cannot be used with ${flag}`, 'the profile gives the rates and the length');
    }
    const segments = parseRateProfile(input.rateProfile);
    rateProfile = { spec: input.rateProfile, segments };
    rate = profilePeak(segments);
    durationMs = profileMs(segments);
  }
  let backlog: BacklogTarget | undefined;
  if (input.backlog !== undefined) {
    backlog = parseBacklog(input.backlog);
    if (rate === undefined || rateProfile) {
      throw bad(
        '--backlog needs --rate (and no --rate-profile)',
        'the producers go on at --rate while the consumers catch up, e.g. --rate 5000',
      );
    }
    if (input.consumers === 0 || input.producers === 0)
      throw bad('--backlog needs producers and consumers in this process');
    if (input.messages !== undefined)
      throw bad('--backlog runs for --duration after the catch-up, not --messages');
    if (input.findMax) throw bad('--backlog cannot be used with --find-max');
    if (workers > 1) throw bad('--backlog runs in one thread', 'drop --workers');
    if ((input.consumeModes ?? []).some((m) => m.trim().toLowerCase() === 'pop')) {
      throw bad(
        '--backlog holds deliveries, which --consume-mode pop would redeliver when their invisible time ends',
        'use --consume-mode pull',
      );
    }
    if (input.backlogTimeoutMs !== undefined && !(input.backlogTimeoutMs > 0))
      throw bad('--backlog-timeout must be above 0');
  } else if (input.backlogTimeoutMs !== undefined) {
    throw bad('--backlog-timeout goes with --backlog');
  }
  return { size, sizes, keyCount, keyDist, rate, durationMs, rateProfile, backlog, notes };
}

/**
 * --size bytes of printable text (readable in a consumer's output), or the --payload-file. With a
 * size distribution, the largest size: the bodies are its prefixes (workload.ts bodyPool).
 */
export function loadPayload(params: BenchParameters): Buffer {
  let body: Buffer;
  if (params.payloadFile !== undefined) {
    try {
      body = readFileSync(params.payloadFile);
    } catch (err) {
      throw new InvalidArgumentError(
        `cannot read --payload-file ${params.payloadFile}: ${(err as Error).message}`,
      );
    }
  } else {
    const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
    const n = params.sizes ? sizeMax(params.sizes) : params.size;
    const r = randomBytes(n);
    body = Buffer.alloc(n);
    for (let i = 0; i < n; i++) body[i] = alphabet.charCodeAt(r[i]! % alphabet.length);
  }
  if (body.length === 0) throw new InvalidArgumentError('the payload is empty');
  if (body.length > MAX_BODY_BYTES) {
    throw new InvalidArgumentError(`the payload is ${body.length} bytes; the limit is ${MAX_BODY_BYTES}`);
  }
  return body;
}
