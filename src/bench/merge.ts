/**
 * Combining results of several hosts (`bench merge`) and reading results back from files.
 *
 * Exact: histograms are added, counts and rates summed. Not exact, and so marked: per-interval
 * latencies (only p50/p99/max travel per interval) become the worst host's, and intervals are
 * aligned by index, which assumes the runs started together with the same --interval.
 */
import { mergeBrokerRows } from './brokers.js';
import { mergeModeRows } from './consume-modes.js';
import { mergeStalls } from './stalls.js';
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '../core/errors.js';
import { decodeHistogram, encodeHistogram, type Histogram, newHistogram, summarize } from './histogram.js';
import {
  type BenchInterval,
  type BenchResult,
  countList,
  HISTOGRAM_NAMES,
  type HistogramName,
  type IntervalLatency,
  type RateStats,
  SCHEMA_VERSION,
  type VerificationSummary,
} from './result.js';
import { mergeWorkload } from './workload-report.js';

/** Reads a BenchResult written by `rmq bench --json`; rejects other files and other versions. */
export function readResult(path: string): BenchResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InvalidArgumentError(`cannot read ${path}: ${(err as Error).message}`);
  }
  let r: unknown;
  try {
    r = JSON.parse(text);
  } catch {
    throw new InvalidArgumentError(`${path} is not JSON`, {
      hint: 'write results with `rmq bench --json > file`',
    });
  }
  const v = (r as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (v !== SCHEMA_VERSION) {
    throw new InvalidArgumentError(
      `${path} is not a version ${SCHEMA_VERSION} bench result (schemaVersion ${String(v)})`,
      { hint: 'write results with `rmq bench --json > file`' },
    );
  }
  return r as BenchResult;
}

/** The cumulative histograms of a result, decoded. */
export function histogramsOf(r: BenchResult): Partial<Record<HistogramName, Histogram>> {
  const out: Partial<Record<HistogramName, Histogram>> = {};
  for (const name of HISTOGRAM_NAMES) {
    const b64 = r.histograms[name];
    if (b64) out[name] = decodeHistogram(b64);
  }
  return out;
}

const round = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d;
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

function worst(xs: (IntervalLatency | null)[]): IntervalLatency | null {
  const present = xs.filter((x): x is IntervalLatency => x !== null);
  if (present.length === 0) return null;
  return {
    p50: Math.max(...present.map((x) => x.p50)),
    p99: Math.max(...present.map((x) => x.p99)),
    max: Math.max(...present.map((x) => x.max)),
  };
}

/** Intervals of several engines for the same period, as one (latencies: the worst). */
export function combineIntervals(xs: BenchInterval[], index: number): BenchInterval {
  // A Map: the keys come from result files, and "constructor" must not add to a function.
  const sums = new Map<string, number>();
  for (const x of xs) for (const [k, v] of Object.entries(x.errors)) sums.set(k, (sums.get(k) ?? 0) + v);
  const errors = Object.fromEntries(sums);
  const phases = new Set(xs.map((x) => x.phase));
  return {
    index,
    phase: phases.has('measure') ? 'measure' : xs[0]!.phase,
    startMs: Math.min(...xs.map((x) => x.startMs)),
    endMs: Math.max(...xs.map((x) => x.endMs)),
    sent: sum(xs.map((x) => x.sent)),
    sendErrors: sum(xs.map((x) => x.sendErrors)),
    received: sum(xs.map((x) => x.received)),
    sendTps: round(sum(xs.map((x) => x.sendTps))),
    receiveTps: round(sum(xs.map((x) => x.receiveTps))),
    sendMBps: round(sum(xs.map((x) => x.sendMBps)), 3),
    receiveMBps: round(sum(xs.map((x) => x.receiveMBps)), 3),
    backlog: sum(xs.map((x) => x.backlog)),
    inflight: sum(xs.map((x) => x.inflight)),
    queued: sum(xs.map((x) => x.queued)),
    errors,
    send: worst(xs.map((x) => x.send)),
    e2e: worst(xs.map((x) => x.e2e)),
    eventLoopP99Ms: Math.max(...xs.map((x) => x.eventLoopP99Ms)),
    eventLoopMaxMs: Math.max(...xs.map((x) => x.eventLoopMaxMs)),
    cpuPct: Math.max(...xs.map((x) => x.cpuPct)),
  };
}

function mergeIntervals(results: BenchResult[]): BenchInterval[] {
  const n = Math.max(...results.map((r) => r.intervals.length));
  const out: BenchInterval[] = [];
  for (let i = 0; i < n; i++) {
    const xs = results.map((r) => r.intervals[i]).filter((x): x is BenchInterval => x !== undefined);
    out.push(combineIntervals(xs, i));
  }
  return out;
}

function mergeRates(
  rs: RateStats[],
  intervals: BenchInterval[],
  kind: 'send' | 'receive',
  intervalMs: number,
): RateStats {
  const full = intervals.filter((i) => i.phase === 'measure' && i.endMs - i.startMs >= intervalMs * 0.5);
  const rates = full.map((i) => (kind === 'send' ? i.sendTps : i.receiveTps));
  return {
    tps: round(sum(rs.map((r) => r.tps))),
    mbps: round(sum(rs.map((r) => r.mbps)), 3),
    perInterval:
      rates.length === 0
        ? null
        : { min: Math.min(...rates), avg: round(sum(rates) / rates.length), max: Math.max(...rates) },
  };
}

