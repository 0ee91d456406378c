/**
 * The steps of `rmq smoke`, in the order run.ts calls them. Each takes the one run context,
 * does its I/O, and records what it found in `run.result` (through `run.check` for a ✓/✗ line).
 */
import { performance } from 'node:perf_hooks';
import { newHistogram, recordUs } from '../../bench/histogram.js';
import type { Admin } from '../../core/client/admin.js';
import { type Delivery, type HandlerResult, PushConsumer, retryTopic } from '../../core/client/consumer.js';
import { MQClient } from '../../core/client/mq-client.js';
import { Producer, type TransactionAction } from '../../core/client/producer.js';
import { MessageQuery } from '../../core/client/query.js';
import { TraceDispatcher } from '../../core/client/trace.js';
import { tracedHandler, tracedProducer } from '../../core/client/trace-hooks.js';
import { ConnectionError, NotFoundError, TimeoutError } from '../../core/errors.js';
import { TRACE_TOPIC_DEFAULT } from '../../core/protocol/trace.js';
import { VERSION_5_0_0 } from '../../core/remoting/command.js';
import { queryTraceRecords } from '../trace-locate.js';
import type { Receipts, Sent } from './checks.js';
import type { SmokeInput, SmokeResult, SmokeType } from './model.js';

/** 5.x timers round the delivery time down to this (timerPrecisionMs). */
const TIMER_PRECISION_MS = 1000;
/** The 4.x broker's default delay levels (messageDelayLevel). */
const LEVEL_MS = [1, 5, 10, 30, 60, 120, 180, 240, 300, 360, 420, 480, 540, 600, 1200, 1800, 3600, 7200].map(
  (s) => s * 1000,
);

export interface SmokeRun {
  input: SmokeInput;
  runId: string;
  topic: string;
  group: string;
  result: SmokeResult;
  admin: Admin;
  progress: (text: string) => void;
  check: (name: string, ok: boolean, detail: string) => void;
  /** Set by discoverCluster. */
  v5: boolean;
  client?: MQClient;
  consumer?: PushConsumer;
  producerTracer?: TraceDispatcher;
  consumerTracer?: TraceDispatcher;
  receipts: Receipts;
  sent: Sent[];
  sendFailed: Map<SmokeType, number>;
  sendHist: ReturnType<typeof newHistogram>;
  /** Resolves the wait for arrivals early when a message comes in. */
  wake?: (() => void) | undefined;
}

export const nowUs = (): number => (performance.timeOrigin + performance.now()) * 1000;
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function traceTopicOf(run: SmokeRun): string {
  return run.input.traceTopic || TRACE_TOPIC_DEFAULT;
}

/** When a delay message is due on this cluster, and how coarse its timer is. */
export function delayRules(run: SmokeRun): { expectMs: number; precisionMs: number; how: string } {
  const { input } = run;
  if (run.v5)
    return {
      expectMs: input.delayMs,
      precisionMs: TIMER_PRECISION_MS,
      how: `${input.delayMs / 1000} s timer`,
    };
  const expectMs = LEVEL_MS[input.delayLevel - 1] ?? 1000;
  return { expectMs, precisionMs: 0, how: `level ${input.delayLevel} (${expectMs / 1000} s)` };
}

/** Connection problems during the first contact mean "cluster unreachable" (exit 3), whatever their kind. */
function unreachable(err: unknown, what: string): never {
  if (err instanceof ConnectionError || err instanceof TimeoutError) {
    throw new ConnectionError(
      err instanceof ConnectionError ? err.address : what,
      `cluster unreachable: ${err.message}`,
      {
        cause: err,
        hint: 'check --namesrv and that the name server and brokers are up (`rmq cluster list`)',
      },
    );
  }
  throw err;
}

/** 1. The cluster: name server, masters, their versions (the oldest decides 4.x vs 5.x rules). */
export async function discoverCluster(run: SmokeRun): Promise<void> {
  const where = run.input.namesrv.join(';');
  run.progress(`connecting to ${where}`);
  let version = Number.POSITIVE_INFINITY;
  try {
    const info = await run.admin.getClusterInfo();
    const masters = await run.admin.masters({}, info).catch((err: unknown) => {
      if (err instanceof NotFoundError) {
        throw new ConnectionError(where, 'no master broker is registered with the name server');
      }
      throw err;
    });
    for (const m of masters) {
      const { table, serverVersion } = await run.admin.brokerRuntimeInfo(m.address);
      version = Math.min(version, serverVersion);
      run.result.brokers.push({
        brokerName: m.brokerName,
        address: m.address,
        version: table.brokerVersionDesc ?? String(serverVersion),
      });
    }
  } catch (err) {
    unreachable(err, where);
  }
  run.v5 = version >= VERSION_5_0_0;
  const brokers = run.result.brokers;
  run.check(
    'cluster',
    true,
    `${brokers.length} master broker(s): ${brokers.map((b) => `${b.brokerName} ${b.version}`).join(', ')}`,
  );
}

