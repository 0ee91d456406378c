/**
 * --find-max: grow the rate by FIND_MAX_FACTOR until a step fails, then bisect between the last
 * step that held and the first that did not. Each step is a whole run (runStep in run.ts).
 */
import { newRunId } from '../../bench/header.js';
import type { BenchParameters, FindMaxStep } from '../../bench/result.js';
import type { BenchInput, BenchOutcome, BenchPlan } from './model.js';

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

/** Runs the steps with `runStep`; the outcome is the highest step that held (else the first). */
export async function findMax(
  input: BenchInput,
  plan: BenchPlan,
  runStep: (params: BenchParameters, runId: string) => Promise<BenchOutcome>,
): Promise<BenchOutcome> {
  const { params } = plan;
  const steps: FindMaxStep[] = [];
  let best: BenchOutcome | undefined;
  let first: BenchOutcome | undefined;
  const tryRate = async (rate: number): Promise<boolean> => {
    input.events?.emit('step', steps.length + 1, rate);
    const o = await runStep({ ...params, rate }, steps.length === 0 ? plan.runId : newRunId());
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
}