function mergeVerification(vs: VerificationSummary[]): VerificationSummary | undefined {
  if (vs.length === 0) return undefined;
  return {
    acknowledged: sum(vs.map((v) => v.acknowledged)),
    lost: sum(vs.map((v) => v.lost)),
    duplicates: sum(vs.map((v) => v.duplicates)),
    reordered: sum(vs.map((v) => v.reordered)),
    unacknowledgedReceived: sum(vs.map((v) => v.unacknowledgedReceived)),
    rolledBackReceived: sum(vs.map((v) => v.rolledBackReceived)),
    rolledBack: sum(vs.map((v) => v.rolledBack)),
    complete: vs.every((v) => v.complete),
    drainMs: Math.max(...vs.map((v) => v.drainMs)),
    groups: vs.flatMap((v) => v.groups),
    lostSample: vs.flatMap((v) => v.lostSample).slice(0, 20),
  };
}

/** Combines results into one; the histograms are exact sums. */
export function mergeResults(results: BenchResult[]): {
  result: BenchResult;
  histograms: Record<HistogramName, Histogram>;
} {
  if (results.length === 0) throw new InvalidArgumentError('nothing to merge');
  const first = results[0]!;
  const histograms = Object.fromEntries(HISTOGRAM_NAMES.map((n) => [n, newHistogram()])) as Record<
    HistogramName,
    Histogram
  >;
  for (const r of results) {
    const hs = histogramsOf(r);
    for (const name of HISTOGRAM_NAMES) {
      const h = hs[name];
      if (h) histograms[name].add(h);
    }
  }
  const latency: BenchResult['latency'] = {};
  const encoded: BenchResult['histograms'] = {};
  for (const name of HISTOGRAM_NAMES) {
    const s = summarize(histograms[name]);
    if (s) {
      latency[name] = s;
      encoded[name] = encodeHistogram(histograms[name]);
    }
  }
  const intervals = mergeIntervals(results);
  const errors = new Map<string, number>();
  for (const r of results) for (const e of r.errors) errors.set(e.key, (errors.get(e.key) ?? 0) + e.count);
  const notAsAsked = new Map<string, number>();
  for (const r of results)
    for (const e of r.notAsAsked ?? []) notAsAsked.set(e.key, (notAsAsked.get(e.key) ?? 0) + e.count);
  // Counts add up; the largest skew is the largest of any (a file without a field counts 0).
  const totals = Object.fromEntries(
    [...new Set(results.flatMap((r) => Object.keys(r.totals)))].map((k) => {
      const xs = results.map((r) => r.totals[k as keyof BenchResult['totals']] ?? 0);
      return [k, k === 'skewedMaxUs' ? Math.max(...xs) : sum(xs)];
    }),
  ) as BenchResult['totals'];
  const cpuUser = sum(results.map((r) => r.cpu.userMs));
  const cpuSystem = sum(results.map((r) => r.cpu.systemMs));
  const handled = totals.sent + totals.received;
  const rates = results.map((r) => r.parameters.rate);
  const result: BenchResult = {
    schemaVersion: SCHEMA_VERSION,
    tool: first.tool,
    runId: results.map((r) => r.runId).join('+'),
    startedAt: results.map((r) => r.startedAt).sort()[0]!,
    endedAt: results
      .map((r) => r.endedAt)
      .sort()
      .at(-1)!,
    interrupted: results.some((r) => r.interrupted),
    parameters: {
      ...first.parameters,
      producers: sum(results.map((r) => r.parameters.producers)),
      consumers: sum(results.map((r) => r.parameters.consumers)),
      rate: rates.every((x) => x !== undefined) ? sum(rates as number[]) : undefined,
      messages:
        first.parameters.messages === undefined
          ? undefined
          : sum(results.map((r) => r.parameters.messages ?? 0)),
    },
    phases: {
      warmupMs: Math.max(...results.map((r) => r.phases.warmupMs)),
      measureMs: Math.max(...results.map((r) => r.phases.measureMs)),
      drainMs: Math.max(...results.map((r) => r.phases.drainMs)),
    },
    totals,
    throughput: {
      send: mergeRates(
        results.map((r) => r.throughput.send),
        intervals,
        'send',
        first.parameters.intervalMs,
      ),
      receive: mergeRates(
        results.map((r) => r.throughput.receive),
        intervals,
        'receive',
        first.parameters.intervalMs,
      ),
    },
    latency,
    histograms: encoded,
    errors: countList(errors),
    eventLoop: {
      p50Ms: Math.max(...results.map((r) => r.eventLoop.p50Ms)),
      p99Ms: Math.max(...results.map((r) => r.eventLoop.p99Ms)),
      maxMs: Math.max(...results.map((r) => r.eventLoop.maxMs)),
    },
    cpu: {
      userMs: round(cpuUser),
      systemMs: round(cpuSystem),
      usPerMessage: handled > 0 ? round(((cpuUser + cpuSystem) * 1000) / handled, 2) : null,
    },
    intervals,
    merged: { count: results.length, runIds: results.map((r) => r.runId) },
    warnings: [
      "per-interval latencies are the worst host's (only p50/p99/max travel per interval); the totals are exact",
      ...results.flatMap((r) => r.warnings.map((w) => `${r.runId}: ${w}`)),
    ],
  };
  const verification = mergeVerification(
    results.map((r) => r.verification).filter((v): v is VerificationSummary => v !== undefined),
  );
  if (verification) result.verification = verification;
  const brokers = mergeBrokerRows(results, result.phases.measureMs / 1000);
  if (brokers) result.brokers = brokers;
  const modes = mergeModeRows(results, result.phases.measureMs / 1000);
  if (modes) result.consumeModes = modes;
  if (notAsAsked.size > 0) result.notAsAsked = countList(notAsAsked);
  if (first.environment) result.environment = first.environment;
  const stalls = mergeStalls(results.map((r) => r.stalls));
  if (stalls) result.stalls = stalls;
  const workload = mergeWorkload(results);
  if (workload) result.workload = workload;
  return { result, histograms };
}
