/**
 * The send loop of `rmq send`: sync (one request at a time), async (up to `concurrency` in
 * flight), oneway (no response, settled by a fence), batches, transactions, and FIFO lanes (one
 * message group is never in flight twice). It reads the next message only when a request slot is
 * free and reports results in input order.
 */
import { performance } from 'node:perf_hooks';
import type { OnewayFence } from '../../core/client/oneway-fence.js';
import { type SendResult, type SendStatus, type TransactionAction } from '../../core/client/producer.js';
import { MAX_BODY_BYTES, type OutgoingMessage } from '../../core/client/outgoing-message.js';
import type { TracedSends } from '../../core/client/trace-hooks.js';
import { BrokerResponseError, type ErrorKind, RocketMQError } from '../../core/errors.js';
import { Prop, UniqueIdGenerator } from '../../core/protocol/message.js';
import type { InputMessage } from '../input.js';

export const SEND_MODES = ['sync', 'async', 'oneway'] as const;
export type SendMode = (typeof SEND_MODES)[number];

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
  /** A timer message on 5.3.2+: what `rmq message recall` takes to cancel it. */
  recallHandle?: string;
  transaction?: TransactionAction;
  error?: { kind: ErrorKind | 'bug'; name: string; message: string; code?: number };
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

export function errorInfo(err: unknown): NonNullable<SendRecord['error']> {
  const e = err instanceof Error ? err : new Error(String(err));
  const info: NonNullable<SendRecord['error']> = {
    kind: e instanceof RocketMQError ? e.kind : 'bug',
    name: e.name,
    message: e.message,
  };
  if (e instanceof BrokerResponseError) info.code = e.responseCode;
  return info;
}

export const round3 = (ms: number): number => Math.round(ms * 1000) / 1000;

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
    ...(r.recallHandle ? { recallHandle: r.recallHandle } : {}),
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
        // Made before the send was given up (0: none reached a broker, e.g. no route).
        attempts: err instanceof RocketMQError ? (err.attempts ?? 0) : 0,
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
