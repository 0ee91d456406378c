/**
 * `rmq send`: turns flags into a plan (body source, attributes, mode), then runs the send loop:
 * sync (one request at a time), async (up to `concurrency` in flight), oneway (no response),
 * batches, transactions with check-back answers, and FIFO lanes (one message group is never in
 * flight twice). Results are reported in input order; the summary is a plain object.
 * Knows nothing of oclif or terminals.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { validateGroupName, validateTopicName } from '../core/client/admin.js';
import { MQClient } from '../core/client/mq-client.js';
import type { OnewayFence } from '../core/client/oneway-fence.js';
import type { ClientSecurity } from '../core/client/remoting-client.js';
import { parseNamesrvList } from '../core/client/namesrv.js';
import {
  type CheckRequest,
  checkPropertyStrings,
  MAX_BODY_BYTES,
  type OutgoingMessage,
  Producer,
  type SendResult,
  type SendStatus,
  type TransactionAction,
} from '../core/client/producer.js';
import {
  traceCheckBack,
  TraceDispatcher,
  tracedProducer,
  type TracedSends,
  type TraceStats,
} from '../core/client/trace.js';
import { BrokerResponseError, type ErrorKind, InvalidArgumentError, RocketMQError } from '../core/errors.js';
import { Prop, UniqueIdGenerator } from '../core/protocol/message.js';
import { parseSize } from '../core/util/units.js';
import {
  type BodySource,
  checkDelayLevel,
  type InputMessage,
  type MessageTemplate,
  messageSource,
  parseDelimiter,
  parseProperties,
  parseTime,
  readBodyFile,
} from './input.js';

export const SEND_MODES = ['sync', 'async', 'oneway'] as const;
export type SendMode = (typeof SEND_MODES)[number];
export const TRANSACTION_ACTIONS = ['commit', 'rollback', 'unknown'] as const;
export const CHECK_RESULTS = ['commit', 'rollback'] as const;
export type CheckResult = (typeof CHECK_RESULTS)[number];

/** Results kept for --json; beyond this only the counts grow (a 1M-message run stays small). */
export const MAX_JSON_RESULTS = 10_000;
/**
 * Oneway messages get no reply: every this many (and at the end) a fence through each broker's
 * send queue says which of them the broker took (OnewayFence). Their results wait for it. Small,
 * so that our own messages never hold more than a few ms of the broker's work in its queue,
 * where a request that waits over 200 ms (waitTimeMillsInSendQueue) is dropped.
 */
export const ONEWAY_FENCE_EVERY = 256;
/** Room left in a batch body for the batch's own framing; the broker limit is 4 MiB. */
const BATCH_BUDGET = MAX_BODY_BYTES - 64 * 1024;

export interface SendRecord {
  /** 1-based position in the input. */
  index: number;
  status: SendStatus | 'ONEWAY' | 'FAILED';
  /** UNIQ_KEY, the id users look a message up by; known even when the send failed. */
  msgId: string;
  offsetMsgId: string | null;
  brokerName: string | null;
  brokerAddress: string | null;
  queueId: number | null;
  queueOffset: number | null;
  /** Milliseconds with microsecond precision, from the request to its answer. */
  latencyMs: number;
  attempts: number;
  transaction?: TransactionAction;
  error?: { kind: ErrorKind | 'bug'; name: string; message: string; code?: number };
}

/** The flags of `rmq send`, as parsed by oclif; validated by planSend. */
export interface SendRequest {
  topic: string;
  namesrv: string;
  timeoutMs: number;
  security?: ClientSecurity | undefined;
  group: string;
  body?: string | undefined;
  file?: string | undefined;
  size?: string | undefined;
  count?: number | undefined;
  input: 'lines' | 'ndjson';
  delimiter?: string | undefined;
  keys?: string[] | undefined;
  tag?: string | undefined;
  properties?: string[] | undefined;
  delayMs?: number | undefined;
  deliverAt?: string | undefined;
  delayLevel?: number | undefined;
  messageGroup?: string | undefined;
  mode: SendMode;
  concurrency: number;
  batch?: number | undefined;
  transaction?: TransactionAction | undefined;
  checkResult: CheckResult;
  waitCheckMs: number;
  retries: number;
  compress: boolean;
  failFast: boolean;
  /** --trace: write Pub (and EndTransaction) records to the trace topic. */
  trace?: boolean | undefined;
  /** --trace-topic (default RMQ_SYS_TRACE_TOPIC); implies --trace. */
  traceTopic?: string | undefined;
  /** Standard input: read only when no other body source is given. */
  stdin: AsyncIterable<Buffer | string> & { isTTY?: boolean | undefined };
}

