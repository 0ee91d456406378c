/**
 * `rmq smoke`: one end-to-end check of a cluster for CI. Against a topic (created when asked,
 * and then deleted), it sends `count` messages of each type (normal, FIFO, delay, transaction),
 * consumes them with a fresh group, and checks that every one arrived exactly once, FIFO in
 * order, delayed ones not early, committed transactions delivered and a rolled-back one not;
 * that a traced message's trace is complete (Pub and SubAfter); and optional --slo latency
 * thresholds (parsed by bench's SLO parser). It cleans up what it created.
 *
 * The outcome is data: `checks` (each ✓/✗ with a line of detail), `slo`, and `status`
 * (passed / check-failed / slo-failed) which the command maps to exit 0 / 9 / 99. A cluster that
 * cannot be reached throws ConnectionError (exit 3) before anything is sent.
 */
import { performance } from 'node:perf_hooks';
import { type Histogram, newHistogram, recordUs, summarize } from '../bench/histogram.js';
import type { LatencySummary, SloResult } from '../bench/result.js';
import { compareSlo, metricName, parseSlo, type Slo } from '../bench/slo.js';
import { Admin, type MasterBroker } from '../core/client/admin.js';
import { type Delivery, type HandlerResult, PushConsumer, retryTopic } from '../core/client/consumer.js';
import { MQClient } from '../core/client/mq-client.js';
import { MessageQuery } from '../core/client/query.js';
import { Producer, type TransactionAction } from '../core/client/producer.js';
import type { ClientSecurity } from '../core/client/remoting-client.js';
import { TraceDispatcher } from '../core/client/trace.js';
import { ConnectionError, InvalidArgumentError, NotFoundError, TimeoutError } from '../core/errors.js';
import { TRACE_TOPIC_DEFAULT } from '../core/protocol/trace.js';
import { VERSION_5_0_0 } from '../core/remoting/command.js';
import { tracedTarget } from './send.js';
import { queryTraceRecords } from './trace.js';

export const SMOKE_TYPES = ['normal', 'fifo', 'delay', 'transaction'] as const;
export type SmokeType = (typeof SMOKE_TYPES)[number];

/** 5.x timers round the delivery time down to this (timerPrecisionMs). */
const TIMER_PRECISION_MS = 1000;
/** Allowance for the producer's and broker's clocks when judging "early". */
const CLOCK_SLACK_MS = 100;
const LEVEL_MS = [1, 5, 10, 30, 60, 120, 180, 240, 300, 360, 420, 480, 540, 600, 1200, 1800, 3600, 7200].map(
  (s) => s * 1000,
);

export interface SmokeInput {
  namesrv: string[];
  timeoutMs: number;
  security?: ClientSecurity | undefined;
  /** Default: a new topic named rmq_smoke_<run>, created and deleted. */
  topic?: string | undefined;
  create: boolean;
  /** Default: all four. */
  types?: SmokeType[] | undefined;
  count: number;
  /** 5.x timer delay of the delay messages. */
  delayMs: number;
  /** 4.x delay level of the delay messages. */
  delayLevel: number;
  /** How long to wait for messages to arrive, beyond their delay. */
  waitMs: number;
  trace: boolean;
  traceTopic?: string | undefined;
  slo: string[];
  signal?: AbortSignal | undefined;
  onProgress?: ((text: string) => void) | undefined;
}

export interface SmokeCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface SmokeTypeResult {
  type: SmokeType;
  sent: number;
  sendFailed: number;
  expected: number;
  received: number;
  lost: number;
  duplicates: number;
  /** FIFO: messages that arrived before one sent earlier. */
  reordered: number;
  /** Delay: messages delivered before their delay was up. */
  early: number;
  /** Delay: the shortest delay seen, ms. */
  minDelayMs: number | null;
  /** Transaction: rolled-back messages that were delivered anyway. */
  rolledBackDelivered: number;
}

export interface SmokeResult {
  status: 'passed' | 'check-failed' | 'slo-failed' | 'interrupted';
  runId: string;
  namesrv: string[];
  brokers: { brokerName: string; address: string; version: string }[];
  topic: string;
  topicCreated: boolean;
  group: string;
  types: SmokeTypeResult[];
  checks: SmokeCheck[];
  /** µs, as bench reports them. */
  latency: { send: LatencySummary | null; e2e: LatencySummary | null; delay: LatencySummary | null };
  slo: SloResult[];
  trace: { msgId: string; pub: boolean; subAfter: boolean; records: number } | null;
  cleanup: { topicDeleted: boolean; groupDeleted: boolean; errors: string[] };
  elapsedMs: number;
}

