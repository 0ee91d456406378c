/**
 * `rmq bench`: makes sure the topic exists, runs the engine on the real client (one engine, or
 * one per worker thread), streams --csv / --hdr-log, evaluates --slo and --verify, and removes
 * what it created. Knows nothing of oclif; the command renders and picks the exit code from the
 * outcome, and its live lines subscribe to input.events.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { BenchEngine, type StartEvent } from '../../bench/engine.js';
import type { Histogram } from '../../bench/histogram.js';
import type { TickEvent } from '../../bench/meter.js';
import { csvHeader, csvRow, HdrLog } from '../../bench/output.js';
import { compareResults } from '../../bench/compare.js';
import { capacityPlan } from '../../bench/plan.js';
import type { BenchParameters, BenchResult, HistogramName, MessageType } from '../../bench/result.js';
import { HELD_PULL_MS, rocketmqPorts } from '../../bench/rocketmq.js';
import { evaluateSlos } from '../../bench/slo.js';
import { runWorkers } from '../../bench/workers.js';
import { Bus, ensureBusTopics } from '../../bench/agents/bus.js';
import type { BusMessage } from '../../bench/agents/codec.js';
import { runOnAgents } from './agents.js';
import { Admin } from '../../core/client/admin.js';
import { BrokerResponseError, NotFoundError, RocketMQError } from '../../core/errors.js';
import type { TopicRoute } from '../../core/protocol/route.js';
import { findMax } from './find-max.js';
import type { BenchInput, BenchOutcome, BenchPlan } from './model.js';
import { loadPayloadDir, type PayloadDir } from './payload-dir.js';
import { loadPayload, planBench } from './plan.js';

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
  /** --payload-dir: its files */
  dir: PayloadDir | undefined;
  topic: { readQueues: number; brokers: number };
  note: (s: string) => void;
  csvFd: number | undefined;
  hdrFd: number | undefined;
  /** --agents: the pool's bus, and where its results-topic messages go */
  bus?: { bus: Bus; inbox: { handler: (m: BusMessage) => void } } | undefined;
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
    consumeModes: params.consumeModes,
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
  let agentsLost: string | undefined;
  input.events?.emit(
    'setup',
    `starting ${params.consumers * params.groups} consumers, ${params.producers} producers${(input.workers ?? 1) > 1 ? ` on ${Math.min(input.workers ?? 1, params.producers)} threads` : ''}${input.agents ? ` on ${input.agents.count} agents` : ''}`,
  );
  if (input.agents && ctx.bus) {
    const run = await runOnAgents({
      bus: ctx.bus.bus,
      inbox: ctx.bus.inbox,
      agents: input.agents,
      params,
      runId,
      readQueues: ctx.topic.readQueues,
      retries: input.retries,
      signal: input.signal,
      onStart,
      onTick,
      // Decoding each agent's histograms once more is for a listener only (--metrics-port).
      onAgentTick:
        input.events && input.events.listenerCount('agentTick') > 0
          ? (agent, e) => input.events?.emit('agentTick', agent, e)
          : undefined,
      setup: (t) => input.events?.emit('setup', t),
      note,
    });
    result = run.result;
    histogram = (name) => run.histograms[name];
    agentsLost = run.lost;
  } else if ((input.workers ?? 1) > 1) {
    const run = await runWorkers({
      workers: input.workers ?? 1,
      params,
      ports: portOptions,
      readQueues: ctx.topic.readQueues,
      payload: ctx.payload,
      bodies: ctx.dir?.bodies,
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
      bodies: ctx.dir?.bodies,
      runId,
      signal: input.signal,
      toolVersion: input.toolVersion,
    });
    engine.on('start', onStart);
    engine.on('workload', (text: string) => note(text));
    engine.on('tick', onTick);
    engine.on('warning', (err: unknown) => note(String((err as Error).message ?? err)));
    result = await engine.run();
    histogram = (name) => engine.histogram(name);
  }
  result.environment = { brokers: ctx.topic.brokers, readQueues: ctx.topic.readQueues };
  if (ctx.dir) {
    const { dir, files, bytes, minSize, maxSize } = ctx.dir;
    result.workload = { ...result.workload, payloadDir: { dir, files, bytes, minSize, maxSize } };
  }
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
  return { result, sloFailed, checkFailed, agentsLost };
}