export interface SendPlan {
  topic: string;
  namesrv: string[];
  timeoutMs: number;
  security?: ClientSecurity | undefined;
  group: string;
  retries: number;
  compressThreshold: number;
  source: BodySource;
  template: MessageTemplate;
  loop: LoopOptions;
  checkResult: CheckResult;
  waitCheckMs: number;
  /** Message tracing, when asked for. */
  trace?: { topic?: string | undefined } | undefined;
}

export interface LoopOptions {
  mode: SendMode;
  concurrency: number;
  /** Messages per SEND_BATCH_MESSAGE; 0 sends one by one. */
  batch: number;
  transaction?: TransactionAction | undefined;
  failFast: boolean;
  maxResults: number;
  signal?: AbortSignal | undefined;
}

const positive = (v: number | undefined, name: string): void => {
  if (v !== undefined && (!Number.isInteger(v) || v < 1)) {
    throw new InvalidArgumentError(`${name} must be a whole number of at least 1, got ${v}`);
  }
};

/** Validates the flags and decides where bodies come from; throws InvalidArgumentError (exit 2). */
export async function planSend(req: SendRequest): Promise<SendPlan> {
  positive(req.count, '--count');
  positive(req.concurrency, '--concurrency');
  positive(req.batch, '--batch');
  if (!Number.isInteger(req.retries) || req.retries < 0) {
    throw new InvalidArgumentError(`--retries must be a whole number of at least 0, got ${req.retries}`);
  }
  if (req.delayLevel !== undefined) checkDelayLevel(req.delayLevel);
  if (req.delayMs !== undefined && !(req.delayMs > 0)) {
    throw new InvalidArgumentError('--delay must be more than 0', { hint: 'e.g. --delay 10s' });
  }
  const deliverAtMs = req.deliverAt === undefined ? undefined : parseTime(req.deliverAt);
  const delays = [req.delayMs, deliverAtMs, req.delayLevel].filter((v) => v !== undefined).length;
  if (delays > 1) {
    throw new InvalidArgumentError('use only one of --delay, --deliver-at and --delay-level');
  }
  const batch = req.batch !== undefined && req.batch > 1 ? req.batch : 0;
  if (req.transaction && req.mode === 'oneway') {
    throw new InvalidArgumentError('--transaction needs the broker to answer: it cannot be --mode oneway');
  }
  if (batch && req.transaction) {
    throw new InvalidArgumentError('--batch cannot be combined with --transaction');
  }
  if (batch && req.mode === 'oneway') {
    throw new InvalidArgumentError('--batch cannot be combined with --mode oneway');
  }
  if (batch && delays > 0) {
    throw new InvalidArgumentError('a batch cannot hold delayed messages: drop --batch or the delay');
  }
  if (req.transaction && delays > 0) {
    throw new InvalidArgumentError('a transaction message cannot be delayed');
  }
  if (req.input === 'ndjson' && (req.body !== undefined || req.size !== undefined)) {
    throw new InvalidArgumentError('--input ndjson reads records from standard input or --file', {
      hint: 'drop --body/--size, or drop --input ndjson',
    });
  }
  if (req.delimiter !== undefined && (req.input === 'ndjson' || !usesStdinLines(req))) {
    throw new InvalidArgumentError('--delimiter applies only to messages read from standard input');
  }
  const sources = [req.body, req.file, req.size].filter((v) => v !== undefined).length;
  if (sources > 1) throw new InvalidArgumentError('use only one of --body, --file and --size');
  if (req.body === '') throw new InvalidArgumentError('--body is empty; a message body cannot be');
  if (req.messageGroup === '') throw new InvalidArgumentError('--message-group must not be empty');
  // As the Java client does (Validators.checkTopic): a clear exit 2 instead of one broker error per message.
  validateTopicName(req.topic);
  validateGroupName(req.group.trim());

  let source: BodySource;
  if (req.input === 'ndjson') {
    const stream = req.file !== undefined ? await openFile(req.file) : stdinOrFail(req);
    source = { kind: 'ndjson', stream, limit: req.count };
  } else if (req.body !== undefined) {
    source = { kind: 'body', body: Buffer.from(req.body, 'utf8'), count: req.count ?? 1 };
  } else if (req.file !== undefined) {
    source = { kind: 'body', body: await readBodyFile(req.file), count: req.count ?? 1 };
  } else if (req.size !== undefined) {
    const size = parseSize(req.size, '--size');
    if (size < 1 || size > MAX_BODY_BYTES) {
      throw new InvalidArgumentError(`--size must be from 1 byte to 4 MiB, got ${size}`);
    }
    source = { kind: 'generated', size, count: req.count ?? 1 };
  } else {
    source = {
      kind: 'lines',
      stream: stdinOrFail(req),
      delimiter: parseDelimiter(req.delimiter ?? '\\n'),
      limit: req.count,
    };
  }
  const properties = parseProperties(req.properties ?? []);
  const keys = (req.keys ?? []).flatMap((k) => k.split(' ')).filter((k) => k.length > 0);
  const template: MessageTemplate = {
    tags: req.tag || undefined,
    keys: keys.length > 0 ? keys : undefined,
    properties: Object.keys(properties).length > 0 ? properties : undefined,
    delayLevel: req.delayLevel,
    delayMs: req.delayMs,
    deliverAtMs,
    messageGroup: req.messageGroup,
  };
  // The producer's own check, once for the flags: a bad --key fails before anything connects,
  // not once per message.
  checkPropertyStrings(template);
  return {
    topic: req.topic,
    namesrv: parseNamesrvList(req.namesrv),
    timeoutMs: req.timeoutMs,
    security: req.security,
    group: req.group.trim(),
    retries: req.retries,
    compressThreshold: req.compress ? 4096 : Number.POSITIVE_INFINITY,
    source,
    template,
    loop: {
      mode: req.mode,
      concurrency: req.mode === 'sync' ? 1 : req.concurrency,
      batch,
      transaction: req.transaction,
      failFast: req.failFast,
      maxResults: MAX_JSON_RESULTS,
    },
    checkResult: req.checkResult,
    waitCheckMs: req.waitCheckMs,
    trace: req.trace || req.traceTopic ? { topic: req.traceTopic } : undefined,
  };
}