/** 2. The topic: used if it exists, else created (when allowed) and waited for in the route. Returns false when unusable. */
export async function ensureTopic(run: SmokeRun, create: boolean): Promise<boolean> {
  const { admin, topic } = run;
  let existed = true;
  try {
    await admin.namesrv.getTopicRoute(topic);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    existed = false;
  }
  if (existed) {
    run.check('topic', true, `${topic} exists`);
    return true;
  }
  if (!create) {
    throw new NotFoundError(`topic "${topic}" does not exist`, {
      hint: 'add --create, or drop --topic to use a temporary one',
    });
  }
  const { brokers } = await admin.createTopic(topic, {
    readQueues: 4,
    writeQueues: 4,
    perm: 6,
    order: false,
  });
  run.result.topicCreated = true;
  const routed = await admin.waitForRoute(
    topic,
    brokers.map((b) => b.brokerName),
    15_000,
  );
  run.check(
    'topic',
    routed !== undefined,
    `${topic} created on ${brokers.length} broker(s)${routed ? '' : ', but not routed within 15 s'}`,
  );
  return routed !== undefined;
}

/** 3. A fresh group, consuming before anything is sent, recording this run's messages only. */
export async function startConsumer(run: SmokeRun): Promise<void> {
  const { input } = run;
  // Through a proxy, every client learns its routes from the proxy, which names itself the broker.
  const messaging = input.proxy ? [input.proxy] : input.namesrv;
  run.client = new MQClient({ namesrv: messaging, timeoutMs: input.timeoutMs, ...input.security });
  if (input.trace) {
    const opts = {
      namesrv: messaging,
      timeoutMs: input.timeoutMs,
      security: input.security,
      traceTopic: traceTopicOf(run),
    };
    run.producerTracer = new TraceDispatcher({ ...opts, group: `${run.group}_p`, role: 'PRODUCE' });
    run.consumerTracer = new TraceDispatcher({ ...opts, group: run.group, role: 'CONSUME' });
  }
  const { times, order } = run.receipts;
  const handle = ({ message: m }: Delivery): HandlerResult => {
    if (m.properties['smoke.run'] !== run.runId) return { status: 'ack' };
    const at = nowUs();
    const list = times.get(m.msgId);
    if (list) list.push(at);
    else {
      times.set(m.msgId, [at]);
      order.push({ type: m.properties['smoke.type'] as SmokeType, seq: Number(m.properties['smoke.seq']) });
    }
    run.wake?.();
    return { status: 'ack' };
  };
  const tracer = run.consumerTracer;
  run.consumer = new PushConsumer(run.client, { group: run.group, topic: run.topic, from: { kind: 'last' } });
  run.progress(`starting consumer group ${run.group}`);
  await run.consumer.start(tracer ? tracedHandler(handle, tracer) : handle);
}

/** 4. Send `count` of each type (plus one transaction to roll back), one at a time, timing each. */
export async function sendAll(run: SmokeRun, types: readonly SmokeType[]): Promise<void> {
  const { input, runId } = run;
  const producer = new Producer(run.client!, { group: `${run.group}_p`, timeoutMs: input.timeoutMs });
  const intended = new Map<string, TransactionAction>();
  producer.onTransactionCheck((req) => intended.get(req.msgId) ?? 'unknown');
  const target = run.producerTracer ? tracedProducer(producer, run.producerTracer) : producer;
  let firstError: string | undefined;
  for (const type of types) {
    if (input.signal?.aborted) break;
    run.progress(`sending ${input.count} ${type} message(s)`);
    const extra = type === 'transaction' ? 1 : 0; // one rollback that must never arrive
    for (let seq = 0; seq < input.count + extra; seq++) {
      const action: TransactionAction | undefined =
        type === 'transaction' ? (seq < input.count ? 'commit' : 'rollback') : undefined;
      const msg = {
        topic: run.topic,
        body: Buffer.from(JSON.stringify({ smoke: runId, type, seq })),
        tags: `smoke-${type}`,
        keys: [`${runId}-${type}-${seq}`],
        properties: { 'smoke.run': runId, 'smoke.type': type, 'smoke.seq': String(seq) } as Record<
          string,
          string
        >,
        messageGroup: type === 'fifo' ? `${runId}-fifo` : undefined,
        delayMs: type === 'delay' && run.v5 ? input.delayMs : undefined,
        delayLevel: type === 'delay' && !run.v5 ? input.delayLevel : undefined,
      };
      const startUs = nowUs();
      try {
        let msgId: string;
        if (action) {
          msgId = (await target.sendTransaction(msg, action)).msgId;
          intended.set(msgId, action);
        } else {
          msgId = (await target.send(msg)).msgId;
        }
        recordUs(run.sendHist, nowUs() - startUs);
        run.sent.push({ type, seq, msgId, startUs, action });
      } catch (err) {
        run.sendFailed.set(type, (run.sendFailed.get(type) ?? 0) + 1);
        firstError ??= (err as Error).message;
      }
    }
  }
  if (firstError) run.progress(`a send failed: ${firstError}`);
}