/**
 * `--proxy`: the workload direct, then through the proxy (clients take their routes from it, and
 * it names itself as every queue's broker), each judged on its own (SLOs, --verify), and the two
 * compared. One after the other rather than interleaved: each keeps the whole measure window
 * and its own warmup, and nothing of one run's load falls into the other's.
 */
async function runDirectAndViaProxy(ctx: StepContext, proxy: string): Promise<BenchOutcome> {
  const { params } = ctx.plan;
  const direct = await runStep(ctx, params, ctx.plan.runId);
  if (direct.result.interrupted) return direct;
  ctx.input.events?.emit('setup', `the same workload through the proxy ${proxy}`);
  const via = await runStep(
    { ...ctx, input: { ...ctx.input, namesrv: [proxy] } },
    params,
    `${ctx.plan.runId}p`,
  );
  const comparison = compareResults(direct.result, via.result, { names: ['direct', `proxy ${proxy}`] });
  const ratio = (a: number | undefined, b: number | undefined): number | null =>
    a === undefined || b === undefined || a === 0 ? null : Math.round((b / a) * 1000) / 1000;
  const d = direct.result;
  const v = via.result;
  const result: BenchResult = {
    ...d,
    proxyHop: {
      address: proxy,
      result: v,
      comparison,
      ratios: {
        tps: ratio(d.throughput.send.tps, v.throughput.send.tps),
        rtps: ratio(d.throughput.receive.tps, v.throughput.receive.tps),
        p50Send: ratio(d.latency.send?.p50, v.latency.send?.p50),
        p99Send: ratio(d.latency.send?.p99, v.latency.send?.p99),
        p50E2e: ratio(d.latency.e2e?.p50, v.latency.e2e?.p50),
        p99E2e: ratio(d.latency.e2e?.p99, v.latency.e2e?.p99),
      },
    },
    interrupted: d.interrupted || v.interrupted,
  };
  const checks = [
    direct.checkFailed && `direct: ${direct.checkFailed}`,
    via.checkFailed && `through the proxy: ${via.checkFailed}`,
  ].filter((x): x is string => typeof x === 'string' && x.length > 0);
  return {
    result,
    sloFailed: direct.sloFailed || via.sloFailed,
    checkFailed: checks.length > 0 ? checks.join('; ') : undefined,
  };
}

export async function runBench(input: BenchInput): Promise<BenchOutcome> {
  const plan = planBench(input);
  const { params } = plan;
  const note = (text: string) => input.events?.emit('note', text);
  for (const n of plan.notes) note(n);
  const dir = params.payloadDir !== undefined ? loadPayloadDir(params.payloadDir) : undefined;
  if (dir?.skipped) note(`--payload-dir: ${dir.skipped} subdirectories and dot files skipped`);
  const payload = dir ? dir.bodies[0]! : loadPayload(params);
  const admin = new Admin({ namesrv: input.namesrv, timeoutMs: input.timeoutMs, ...input.security });
  let created = false;
  let csvFd: number | undefined;
  let hdrFd: number | undefined;
  let bus: Bus | undefined;
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
    const ctx: StepContext = { input, plan, payload, dir, topic, note, csvFd, hdrFd };
    if (input.agents) {
      input.events?.emit('setup', `joining pool ${input.agents.pool}`);
      for (const t of await ensureBusTopics(admin, input.agents.pool))
        note(`created topic ${t} (the bus of pool ${input.agents.pool})`);
      const inbox = { handler: (_m: BusMessage) => {} };
      bus = new Bus({
        namesrv: input.namesrv,
        timeoutMs: input.timeoutMs,
        security: input.security,
        pool: input.agents.pool,
        role: 'coordinator',
        from: `coordinator:${plan.runId}`,
        onMessage: (m) => inbox.handler(m),
      });
      await bus.start();
      ctx.bus = { bus, inbox };
    }
    if (input.proxy !== undefined) return await runDirectAndViaProxy(ctx, input.proxy);
    if (!input.findMax) return await runStep(ctx, params, plan.runId);
    return await findMax(input, plan, (p, runId) => runStep(ctx, p, runId));
  } finally {
    if (csvFd !== undefined) closeSync(csvFd);
    if (hdrFd !== undefined) closeSync(hdrFd);
    await bus?.close();
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