function usesStdinLines(req: SendRequest): boolean {
  return req.body === undefined && req.file === undefined && req.size === undefined;
}

function stdinOrFail(req: SendRequest): AsyncIterable<Buffer | string> {
  if (req.stdin.isTTY) {
    throw new InvalidArgumentError('no message to send: give a body source', {
      hint: 'use --body TEXT, --file F, --size N, or pipe messages in (one per line)',
    });
  }
  return req.stdin;
}

async function openFile(path: string): Promise<AsyncIterable<Buffer>> {
  try {
    await stat(path);
  } catch (err) {
    throw new InvalidArgumentError(`cannot read --file ${path}: ${(err as Error).message}`, { cause: err });
  }
  return createReadStream(path);
}

/** The producer calls the loop needs; Producer has them, tests pass a fake. */
export type SendTarget = TracedSends;

export interface SendHooks {
  /** Each result, in input order. */
  onResult?: (r: SendRecord) => void;
  /** Resolves when the result sink can take more (stdout backpressure); undefined when it can now. */
  ready?: () => Promise<void> | undefined;
  /** A warning for stderr. */
  note?: (text: string) => void;
}

export interface LoopOutcome {
  sent: number;
  failed: number;
  elapsedMs: number;
  results: SendRecord[];
  resultsOmitted: number;
  firstError: Error | undefined;
  /** The input stopped on this error (e.g. a bad NDJSON line); the messages before it were sent. */
  inputError: Error | undefined;
  interrupted: boolean;
}

export interface LoopContext {
  /** Called just before a transaction message is sent, with its UNIQ_KEY. */
  beforeTransaction?: (msgId: string, action: TransactionAction) => void;
  /** Called when it failed: the broker will never check it. */
  transactionFailed?: (msgId: string) => void;
  /**
   * Oneway only: what became of the oneway messages (an OnewayFence). Without it a oneway result
   * is final when the request is written.
   */
  oneway?: Pick<OnewayFence<SendRecord>, 'track' | 'settle'>;
}