/**
 * 5. Wait until everything expected (not the rollback) arrived or the wait ran out.
 * Returns false when the run was interrupted meanwhile.
 */
export async function awaitArrivals(run: SmokeRun, extraWaitMs: number): Promise<boolean> {
  const expected = run.sent.filter((s) => s.action !== 'rollback');
  const { times } = run.receipts;
  const waitUntil = Date.now() + run.input.waitMs + extraWaitMs;
  run.progress(`waiting for ${expected.length} message(s)`);
  while (!run.input.signal?.aborted && expected.some((s) => !times.has(s.msgId)) && Date.now() < waitUntil) {
    await new Promise<void>((r) => {
      run.wake = r;
      setTimeout(r, 200).unref();
    });
  }
  run.wake = undefined;
  if (run.input.signal?.aborted) return false;
  // Late duplicates (a redelivery) show up shortly after: give them a moment.
  await sleep(300);
  return true;
}

/** 7. The trace of one delivered message: Pub and SubAfter both recorded (polled for up to 15 s). */
export async function checkTrace(run: SmokeRun): Promise<void> {
  const { producerTracer, consumerTracer } = run;
  if (!producerTracer || !consumerTracer) return;
  const traceTopic = traceTopicOf(run);
  const traced = run.sent.find((s) => s.action !== 'rollback' && run.receipts.times.has(s.msgId));
  await Promise.all([producerTracer.flush(), consumerTracer.flush()]);
  if (!traced) {
    run.check('trace', false, 'no message was delivered, so none could be traced');
    return;
  }
  run.progress(`reading the trace of ${traced.msgId}`);
  const q = new MessageQuery(run.admin.client, run.admin.namesrv);
  const until = Date.now() + 15_000;
  let pub = false;
  let subAfter = false;
  let records = 0;
  let exists = true;
  for (;;) {
    const t = await queryTraceRecords(q, traceTopic, traced.msgId, { beginMs: Date.now() - 3_600_000 });
    exists = t.exists;
    records = t.records.length;
    pub = t.records.some((r) => r.record.type === 'Pub');
    subAfter = t.records.some((r) => r.record.type === 'SubAfter' && r.record.group === run.group);
    if ((pub && subAfter) || Date.now() >= until || run.input.signal?.aborted) break;
    await sleep(500);
  }
  run.result.trace = { msgId: traced.msgId, pub, subAfter, records };
  const missing = [!pub && 'Pub', !subAfter && 'SubAfter'].filter(Boolean).join(' and ');
  run.check(
    'trace',
    pub && subAfter,
    pub && subAfter
      ? `Pub and SubAfter recorded for ${traced.msgId} in ${traceTopic}`
      : `${missing} missing for ${traced.msgId}${exists ? '' : ` (${traceTopic} does not exist)`}`,
  );
}

/** 9. Stop the clients and delete what this run created, whatever happened before. */
export async function cleanUp(run: SmokeRun): Promise<void> {
  const { admin, result } = run;
  await run.consumer?.stop().catch(() => {});
  await run.producerTracer?.shutdown().catch(() => {});
  await run.consumerTracer?.shutdown().catch(() => {});
  await run.client?.shutdown().catch(() => {});
  if (run.consumer) {
    run.progress('cleaning up');
    try {
      await admin.deleteGroup(run.group);
      result.cleanup.groupDeleted = true;
    } catch (err) {
      if (err instanceof NotFoundError) result.cleanup.groupDeleted = true;
      else result.cleanup.errors.push(`group ${run.group}: ${(err as Error).message}`);
    }
    await admin.deleteTopic(retryTopic(run.group)).catch(() => {});
  }
  if (result.topicCreated) {
    try {
      await admin.deleteTopic(run.topic);
      result.cleanup.topicDeleted = true;
    } catch (err) {
      result.cleanup.errors.push(`topic ${run.topic}: ${(err as Error).message}`);
    }
  }
  if (run.consumer && result.checks.length > 0) {
    const what = [result.topicCreated && 'topic', 'group'].filter(Boolean).join(' and ');
    const errors = result.cleanup.errors;
    run.check('cleanup', errors.length === 0, errors.length ? errors.join('; ') : `${what} deleted`);
  }
}
