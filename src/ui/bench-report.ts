/**
 * The bench report and live lines as pure functions of a BenchResult: `(result, {color}) → string`.
 * Nothing here writes to a stream or looks at a TTY; the command decides where text goes.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import Table from 'cli-table3';
import type { Comparison } from '../bench/compare.js';
import type {
  BenchInterval,
  BenchParameters,
  BenchResult,
  CapacityPlan,
  HistogramName,
  LatencySummary,
  ProxyHop,
  RateStats,
} from '../bench/result.js';

import { describeBodies, describeWorkloadOptions, renderWorkload } from './bench-workload.js';
import { NO_BORDER } from './table.js';

export interface RenderOptions {
  color: boolean;
}

function table(c: ChalkInstance, head: string[], rows: string[][], align?: ('left' | 'right')[]): string {
  const t = new Table({
    head: head.map((h) => c.bold(h)),
    chars: NO_BORDER,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true },
    ...(align ? { colAligns: align } : {}),
  });
  for (const r of rows) t.push(r);
  return t
    .toString()
    .split('\n')
    .map((l) => `  ${l.trimEnd()}`)
    .join('\n');
}

/** 1234 µs → "1.23 ms"; µs below 1 ms, s above 1 s. */
export function formatUs(us: number): string {
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(us < 10_000 ? 2 : us < 100_000 ? 1 : 0)} ms`;
  return `${(us / 1_000_000).toFixed(2)} s`;
}

export function formatMs(ms: number): string {
  return formatUs(ms * 1000);
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${Number.isInteger(s) ? s : s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  const rest = Math.round(s - m * 60);
  return rest === 0 ? `${m}m` : `${m}m${rest}s`;
}

const BARS = '▁▂▃▄▅▆▇█';

/** A terminal sparkline of `values` scaled from 0 to their maximum. */
export function sparkline(values: number[], width = 60): string {
  if (values.length === 0) return '';
  let v = values;
  if (v.length > width) {
    // Average into `width` buckets so a long run still fits on a line.
    const out: number[] = [];
    for (let i = 0; i < width; i++) {
      const a = Math.floor((i * v.length) / width);
      const b = Math.max(a + 1, Math.floor(((i + 1) * v.length) / width));
      const slice = v.slice(a, b);
      out.push(slice.reduce((x, y) => x + y, 0) / slice.length);
    }
    v = out;
  }
  const max = Math.max(...v);
  if (max <= 0) return BARS[0]!.repeat(v.length);
  return v.map((x) => BARS[Math.min(7, Math.max(0, Math.round((x / max) * 7)))]).join('');
}

function describeWorkload(p: BenchParameters): string[] {
  const lines: string[] = [];
  const length =
    p.messages !== undefined ? `${int(p.messages)} messages` : `${formatDuration(p.durationMs ?? 0)}`;
  const loop = p.rateProfile
    ? `open loop following a rate profile (peak ${int(p.rate ?? 0)} msg/s)${p.precise ? ' (precise schedule)' : ''}, at most ${p.inflight} in flight per producer`
    : p.rate !== undefined
      ? `open loop at ${int(p.rate)} msg/s${p.precise ? ' (precise schedule)' : ''}, at most ${p.inflight} in flight per producer`
      : `closed loop, ${p.inflight} in flight per producer`;
  lines.push(
    p.producers === 0
      ? 'no producers: receiving what another process sends with this run id'
      : `${p.producers} producer${p.producers === 1 ? '' : 's'} (${p.mode}${p.batch > 1 ? `, batches of ${p.batch}` : ''}), ${loop}`,
  );
  if (p.consumers > 0) {
    lines.push(
      `${p.consumers} consumer${p.consumers === 1 ? '' : 's'} × ${p.groups} group${p.groups === 1 ? '' : 's'} (${p.groupNames.join(', ')})`,
    );
  } else {
    lines.push('no consumers');
  }
  const type =
    p.type === 'delay'
      ? `delay ${formatDuration(p.delayMs ?? 0)}`
      : p.type === 'fifo'
        ? `fifo, ${p.fifoGroups} message groups per producer`
        : p.type === 'transaction'
          ? `transaction, rollback ratio ${p.txRollbackRatio}`
          : 'normal';
  const body =
    p.payloadFile !== undefined
      ? `payload ${p.payloadFile}`
      : (describeBodies(p) ?? `${int(p.size)} B bodies`);
  const extras = [p.keys ? 'keys' : '', p.tags.length > 0 ? `tags ${p.tags.join(',')}` : ''].filter(Boolean);
  lines.push(`${type} messages, ${body}${extras.length > 0 ? `, ${extras.join(', ')}` : ''}`);
  lines.push(...describeWorkloadOptions(p));
  lines.push(
    `${length}${p.warmupMs > 0 ? ` after ${formatDuration(p.warmupMs)} warmup` : ''}, ${formatDuration(p.intervalMs)} intervals${p.verify ? `, verify (drain ≤ ${formatDuration(p.drainMs)})` : ''}`,
  );
  return lines;
}

function rateRow(name: string, r: RateStats): string[] {
  return [
    name,
    int(r.tps),
    r.mbps.toFixed(2),
    r.perInterval ? int(r.perInterval.min) : '-',
    r.perInterval ? int(r.perInterval.avg) : '-',
    r.perInterval ? int(r.perInterval.max) : '-',
  ];
}

const LATENCY_LABEL: Record<HistogramName, string> = {
  send: 'send',
  send_raw: 'send_raw',
  e2e: 'e2e',
  delay: 'delay',
};

function latencyRow(name: string, s: LatencySummary): string[] {
  return [
    name,
    int(s.count),
    formatUs(s.p50),
    formatUs(s.p90),
    formatUs(s.p99),
    formatUs(s.p999),
    formatUs(s.p9999),
    formatUs(s.max),
    formatUs(s.mean),
    formatUs(s.stdev),
  ];
}

function latencyNotes(r: BenchResult): string[] {
  const p = r.parameters;
  const notes: string[] = [];
  if (r.latency.send) {
    notes.push(
      p.rate !== undefined
        ? `send: from the intended send time of the schedule (coordinated omission corrected${p.precise ? '' : '; includes up to ~1 ms of timer granularity, see --precise'}); send_raw: from the actual send`
        : 'send = send_raw in a closed loop: from the moment the request was issued to its reply',
    );
  }
  if (r.latency.e2e) {
    notes.push(
      p.type === 'transaction'
        ? 'e2e: half message sent → committed message received (same process clock)'
        : p.producers === 0
          ? "e2e: send → consumer receipt, the send stamped by the other process's clock"
          : 'e2e: send → consumer receipt (same process clock)',
    );
  }
  if (r.latency.delay) notes.push('delay: receipt − intended delivery time (lateness)');
  return notes;
}

function formatSloValue(metric: string, v: number | null): string {
  if (v === null) return 'not measured';
  if (metric.includes('(')) return formatUs(v);
  if (metric === 'tps' || metric === 'rtps') return `${int(v)} msg/s`;
  return int(v);
}

function formatThreshold(metric: string, v: number): string {
  if (metric.includes('(')) return formatUs(v);
  return int(v);
}

/** The final report. */
export function renderBenchReport(r: BenchResult, options: RenderOptions): string {
  const c = new Chalk({ level: options.color ? 1 : 0 });
  const p = r.parameters;
  const out: string[] = [];
  const title = `rmq bench ${c.dim(`run ${r.runId}`)}  topic ${c.bold(p.topic)}${r.interrupted ? c.yellow('  (interrupted)') : ''}`;
  out.push(title);
  for (const l of describeWorkload(p)) out.push(`  ${c.dim(l)}`);
  out.push(
    `  ${c.dim(`measured ${formatDuration(r.phases.measureMs)}, drained ${formatDuration(r.phases.drainMs)}; sent ${int(r.totals.sent)}, received ${int(r.totals.received)}, errors ${int(r.totals.sendErrors)}`)}`,
  );
  out.push('');

  out.push(c.bold('Throughput'));
  const rows = p.producers > 0 ? [rateRow('send', r.throughput.send)] : [];
  if (p.consumers > 0) rows.push(rateRow('receive', r.throughput.receive));
  out.push(
    table(c, ['', 'msg/s', 'MiB/s', 'interval min', 'avg', 'max'], rows, [
      'left',
      'right',
      'right',
      'right',
      'right',
      'right',
    ]),
  );
  const measure = r.intervals.filter((i) => i.phase === 'measure');
  if (measure.length > 1) {
    if (p.producers > 0)
      out.push(`  ${c.dim('send   ')} ${c.cyan(sparkline(measure.map((i) => i.sendTps)))}`);
    if (p.consumers > 0)
      out.push(`  ${c.dim('receive')} ${c.cyan(sparkline(measure.map((i) => i.receiveTps)))}`);
  }
  out.push('');

  out.push(...renderWorkload(r, c, (head, rows, align) => table(c, head, rows, align)));

  const names = (['send', 'send_raw', 'e2e', 'delay'] as HistogramName[]).filter((n) => r.latency[n]);
  out.push(c.bold('Latency'));
  if (names.length === 0) {
    out.push(`  ${c.dim('no latency samples')}`);
  } else {
    out.push(
      table(
        c,
        ['', 'count', 'p50', 'p90', 'p99', 'p99.9', 'p99.99', 'max', 'mean', 'stdev'],
        names.map((n) => latencyRow(LATENCY_LABEL[n], r.latency[n]!)),
        ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
      ),
    );
    for (const n of latencyNotes(r)) out.push(`  ${c.dim(n)}`);
  }
  out.push(
    `  ${c.dim(`client event loop delay p99 ${formatMs(r.eventLoop.p99Ms)}, max ${formatMs(r.eventLoop.maxMs)}; CPU ${formatMs(r.cpu.userMs + r.cpu.systemMs)}${r.cpu.usPerMessage !== null ? ` (${r.cpu.usPerMessage} µs per message)` : ''}`)}`,
  );
  out.push('');

  // One broker is the total again; a row per broker once there are several, or errors at one.
  const brokers = r.brokers ?? [];
  if (brokers.length > 1 || brokers.some((b) => b.sendErrors > 0)) {
    out.push(c.bold('Per broker (measure window)'));
    out.push(
      table(
        c,
        ['broker', 'sent', 'share', 'msg/s', 'errors', 'send p50', 'send p99', 'send max'],
        brokers.map((b) => [
          b.brokerName,
          int(b.sent),
          `${(b.share * 100).toFixed(1)} %`,
          int(Math.round(b.tps)),
          b.sendErrors > 0 ? c.red(int(b.sendErrors)) : '0',
          b.send ? formatUs(b.send.p50) : '–',
          b.send ? formatUs(b.send.p99) : '–',
          b.send ? formatUs(b.send.max) : '–',
        ]),
        ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
      ),
    );
    out.push('');
  }

  // Where nothing was acknowledged for a second or more: a dead broker, a failover.
  const stalls = r.stalls ?? [];
  if (stalls.length > 0) {
    out.push(c.bold('Stalls (no acknowledgement for 1 s or more while sending)'));
    for (const s of stalls) {
      const span = `${formatDuration(s.fromMs)} → ${s.toMs === null ? 'the end of sending' : formatDuration(s.toMs)}`;
      out.push(`  ${c.yellow(formatMs(s.ms))}  ${c.dim(`from ${span} into the run`)}`);
    }
    out.push('');
  }

  const modes = r.consumeModes ?? [];
  if (modes.length > 0) {
    out.push(c.bold('End-to-end latency per consume mode (measure window)'));
    out.push(
      table(
        c,
        ['mode', 'groups', 'received', 'msg/s', 'e2e p50', 'e2e p99', 'e2e p99.9', 'e2e max'],
        modes.map((m) => [
          m.mode,
          String(m.groups.length),
          int(m.received),
          int(Math.round(m.rtps)),
          m.e2e ? formatUs(m.e2e.p50) : '–',
          m.e2e ? formatUs(m.e2e.p99) : '–',
          m.e2e ? formatUs(m.e2e.p999) : '–',
          m.e2e ? formatUs(m.e2e.max) : '–',
        ]),
        ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
      ),
    );
    out.push('');
  }

  if (r.errors.length > 0) {
    out.push(c.bold(c.red('Errors')));
    out.push(
      table(
        c,
        ['error', 'count'],
        r.errors.map((e) => [e.key, int(e.count)]),
        ['left', 'right'],
      ),
    );
    out.push('');
  }

  const v = r.verification;
  if (v) {
    out.push(c.bold('Verification'));
    const mark = (good: boolean) => (good ? c.green('✓') : c.red('✗'));
    out.push(`  ${mark(v.lost === 0)} lost        ${int(v.lost)} of ${int(v.acknowledged)} acknowledged`);
    out.push(`  ${c.dim('·')} duplicates  ${int(v.duplicates)}`);
    if (p.type === 'fifo') out.push(`  ${mark(v.reordered === 0)} reordered   ${int(v.reordered)}`);
    if (p.type === 'transaction') {
      out.push(
        `  ${mark(v.rolledBackReceived === 0)} rolled back ${int(v.rolledBack)}, of which delivered ${int(v.rolledBackReceived)}`,
      );
    }
    if (v.unacknowledgedReceived > 0) {
      out.push(`  ${c.dim('·')} received without acknowledgement ${int(v.unacknowledgedReceived)}`);
    }
    if (v.groups.length > 1) {
      out.push(
        table(
          c,
          ['group', 'received', 'lost', 'duplicates', 'reordered'],
          v.groups.map((g) => [
            g.group,
            int(g.receivedUnique),
            int(g.lost),
            int(g.duplicates),
            int(g.reordered),
          ]),
          ['left', 'right', 'right', 'right', 'right'],
        ),
      );
    }
    if (v.lostSample.length > 0)
      out.push(`  ${c.dim(`lost (producer:sequence): ${v.lostSample.join(' ')}`)}`);
    out.push(`  ${c.dim(`drain ${formatDuration(v.drainMs)}${v.complete ? ', complete' : ', incomplete'}`)}`);
    out.push('');
  }

  if (r.findMax) {
    const fm = r.findMax;
    out.push(`${c.bold('Find max')} ${c.dim(`(a step holds when ${fm.criterion})`)}`);
    out.push(
      table(
        c,
        ['rate', 'achieved', 'send p99', 'e2e p99', 'errors', '', 'failed'],
        fm.steps.map((s) => [
          int(s.rate),
          int(s.tps),
          s.sendP99Us === null ? '-' : formatUs(s.sendP99Us),
          s.e2eP99Us === null ? '-' : formatUs(s.e2eP99Us),
          int(s.errors),
          s.passed ? c.green('✓') : c.red('✗'),
          s.failed.join(', '),
        ]),
        ['right', 'right', 'right', 'right', 'right', 'left', 'left'],
      ),
    );
    out.push(
      fm.maxRate === null
        ? `  ${c.red('no step held')}`
        : `  highest rate that held: ${c.bold(`${int(fm.maxRate)} msg/s`)}${c.dim(' (the tables above are that step)')}`,
    );
    out.push('');
  }

  if (r.plan) {
    out.push(renderPlan(r.plan, options).trimEnd());
    out.push('');
  }

  if (r.slo) {
    out.push(c.bold('Thresholds'));
    for (const s of r.slo.results) {
      const mark = s.pass ? c.green('✓') : c.red('✗');
      out.push(
        `  ${mark} ${s.expr.padEnd(24)} ${c.dim('actual')} ${formatSloValue(s.metric, s.actual)}${s.pass ? '' : c.dim(` (threshold ${s.op} ${formatThreshold(s.metric, s.threshold)})`)}`,
      );
    }
    out.push('');
  }

  for (const w of r.warnings) out.push(`${c.yellow('!')} ${w}`);
  return `${out.join('\n').trimEnd()}\n`;
}

/** The capacity plan with its arithmetic (also what `bench plan` prints). */
export function renderPlan(plan: CapacityPlan, options: RenderOptions): string {
  const c = new Chalk({ level: options.color ? 1 : 0 });
  const out = [
    `${c.bold(`Capacity plan for ${int(plan.targetTps)} msg/s`)} ${c.dim(`(Little's law: in flight = throughput × latency; mean send latency ${formatUs(plan.latencyUs)})`)}`,
  ];
  const width = Math.max(...plan.steps.map((s) => s.what.length));
  for (const s of plan.steps) {
    out.push(`  ${s.what.padEnd(width)}  ${s.formula}${s.note ? c.dim(`  (${s.note})`) : ''}`);
  }
  for (const cav of plan.caveats) out.push(`  ${c.dim(`· ${cav}`)}`);
  return `${out.join('\n')}\n`;
}

/** One live line per interval (stderr), e.g. `  3s measure  send 12,345/s …`. */
export function renderTick(i: BenchInterval, p: BenchParameters, options: RenderOptions): string {
  const c = new Chalk({ level: options.color ? 1 : 0 });
  const parts = [c.dim(`${formatDuration(i.endMs).padStart(6)} ${i.phase.padEnd(7)}`)];
  if (p.producers > 0) parts.push(`send ${int(i.sendTps).padStart(7)}/s`);
  if (p.consumers > 0) parts.push(`recv ${int(i.receiveTps).padStart(7)}/s`);
  if (i.send) parts.push(`send p99 ${formatUs(i.send.p99)}`);
  if (i.e2e) parts.push(`e2e p99 ${formatUs(i.e2e.p99)}`);
  if (i.sendErrors > 0) parts.push(c.red(`err ${int(i.sendErrors)}`));
  if (p.consumers > 0) parts.push(`backlog ${int(i.backlog)}`);
  if (i.queued > 0) parts.push(c.yellow(`behind ${int(i.queued)}`));
  parts.push(c.dim(`loop p99 ${formatMs(i.eventLoopP99Ms)} cpu ${Math.round(i.cpuPct)}%`));
  return parts.join('  ');
}

/** `bench compare`: one row per metric, its delta, and the verdict. */
export function renderComparison(cmp: Comparison, options: RenderOptions): string {
  const c = new Chalk({ level: options.color ? 1 : 0 });
  const value = (v: number | null, unit: string) =>
    v === null ? '-' : unit === 'µs' ? formatUs(v) : unit === 'msg/s' ? int(v) : int(v);
  const rows = cmp.metrics.map((m) => {
    const rel = m.relative === null ? '' : `${m.relative >= 0 ? '+' : ''}${(m.relative * 100).toFixed(1)}%`;
    const verdict =
      m.verdict === 'better'
        ? c.green('better')
        : m.verdict === 'worse'
          ? c.red('worse')
          : m.verdict === 'same'
            ? c.dim('same')
            : c.dim('-');
    const t = m.t === null ? '' : Number.isFinite(m.t) ? m.t.toFixed(1) : m.t > 0 ? '+∞' : '−∞';
    return [m.metric, value(m.base, m.unit), value(m.next, m.unit), rel, t, verdict];
  });
  const overall =
    cmp.verdict === 'regression'
      ? c.red(c.bold('regression'))
      : cmp.verdict === 'improvement'
        ? c.green(c.bold('improvement'))
        : c.bold('no significant change');
  return `${[
    `${c.bold('rmq bench compare')} ${c.dim(`${cmp.base} → ${cmp.next}`)}`,
    table(c, ['metric', 'base', 'new', 'change', 't', 'verdict'], rows, [
      'left',
      'right',
      'right',
      'right',
      'right',
      'left',
    ]),
    `  ${c.dim("t: Welch's t over the per-interval series; |t| ≥ 2 and a change above the threshold count")}`,
    '',
    `verdict: ${overall}`,
  ].join('\n')}\n`;
}

/** `bench --proxy`: one line with proxy ÷ direct for throughput and latency. */
export function proxyRatioLine(hop: ProxyHop): string {
  const r = hop.ratios;
  const x = (v: number | null): string => (v === null ? '-' : `×${v.toFixed(2)}`);
  return `proxy ÷ direct: send TPS ${x(r.tps)}, receive TPS ${x(r.rtps)}, send p50 ${x(r.p50Send)} p99 ${x(r.p99Send)}, e2e p50 ${x(r.p50E2e)} p99 ${x(r.p99E2e)}`;
}