function errorInfo(err: unknown): NonNullable<SendRecord['error']> {
  const e = err instanceof Error ? err : new Error(String(err));
  const info: NonNullable<SendRecord['error']> = {
    kind: e instanceof RocketMQError ? e.kind : 'bug',
    name: e.name,
    message: e.message,
  };
  if (e instanceof BrokerResponseError) info.code = e.responseCode;
  return info;
}

const round3 = (ms: number): number => Math.round(ms * 1000) / 1000;

function okRecord(index: number, r: SendResult, latencyMs: number): SendRecord {
  return {
    index,
    status: r.status,
    msgId: r.msgId,
    offsetMsgId: r.offsetMsgId || null,
    brokerName: r.brokerName,
    brokerAddress: r.brokerAddress,
    queueId: r.queueId,
    queueOffset: r.queueOffset,
    latencyMs: round3(latencyMs),
    attempts: r.attempts,
  };
}

/** Rough bytes of one message inside a batch body, to flush before the 4 MiB limit. */
function batchBytes(m: OutgoingMessage): number {
  let n = 20 + m.body.length + 2 + 96; // framing, body, properties length, UNIQ_KEY + WAIT
  for (const [k, v] of Object.entries(m.properties ?? {})) n += k.length + v.length + 2;
  for (const k of m.keys ?? []) n += k.length + 1;
  return n + (m.tags?.length ?? 0) + 8;
}

/**
 * The send loop. Reads the next message only when a request slot is free, so a stream is
 * consumed at the pace the broker answers.
 */
