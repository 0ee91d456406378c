/**
 * `bench compare base new`: per-metric deltas, and a verdict that accounts for the noise between
 * intervals. A metric with a per-interval series (send/receive TPS, p50 and p99 of send and e2e)
 * gets Welch's t-test on the two series: a change counts when |t| ≥ 2 (about 95 % for the
 * usual 10+ intervals) and it is at least --threshold (default 2 %) of the base. Metrics without
 * a series (p90, p99.9, max, mean, errors) show their delta, without a verdict.
 */
import type {
  BenchInterval,
  BenchResult,
  Comparison,
  HistogramName,
  LatencySummary,
  MetricComparison,
  Verdict,
} from './result.js';

export type { Comparison, MetricComparison, Verdict } from './result.js';

interface Stats {
  n: number;
  mean: number;
  variance: number;
}

function stats(xs: number[]): Stats | undefined {
  if (xs.length < 2) return undefined;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1);
  return { n: xs.length, mean, variance };
}

/** Welch's t statistic; ±Infinity when both series are constant and differ. */
export function welchT(a: number[], b: number[]): number | null {
  const sa = stats(a);
  const sb = stats(b);
  if (!sa || !sb) return null;
  const se = Math.sqrt(sa.variance / sa.n + sb.variance / sb.n);
  const d = sb.mean - sa.mean;
  if (se === 0) return d === 0 ? 0 : d > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  return d / se;
}

const measured = (r: BenchResult): BenchInterval[] =>
  r.intervals.filter((i) => i.phase === 'measure' && i.endMs - i.startMs >= r.parameters.intervalMs * 0.5);

type Series = (i: BenchInterval) => number | undefined;

function series(r: BenchResult, f: Series): number[] {
  return measured(r)
    .map(f)
    .filter((x): x is number => x !== undefined);
}

export function compareResults(
  base: BenchResult,
  next: BenchResult,
  options: { threshold?: number; names?: [string, string] } = {},
): Comparison {
  const threshold = options.threshold ?? 0.02;
  const metrics: MetricComparison[] = [];
  const add = (
    metric: string,
    unit: MetricComparison['unit'],
    higherIsBetter: boolean,
    b: number | null | undefined,
    n: number | null | undefined,
    f?: Series,
  ) => {
    const bv = b ?? null;
    const nv = n ?? null;
    const delta = bv !== null && nv !== null ? nv - bv : null;
    const relative = delta !== null && bv !== null && bv !== 0 ? delta / bv : null;
    let t: number | null = null;
    let verdict: Verdict = 'n/a';
    if (f && delta !== null) {
      const a = series(base, f);
      const b = series(next, f);
      t = welchT(a, b);
      if (t !== null) {
        // The size of the change is judged on the same series as its significance.
        const ma = a.reduce((x, y) => x + y, 0) / a.length;
        const mb = b.reduce((x, y) => x + y, 0) / b.length;
        const change = ma !== 0 ? (mb - ma) / ma : mb === 0 ? 0 : 1;
        const significant = Math.abs(t) >= 2 && Math.abs(change) >= threshold;
        if (!significant) verdict = 'same';
        else verdict = t > 0 === higherIsBetter ? 'better' : 'worse';
      }
    }
    metrics.push({
      metric,
      unit,
      base: bv,
      next: nv,
      delta,
      relative: relative === null ? null : Math.round(relative * 10000) / 10000,
      t: t === null || !Number.isFinite(t) ? t : Math.round(t * 100) / 100,
      verdict,
    });
  };
  add('tps', 'msg/s', true, base.throughput.send.tps, next.throughput.send.tps, (i) => i.sendTps);
  if (base.parameters.consumers > 0 || next.parameters.consumers > 0) {
    add('rtps', 'msg/s', true, base.throughput.receive.tps, next.throughput.receive.tps, (i) => i.receiveTps);
  }
  const pick = (r: BenchResult, h: HistogramName, k: keyof LatencySummary) => r.latency[h]?.[k];
  for (const h of ['send', 'send_raw', 'e2e', 'delay'] as HistogramName[]) {
    if (!base.latency[h] && !next.latency[h]) continue;
    const interval =
      h === 'send'
        ? (k: 'p50' | 'p99'): Series =>
            (i) =>
              i.send?.[k]
        : h === 'e2e'
          ? (k: 'p50' | 'p99'): Series =>
              (i) =>
                i.e2e?.[k]
          : undefined;
    add(`p50(${h})`, 'µs', false, pick(base, h, 'p50'), pick(next, h, 'p50'), interval?.('p50'));
    add(`p90(${h})`, 'µs', false, pick(base, h, 'p90'), pick(next, h, 'p90'));
    add(`p99(${h})`, 'µs', false, pick(base, h, 'p99'), pick(next, h, 'p99'), interval?.('p99'));
    add(`p99.9(${h})`, 'µs', false, pick(base, h, 'p999'), pick(next, h, 'p999'));
    add(`max(${h})`, 'µs', false, pick(base, h, 'max'), pick(next, h, 'max'));
    add(`mean(${h})`, 'µs', false, pick(base, h, 'mean'), pick(next, h, 'mean'));
  }
  const errs = (r: BenchResult) => r.errors.reduce((a, e) => a + e.count, 0);
  add('errors', 'count', false, errs(base), errs(next), (i) => i.sendErrors);
  const worse = metrics.some((m) => m.verdict === 'worse');
  const better = metrics.some((m) => m.verdict === 'better');
  return {
    base: options.names?.[0] ?? base.runId,
    next: options.names?.[1] ?? next.runId,
    metrics,
    verdict: worse ? 'regression' : better ? 'improvement' : 'no significant change',
  };
}
