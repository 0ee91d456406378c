/**
 * `rmq consume`: runs a PushConsumer and writes each message out before its offset may be
 * committed. Stops on --count, --until-end, --idle-timeout, a signal, or a closed output.
 */
import { join } from 'node:path';
import {
  dlqTopic,
  type Handler,
  type HandlerResult,
  PushConsumer,
  type StartFrom,
} from '../core/client/consumer.js';
import { MQClient } from '../core/client/mq-client.js';
import { LiteConsumer } from '../core/client/lite-consumer.js';
import { PopConsumer } from '../core/client/pop-consumer.js';
import { FileOffsetStore } from '../core/client/offset-store.js';
import type { PullTargetChange } from '../core/client/pull-target.js';
import type { ClientSecurity } from '../core/client/remoting-client.js';
import { TraceDispatcher, type TraceStats } from '../core/client/trace.js';
import { tracedHandler } from '../core/client/trace-hooks.js';
import { InvalidArgumentError, RocketMQError } from '../core/errors.js';
import type { MessageExt } from '../core/protocol/message.js';
import { bodyErrorNote, type MessageRecord, toRecord } from './message-record.js';
import { OutputSink, type SinkKind } from './output-sink.js';

export const OUTPUT_FORMATS = ['text', 'ndjson', 'body', 'template'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export type NackRule =
  | { kind: 'all' }
  | { kind: 'every'; n: number }
  | { kind: 'key'; key: string }
  | { kind: 'tag'; tag: string };

/** Parses `all`, `every:N`, `key:K`, `tag:T`. */
export function parseNackRule(input: string): NackRule {
  const [kind, ...rest] = input.split(':');
  const arg = rest.join(':');
  if (kind === 'all' && !arg) return { kind: 'all' };
  if (kind === 'every' && /^[1-9]\d*$/.test(arg)) return { kind: 'every', n: Number(arg) };
  if (kind === 'key' && arg) return { kind: 'key', key: arg };
  if (kind === 'tag' && arg) return { kind: 'tag', tag: arg };
  throw new InvalidArgumentError(`invalid --nack rule "${input}"`, {
    hint: 'use all, every:N, key:K or tag:T',
  });
}

/** Parses --from: first, last, an ISO time or epoch ms. */
export function parseStartFrom(input: string): StartFrom {
  if (input === 'first' || input === 'last') return { kind: input };
  const ms = parseTimestamp(input, '--from', 'first, last');
  return { kind: 'timestamp', ms };
}

/** An ISO time or epoch ms; `also` names the other words the flag takes, for the hint. */
export function parseTimestamp(input: string, what: string, also?: string): number {
  if (/^\d{10,}$/.test(input)) return Number(input);
  const t = Date.parse(input);
  if (Number.isNaN(t)) {
    throw new InvalidArgumentError(`invalid ${what} "${input}"`, {
      hint: `use ${also ? `${also}, ` : ''}an ISO time like 2026-11-22T10:00:00Z, or epoch milliseconds`,
    });
  }
  return t;
}

export interface ConsumeInput {
  namesrv: string[];
  timeoutMs: number;
  security?: ClientSecurity | undefined;
  topic: string;
  group: string;
  from: StartFrom;
  resetToMs?: number | undefined;
  tag?: string | undefined;
  sql?: string | undefined;
  broadcast: boolean;
  orderly: boolean;
  dlq: boolean;
  count?: number | undefined;
  untilEnd: boolean;
  idleTimeoutMs?: number | undefined;
  /**
   * What each message is written as (ui/message-render.ts: the --output format, escaped for a
   * terminal); undefined writes nothing for it. Unused with `document`.
   */
  render: (m: MessageExt, topic: string, brokerName: string) => string | Buffer | undefined;
  nack?: NackRule | undefined;
  maxReconsume: number;
  retryDelayLevel: number;
  /** Directory for broadcasting offsets. */
  offsetsDir: string;
  /**
   * --json: the messages are collected into the result instead of written, and this writes the
   * result as one document once consuming stops, resolving true when it is out. Their offsets
   * are committed only after that (never by the periodic commit), so a process killed before the
   * document is written leaves the group where it was.
   */
  document?: ((result: ConsumeResult) => Promise<boolean>) | undefined;
  out: NodeJS.WritableStream;
  outKind: SinkKind;
  /** The fd behind `out`, to notice a pipe reader that left while nothing is written. */
  outFd?: number | undefined;
  /** Bytes that must follow a message into a pipe before it counts as out (see OutputSink). */
  pipeWindow?: number | undefined;
  signal: AbortSignal;
  onRebalance?: (queues: number) => void;
  onWarning?: (err: unknown) => void;
  /** A queue's pulls moved to another broker of its group (a slave, or back to the master). */
  onPullTarget?: (change: PullTargetChange) => void;
  /** --trace / --trace-topic: write SubBefore/SubAfter records for every delivery. */
  trace?: { topic?: string | undefined } | undefined;
  /** --max-body: largest inflated body; a larger one is reported (bodyError) and the run goes on. */
  maxBodyBytes?: number | undefined;
  /** --pop: POP consumption (5.x); the broker assigns messages, each hidden for invisibleTimeMs. */
  pop?: { invisibleTimeMs: number } | undefined;
  /** --lite-topic: consume these lite topics of a LITE parent topic (5.5+), with a group bound to it. */
  lite?: { liteTopics: string[]; invisibleTimeMs: number } | undefined;
  /** A message whose body was not inflated: one line naming it, where it is and why. */
  onBodyError?: (note: string) => void;
  /** The first trace send that failed (tracing goes on). */
  onTraceError?: (err: unknown) => void;
}

export interface ConsumedQueue {
  topic: string;
  brokerName: string;
  queueId: number;
  committedOffset: number;
  /**
   * Pull mode: which brokers of the queue's group (0 the master, 1… its slaves) answered its
   * pulls, and the messages they carried; a slave reads for a master that is down, or when the
   * broker suggests it.
   */
  pulledFrom?: { brokerId: number; pulls: number; messages: number }[];
  /** Pull mode: the broker id the last pull reply suggested reading from next; null before any. */
  suggestedBrokerId?: number | null;
}

export interface ConsumeResult {
  topic: string;
  group: string;
  model: 'CLUSTERING' | 'BROADCASTING';
  /** pull: rmq's client balances queues and commits offsets; pop: the broker assigns, rmq acks. */
  mode: 'pull' | 'pop' | 'lite';
  received: number;
  nacked: number;
  elapsedMs: number;
  rate: number;
  stopReason: 'count' | 'end' | 'idle' | 'signal' | 'output-closed';
  queues: ConsumedQueue[];
  messages?: MessageRecord[];
  /** With --trace: the trace records written. */
  trace?: TraceStats;
}

export async function consume(input: ConsumeInput): Promise<ConsumeResult> {
  if (input.tag && input.sql) throw new InvalidArgumentError('use either --tag or --sql, not both');
  if (input.lite) {
    const clash = [
      input.pop && '--pop',
      input.nack && '--nack',
      input.broadcast && '--broadcast',
      input.orderly && '--orderly',
      input.dlq && '--dlq',
      input.tag && '--tag',
      input.sql && '--sql',
      input.resetToMs !== undefined && '--reset-to',
      input.from.kind === 'timestamp' && '--from <time>',
    ].filter(Boolean);
    if (clash.length > 0) {
      throw new InvalidArgumentError(`--lite-topic does not go with ${clash.join(', ')}`, {
        hint: 'lite topics are consumed from the broker by subscription: use --from first|last',
      });
    }
  }
  if (input.pop) {
    const clash = [
      input.broadcast && '--broadcast',
      input.orderly && '--orderly',
      input.dlq && '--dlq',
      input.resetToMs !== undefined && '--reset-to',
      input.from.kind === 'timestamp' && '--from <time>',
    ].filter(Boolean);
    if (clash.length > 0) {
      throw new InvalidArgumentError(`--pop does not go with ${clash.join(', ')}`, {
        hint: 'POP consumption has no client offsets or queue locks: the broker hands out messages; use --from first|last',
      });
    }
  }
  if (input.document && input.count === undefined && !input.untilEnd && input.idleTimeoutMs === undefined) {
    // Every message is held in memory and uncommitted until the document is written at the end.
    throw new InvalidArgumentError('--json needs a stop condition: --count, --until-end or --idle-timeout', {
      hint: 'to stream without one, use --output ndjson',
    });
  }
  const topic = input.dlq ? dlqTopic(input.group) : input.topic;
  // Reading a DLQ under the owning group would rewrite that group's subscription on the broker.
  const group = input.dlq ? `${input.group}_DLQ_READER` : input.group;
  const client = new MQClient({ namesrv: input.namesrv, timeoutMs: input.timeoutMs, ...input.security });
  const model = input.broadcast ? 'BROADCASTING' : 'CLUSTERING';
  const consumer = input.lite
    ? new LiteConsumer(client, {
        group,
        topic,
        liteTopics: input.lite.liteTopics,
        from: input.from.kind === 'first' ? 'first' : 'last',
        invisibleTimeMs: input.lite.invisibleTimeMs,
        maxMessages: input.count,
        maxBodyBytes: input.maxBodyBytes,
      })
    : input.pop
      ? new PopConsumer(client, {
          group,
          topic,
          expression: input.sql ?? input.tag ?? '*',
          expressionType: input.sql ? 'SQL92' : 'TAG',
          from: input.from.kind === 'first' ? 'first' : 'last',
          invisibleTimeMs: input.pop.invisibleTimeMs,
          maxMessages: input.count,
          maxBodyBytes: input.maxBodyBytes,
        })
      : new PushConsumer(client, {
          group,
          topic,
          expression: input.sql ?? input.tag ?? '*',
          expressionType: input.sql ? 'SQL92' : 'TAG',
          model,
          from: input.from,
          resetToMs: input.resetToMs,
          orderly: input.orderly,
          maxReconsumeTimes: input.maxReconsume,
          retryDelayLevel: input.retryDelayLevel,
          maxMessages: input.count,
          localOffsets: input.broadcast
            ? new FileOffsetStore(join(input.offsetsDir, `${group}.json`))
            : undefined,
          maxBodyBytes: input.maxBodyBytes,
        });
  const sink = new OutputSink(input.out, input.outKind, input.pipeWindow);
  const messages: MessageRecord[] = [];
  // With --json every collected message waits on this: its offset may be committed once it is true.
  let documentOut!: (ok: boolean) => void;
  const heldForDocument = new Promise<boolean>((resolve) => {
    documentOut = resolve;
  });
  let nacked = 0;
  let received = 0;
  let deliveries = 0;
  const started = Date.now();
  let stopReason: ConsumeResult['stopReason'] | undefined;
  let fatal: unknown;
  let idleTimer: NodeJS.Timeout | undefined;
  let finish!: () => void;
  const finished = new Promise<void>((r) => {
    finish = r;
  });
  const stop = (reason: ConsumeResult['stopReason']) => {
    stopReason ??= reason;
    finish();
  };
  const armIdle = () => {
    if (input.idleTimeoutMs === undefined) return;
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = setTimeout(() => stop('idle'), input.idleTimeoutMs);
  };

  const wantsNack = (m: MessageExt): boolean => {
    const r = input.nack;
    if (!r) return false;
    if (r.kind === 'all') return true;
    if (r.kind === 'every') return deliveries % r.n === 0;
    if (r.kind === 'key') return (m.properties.KEYS ?? '').split(' ').includes(r.key);
    return m.properties.TAGS === r.tag;
  };

  consumer.on('limit', () => stop('count'));
  consumer.on('caught-up', () => {
    if (input.untilEnd) stop('end');
  });
  consumer.on('fatal', (err) => {
    fatal = err;
    finish();
  });
  consumer.on('warning', (err) => input.onWarning?.(err));
  consumer.on('pull-target', (change: PullTargetChange) => input.onPullTarget?.(change));
  consumer.on('rebalance', (e: { assigned: unknown[] }) => input.onRebalance?.(e.assigned.length));
  sink.onClosed(() => stop('output-closed'));
  if (!input.document && input.outFd !== undefined) sink.watchReader(input.outFd);
  const onAbort = () => stop('signal');
  input.signal.addEventListener('abort', onAbort);
  if (input.untilEnd) consumer.disableLongPolling();

  let traceWarned = false;
  const tracer = input.trace
    ? new TraceDispatcher({
        namesrv: input.namesrv,
        timeoutMs: input.timeoutMs,
        security: input.security,
        group,
        role: 'CONSUME',
        traceTopic: input.trace.topic,
        onError: (err) => {
          if (traceWarned) return;
          traceWarned = true;
          (input.onTraceError ?? input.onWarning)?.(err);
        },
      })
    : undefined;

  let stopped = false;
  let result: ConsumeResult | undefined;
  /**
   * The result. With --json it is built before the final commit, for the document written before
   * it: each queue's committedOffset is then the offset that commit stores once the document is out.
   */
  const resultOf = (beforeCommit: boolean): ConsumeResult => {
    const elapsedMs = Date.now() - started;
    const r: ConsumeResult = {
      topic,
      group,
      model,
      mode: input.lite ? 'lite' : input.pop ? 'pop' : 'pull',
      received,
      nacked,
      elapsedMs,
      rate: elapsedMs > 0 ? Math.round((received * 1000) / elapsedMs) : 0,
      stopReason: stopReason ?? 'signal',
      queues: consumer.offsets().map((o) => ({
        topic: o.mq.topic,
        brokerName: o.mq.brokerName,
        queueId: o.mq.queueId,
        committedOffset: beforeCommit ? o.committableOnceOut : o.committed,
        pulledFrom: o.pulledFrom,
        suggestedBrokerId: o.suggestedBrokerId ?? null,
      })),
    };
    if (input.document) r.messages = messages;
    if (tracer) r.trace = tracer.stats();
    return r;
  };

  try {
    const handle: Handler = async ({ message: m, topic: t, brokerName }): Promise<HandlerResult> => {
      deliveries++;
      armIdle();
      if (!input.dlq && wantsNack(m)) {
        nacked++;
        return { status: 'nack' };
      }
      received++;
      // Reported, the message counts as written out: its offset is committed like any other.
      const note = bodyErrorNote(m, brokerName);
      if (note) input.onBodyError?.(note);
      if (input.document) {
        messages.push(toRecord(m, brokerName));
        return { status: 'ack', durable: heldForDocument };
      }
      const text = input.render(m, t, brokerName);
      if (text === undefined) return { status: 'ack' };
      const { durable } = await sink.write(text);
      return durable ? { status: 'ack', durable } : { status: 'ack' };
    };
    await consumer.start(tracer ? tracedHandler(handle, tracer) : handle);
    armIdle();
    if (input.untilEnd && consumer.isCaughtUp()) stop('end');
    if (input.signal.aborted) stop('signal');
    await finished;
    stopped = true;
  } finally {
    input.signal.removeEventListener('abort', onAbort);
    if (idleTimer) clearTimeout(idleTimer);
    try {
      // No commit runs from here until stop(): halt ends the periodic one.
      await consumer.halt();
      // Normal end: what was written will be read. After EPIPE the sink reports it lost instead.
      await sink.flush();
      sink.stopWatching();
      if (input.document) {
        let out = false;
        try {
          if (stopped && !fatal) {
            // The document carries the trace counts: every record is sent first.
            await tracer?.shutdown();
            result = resultOf(true);
            out = await input.document(result);
          }
        } finally {
          // Not out (an error, or stdout gone): the held messages stay uncommitted, to be read again.
          documentOut(out);
        }
      }
      await consumer.stop();
    } finally {
      await tracer?.shutdown();
      await client.shutdown();
    }
  }
  if (fatal) throw fatal instanceof RocketMQError ? fatal : new RocketMQError('broker', String(fatal));
  return result ?? resultOf(false);
}