export async function runLoop(
  target: SendTarget,
  input: AsyncIterable<InputMessage>,
  options: LoopOptions,
  hooks: SendHooks = {},
  ctx: LoopContext = {},
): Promise<LoopOutcome> {
  const ids = new UniqueIdGenerator();
  const out: LoopOutcome = {
    sent: 0,
    failed: 0,
    elapsedMs: 0,
    results: [],
    resultsOmitted: 0,
    firstError: undefined,
    inputError: undefined,
    interrupted: false,
  };
  const signal = options.signal;
  let stop = false;

  // In-order emission: results wait here until every earlier index is done (bounded by the window).
  const done = new Map<number, SendRecord | null>();
  let nextEmit = 1;
  const complete = (index: number, rec: SendRecord | null): void => {
    done.set(index, rec);
    while (done.has(nextEmit)) {
      const r = done.get(nextEmit)!;
      done.delete(nextEmit);
      nextEmit++;
      if (!r) continue;
      if (r.status === 'FAILED') out.failed++;
      else out.sent++;
      if (out.results.length < options.maxResults) out.results.push(r);
      else out.resultsOmitted++;
      hooks.onResult?.(r);
    }
  };

  // A counting semaphore with one waiter: only this loop acquires.
  let active = 0;
  let wake: (() => void) | undefined;
  const release = (): void => {
    active--;
    const w = wake;
    wake = undefined;
    w?.();
  };
  const waitBelow = async (n: number): Promise<void> => {
    while (active >= n) await new Promise<void>((r) => (wake = r));
  };

  const lanes = new Map<string, Promise<void>>();
  let bug: unknown;
  const fail = (items: InputMessage[], err: unknown, latencyMs: number): void => {
    out.firstError ??= err instanceof Error ? err : new Error(String(err));
    if (options.failFast) stop = true;
    for (const it of items) {
      if (options.transaction) ctx.transactionFailed?.(it.msg.properties![Prop.UNIQ_KEY]!);
      complete(it.index, {
        index: it.index,
        status: 'FAILED',
        msgId: it.msg.properties![Prop.UNIQ_KEY]!,
        offsetMsgId: null,
        brokerName: null,
        brokerAddress: null,
        queueId: null,
        queueOffset: null,
        latencyMs: round3(latencyMs),
        attempts: 0,
        error: errorInfo(err),
      });
    }
  };

  const execute = async (items: InputMessage[]): Promise<void> => {
    // fail-fast: what waited behind a failure in its lane is not sent at all.
    if (stop && options.failFast) {
      for (const it of items) complete(it.index, null);
      return;
    }
    const first = items[0]!;
    const t0 = performance.now();
    try {
      if (options.batch > 0) {
        const rs = await target.sendBatch(items.map((i) => i.msg));
        const ms = performance.now() - t0;
        for (const [i, r] of rs.entries()) complete(items[i]!.index, okRecord(items[i]!.index, r, ms));
      } else if (options.transaction) {
        ctx.beforeTransaction?.(first.msg.properties![Prop.UNIQ_KEY]!, options.transaction);
        const r = await target.sendTransaction(first.msg, options.transaction);
        const rec = okRecord(first.index, r, performance.now() - t0);
        rec.transaction = options.transaction;
        complete(first.index, rec);
      } else if (options.mode === 'oneway') {
        const r = await target.sendOneway(first.msg);
        const rec: SendRecord = {
          index: first.index,
          status: 'ONEWAY',
          msgId: r.msgId,
          offsetMsgId: null,
          brokerName: r.brokerName,
          brokerAddress: null,
          queueId: r.queueId,
          queueOffset: null,
          latencyMs: round3(performance.now() - t0),
          attempts: 1,
        };
        // Reported once the next fence says whether the broker took it.
        if (ctx.oneway) ctx.oneway.track(r.sent, rec);
        else complete(first.index, rec);
      } else {
        const r = await target.send(first.msg);
        complete(first.index, okRecord(first.index, r, performance.now() - t0));
      }
    } catch (err) {
      fail(items, err, performance.now() - t0);
    }
  };

  const launch = (items: InputMessage[]): void => {
    active++;
    const group = items[0]!.msg.messageGroup;
    const prev = group === undefined ? undefined : lanes.get(group);
    const run = prev ? prev.then(() => execute(items)) : execute(items);
    // execute() turns send errors into results; what escapes is a bug (in a hook, say).
    const tail = run
      .catch((err: unknown) => {
        bug ??= err;
        stop = true;
      })
      .finally(release);
    if (group !== undefined) {
      lanes.set(group, tail);
      void tail.then(() => {
        if (lanes.get(group) === tail) lanes.delete(group);
      });
    }
  };

  const dispatch = async (items: InputMessage[]): Promise<void> => {
    await waitBelow(options.concurrency);
    if (stop || signal?.aborted) {
      for (const it of items) complete(it.index, null);
      return;
    }
    launch(items);
  };

  /** Reports the oneway messages tracked so far, as the fence found them. */
  const settleOneway = async (): Promise<void> => {
    if (!ctx.oneway) return;
    for (const { tag: rec, error } of await ctx.oneway.settle()) {
      if (!error) {
        complete(rec.index, rec);
        continue;
      }
      out.firstError ??= error;
      if (options.failFast) stop = true;
      complete(rec.index, { ...rec, status: 'FAILED', error: errorInfo(error) });
    }
  };

  const it = input[Symbol.asyncIterator]();
  const started = performance.now();
  let batch: InputMessage[] = [];
  let batchSize = 0;
  let sinceFence = 0;
  try {
    for (;;) {
      if (stop || signal?.aborted) break;
      const wait = hooks.ready?.();
      if (wait) await wait;
      let next: IteratorResult<InputMessage>;
      try {
        next = await it.next();
      } catch (err) {
        // An interrupted stdin ends with a stream error: that is the interrupt, not bad input.
        if (!signal?.aborted) out.inputError = err as Error;
        break;
      }
      if (next.done || signal?.aborted) break;
      const item = next.value;
      const m = item.msg;
      // The id is fixed before sending, so a failed (maybe stored) message can still be found.
      const msgId = m.properties?.[Prop.UNIQ_KEY] ?? ids.next();
      m.properties = { ...(m.properties ?? {}), [Prop.UNIQ_KEY]: msgId };
      if (options.batch > 0) {
        const size = batchBytes(m);
        const switchesLane = batch.length > 0 && batch[0]!.msg.messageGroup !== m.messageGroup;
        if (batch.length > 0 && (batchSize + size > BATCH_BUDGET || switchesLane)) {
          await dispatch(batch);
          batch = [];
          batchSize = 0;
        }
        batch.push(item);
        batchSize += size;
        if (batch.length >= options.batch) {
          await dispatch(batch);
          batch = [];
          batchSize = 0;
        }
      } else {
        await dispatch([item]);
      }
      if (options.mode === 'oneway' && ++sinceFence >= ONEWAY_FENCE_EVERY) {
        sinceFence = 0;
        await settleOneway();
      }
    }
    // What was read before a bad line is still sent: the error says how many went out.
    if (batch.length > 0 && !stop && !signal?.aborted) await dispatch(batch);
    else for (const b of batch) complete(b.index, null);
  } finally {
    await waitBelow(1);
    if (stop || signal?.aborted || out.inputError) await it.return?.().catch(() => {});
  }
  if (bug !== undefined) throw bug;
  // Also after an interrupt or a failure: what was written is reported as the broker took it.
  if (options.mode === 'oneway') await settleOneway();
  out.elapsedMs = performance.now() - started;
  out.interrupted = signal?.aborted ?? false;
  return out;
}

