/**
 * `rmq bench`: validates the workload, makes sure the topic exists, runs the engine on the real
 * client, streams --csv / --hdr-log, evaluates --slo and --verify, and removes what it created.
 * Knows nothing of oclif; the command renders and picks the exit code from the outcome.
 */
import { randomBytes } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { BenchEngine, type StartEvent } from '../bench/engine.js';
import type { TickEvent } from '../bench/meter.js';
import { newRunId } from '../bench/header.js';
import { csvHeader, csvRow, HdrLog } from '../bench/output.js';
import { capacityPlan } from '../bench/plan.js';
import type { Histogram } from '../bench/histogram.js';
import type {
  BenchParameters,
  BenchResult,
  FindMaxStep,
  HistogramName,
  MessageType,
  SendMode,
} from '../bench/result.js';
import { runWorkers } from '../bench/workers.js';
import { HELD_PULL_MS, rocketmqPorts } from '../bench/rocketmq.js';
import { evaluateSlos, parseSlo, type Slo, VERIFY_METRICS } from '../bench/slo.js';
import { Admin } from '../core/client/admin.js';
import { MAX_BODY_BYTES } from '../core/client/producer.js';
import type { ClientSecurity } from '../core/client/remoting-client.js';
import { BrokerResponseError, InvalidArgumentError, NotFoundError, RocketMQError } from '../core/errors.js';
import type { TopicRoute } from '../core/protocol/route.js';

export interface BenchInput {
  namesrv: string[];
  timeoutMs: number;
  /** ACL credentials and TLS, for every client the bench opens */
  security?: ClientSecurity | undefined;
  topic?: string | undefined;
  queues: number;
  producers: number;
  consumers: number;
  groups: number;
  group?: string | undefined;
  size: number;
  payloadFile?: string | undefined;
  keys: boolean;
  tags?: string | undefined;
  mode: SendMode;
  batch: number;
  inflight?: number | undefined;
  rate?: number | undefined;
  precise?: boolean | undefined;
  durationMs?: number | undefined;
  messages?: number | undefined;
  warmupMs: number;
  intervalMs: number;
  type?: MessageType | undefined;
  delayMs?: number | undefined;
  fifoGroups: number;
  txRollbackRatio?: number | undefined;
  verify: boolean;
  drainMs: number;
  slo: string[];
  retries: number;
  /** worker threads to spread producers and consumers over (1: all on the main thread) */
  workers?: number | undefined;
  /** step the rate up (from --rate, default 1000) to the highest that holds the SLOs */
  findMax?: boolean | undefined;
  /** add a capacity plan for this target msg/s */
  planTps?: number | undefined;
  hdrLog?: string | undefined;
  csv?: string | undefined;
  toolVersion: string;
  signal?: AbortSignal;
  runId?: string;
  /** Told what happens while the run goes on (the command's live lines subscribe to it). */
  events?: EventEmitter<BenchEvents> | undefined;
}

/**
 * A run's events: the engine's `start` and `tick` (merged across worker threads, once per
 * --find-max step), and the service's own set-up texts, steps and notes.
 */
export interface BenchEvents {
  setup: [text: string];
  start: [e: StartEvent];
  tick: [e: TickEvent];
  step: [step: number, rate: number];
  note: [text: string];
}

export interface BenchPlan {
  params: BenchParameters;
  slos: Slo[];
  runId: string;
  /** the topic is ours to delete afterwards */
  ephemeralTopic: boolean;
  /** the groups are ours to delete afterwards */
  ephemeralGroups: boolean;
  notes: string[];
}

export interface BenchOutcome {
  result: BenchResult;
  /** an --slo threshold failed: exit 99 */
  sloFailed: boolean;
  /** a verification failed that no --slo covers: exit 9, with this message */
  checkFailed: string | undefined;
}

