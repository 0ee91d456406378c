/**
 * --slo thresholds, k6 style: `p99(send)<20ms`, `p99.9(e2e)<=100ms`, `mean(send_raw)<5ms`,
 * `tps>=5000`, `rtps>=5000`, `errors==0`, `lost==0`, `duplicates==0`, `reordered==0`.
 *
 * Latency thresholds need a unit (us, µs, ms, s): a bare `<20` could be read as µs or ms, and
 * a capacity plan quoting the wrong one is worse than a usage error.
 */
import { InvalidArgumentError } from '../core/errors.js';
import type { Histogram } from './histogram.js';
import { type BenchResult, HISTOGRAM_NAMES, type HistogramName, type SloResult } from './result.js';

export const SLO_OPS = ['<=', '>=', '==', '<', '>'] as const;
export type SloOp = (typeof SLO_OPS)[number];
export const SCALAR_METRICS = ['tps', 'rtps', 'errors', 'lost', 'duplicates', 'reordered'] as const;
export type ScalarMetric = (typeof SCALAR_METRICS)[number];
/** Metrics that only --verify can measure. */
export const VERIFY_METRICS: ReadonlySet<string> = new Set(['lost', 'duplicates', 'reordered']);

export type SloMetric =
  | { kind: 'quantile'; percentile: number; histogram: HistogramName }
  | { kind: 'stat'; stat: 'mean' | 'max' | 'min' | 'stdev'; histogram: HistogramName }
  | { kind: 'scalar'; name: ScalarMetric };

export interface Slo {
  expr: string;
  metric: SloMetric;
  op: SloOp;
  /** µs for latency metrics */
  threshold: number;
}

const UNIT_US: Record<string, number> = { us: 1, µs: 1, ms: 1000, s: 1_000_000 };

const LATENCY_RE = new RegExp(
  `^(?:p(\\d+(?:\\.\\d+)?)|(mean|max|min|stdev))\\((${HISTOGRAM_NAMES.join('|')})\\)$`,
);

function usage(expr: string, why: string): InvalidArgumentError {
  return new InvalidArgumentError(`invalid --slo "${expr}": ${why}`, {
    hint: "e.g. --slo 'p99(send)<20ms' --slo 'p99.9(e2e)<100ms' --slo 'tps>=5000' --slo 'lost==0'",
  });
}

/**
 * Parses one threshold expression.
 * @example parseSlo('p99.9(e2e)<100ms') → { metric: { kind: 'quantile', percentile: 99.9, histogram: 'e2e' }, op: '<', threshold: 100000 }
 */
export function parseSlo(expr: string): Slo {
  const s = expr.replace(/\s+/g, '');
  const m = /^([a-z_0-9.()]+?)(<=|>=|==|<|>)([0-9]+(?:\.[0-9]+)?)([a-zµ]*)$/.exec(s);
  if (!m) throw usage(expr, 'expected METRIC OP VALUE, with OP one of < <= > >= ==');
  const [, lhs, op, num, unit] = m as unknown as [string, string, SloOp, string, string];
  const value = Number(num);
  const lat = LATENCY_RE.exec(lhs);
  if (lat) {
    const histogram = lat[3] as HistogramName;
    let metric: SloMetric;
    if (lat[1] !== undefined) {
      const percentile = Number(lat[1]);
      if (!(percentile > 0 && percentile <= 100)) throw usage(expr, 'a percentile is in (0, 100]');
      metric = { kind: 'quantile', percentile, histogram };
    } else {
      metric = { kind: 'stat', stat: lat[2] as 'mean' | 'max' | 'min' | 'stdev', histogram };
    }
    // Own keys only: a unit "constructor" must not scale by Object's constructor (NaN).
    const scale = Object.hasOwn(UNIT_US, unit) ? UNIT_US[unit] : undefined;
    if (scale === undefined) throw usage(expr, 'a latency needs a unit: us, ms or s');
    return { expr, metric, op, threshold: value * scale };
  }
  if ((SCALAR_METRICS as readonly string[]).includes(lhs)) {
    if (unit !== '') throw usage(expr, `${lhs} takes a plain number`);
    return { expr, metric: { kind: 'scalar', name: lhs as ScalarMetric }, op, threshold: value };
  }
  throw usage(
    expr,
    `unknown metric "${lhs}" (pNN(h), mean(h), max(h), min(h), stdev(h) with h one of ${HISTOGRAM_NAMES.join(', ')}; or ${SCALAR_METRICS.join(', ')})`,
  );
}

export function metricName(m: SloMetric): string {
  if (m.kind === 'quantile') return `p${m.percentile}(${m.histogram})`;
  if (m.kind === 'stat') return `${m.stat}(${m.histogram})`;
  return m.name;
}

export function isLatency(m: SloMetric): boolean {
  return m.kind !== 'scalar';
}

/** Whether `actual op threshold` holds. */
export function compareSlo(actual: number, op: SloOp, threshold: number): boolean {
  switch (op) {
    case '<':
      return actual < threshold;
    case '<=':
      return actual <= threshold;
    case '>':
      return actual > threshold;
    case '>=':
      return actual >= threshold;
    default:
      return actual === threshold;
  }
}

/** The measured value of a metric; null when it was not measured (no samples, no --verify). */
export function actualValue(
  m: SloMetric,
  result: BenchResult,
  histogram: (name: HistogramName) => Histogram | undefined,
): number | null {
  if (m.kind === 'scalar') {
    const v = result.verification;
    switch (m.name) {
      case 'tps':
        return result.throughput.send.tps;
      case 'rtps':
        return result.throughput.receive.tps;
      case 'errors':
        return result.errors.reduce((a, e) => a + e.count, 0);
      case 'lost':
        return v ? v.lost : null;
      case 'duplicates':
        return v ? v.duplicates : null;
      default:
        return v ? v.reordered : null;
    }
  }
  const h = histogram(m.histogram);
  if (!h || h.totalCount === 0) return null;
  if (m.kind === 'quantile') return m.percentile >= 100 ? h.maxValue : h.getValueAtPercentile(m.percentile);
  switch (m.stat) {
    case 'mean':
      return h.mean;
    case 'max':
      return h.maxValue;
    case 'min':
      return h.minNonZeroValue === Number.MAX_SAFE_INTEGER ? 0 : h.minNonZeroValue;
    default:
      return h.stdDeviation;
  }
}

/** Evaluates thresholds; one that could not be measured fails (an unmeasured SLO is not met). */
export function evaluateSlos(
  slos: Slo[],
  result: BenchResult,
  histogram: (name: HistogramName) => Histogram | undefined,
): { passed: boolean; results: SloResult[] } {
  const results = slos.map((s): SloResult => {
    const actual = actualValue(s.metric, result, histogram);
    return {
      expr: s.expr,
      metric: metricName(s.metric),
      op: s.op,
      threshold: s.threshold,
      actual,
      pass: actual !== null && compareSlo(actual, s.op, s.threshold),
    };
  });
  return { passed: results.every((r) => r.pass), results };
}