/** Which transaction messages this process sent, and the answers it owes the broker's checks. */
export class TransactionBook {
  private readonly actions = new Map<string, TransactionAction>();
  private readonly unchecked = new Set<string>();
  private wake: (() => void) | undefined;
  checksAnswered = 0;
  checksForOthers = 0;

  constructor(private readonly checkResult: CheckResult) {}

  sending(msgId: string, action: TransactionAction): void {
    this.actions.set(msgId, action);
    if (action === 'unknown') this.unchecked.add(msgId);
  }

  failed(msgId: string): void {
    this.actions.delete(msgId);
    this.unchecked.delete(msgId);
  }

  /**
   * The answer to a check-back. A message sent as commit/rollback keeps that answer; an unknown
   * one gets --check-result. A message of another process sharing the group is left unknown, so
   * its own producer decides.
   */
  decide(req: CheckRequest): TransactionAction {
    const action = this.actions.get(req.msgId);
    if (action === undefined) {
      this.checksForOthers++;
      return 'unknown';
    }
    this.checksAnswered++;
    if (this.unchecked.delete(req.msgId) && this.unchecked.size === 0) this.wake?.();
    return action === 'unknown' ? this.checkResult : action;
  }

  /** Unknown messages whose check has not come yet. */
  get pending(): number {
    return this.unchecked.size;
  }

  /** Waits until every unknown message was checked, `ms` passed, or the signal fired. */
  async waitForChecks(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.unchecked.size === 0 || ms <= 0 || signal?.aborted) return;
    await new Promise<void>((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', finish);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.wake = finish;
      signal?.addEventListener('abort', finish, { once: true });
    });
  }
}

export interface SendSummary {
  topic: string;
  group: string;
  mode: SendMode;
  batch: number | null;
  sent: number;
  failed: number;
  elapsedMs: number;
  /** Messages sent per second. */
  rate: number;
  /** The first MAX_JSON_RESULTS results, in input order. */
  results: SendRecord[];
  resultsOmitted: number;
  firstError: SendRecord['error'] | null;
  interrupted: boolean;
  /** With --trace: the trace records written (a Pub per stored message, EndTransaction). */
  trace?: TraceStats;
  transaction?: {
    action: TransactionAction;
    checkResult: CheckResult;
    /** Check-backs from the broker that this process answered for its own messages. */
    checksAnswered: number;
    /** Unknown messages still unchecked when the process stopped waiting. */
    unresolved: number;
    waitedMs: number;
  };
}

export interface SendOutcome {
  summary: SendSummary;
  /** The error of the first failed message: its kind decides the exit code. */
  firstError: Error | undefined;
}

/**
 * Connects, checks the topic is routable, sends everything, waits for transaction checks,
 * and shuts the client down (unregistering the producer group).
 */