interface Sent {
  type: SmokeType;
  seq: number;
  msgId: string;
  startUs: number;
  action?: TransactionAction;
}

const nowUs = (): number => (performance.timeOrigin + performance.now()) * 1000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Parses --types; 'all' or empty means all four. */
export function parseTypes(list: string[] | undefined): SmokeType[] | undefined {
  if (!list || list.length === 0) return undefined;
  const out: SmokeType[] = [];
  for (const t of list.flatMap((x) => x.split(',')).map((x) => x.trim().toLowerCase())) {
    if (!t) continue;
    if (t === 'all') return undefined;
    if (!(SMOKE_TYPES as readonly string[]).includes(t)) {
      throw new InvalidArgumentError(`unknown message type "${t}"`, {
        hint: `use ${SMOKE_TYPES.join(', ')}`,
      });
    }
    if (!out.includes(t as SmokeType)) out.push(t as SmokeType);
  }
  return out.length > 0 ? out : undefined;
}

/** The SLO metrics smoke measures (bench's names); tps/rtps make no sense for a handful of messages. */
const SMOKE_SCALARS = new Set(['errors', 'lost', 'duplicates', 'reordered']);

export function parseSmokeSlos(exprs: string[]): Slo[] {
  return exprs.map((e) => {
    const s = parseSlo(e);
    if (s.metric.kind === 'scalar' && !SMOKE_SCALARS.has(s.metric.name)) {
      throw new InvalidArgumentError(`--slo "${e}": smoke does not measure ${s.metric.name}`, {
        hint: 'smoke measures latencies p99(send|e2e|delay)… and errors, lost, duplicates, reordered; use `rmq bench` for throughput',
      });
    }
    return s;
  });
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

export async function runSmoke(input: SmokeInput): Promise<SmokeResult> {
  const started = Date.now();
  const progress = input.onProgress ?? (() => {});
  if (!Number.isInteger(input.count) || input.count < 1) {
    throw new InvalidArgumentError(`--count must be a whole number of at least 1, got ${input.count}`);
  }
  if (input.delayLevel < 1 || input.delayLevel > 18) {
    throw new InvalidArgumentError(`--delay-level must be from 1 to 18, got ${input.delayLevel}`);
  }
  const slos = parseSmokeSlos(input.slo);
  const runId = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const topic = input.topic ?? `rmq_smoke_${runId}`;
  const create = input.create || input.topic === undefined;
  const group = `rmq_smoke_${runId}`;
  const checks: SmokeCheck[] = [];
  const check = (name: string, ok: boolean, detail: string) => {
    checks.push({ name, ok, detail });
    progress(`${ok ? '✓' : '✗'} ${name}: ${detail}`);
  };

  const admin = new Admin({ namesrv: input.namesrv, timeoutMs: input.timeoutMs, ...input.security });
  const result: SmokeResult = {
    status: 'passed',
    runId,
    namesrv: input.namesrv,
    brokers: [],
    topic,
    topicCreated: false,
    group,
    types: [],
    checks,
    latency: { send: null, e2e: null, delay: null },
    slo: [],
    trace: null,
    cleanup: { topicDeleted: false, groupDeleted: false, errors: [] },
    elapsedMs: 0,
  };
  let client: MQClient | undefined;
  let consumer: PushConsumer | undefined;
  let producerTracer: TraceDispatcher | undefined;
  let consumerTracer: TraceDispatcher | undefined;
  try {
    // 1. The cluster: name server, masters, their versions.
    progress(`connecting to ${input.namesrv.join(';')}`);
    let masters: MasterBroker[];
    let version = Number.POSITIVE_INFINITY;
    try {
      const info = await admin.getClusterInfo();
      masters = await admin.masters({}, info).catch((err: unknown) => {
        if (err instanceof NotFoundError) {
          throw new ConnectionError(
            input.namesrv.join(';'),
            'no master broker is registered with the name server',
          );
        }
        throw err;
      });
      for (const m of masters) {
        const { table, serverVersion } = await admin.brokerRuntimeInfo(m.address);
        version = Math.min(version, serverVersion);
        result.brokers.push({
          brokerName: m.brokerName,
          address: m.address,
          version: table.brokerVersionDesc ?? String(serverVersion),
        });
      }
    } catch (err) {
      unreachable(err, input.namesrv.join(';'));
    }
    const v5 = version >= VERSION_5_0_0;
    check(
      'cluster',
      true,
      `${result.brokers.length} master broker(s): ${result.brokers.map((b) => `${b.brokerName} ${b.version}`).join(', ')}`,
    );

    // 2. The topic.
    let existed = true;
    try {
      await admin.namesrv.getTopicRoute(topic);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      existed = false;
    }
    if (!existed && !create) {
      throw new NotFoundError(`topic "${topic}" does not exist`, {
        hint: 'add --create, or drop --topic to use a temporary one',
      });
    }
    if (!existed) {
      const { brokers } = await admin.createTopic(topic, {
        readQueues: 4,
        writeQueues: 4,
        perm: 6,
        order: false,
      });
      result.topicCreated = true;
      const routed = await admin.waitForRoute(
        topic,
        brokers.map((b) => b.brokerName),
        15_000,
      );
      check(
        'topic',
        routed !== undefined,
        `${topic} created on ${brokers.length} broker(s)${routed ? '' : ', but not routed within 15 s'}`,
      );
      if (!routed) return result;
    } else {
      check('topic', true, `${topic} exists`);
    }

    const types = input.types ?? [...SMOKE_TYPES];
    const delayExpectMs = v5 ? input.delayMs : (LEVEL_MS[input.delayLevel - 1] ?? 1000);
    const delayPrecisionMs = v5 ? TIMER_PRECISION_MS : 0;
    const traceTopic = input.traceTopic || TRACE_TOPIC_DEFAULT;

    // 3. A fresh group, consuming before anything is sent.
    client = new MQClient({ namesrv: input.namesrv, timeoutMs: input.timeoutMs, ...input.security });
    if (input.trace) {
      const opts = {
        namesrv: input.namesrv,
        timeoutMs: input.timeoutMs,
        security: input.security,
        traceTopic,
      };
      producerTracer = new TraceDispatcher({ ...opts, group: `${group}_p`, role: 'PRODUCE' });
      consumerTracer = new TraceDispatcher({ ...opts, group, role: 'CONSUME' });
    }
    const received = new Map<string, number[]>(); // msgId → receipt times (µs)
    const order: { type: SmokeType; seq: number }[] = [];
    let waiting: (() => void) | undefined;
    const handle = ({ message: m }: Delivery): HandlerResult => {
      if (m.properties['smoke.run'] !== runId) return { status: 'ack' };
      const at = nowUs();
      const list = received.get(m.msgId);
      if (list) list.push(at);
      else {
        received.set(m.msgId, [at]);
        order.push({ type: m.properties['smoke.type'] as SmokeType, seq: Number(m.properties['smoke.seq']) });
      }
      waiting?.();
      return { status: 'ack' };
    };
    const tracer = consumerTracer;
    consumer = new PushConsumer(client, { group, topic, from: { kind: 'last' } });
    progress(`starting consumer group ${group}`);
    await consumer.start(
      tracer
        ? (d) => {
            const token = tracer.consumeStarted(d.message, d.topic);
            const r = handle(d);
            tracer.consumeEnded(token, { success: true });
            return r;
          }
        : handle,
    );

    // 4. Send.
    const producer = new Producer(client, { group: `${group}_p`, timeoutMs: input.timeoutMs });
    const intended = new Map<string, TransactionAction>();
    producer.onTransactionCheck((req) => intended.get(req.msgId) ?? 'unknown');
    const target = producerTracer ? tracedTarget(producer, producerTracer) : producer;
    const sendHist = newHistogram();
    const sent: Sent[] = [];
    const failed = new Map<SmokeType, number>();
    let firstError: string | undefined;
    for (const type of types) {
      if (input.signal?.aborted) break;
      progress(`sending ${input.count} ${type} message(s)`);
      const extra = type === 'transaction' ? 1 : 0; // one rollback that must never arrive
      for (let seq = 0; seq < input.count + extra; seq++) {
        const action: TransactionAction | undefined =
          type === 'transaction' ? (seq < input.count ? 'commit' : 'rollback') : undefined;
        const msg = {
          topic,
          body: Buffer.from(JSON.stringify({ smoke: runId, type, seq })),
          tags: `smoke-${type}`,
          keys: [`${runId}-${type}-${seq}`],
          properties: { 'smoke.run': runId, 'smoke.type': type, 'smoke.seq': String(seq) } as Record<
            string,
            string
          >,
          messageGroup: type === 'fifo' ? `${runId}-fifo` : undefined,
          delayMs: type === 'delay' && v5 ? input.delayMs : undefined,
          delayLevel: type === 'delay' && !v5 ? input.delayLevel : undefined,
        };
        const startUs = nowUs();
        try {
          let msgId: string;
          if (action) {
            const r = await target.sendTransaction(msg, action);
            msgId = r.msgId;
            intended.set(msgId, action);
          } else {
            msgId = (await target.send(msg)).msgId;
          }
          recordUs(sendHist, nowUs() - startUs);
          sent.push({ type, seq, msgId, startUs, action });
        } catch (err) {
          failed.set(type, (failed.get(type) ?? 0) + 1);
          firstError ??= (err as Error).message;
        }
      }
    }
    if (firstError) progress(`a send failed: ${firstError}`);

    // 5. Wait for everything expected (not the rollback) to arrive.
    const expected = sent.filter((s) => s.action !== 'rollback');
    const waitUntil = Date.now() + input.waitMs + (types.includes('delay') ? delayExpectMs : 0);
    progress(`waiting for ${expected.length} message(s)`);
    while (!input.signal?.aborted && expected.some((s) => !received.has(s.msgId)) && Date.now() < waitUntil) {
      await new Promise<void>((r) => {
        waiting = r;
        setTimeout(r, 200).unref();
      });
    }
    waiting = undefined;
    if (input.signal?.aborted) {
      result.status = 'interrupted';
      return result;
    }
    // Late duplicates (a redelivery) show up shortly after: give them a moment.
    await sleep(300);

    // 6. Per-type checks.
    const e2eHist = newHistogram();
    const delayHist = newHistogram();
    let totalLost = 0;
    let totalDup = 0;
    let totalReordered = 0;
    for (const type of types) {
      const mine = sent.filter((s) => s.type === type);
      const exp = mine.filter((s) => s.action !== 'rollback');
      const r: SmokeTypeResult = {
        type,
        sent: mine.length,
        sendFailed: failed.get(type) ?? 0,
        expected: exp.length,
        received: 0,
        lost: 0,
        duplicates: 0,
        reordered: 0,
        early: 0,
        minDelayMs: null,
        rolledBackDelivered: 0,
      };
      for (const s of exp) {
        const got = received.get(s.msgId);
        if (!got) {
          r.lost++;
          continue;
        }
        r.received++;
        r.duplicates += got.length - 1;
        const first = got[0]!;
        if (type === 'delay') {
          const delayedMs = (first - s.startUs) / 1000;
          r.minDelayMs = r.minDelayMs === null ? delayedMs : Math.min(r.minDelayMs, delayedMs);
          if (delayedMs < delayExpectMs - delayPrecisionMs - CLOCK_SLACK_MS) r.early++;
          recordUs(delayHist, Math.max(0, first - (s.startUs + delayExpectMs * 1000)));
        } else {
          recordUs(e2eHist, first - s.startUs);
        }
      }
      for (const s of mine.filter((x) => x.action === 'rollback'))
        if (received.has(s.msgId)) r.rolledBackDelivered++;
      if (type === 'fifo') {
        let last = -1;
        for (const o of order.filter((x) => x.type === 'fifo')) {
          if (o.seq < last) r.reordered++;
          last = Math.max(last, o.seq);
        }
      }
      totalLost += r.lost;
      totalDup += r.duplicates;
      totalReordered += r.reordered;
      result.types.push(r);
      const base = `${r.received}/${r.expected} delivered${r.sendFailed ? `, ${r.sendFailed} send(s) failed` : ''}`;
      const problems: string[] = [];
      if (r.lost) problems.push(`${r.lost} lost`);
      if (r.duplicates) problems.push(`${r.duplicates} duplicate(s)`);
      let detail = base;
      let ok = r.lost === 0 && r.duplicates === 0 && r.sendFailed === 0 && r.expected === input.count;
      if (type === 'fifo') {
        detail += r.reordered ? `, ${r.reordered} out of order` : ', in order';
        ok &&= r.reordered === 0;
      }
      if (type === 'delay') {
        const how = v5
          ? `${delayExpectMs / 1000} s timer`
          : `level ${input.delayLevel} (${delayExpectMs / 1000} s)`;
        detail += r.early
          ? `, ${r.early} early (${how})`
          : `, none early (${how}${r.minDelayMs !== null ? `; shortest ${(r.minDelayMs / 1000).toFixed(2)} s` : ''})`;
        ok &&= r.early === 0;
      }
      if (type === 'transaction') {
        detail += r.rolledBackDelivered
          ? ', the rolled-back message was delivered'
          : ', the rolled-back one was not';
        ok &&= r.rolledBackDelivered === 0;
      }
      if (problems.length) detail += ` (${problems.join(', ')})`;
      check(type, ok, detail);
    }
    result.latency = {
      send: summarize(sendHist) ?? null,
      e2e: summarize(e2eHist) ?? null,
      delay: summarize(delayHist) ?? null,
    };

    // 7. The trace of one delivered message: Pub and SubAfter both recorded.
    if (input.trace && producerTracer && consumerTracer) {
      const traced = sent.find((s) => s.action !== 'rollback' && received.has(s.msgId));
      await Promise.all([producerTracer.flush(), consumerTracer.flush()]);
      if (!traced) {
        check('trace', false, 'no message was delivered, so none could be traced');
      } else {
        progress(`reading the trace of ${traced.msgId}`);
        const q = new MessageQuery(admin.client, admin.namesrv);
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
          subAfter = t.records.some((r) => r.record.type === 'SubAfter' && r.record.group === group);
          if ((pub && subAfter) || Date.now() >= until || input.signal?.aborted) break;
          await sleep(500);
        }
        result.trace = { msgId: traced.msgId, pub, subAfter, records };
        const missing = [!pub && 'Pub', !subAfter && 'SubAfter'].filter(Boolean).join(' and ');
        check(
          'trace',
          pub && subAfter,
          pub && subAfter
            ? `Pub and SubAfter recorded for ${traced.msgId} in ${traceTopic}`
            : `${missing} missing for ${traced.msgId}${exists ? '' : ` (${traceTopic} does not exist)`}`,
        );
      }
    }

    // 8. SLOs.
    const hist: Record<string, Histogram> = {
      send: sendHist,
      send_raw: sendHist,
      e2e: e2eHist,
      delay: delayHist,
    };
    const sendErrors = [...failed.values()].reduce((a, b) => a + b, 0);
    for (const s of slos) {
      let actual: number | null;
      const m = s.metric;
      if (m.kind === 'scalar') {
        actual =
          m.name === 'errors'
            ? sendErrors
            : m.name === 'lost'
              ? totalLost
              : m.name === 'duplicates'
                ? totalDup
                : totalReordered;
      } else {
        const h = hist[m.histogram];
        if (!h || h.totalCount === 0) actual = null;
        else if (m.kind === 'quantile')
          actual = m.percentile >= 100 ? h.maxValue : h.getValueAtPercentile(m.percentile);
        else if (m.stat === 'mean') actual = h.mean;
        else if (m.stat === 'max') actual = h.maxValue;
        else if (m.stat === 'min') actual = h.minNonZeroValue;
        else actual = h.stdDeviation;
      }
      result.slo.push({
        expr: s.expr,
        metric: metricName(m),
        op: s.op,
        threshold: s.threshold,
        actual,
        pass: actual !== null && compareSlo(actual, s.op, s.threshold),
      });
    }
    return result;
  } finally {
    // 9. Clean up what this run created, whatever happened.
    try {
      await consumer?.stop().catch(() => {});
      await producerTracer?.shutdown().catch(() => {});
      await consumerTracer?.shutdown().catch(() => {});
      await client?.shutdown().catch(() => {});
      if (consumer) {
        progress('cleaning up');
        try {
          await admin.deleteGroup(group);
          result.cleanup.groupDeleted = true;
        } catch (err) {
          if (!(err instanceof NotFoundError))
            result.cleanup.errors.push(`group ${group}: ${(err as Error).message}`);
          else result.cleanup.groupDeleted = true;
        }
        await admin.deleteTopic(retryTopic(group)).catch(() => {});
      }
      if (result.topicCreated) {
        try {
          await admin.deleteTopic(topic);
          result.cleanup.topicDeleted = true;
        } catch (err) {
          result.cleanup.errors.push(`topic ${topic}: ${(err as Error).message}`);
        }
      }
      if (consumer && checks.length > 0) {
        const what = [result.topicCreated && 'topic', 'group'].filter(Boolean).join(' and ');
        check(
          'cleanup',
          result.cleanup.errors.length === 0,
          result.cleanup.errors.length ? result.cleanup.errors.join('; ') : `${what} deleted`,
        );
      }
      result.elapsedMs = Date.now() - started;
      if (result.status !== 'interrupted') {
        result.status = checks.some((c) => !c.ok)
          ? 'check-failed'
          : result.slo.some((s) => !s.pass)
            ? 'slo-failed'
            : 'passed';
      }
    } finally {
      admin.close();
    }
  }
}