export const DEFAULT_INFLIGHT = 32;
export const DEFAULT_DURATION_MS = 10_000;

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
  if (input.precise && input.rate === undefined && !input.findMax) throw bad('--precise goes with --rate');
  if (input.workers !== undefined && input.workers > 1 && input.workers > input.producers) {
    throw bad(
      `--workers ${input.workers} is more than --producers ${input.producers}`,
      'every worker thread needs a producer',
    );
  }
  if (input.findMax && input.messages !== undefined)
    throw bad('--find-max runs steps of --duration, not --messages');
  if (input.planTps !== undefined && !(input.planTps > 0)) throw bad('--plan-tps must be above 0');
  if (input.batch > 1) {
    if (type !== 'normal')
      throw bad(`--batch cannot be used with --type ${type}`, 'RocketMQ batches hold normal messages only');
    if (input.mode === 'oneway') throw bad('--batch cannot be used with --mode oneway');
  }
  if (input.mode === 'oneway' && (type === 'fifo' || type === 'transaction')) {
    throw bad(`--type ${type} needs acknowledged sends: use --mode sync or async`);
  }
  if (input.payloadFile !== undefined && input.size !== 1024)
    notes.push('--size is ignored with --payload-file');
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
  const groupPrefix = input.group ?? `rmq_bench_${runId}`;
  const groupNames =
    input.groups === 1
      ? [groupPrefix]
      : Array.from({ length: input.groups }, (_, i) => `${groupPrefix}_${i}`);
  const tags = (input.tags ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  const params: BenchParameters = {
    topic: input.topic ?? `rmq_bench_${runId}`,
    queues: input.queues,
    producers: input.producers,
    consumers: input.consumers,
    groups: input.groups,
    groupNames,
    size: input.size,
    payloadFile: input.payloadFile,
    keys: input.keys,
    tags,
    mode: input.mode,
    batch: input.batch,
    inflight,
    rate: input.rate,
    precise: input.precise ?? false,
    durationMs: input.messages === undefined ? (input.durationMs ?? DEFAULT_DURATION_MS) : undefined,
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

/** --size bytes of printable text (readable in a consumer's output), or the --payload-file. */
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
    const r = randomBytes(params.size);
    body = Buffer.alloc(params.size);
    for (let i = 0; i < params.size; i++) body[i] = alphabet.charCodeAt(r[i]! % alphabet.length);
  }
  if (body.length === 0) throw new InvalidArgumentError('the payload is empty');
  if (body.length > MAX_BODY_BYTES) {
    throw new InvalidArgumentError(`the payload is ${body.length} bytes; the limit is ${MAX_BODY_BYTES}`);
  }
  return body;
}

const TOPIC_TYPE: Record<MessageType, 'NORMAL' | 'FIFO' | 'DELAY' | 'TRANSACTION'> = {
  normal: 'NORMAL',
  fifo: 'FIFO',
  delay: 'DELAY',
  transaction: 'TRANSACTION',
};

