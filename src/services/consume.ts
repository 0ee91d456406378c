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
import { FileOffsetStore } from '../core/client/offset-store.js';
import type { ClientSecurity } from '../core/client/remoting-client.js';
import { TraceDispatcher, tracedHandler, type TraceStats } from '../core/client/trace.js';
import { InvalidArgumentError, RocketMQError } from '../core/errors.js';
import { describeBodyError, type MessageExt } from '../core/protocol/message.js';
import {
  asIs,
  bodyErrorNote,
  bodyText,
  type MessageRecord,
  type TextEscape,
  toRecord,
} from './message-record.js';
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

const TOKEN =
  /\{(topic|msgId|offsetMsgId|keys|tags|queue|offset|broker|bornTime|storeTime|bornTimestamp|storeTimestamp|reconsumeTimes|body|bodyBase64|bornHost|storeHost|prop\.[^}]+)\}/g;

/**
 * Checks a --template and returns its renderer. Escapes \n and \t are honoured. Each value put
 * in passes through `escape` (newlines too: the template's own newlines are the record's).
 */
export function compileTemplate(
  template: string,
  escape: TextEscape = asIs,
): (m: MessageExt, topic: string, broker: string) => string {
  const t = template.replace(/\\n/g, '\n').replace(/\\t/g, '\t');
  const unknown = [...t.matchAll(/\{([^}]*)\}/g)].map((x) => x[0]).filter((x) => !x.match(TOKEN));
  if (unknown.length > 0) {
    throw new InvalidArgumentError(`unknown template token ${unknown[0]}`, {
      hint: 'tokens: {topic} {msgId} {offsetMsgId} {keys} {tags} {queue} {offset} {broker} {bornTime} {storeTime} {reconsumeTimes} {body} {bodyBase64} {prop.NAME}',
    });
  }
  return (m, topic, broker) =>
    t.replace(TOKEN, (_, name: string) => escape(tokenValue(m, topic, broker, name)));
}

/** The text of one template token (without the braces) for message `m`. */
function tokenValue(m: MessageExt, topic: string, broker: string, name: string): string {
  switch (name) {
    case 'topic':
      return topic;
    case 'msgId':
      return m.msgId;
    case 'offsetMsgId':
      return m.offsetMsgId;
    case 'keys':
      return m.properties.KEYS ?? '';
    case 'tags':
      return m.properties.TAGS ?? '';
    case 'queue':
      return String(m.queueId);
    case 'offset':
      return String(m.queueOffset);
    case 'broker':
      return broker;
    case 'bornTime':
      return new Date(m.bornTimestamp).toISOString();
    case 'storeTime':
      return new Date(m.storeTimestamp).toISOString();
    case 'bornTimestamp':
      return String(m.bornTimestamp);
    case 'storeTimestamp':
      return String(m.storeTimestamp);
    case 'reconsumeTimes':
      return String(m.reconsumeTimes);
    case 'bornHost':
      return m.bornHost;
    case 'storeHost':
      return m.storeHost;
    // A body that was not inflated is compressed bytes: render nothing rather than those.
    case 'body':
      return m.bodyError ? '' : m.body.toString('utf8');
    case 'bodyBase64':
      return m.bodyError ? '' : m.body.toString('base64');
    default: {
      // Own properties only: {prop.constructor} must not print Object's constructor.
      const prop = name.slice(5);
      return Object.hasOwn(m.properties, prop) ? (m.properties[prop] ?? '') : '';
    }
  }
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
  output: OutputFormat;
  template?: string | undefined;
  delimiter: string;
  /** For human output to a terminal: escapes control characters from the wire. */
  escape?: TextEscape | undefined;
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
  /** --trace / --trace-topic: write SubBefore/SubAfter records for every delivery. */
  trace?: { topic?: string | undefined } | undefined;
  /** --max-body: largest inflated body; a larger one is reported (bodyError) and the run goes on. */
  maxBodyBytes?: number | undefined;
  /** A message whose body was not inflated: one line naming it, where it is and why. */
  onBodyError?: (note: string) => void;
  /** The first trace send that failed (tracing goes on). */
  onTraceError?: (err: unknown) => void;
}

