/**
 * Metric exposition text: OpenMetrics 1.0 and the Prometheus text format 0.0.4, from one model of
 * counters, gauges and histograms. The two differ in little, and each difference is a way to make a
 * scraper reject the whole page:
 *
 *   - OpenMetrics names a counter family without `_total` (`# TYPE x counter`, sample `x_total`);
 *     the Prometheus format names the family after its sample (`# TYPE x_total counter`).
 *   - OpenMetrics has `# UNIT` (the family name must then end in `_<unit>`) and ends with `# EOF`;
 *     the Prometheus format has neither.
 *
 * Label values came from the cluster (broker names, error codes) or from other hosts (agent
 * names): they are escaped by the format's rules, so none can end a line or a label early.
 */
import { escapeLabelValue } from './check-output.js';

export type ExpositionFormat = 'openmetrics' | 'prometheus';

export const CONTENT_TYPES: Record<ExpositionFormat, string> = {
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
  prometheus: 'text/plain; version=0.0.4; charset=utf-8',
};

export type Labels = Readonly<Record<string, string>>;

export interface ValueSample {
  labels: Labels;
  value: number;
}

export interface HistogramSample {
  labels: Labels;
  /** cumulative counts at upper bounds (ascending, finite); `+Inf` is added as `count` */
  buckets: { le: number; count: number }[];
  count: number;
  sum: number;
}

export interface SummarySample {
  labels: Labels;
  /** quantile (0..1) → value; none is allowed (a window without samples) */
  quantiles: { quantile: number; value: number }[];
  count: number;
  sum: number;
}

export type MetricFamily =
  | { type: 'counter' | 'gauge'; name: string; help: string; unit?: string; samples: ValueSample[] }
  | { type: 'histogram'; name: string; help: string; unit?: string; samples: HistogramSample[] }
  | { type: 'summary'; name: string; help: string; unit?: string; samples: SummarySample[] };

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const escapeHelp = (s: string): string => s.replaceAll('\\', '\\\\').replaceAll('\n', '\\n');

/** A number as both formats write it: integers plainly, `+Inf`, `-Inf`, `NaN` by name. */
export function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

function labelText(labels: Labels, extra?: [string, string]): string {
  const entries = Object.entries(labels);
  if (extra) entries.push(extra);
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;
}

function checkNames(f: MetricFamily): void {
  // Names are ours, never the cluster's: a bad one is a bug, caught by the unit tests.
  if (!NAME.test(f.name) || f.name.endsWith('_total')) throw new Error(`bad metric family name ${f.name}`);
  if (f.unit !== undefined && !f.name.endsWith(`_${f.unit}`)) {
    throw new Error(`metric family ${f.name} does not end with its unit ${f.unit}`);
  }
  for (const s of f.samples) {
    for (const k of Object.keys(s.labels)) {
      // `le` and `quantile` are the histogram's and the summary's own (promtool rejects them elsewhere).
      if (!LABEL.test(k) || k.startsWith('__') || k === 'le' || k === 'quantile') {
        throw new Error(`bad label name ${k} in ${f.name}`);
      }
    }
  }
}

function renderFamily(f: MetricFamily, format: ExpositionFormat): string[] {
  checkNames(f);
  if (f.samples.length === 0) return [];
  const om = format === 'openmetrics';
  const head = f.type === 'counter' && !om ? `${f.name}_total` : f.name;
  const lines = [`# HELP ${head} ${escapeHelp(f.help)}`, `# TYPE ${head} ${f.type}`];
  if (om && f.unit !== undefined) lines.push(`# UNIT ${f.name} ${f.unit}`);
  if (f.type === 'histogram') {
    for (const s of f.samples) {
      for (const b of s.buckets) {
        lines.push(`${f.name}_bucket${labelText(s.labels, ['le', formatNumber(b.le)])} ${b.count}`);
      }
      lines.push(`${f.name}_bucket${labelText(s.labels, ['le', '+Inf'])} ${s.count}`);
      lines.push(`${f.name}_count${labelText(s.labels)} ${s.count}`);
      lines.push(`${f.name}_sum${labelText(s.labels)} ${formatNumber(s.sum)}`);
    }
  } else if (f.type === 'summary') {
    for (const s of f.samples) {
      for (const q of s.quantiles) {
        lines.push(
          `${f.name}${labelText(s.labels, ['quantile', formatNumber(q.quantile)])} ${formatNumber(q.value)}`,
        );
      }
      lines.push(`${f.name}_count${labelText(s.labels)} ${s.count}`);
      lines.push(`${f.name}_sum${labelText(s.labels)} ${formatNumber(s.sum)}`);
    }
  } else {
    const sample = f.type === 'counter' ? `${f.name}_total` : f.name;
    for (const s of f.samples) lines.push(`${sample}${labelText(s.labels)} ${formatNumber(s.value)}`);
  }
  return lines;
}

/** The page: every family with samples, in the given order; OpenMetrics ends with `# EOF`. */
export function renderExposition(families: MetricFamily[], format: ExpositionFormat): string {
  const lines = families.flatMap((f) => renderFamily(f, format));
  if (format === 'openmetrics') lines.push('# EOF');
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

/**
 * The format an Accept header prefers: OpenMetrics unless text/plain has the higher q (Prometheus
 * asks for both, OpenMetrics first; curl and browsers send `*∕*` and get OpenMetrics).
 */
export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  if (!accept) return 'openmetrics';
  let om = -1;
  let text = -1;
  for (const part of accept.slice(0, 1024).split(',')) {
    const [type = '', ...params] = part.split(';').map((x) => x.trim().toLowerCase());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!Number.isFinite(q)) continue;
    if (type === 'application/openmetrics-text') om = Math.max(om, q);
    else if (type === 'text/plain') text = Math.max(text, q);
  }
  return text > om && text > 0 ? 'prometheus' : 'openmetrics';
}