/** Creates the topic when missing; returns its readable queue count and whether we created it. */
async function ensureTopic(
  admin: Admin,
  params: BenchParameters,
  progress: (s: string) => void,
): Promise<{ created: boolean; readQueues: number; brokers: number }> {
  const readable = (route: TopicRoute) =>
    route.queues.reduce((a, q) => a + ((q.perm & 4) !== 0 ? q.readQueueNums : 0), 0);
  const brokerCount = (route: TopicRoute) =>
    new Set(route.queues.filter((q) => (q.perm & 2) !== 0).map((q) => q.brokerName)).size;
  try {
    const route = await admin.namesrv.getTopicRoute(params.topic);
    return { created: false, readQueues: readable(route), brokers: brokerCount(route) };
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
  progress(`creating topic ${params.topic} with ${params.queues} queues`);
  const { brokers } = await admin.createTopic(params.topic, {
    readQueues: params.queues,
    writeQueues: params.queues,
    perm: 6,
    order: false,
    messageType: TOPIC_TYPE[params.type],
  });
  const route = await admin.waitForRoute(
    params.topic,
    brokers.map((b) => b.brokerName),
    15_000,
  );
  if (!route) {
    throw new RocketMQError(
      'timeout',
      `topic ${params.topic} was created but the name server does not route it yet`,
    );
  }
  return { created: true, readQueues: readable(route), brokers: brokerCount(route) };
}

interface StepContext {
  input: BenchInput;
  plan: BenchPlan;
  payload: Buffer;
  topic: { readQueues: number; brokers: number };
  note: (s: string) => void;
  csvFd: number | undefined;
  hdrFd: number | undefined;
}

/** One run on the real client (one engine, or one per worker thread); SLOs and verification judged. */
async function runStep(ctx: StepContext, params: BenchParameters, runId: string): Promise<BenchOutcome> {
  const { input, plan, note, csvFd, hdrFd } = ctx;
  const portOptions = {
    namesrv: input.namesrv,
    timeoutMs: input.timeoutMs,
    topic: params.topic,
    producerGroup: `rmq_bench_producer_${plan.runId}`,
    groupNames: params.groupNames,
    type: params.type,
    runId,
    // A little before now, so a consumer that joins late still starts before our first message.
    consumeFromMs: Date.now() - 1000,
    retries: input.retries,
    security: input.security,
  };
  let hdr: HdrLog | undefined;
  const onStart = (e: StartEvent) => {
    if (hdrFd !== undefined) {
      const fd = hdrFd;
      hdr = new HdrLog(
        (s) => writeSync(fd, s),
        e.startUs,
        `rmq bench run ${e.runId} on ${params.topic}${params.rate !== undefined ? ` at ${params.rate} msg/s` : ''}`,
      );
    }
    input.events?.emit('start', e);
  };
  const onTick = (e: TickEvent) => {
    if (csvFd !== undefined) writeSync(csvFd, csvRow(e.interval));
    hdr?.interval(e.histograms, e.startUs, e.endUs);
    input.events?.emit('tick', e);
  };
  let result: BenchResult;
  let histogram: (name: HistogramName) => Histogram | undefined;
  input.events?.emit(
    'setup',
    `starting ${params.consumers * params.groups} consumers, ${params.producers} producers${(input.workers ?? 1) > 1 ? ` on ${Math.min(input.workers ?? 1, params.producers)} threads` : ''}`,
  );
  if ((input.workers ?? 1) > 1) {
    const run = await runWorkers({
      workers: input.workers ?? 1,
      params,
      ports: portOptions,
      readQueues: ctx.topic.readQueues,
      payload: ctx.payload,
      runId,
      toolVersion: input.toolVersion,
      signal: input.signal,
      onStart,
      onTick,
      onWarning: (m) => note(m),
    });
    result = run.result;
    histogram = (name) => run.histograms[name];
  } else {
    const engine = new BenchEngine({
      params,
      ports: rocketmqPorts(
        { ...portOptions, onWarning: (err) => note(`consumer: ${(err as Error).message ?? String(err)}`) },
        ctx.topic.readQueues,
      ),
      payload: ctx.payload,
      runId,
      signal: input.signal,
      toolVersion: input.toolVersion,
    });
    engine.on('start', onStart);
    engine.on('tick', onTick);
    engine.on('warning', (err: unknown) => note(String((err as Error).message ?? err)));
    result = await engine.run();
    histogram = (name) => engine.histogram(name);
  }
  result.environment = { brokers: ctx.topic.brokers, readQueues: ctx.topic.readQueues };
  if (input.planTps !== undefined) result.plan = capacityPlan(result, input.planTps);

  const slos = plan.slos;
  let sloFailed = false;
  if (slos.length > 0) {
    result.slo = evaluateSlos(slos, result, histogram);
    sloFailed = !result.slo.passed;
  }
  const covered = new Set(slos.map((s) => (s.metric.kind === 'scalar' ? s.metric.name : '')));
  const v = result.verification;
  let checkFailed: string | undefined;
  if (v) {
    const failures: string[] = [];
    if (v.lost > 0 && !covered.has('lost')) {
      failures.push(
        `${v.lost} acknowledged messages were never received (e.g. ${v.lostSample.slice(0, 3).join(', ')})`,
      );
    }
    if (v.rolledBackReceived > 0)
      failures.push(`${v.rolledBackReceived} rolled-back messages were delivered`);
    if (params.type === 'fifo' && v.reordered > 0 && !covered.has('reordered')) {
      failures.push(`${v.reordered} messages arrived out of order within their message group`);
    }
    if (failures.length > 0) checkFailed = `verification failed: ${failures.join('; ')}`;
  }
  return { result, sloFailed, checkFailed };
}

/** A step of --find-max holds when the rate was reached (≥ 95 %), the SLOs held and verification passed. */
function judgeStep(o: BenchOutcome, rate: number): FindMaxStep {
  const r = o.result;
  const failed: string[] = [];
  if (r.throughput.send.tps < rate * 0.95) failed.push(`tps ${r.throughput.send.tps} < 95 % of ${rate}`);
  for (const s of r.slo?.results ?? []) if (!s.pass) failed.push(s.expr);
  if (o.checkFailed) failed.push('verification');
  return {
    rate,
    tps: r.throughput.send.tps,
    rtps: r.throughput.receive.tps,
    sendP99Us: r.latency.send?.p99 ?? null,
    e2eP99Us: r.latency.e2e?.p99 ?? null,
    errors: r.errors.reduce((a, e) => a + e.count, 0),
    passed: failed.length === 0,
    failed,
  };
}

export const FIND_MAX_FACTOR = 1.5;
export const FIND_MAX_STEPS = 12;
export const FIND_MAX_REFINE = 2;

export async function runBench(input: BenchInput): Promise<BenchOutcome> {
  const plan = planBench(input);
  const { params } = plan;
  const note = (text: string) => input.events?.emit('note', text);
  for (const n of plan.notes) note(n);
  const payload = loadPayload(params);
  const admin = new Admin({ namesrv: input.namesrv, timeoutMs: input.timeoutMs, ...input.security });
  let created = false;
  let csvFd: number | undefined;
  let hdrFd: number | undefined;
  try {
    input.events?.emit('setup', `preparing topic ${params.topic}`);
    const topic = await ensureTopic(admin, params, (t) => input.events?.emit('setup', t));
    created = topic.created && plan.ephemeralTopic;
    if (topic.created && !plan.ephemeralTopic) note(`topic ${params.topic} was created and is kept`);
    if (input.csv) {
      csvFd = openSync(input.csv, 'w');
      writeSync(csvFd, csvHeader());
    }
    if (input.hdrLog) hdrFd = openSync(input.hdrLog, 'w');
    const ctx: StepContext = { input, plan, payload, topic, note, csvFd, hdrFd };
    if (!input.findMax) return await runStep(ctx, params, plan.runId);

    // --find-max: grow the rate by FIND_MAX_FACTOR until a step fails, then bisect between the
    // last step that held and the first that did not.
    const steps: FindMaxStep[] = [];
    let best: BenchOutcome | undefined;
    let first: BenchOutcome | undefined;
    const tryRate = async (rate: number): Promise<boolean> => {
      input.events?.emit('step', steps.length + 1, rate);
      const o = await runStep(ctx, { ...params, rate }, steps.length === 0 ? plan.runId : newRunId());
      first ??= o;
      const step = judgeStep(o, rate);
      steps.push(step);
      if (step.passed && (!best || rate > (best.result.parameters.rate ?? 0))) best = o;
      return step.passed;
    };
    let lo: number | undefined;
    let hi: number | undefined;
    let rate = params.rate ?? 1000;
    for (let i = 0; i < FIND_MAX_STEPS && !input.signal?.aborted; i++) {
      if (await tryRate(rate)) {
        lo = rate;
        rate = Math.round(rate * FIND_MAX_FACTOR);
      } else {
        hi = rate;
        break;
      }
    }
    for (
      let i = 0;
      i < FIND_MAX_REFINE && lo !== undefined && hi !== undefined && !input.signal?.aborted;
      i++
    ) {
      const mid = Math.round((lo + hi) / 2);
      if (mid <= lo || mid >= hi) break;
      if (await tryRate(mid)) lo = mid;
      else hi = mid;
    }
    const chosen = best ?? first!;
    chosen.result.findMax = {
      maxRate: lo ?? null,
      criterion: `tps ≥ 95 % of the rate${plan.slos.length > 0 ? `, ${plan.slos.map((s) => s.expr).join(', ')}` : ''}${params.verify ? ', verification' : ''}`,
      steps,
    };
    return {
      result: chosen.result,
      sloFailed: best === undefined,
      checkFailed: best === undefined ? undefined : chosen.checkFailed,
    };
  } finally {
    if (csvFd !== undefined) closeSync(csvFd);
    if (hdrFd !== undefined) closeSync(hdrFd);
    await cleanup(admin, plan, created, note, input);
    admin.close();
  }
}

/**
 * Deletes the topic and groups this run made up, and the groups' retry topics (the broker makes
 * %RETRY%<group> when a consumer of the group first sends it a heartbeat); a failure is a note,
 * not an error.
 */
async function cleanup(
  admin: Admin,
  plan: BenchPlan,
  topicCreated: boolean,
  note: (s: string) => void,
  input: BenchInput,
): Promise<void> {
  if (plan.ephemeralGroups && plan.params.consumers > 0) {
    // A pull the broker still holds would re-create a group deleted now (its pull handler
    // auto-creates groups): wait those out, unless the user is in a hurry (Ctrl-C).
    if (!input.signal?.aborted) {
      input.events?.emit('setup', 'removing the consumer groups (after the broker has answered held pulls)');
      await new Promise((r) => setTimeout(r, HELD_PULL_MS));
    }
    for (const g of plan.params.groupNames) {
      await admin.deleteGroup(g).catch((err: unknown) => {
        // 26: SUBSCRIPTION_GROUP_NOT_EXIST, a group that never got a subscription.
        const gone =
          err instanceof NotFoundError || (err instanceof BrokerResponseError && err.responseCode === 26);
        if (!gone) note(`could not delete group ${g}: ${(err as Error).message}`);
      });
      const retry = `%RETRY%${g}`;
      await admin.deleteTopic(retry).catch((err: unknown) => {
        if (!(err instanceof NotFoundError))
          note(`could not delete topic ${retry}: ${(err as Error).message}`);
      });
    }
  }
  if (topicCreated) {
    await admin.deleteTopic(plan.params.topic).catch((err: unknown) => {
      note(`could not delete topic ${plan.params.topic}: ${(err as Error).message}`);
    });
  }
}
