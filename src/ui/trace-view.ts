/**
 * The terminal view of `rmq trace`: a header naming the message, then one row per hop (born,
 * stored, transaction end, each delivery attempt per consumer group) with its time, the delta
 * from the hop before, and a waterfall bar placing it on the message's life from born to the
 * last event. Pure: (result, {color}) → string.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import type { GroupTrace, TraceResult } from '../services/trace-result.js';

export interface TraceViewOptions {
  color: boolean;
  /** Waterfall width in characters. */
  width?: number;
  /** Time zone for clock times (default: the process's). For tests. */
  timeZone?: string;
}

/**
 * A duration for people: µs below a millisecond when the value has them, ms below a second,
 * then seconds, minutes, hours.
 * @example formatDuration(1530) === '1.53 s'
 */
export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '';
  const sign = ms < 0 ? '-' : '';
  const a = Math.abs(ms);
  if (a < 1 && a > 0) return `${sign}${Math.round(a * 1000)} µs`;
  if (a < 1000)
    return `${sign}${Number.isInteger(a) ? a : a < 10 ? a.toFixed(2) : a < 100 ? a.toFixed(1) : Math.round(a)} ms`;
  if (a < 60_000) return `${sign}${(a / 1000).toFixed(2)} s`;
  if (a < 3_600_000) return `${sign}${Math.floor(a / 60_000)} min ${Math.round((a % 60_000) / 1000)} s`;
  return `${sign}${Math.floor(a / 3_600_000)} h ${Math.round((a % 3_600_000) / 60_000)} min`;
}

