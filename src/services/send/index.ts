/**
 * `rmq send`: planSend (plan.ts) turns flags into a plan; runSend connects, checks the topic,
 * runs the send loop (loop.ts), waits for transaction check-backs (transaction.ts) and returns
 * the summary, a plain object. Knows nothing of oclif or terminals.
 */
import { performance } from 'node:perf_hooks';
import { MQClient } from '../../core/client/mq-client.js';
import type { OnewayFence } from '../../core/client/oneway-fence.js';
import type { AvoidedBroker } from '../../core/client/fault-avoidance.js';
import { Producer, type TransactionAction } from '../../core/client/producer.js';
import { TraceDispatcher, type TraceStats } from '../../core/client/trace.js';
import { traceCheckBack, tracedProducer } from '../../core/client/trace-hooks.js';
import { InvalidArgumentError, RocketMQError } from '../../core/errors.js';
import { messageSource } from '../input.js';
import { requireLiteParent } from '../lite.js';
import { errorInfo, round3, runLoop, type SendHooks, type SendMode, type SendRecord } from './loop.js';
import type { SendPlan } from './plan.js';
import { type CheckResult, TransactionBook } from './transaction.js';

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
  /**
   * Brokers the producer put aside after a failed or slow send (latency fault avoidance), with
   * how often; empty when every broker answered in time.
   */
  avoidedBrokers: AvoidedBroker[];
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

function countBy(keys: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
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
    const queues = await producer.publishQueues(plan.topic);
    const t = plan.template;
    if (t.delayMs !== undefined || t.deliverAtMs !== undefined || t.priority !== undefined) {
      await producer.requireSupport(plan.topic, t);
    }
    if (t.priority !== undefined) {
      const levels = Math.min(...countBy(queues.map((q) => q.brokerName)).values());
      if (t.priority >= levels) {
        hooks.note?.(
          `--priority ${t.priority} is above the highest level of ${plan.topic} (${levels - 1}): a broker stores a priority message in queue min(priority, write queues - 1)`,
        );
      }
    }
    if (plan.template.liteTopic !== undefined) {
      const queues = await producer.publishQueues(plan.topic);
      const brokers = [...new Map(queues.map((q) => [q.brokerName, q])).values()];
      await requireLiteParent(client.remoting, plan.topic, brokers);
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
      avoidedBrokers: producer.faults.report(),
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