export interface ConsumeResult {
  topic: string;
  group: string;
  model: 'CLUSTERING' | 'BROADCASTING';
  received: number;
  nacked: number;
  elapsedMs: number;
  rate: number;
  stopReason: 'count' | 'end' | 'idle' | 'signal' | 'output-closed';
  queues: { topic: string; brokerName: string; queueId: number; committedOffset: number }[];
  messages?: MessageRecord[];
  /** With --trace: the trace records written. */
  trace?: TraceStats;
}

/** The `--output text` line of a message; `escape` gets the line without its newline. */
export function renderText(m: MessageExt, topic: string, escape: TextEscape = asIs): string {
  const text = m.bodyError ? undefined : bodyText(m.body);
  const body = m.bodyError
    ? `<body not inflated: ${describeBodyError(m.bodyError)}>`
    : text === undefined
      ? `<${m.body.length} bytes, binary>`
      : text.replace(/\n/g, '\\n');
  const parts = [new Date(m.storeTimestamp).toISOString(), topic, `q${m.queueId}@${m.queueOffset}`, m.msgId];
  if (m.properties.TAGS) parts.push(`tags=${m.properties.TAGS}`);
  if (m.properties.KEYS) parts.push(`keys=${m.properties.KEYS}`);
  if (m.reconsumeTimes > 0) parts.push(`retry=${m.reconsumeTimes}`);
  return `${escape(`${parts.join(' ')}  ${body}`)}\n`;
}

/**
 * `--output body`: the body and the delimiter, as bytes. With an escape (a terminal) the body is
 * decoded as UTF-8 and escaped; its newlines stay unless the delimiter holds one, which makes a
 * newline the end of a record.
 */
export function renderBody(body: Buffer, delimiter: Buffer, escape?: TextEscape): Buffer {
  if (!escape) return Buffer.concat([body, delimiter]);
  const text = escape(body.toString('utf8'), !delimiter.includes(0x0a));
  return Buffer.concat([Buffer.from(text, 'utf8'), delimiter]);
}

export async function consume(input: ConsumeInput): Promise<ConsumeResult> {
  if (input.tag && input.sql) throw new InvalidArgumentError('use either --tag or --sql, not both');
  if (input.document && input.count === undefined && !input.untilEnd && input.idleTimeoutMs === undefined) {
    // Every message is held in memory and uncommitted until the document is written at the end.
    throw new InvalidArgumentError('--json needs a stop condition: --count, --until-end or --idle-timeout', {
      hint: 'to stream without one, use --output ndjson',
    });
  }
  const render =
    input.output === 'template' ? compileTemplate(input.template ?? '', input.escape) : undefined;
  const delimiter = Buffer.from(input.delimiter);
  const topic = input.dlq ? dlqTopic(input.group) : input.topic;
  // Reading a DLQ under the owning group would rewrite that group's subscription on the broker.
  const group = input.dlq ? `${input.group}_DLQ_READER` : input.group;
  const client = new MQClient({ namesrv: input.namesrv, timeoutMs: input.timeoutMs, ...input.security });
  const model = input.broadcast ? 'BROADCASTING' : 'CLUSTERING';
  const consumer = new PushConsumer(client, {
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
    localOffsets: input.broadcast ? new FileOffsetStore(join(input.offsetsDir, `${group}.json`)) : undefined,
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
      let text: string | Buffer;
      switch (input.output) {
        case 'ndjson':
          text = `${JSON.stringify(toRecord(m, brokerName))}\n`;
          break;
        case 'body':
          // Compressed bytes would corrupt a stream of bodies: the warning stands in for it.
          if (m.bodyError) return { status: 'ack' };
          text = renderBody(m.body, delimiter, input.escape);
          break;
        case 'template':
          text = `${render!(m, t, brokerName)}\n`;
          break;
        default:
          text = renderText(m, t, input.escape);
      }
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