export async function runSend(
  plan: SendPlan,
  hooks: SendHooks = {},
  signal?: AbortSignal,
): Promise<SendOutcome> {
  const client = new MQClient({ namesrv: plan.namesrv, timeoutMs: plan.timeoutMs, ...plan.security });
  const book = new TransactionBook(plan.checkResult);
  let oneway: OnewayFence<SendRecord> | undefined;
  let traceWarned = false;
  const tracer = plan.trace
    ? new TraceDispatcher({
        namesrv: plan.namesrv,
        timeoutMs: plan.timeoutMs,
        security: plan.security,
        group: plan.group,
        role: 'PRODUCE',
        traceTopic: plan.trace.topic,
        onError: (err) => {
          if (traceWarned) return;
          traceWarned = true;
          hooks.note?.(`could not write trace records: ${(err as Error).message}`);
        },
      })
    : undefined;
  try {
    const producer = new Producer(client, {
      group: plan.group,
      retries: plan.retries,
      compressThreshold: plan.compressThreshold,
      timeoutMs: plan.timeoutMs,
    });
    if (plan.loop.transaction) {
      producer.onTransactionCheck((req) => {
        const others = book.checksForOthers;
        const action = book.decide(req);
        if (tracer && book.checksForOthers === others) traceCheckBack(tracer, req, action, plan.topic);
        return action;
      });
    }
    // Fail once, before reading any input, when the name server or topic is not usable.
    await producer.publishQueues(plan.topic);
    if (plan.template.delayMs !== undefined || plan.template.deliverAtMs !== undefined) {
      await producer.requireTimerSupport(plan.topic);
    }
    client.start();
    if (plan.loop.mode === 'oneway') oneway = producer.onewayFence<SendRecord>();
    const outcome = await runLoop(
      tracer ? tracedProducer(producer, tracer) : producer,
      messageSource(plan.topic, plan.source, plan.template),
      { ...plan.loop, signal },
      hooks,
      {
        beforeTransaction: (id, action) => book.sending(id, action),
        transactionFailed: (id) => book.failed(id),
        oneway,
      },
    );
    if (outcome.inputError) {
      const e = outcome.inputError;
      const before = `${outcome.sent} message${outcome.sent === 1 ? '' : 's'} sent before it${outcome.failed ? `, ${outcome.failed} failed` : ''}`;
      if (e instanceof RocketMQError) {
        throw new RocketMQError(e.kind, `${e.message}; ${before}`, { hint: e.hint, cause: e });
      }
      throw new InvalidArgumentError(`cannot read the input: ${e.message}; ${before}`, { cause: e });
    }
    if (outcome.sent + outcome.failed === 0 && !outcome.interrupted) {
      const from = plan.source.kind === 'ndjson' ? 'the NDJSON input' : 'standard input';
      throw new InvalidArgumentError(`no message to send: ${from} was empty`, {
        hint: 'use --body TEXT, --file F, --size N, or pipe messages in (one per line)',
      });
    }
    let waitedMs = 0;
    if (plan.loop.transaction === 'unknown' && book.pending > 0) {
      if (plan.waitCheckMs > 0 && !outcome.interrupted) {
        hooks.note?.(
          `waiting up to ${Math.round(plan.waitCheckMs / 1000)} s for the broker to check back ${book.pending} unknown transaction message(s)`,
        );
        const t0 = performance.now();
        await book.waitForChecks(plan.waitCheckMs, signal);
        waitedMs = Math.round(performance.now() - t0);
      }
      if (book.pending > 0) {
        hooks.note?.(
          `${book.pending} transaction message(s) left unknown: the broker checks back group ${plan.group} (first after about 6 s, then every 30 s) and discards them after 15 unanswered checks; use --wait-check to answer`,
        );
      }
    }
    const elapsedS = outcome.elapsedMs / 1000;
    const summary: SendSummary = {
      topic: plan.topic,
      group: plan.group,
      mode: plan.loop.mode,
      batch: plan.loop.batch || null,
      sent: outcome.sent,
      failed: outcome.failed,
      elapsedMs: round3(outcome.elapsedMs),
      rate: elapsedS > 0 ? Math.round((outcome.sent / elapsedS) * 10) / 10 : 0,
      results: outcome.results,
      resultsOmitted: outcome.resultsOmitted,
      firstError: outcome.firstError ? errorInfo(outcome.firstError) : null,
      interrupted: outcome.interrupted,
    };
    if (tracer) {
      await tracer.flush();
      summary.trace = tracer.stats();
    }
    if (plan.loop.transaction) {
      summary.transaction = {
        action: plan.loop.transaction,
        checkResult: plan.checkResult,
        checksAnswered: book.checksAnswered,
        unresolved: book.pending,
        waitedMs,
      };
    }
    return { summary, firstError: outcome.firstError };
  } finally {
    oneway?.close();
    await tracer?.shutdown();
    await client.shutdown();
  }
}
