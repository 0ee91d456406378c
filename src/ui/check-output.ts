/**
 * `rmq check`'s output formats: a table, a Nagios plugin line with performance data, and
 * OpenMetrics text for a Prometheus textfile collector. Names and addresses in them came from the
 * cluster or the command line: each format escapes them by its own rules, so no name can end a
 * line, a label or a perfdata field early.
 */
import type { CheckItem, CheckResult } from '../services/check.js';
import type { CheckStatus } from '../services/check-thresholds.js';
import { nagiosExitCode } from '../exit-codes.js';
import { renderTable } from './table.js';

function formatValue(c: CheckItem): string | null {
  if (c.value === null) return null;
  if (c.kind === 'disk') return `${(c.value * 100).toFixed(1)}%`;
  if (c.kind === 'dlq-growth') return `${c.value}/h`;
  return String(c.value);
}

function formatThreshold(c: CheckItem): string | null {
  const t = c.threshold;
  if (!t) return null;
  const f = (n: number) =>
    c.kind === 'disk' ? `${Math.round(n * 1000) / 10}%` : c.kind === 'dlq-growth' ? `${n}/h` : String(n);
  if (t.below) return `>= ${f(t.critical)}`;
  return t.warning === null ? f(t.critical) : `${f(t.warning)},${f(t.critical)}`;
}

export function renderCheckText(r: CheckResult): string {
  const table = renderTable(
    ['STATUS', 'CHECK', 'VALUE', 'THRESHOLD', 'MESSAGE'],
    r.checks.map((c) => [c.status.toUpperCase(), c.name, formatValue(c), formatThreshold(c), c.message]),
  );
  const counts = (['critical', 'warning', 'unknown', 'ok'] as CheckStatus[])
    .map((s) => `${r.counts[s]} ${s}`)
    .join(', ');
  return `${table}\n\nRMQ ${r.status.toUpperCase()}: ${counts}`;
}

/** Text of a Nagios status line: one line, and no `|` (it starts the performance data). */
const nagiosText = (s: string): string =>
  s.replace(/[\x00-\x1f\x7f\u2028\u2029]+/g, ' ').replaceAll('|', '/');

/** A perfdata label: quoted, and without the characters the plugin guidelines reserve (= and '). */
const perfLabel = (s: string): string => `'${s.replace(/[='|\x00-\x1f\x7f\u2028\u2029]/g, '_')}'`;

const num = (n: number): string => String(Math.round(n * 10000) / 10000);

/** `'label'=value[UOM];warn;crit;min;max` per the Nagios plugin guidelines; a `below` level is the range `N:`. */
export function perfdata(c: CheckItem): string | null {
  if (c.value === null || !Number.isFinite(c.value)) return null;
  const t = c.threshold;
  const scale = c.kind === 'disk' ? 100 : 1;
  const level = (n: number | null | undefined) =>
    n === null || n === undefined ? '' : t?.below ? `${num(n * scale)}:` : num(n * scale);
  const uom = c.kind === 'disk' ? '%' : '';
  let warn = level(t?.warning);
  let crit = level(t?.critical);
  let min = '0';
  let max = c.kind === 'disk' ? '100' : '';
  if (c.kind === 'namesrv' || c.kind === 'writable') {
    // 1 answers / writable, 0 not: anything under 1 is critical.
    warn = '';
    crit = '1:';
    max = '1';
  }
  if (c.kind === 'dlq-growth') min = '';
  return `${perfLabel(c.name)}=${num(c.value * scale)}${uom};${warn};${crit};${min};${max}`.replace(
    /;+$/,
    '',
  );
}

const ORDER: Record<CheckStatus, number> = { critical: 0, warning: 1, unknown: 2, ok: 3 };

/** `RMQ CRITICAL - lag:orders …; … | perfdata`, one line; the exit code is nagiosExitCode(r.status). */
export function renderNagios(r: CheckResult): string {
  const bad = r.checks.filter((c) => c.status !== 'ok').sort((a, b) => ORDER[a.status] - ORDER[b.status]);
  const text =
    bad.length === 0
      ? `all ${r.checks.length} checks ok`
      : bad.map((c) => `${c.status.toUpperCase()} ${c.message}`).join('; ');
  const perf = r.checks.map(perfdata).filter((p): p is string => p !== null);
  return `RMQ ${r.status.toUpperCase()} - ${nagiosText(text)}${perf.length > 0 ? ` | ${perf.join(' ')}` : ''}`;
}

/** A label value in OpenMetrics: backslash, double quote and line feed escaped. */
export const escapeLabelValue = (s: string): string =>
  s.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');

const escapeHelp = (s: string): string => s.replaceAll('\\', '\\\\').replaceAll('\n', '\\n');

interface Family {
  name: string;
  help: string;
  samples: { labels: Record<string, string>; value: number }[];
}

function family(name: string, help: string): Family {
  return { name, help, samples: [] };
}

function renderFamily(f: Family): string[] {
  const samples = f.samples.filter((s) => Number.isFinite(s.value));
  if (samples.length === 0) return [];
  const lines = [`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} gauge`];
  for (const s of samples) {
    const labels = Object.entries(s.labels)
      .map(([k, v]) => `${k}="${escapeLabelValue(v)}"`)
      .join(',');
    lines.push(`${f.name}${labels ? `{${labels}}` : ''} ${String(s.value)}`);
  }
  return lines;
}

/** OpenMetrics text (gauges only), ending with `# EOF`; a Prometheus textfile collector reads it as it is. */
export function renderOpenMetrics(r: CheckResult): string {
  const overall = family(
    'rmq_check_overall_status',
    'Worst status of all checks: 0 ok, 1 warning, 2 critical, 3 unknown (Nagios codes).',
  );
  const status = family(
    'rmq_check_status',
    'Status of each check: 0 ok, 1 warning, 2 critical, 3 unknown (Nagios codes).',
  );
  const time = family('rmq_check_timestamp_seconds', 'When the check ran, in seconds since the epoch.');
  const measures: Record<CheckItem['kind'], Family> = {
    namesrv: family('rmq_namesrv_up', 'Whether the name server answered (1) or not (0).'),
    brokers: family('rmq_brokers_masters', 'Master brokers registered with the name server.'),
    writable: family('rmq_broker_writable', 'Whether the master accepts writes (1) or not (0).'),
    disk: family('rmq_broker_disk_used_ratio', 'Used fraction of the disk under a commit-log store path.'),
    lag: family('rmq_group_lag', 'Messages not yet consumed by the group, summed over its queues.'),
    'dlq-growth': family(
      'rmq_dlq_growth_per_hour',
      "Messages added to the group's dead-letter queue per hour since the last run.",
    ),
  };
  const dlqMessages = family('rmq_dlq_messages', "Messages ever written to the group's dead-letter queue.");
  overall.samples.push({ labels: {}, value: nagiosExitCode(r.status) });
  time.samples.push({ labels: {}, value: Date.parse(r.checkedAt) / 1000 });
  for (const c of r.checks) {
    status.samples.push({ labels: { check: c.name, kind: c.kind }, value: nagiosExitCode(c.status) });
    if (c.value !== null) measures[c.kind].samples.push({ labels: c.labels, value: c.value });
    if (c.dlqMessages !== undefined) dlqMessages.samples.push({ labels: c.labels, value: c.dlqMessages });
  }
  const lines = [overall, status, time, ...Object.values(measures), dlqMessages].flatMap(renderFamily);
  return `${[...lines, '# EOF'].join('\n')}\n`;
}
