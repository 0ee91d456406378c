/**
 * `rmq smoke`: one end-to-end check of a cluster for CI. Against a topic (created when asked,
 * and then deleted), it sends `count` messages of each type (normal, FIFO, delay, transaction),
 * consumes them with a fresh group, and checks that every one arrived exactly once, FIFO in
 * order, delayed ones not early, committed transactions delivered and a rolled-back one not;
 * that a traced message's trace is complete (Pub and SubAfter); and optional --slo latency
 * thresholds (parsed by bench's SLO parser). It cleans up what it created.
 *
 * A cluster that cannot be reached throws ConnectionError (exit 3) before anything is sent.
 */
import { newHistogram, summarize } from '../../bench/histogram.js';
import { Admin } from '../../core/client/admin.js';
import { InvalidArgumentError } from '../../core/errors.js';
import { evaluateSlos, finalStatus, judgeType } from './checks.js';
import { parseSmokeSlos, SMOKE_TYPES, type SmokeCheck, type SmokeInput, type SmokeResult } from './model.js';
import {
  awaitArrivals,
  checkTrace,
  cleanUp,
  delayRules,
  discoverCluster,
  ensureTopic,
  sendAll,
  type SmokeRun,
  startConsumer,
} from './steps.js';

export async function runSmoke(input: SmokeInput): Promise<SmokeResult> {
  const started = Date.now();
  if (!Number.isInteger(input.count) || input.count < 1) {
    throw new InvalidArgumentError(`--count must be a whole number of at least 1, got ${input.count}`);
  }
  if (input.delayLevel < 1 || input.delayLevel > 18) {
    throw new InvalidArgumentError(`--delay-level must be from 1 to 18, got ${input.delayLevel}`);
  }
  const slos = parseSmokeSlos(input.slo);
  const run = newRun(input);
  const { result } = run;
  try {
    await discoverCluster(run);
    if (!(await ensureTopic(run, input.create || input.topic === undefined))) return result;
    const types = input.types ?? [...SMOKE_TYPES];
    const delay = delayRules(run);
    await startConsumer(run);
    await sendAll(run, types);
    if (!(await awaitArrivals(run, types.includes('delay') ? delay.expectMs : 0))) {
      result.status = 'interrupted';
      return result;
    }

    // 6. Per-type verdicts.
    const e2e = newHistogram();
    const delayHist = newHistogram();
    const totals = { errors: 0, lost: 0, duplicates: 0, reordered: 0 };
    for (const type of types) {
      const rules = {
        count: input.count,
        delayExpectMs: delay.expectMs,
        delayPrecisionMs: delay.precisionMs,
        delayHow: delay.how,
      };
      const v = judgeType(type, run.sent, run.receipts, run.sendFailed.get(type) ?? 0, rules, {
        e2e,
        delay: delayHist,
      });
      totals.errors += v.result.sendFailed;
      totals.lost += v.result.lost;
      totals.duplicates += v.result.duplicates;
      totals.reordered += v.result.reordered;
      result.types.push(v.result);
      run.check(v.check.name, v.check.ok, v.check.detail);
    }
    result.latency = {
      send: summarize(run.sendHist) ?? null,
      e2e: summarize(e2e) ?? null,
      delay: summarize(delayHist) ?? null,
    };

    if (input.trace) await checkTrace(run);

    // 8. SLOs.
    result.slo = evaluateSlos(slos, totals, {
      send: run.sendHist,
      send_raw: run.sendHist,
      e2e,
      delay: delayHist,
    });
    return result;
  } finally {
    try {
      await cleanUp(run);
      result.elapsedMs = Date.now() - started;
      result.status = finalStatus(result);
    } finally {
      run.admin.close();
    }
  }
}

function newRun(input: SmokeInput): SmokeRun {
  const runId = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const topic = input.topic ?? `rmq_smoke_${runId}`;
  const group = `rmq_smoke_${runId}`;
  const progress = input.onProgress ?? (() => {});
  const checks: SmokeCheck[] = [];
  const result: SmokeResult = {
    status: 'passed',
    runId,
    namesrv: input.namesrv,
    proxy: input.proxy ?? null,
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
  return {
    input,
    runId,
    topic,
    group,
    result,
    admin: new Admin({ namesrv: input.namesrv, timeoutMs: input.timeoutMs, ...input.security }),
    progress,
    check: (name, ok, detail) => {
      checks.push({ name, ok, detail });
      progress(`${ok ? '✓' : '✗'} ${name}: ${detail}`);
    },
    v5: true,
    receipts: { times: new Map(), order: [] },
    sent: [],
    sendFailed: new Map(),
    sendHist: newHistogram(),
  };
}