const ANSI = /\x1b\[[0-9;]*m/g;
const visible = (s: string): number => s.replace(ANSI, '').length;
const padEnd = (s: string, w: number): string => s + ' '.repeat(Math.max(0, w - visible(s)));

const delta = (ms: number | null): string =>
  ms === null ? '' : `${ms >= 0 ? '+' : ''}${formatDuration(ms)}`;

function clock(iso: string, timeZone: string | undefined): string {
  const d = new Date(iso);
  const parts = new Intl.DateTimeFormat('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
    timeZone,
  }).format(d);
  return `${parts}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

interface Row {
  time: string;
  delta: string;
  hop: string;
  detail: string;
  /** Start and end (epoch ms) on the waterfall; a point when equal. */
  span: [number, number] | null;
  paint: (s: string) => string;
}

const STATE_TEXT: Record<GroupTrace['state'], string> = {
  consumed: '✓ consumed',
  'not-consumed-yet': '… not consumed yet',
  retrying: '↻ retrying',
  'dead-lettered': '✗ dead-lettered',
  unknown: '? unknown',
};

function stateColor(c: ChalkInstance, state: GroupTrace['state']): (s: string) => string {
  switch (state) {
    case 'consumed':
      return c.green;
    case 'dead-lettered':
      return c.red;
    case 'unknown':
      return c.dim;
    default:
      return c.yellow;
  }
}

function bar(span: [number, number] | null, start: number, total: number, width: number): string {
  if (!span) return '';
  const pos = (t: number) =>
    Math.max(0, Math.min(width - 1, Math.round(((t - start) / total) * (width - 1))));
  const a = pos(span[0]);
  // Shorter than a cell: a point, not a two-cell bar from rounding.
  const b = (span[1] - span[0]) * (width - 1) < total ? a : Math.max(a, pos(span[1]));
  const cells = Array.from({ length: width }, (_, i) =>
    i < a ? ' ' : i === a && a === b ? '●' : i <= b ? '━' : ' ',
  );
  return cells.join('').trimEnd();
}

/**
 * Renders a trace result.
 * @example process.stdout.write(renderTrace(result, { color: process.stdout.isTTY }))
 */
export function renderTrace(result: TraceResult, options: TraceViewOptions): string {
  const c = new Chalk({ level: options.color ? 1 : 0 });
  const width = options.width ?? 32;
  const tz = options.timeZone;
  const out: string[] = [];
  const m = result.message;

  out.push(`${c.bold('Message')} ${c.bold(result.msgId)}`);
  if (m) {
    const attrs = [`topic ${m.topic}`];
    if (m.tags) attrs.push(`tags ${m.tags}`);
    if (m.keys.length > 0) attrs.push(`keys ${m.keys.join(' ')}`);
    attrs.push(m.bodyError === null ? `body ${m.bodyLength} B` : `body not inflated: ${m.bodyError}`);
    if (m.transaction) attrs.push('transaction');
    if (m.delay) attrs.push(`delayed (${m.delay})`);
    out.push(`  ${attrs.join('  ')}`);
    out.push(
      c.dim(
        `  offset id ${m.offsetMsgId}  ${m.brokerName || m.storeHost} queue ${m.queueId} offset ${m.queueOffset}  born ${m.bornTimestamp}`,
      ),
    );
  } else {
    out.push(c.yellow('  the message itself was not found; what the trace records say follows'));
  }
  out.push('');

  const rows: Row[] = [];
  const pub = result.publish[0];
  const bornMs = m ? Date.parse(m.bornTimestamp) : pub ? Date.parse(pub.at) : null;
  const storedMs = m ? Date.parse(m.storeTimestamp) : null;
  // The producer's hops in time order (a transaction ends before its message is stored in the
  // topic); each delta is from the hop before.
  const head: { at: number; row: Omit<Row, 'delta'> }[] = [];
  if (bornMs !== null) {
    const who = pub ? `${pub.group} @ ${pub.clientHost}` : m ? `@ ${m.bornHost.replace(/:\d+$/, '')}` : '';
    head.push({
      at: bornMs,
      row: {
        time: clock(new Date(bornMs).toISOString(), tz),
        hop: '● born',
        detail: `producer ${who}`.trim(),
        span: [bornMs, bornMs],
        paint: (s) => s,
      },
    });
  }
  if (m && storedMs !== null) {
    const send = pub ? ` · send ${formatDuration(pub.costMs)} ${pub.success ? '✓' : '✗'}` : '';
    head.push({
      at: storedMs,
      row: {
        time: clock(m.storeTimestamp, tz),
        hop: '● stored',
        detail: `${m.brokerName || m.storeHost} q${m.queueId}@${m.queueOffset}${send}`,
        span: [Math.min(bornMs ?? storedMs, storedMs), storedMs],
        paint: (s) => s,
      },
    });
  } else if (pub) {
    const at = Date.parse(pub.at);
    head.push({
      at,
      row: {
        time: clock(pub.at, tz),
        hop: '● sent',
        detail: `to ${pub.storeHost} · send ${formatDuration(pub.costMs)} ${pub.success ? '✓' : '✗'}`,
        span: [at, at + pub.costMs],
        paint: (s) => s,
      },
    });
  }
  for (const t of result.transaction) {
    const at = Date.parse(t.at);
    head.push({
      at,
      row: {
        time: clock(t.at, tz),
        hop: '● tx end',
        detail: `${t.state}${t.fromTransactionCheck ? ' (answering a check-back)' : ''}`,
        span: [at, at],
        paint: t.state === 'COMMIT_MESSAGE' ? c.green : t.state === 'ROLLBACK_MESSAGE' ? c.red : c.yellow,
      },
    });
  }
  head.sort((x, y) => x.at - y.at);
  head.forEach((h, i) => rows.push({ ...h.row, delta: i === 0 ? '' : delta(h.at - head[i - 1]!.at) }));

  // Group header rows are text lines between hop rows: remember where they go.
  const groupLines = new Map<number, string[]>();
  for (const g of result.groups) {
    const paint = stateColor(c, g.state);
    const bits = [paint(STATE_TEXT[g.state])];
    if (g.online === true) bits.push('online');
    if (g.online === false) bits.push(c.yellow('group not online'));
    if (g.consumerOffset !== null) bits.push(c.dim(`offset ${g.consumerOffset}`));
    const lines = [`${c.bold(`group ${g.group}`)}  ${bits.join(' · ')}`];
    if (g.note) lines.push(c.dim(`  ${g.note}`));
    groupLines.set(rows.length, [...(groupLines.get(rows.length) ?? []), ...lines]);
    // Deliveries and the copies the broker stored for redelivery, in time order; each delta is
    // from the end of the hop before it in this group (the first: from the store time).
    const events: { at: number; row: Omit<Row, 'delta'>; cost: number }[] = [];
    for (const a of g.attempts) {
      const at = Date.parse(a.at);
      const outcome =
        a.success === null ? c.dim('no outcome reported') : a.success ? c.green('✓') : c.red('✗ failed');
      const parts = [a.clientHost];
      if (a.retryTimes !== null) parts.push(`retry ${a.retryTimes}`);
      if (a.costMs !== null) parts.push(formatDuration(a.costMs));
      events.push({
        at,
        cost: a.costMs ?? 0,
        row: {
          time: clock(a.at, tz),
          hop: `├ attempt ${a.n}`,
          detail: `${parts.join(' · ')} ${outcome}`,
          span: [at, at + (a.costMs ?? 0)],
          paint: (s) => s,
        },
      });
    }
    const copy = (kind: string, r: NonNullable<GroupTrace['deadLetter']>, paint: (s: string) => string) => {
      const at = Date.parse(r.storedAt);
      const st =
        r.consumed === true ? c.green('consumed') : r.consumed === false ? c.yellow('not consumed yet') : '';
      events.push({
        at,
        cost: 0,
        row: {
          time: clock(r.storedAt, tz),
          hop: kind,
          detail: `${r.topic} q${r.queueId}@${r.queueOffset} · reconsume ${r.reconsumeTimes}${st ? ` · ${st}` : ''}`,
          span: [at, at],
          paint,
        },
      });
    };
    for (const r of g.retries) copy('↻ requeued', r, c.dim);
    if (g.deadLetter) copy('✗ dead letter', g.deadLetter, c.red);
    events.sort((x, y) => x.at - y.at);
    let prevEnd = storedMs;
    for (const e of events) {
      rows.push({ ...e.row, delta: delta(prevEnd === null ? null : e.at - prevEnd) });
      prevEnd = e.at + e.cost;
    }
    const after: string[] = [];
    if (g.attempts.length === 0 && g.state !== 'unknown') after.push(c.dim('  no delivery traced'));
    if (after.length > 0) groupLines.set(rows.length, [...(groupLines.get(rows.length) ?? []), ...after]);
  }

  const spans = rows.flatMap((r) => (r.span ? r.span : []));
  const start = spans.length > 0 ? Math.min(...spans) : 0;
  const end = spans.length > 0 ? Math.max(...spans) : 0;
  const total = Math.max(1, end - start);
  const wTime = Math.max(4, ...rows.map((r) => r.time.length));
  const wDelta = Math.max(5, ...rows.map((r) => r.delta.length));
  const wHop = Math.max(3, ...rows.map((r) => r.hop.length));
  const wDetail = Math.max(6, ...rows.map((r) => visible(r.detail)));
  out.push(
    c.dim(
      `  ${'TIME'.padEnd(wTime)}  ${'DELTA'.padStart(wDelta)}  ${'HOP'.padEnd(wHop)}  ${'DETAIL'.padEnd(wDetail)}  0 … ${formatDuration(end - start) || '0 ms'}`,
    ),
  );
  const flushGroups = (i: number) => {
    for (const l of groupLines.get(i) ?? []) out.push(`  ${l}`);
  };
  rows.forEach((r, i) => {
    flushGroups(i);
    const line = `  ${r.time.padEnd(wTime)}  ${r.delta.padStart(wDelta)}  ${r.hop.padEnd(wHop)}  ${padEnd(r.detail, wDetail)}  `;
    out.push(r.paint(line) + c.cyan(bar(r.span, start, total, width)));
  });
  flushGroups(rows.length);
  if (result.groups.length === 0 && m) out.push(c.dim('  no consumer group consumes this topic'));
  out.push('');
  out.push(
    c.dim(
      `${result.traceRecords} trace record(s) from ${result.traceTopic}${result.copies > 1 ? ` · stored ${result.copies} times` : ''}${result.wait ? ` · consumed by ${result.wait.group} after waiting ${formatDuration(result.wait.waitedMs)}` : ''}`,
    ),
  );
  for (const w of result.warnings) out.push(c.yellow(`! ${w}`));
  return `${out.map((l) => l.trimEnd()).join('\n')}\n`;
}
