/**
 * `bench plot`: self-contained SVG (or an HTML page holding it) from a BenchResult, no scripts
 * and no external assets, so it opens in any browser and can be attached to a ticket:
 *
 *   1. latency by percentile, HdrHistogram-plotter style: x = 1/(1 − p) on a log axis
 *      (0 %, 90 %, 99 %, 99.9 %, …), one line per histogram
 *   2. throughput over time: send and receive msg/s per interval
 *   3. p99 latency over time, per interval
 *
 * The time charts leave out intervals shorter than half of --interval (in practice the last one,
 * cut short when the run ended): their few messages over a few milliseconds draw a spike or a drop
 * to 0 that no rate had, as the report's per-interval min/avg/max leave them out. Their axis ends
 * where the data ends.
 */
import { histogramsOf } from './merge.js';
import type { BenchInterval, BenchResult, HistogramName } from './result.js';

const COLORS: Record<string, string> = {
  send: '#1f77b4',
  send_raw: '#9ecae1',
  e2e: '#ff7f0e',
  delay: '#2ca02c',
  receive: '#ff7f0e',
};

interface Line {
  name: string;
  color: string;
  points: [number, number][];
}

interface Axis {
  min: number;
  max: number;
  ticks: { value: number; label: string }[];
}

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function niceAxis(max: number, format: (v: number) => string): Axis {
  if (!(max > 0)) return { min: 0, max: 1, ticks: [{ value: 0, label: format(0) }] };
  const raw = max / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const top = Math.ceil(max / step) * step;
  const ticks = [];
  for (let v = 0; v <= top + step / 2; v += step) ticks.push({ value: v, label: format(v) });
  return { min: 0, max: top, ticks };
}

/** A time axis from 0 to exactly `max` (the data's end), with nice ticks inside it. */
function dataAxis(max: number, format: (v: number) => string): Axis {
  if (!(max > 0)) return niceAxis(max, format);
  const nice = niceAxis(max, format);
  return { min: 0, max, ticks: nice.ticks.filter((t) => t.value <= max * (1 + 1e-9)) };
}

/** `1 producer`, `2 producers`. */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function fmtLatencyMs(v: number): string {
  return v >= 1000
    ? `${+(v / 1000).toFixed(2)} s`
    : v >= 1
      ? `${+v.toFixed(1)} ms`
      : `${Math.round(v * 1000)} µs`;
}

function fmtCount(v: number): string {
  return v >= 1e6 ? `${+(v / 1e6).toFixed(1)}M` : v >= 1e3 ? `${+(v / 1e3).toFixed(1)}k` : `${+v.toFixed(1)}`;
}

function chart(
  title: string,
  x: Axis,
  y: Axis,
  lines: Line[],
  offsetY: number,
  labels: { x: string; y: string },
  id: string,
): string {
  const W = 860;
  const H = 300;
  const left = 70;
  // Room for half of the last x tick's label ("99.9999%") right of the frame.
  const right = 40;
  const top = 36;
  const bottom = 44;
  const pw = W - left - right;
  const ph = H - top - bottom;
  const sx = (v: number) => left + ((v - x.min) / (x.max - x.min || 1)) * pw;
  const sy = (v: number) => top + ph - ((v - y.min) / (y.max - y.min || 1)) * ph;
  const out: string[] = [`<g transform="translate(0,${offsetY})" data-chart="${id}">`];
  out.push(`<text x="${left}" y="22" class="title">${esc(title)}</text>`);
  for (const t of y.ticks) {
    out.push(
      `<line x1="${left}" x2="${left + pw}" y1="${sy(t.value).toFixed(1)}" y2="${sy(t.value).toFixed(1)}" class="grid"/>`,
      `<text x="${left - 6}" y="${(sy(t.value) + 4).toFixed(1)}" class="tick" text-anchor="end">${esc(t.label)}</text>`,
    );
  }
  for (const t of x.ticks) {
    out.push(
      `<line x1="${sx(t.value).toFixed(1)}" x2="${sx(t.value).toFixed(1)}" y1="${top}" y2="${top + ph}" class="grid"/>`,
      `<text x="${sx(t.value).toFixed(1)}" y="${top + ph + 16}" class="tick" text-anchor="middle">${esc(t.label)}</text>`,
    );
  }
  out.push(`<rect x="${left}" y="${top}" width="${pw}" height="${ph}" class="frame"/>`);
  out.push(
    `<text x="${left + pw / 2}" y="${H - 6}" class="label" text-anchor="middle">${esc(labels.x)}</text>`,
  );
  out.push(
    `<text x="14" y="${top + ph / 2}" class="label" text-anchor="middle" transform="rotate(-90 14 ${top + ph / 2})">${esc(labels.y)}</text>`,
  );
  lines.forEach((l, i) => {
    if (l.points.length === 0) return;
    const d = l.points
      .map(([px, py], j) => `${j === 0 ? 'M' : 'L'}${sx(px).toFixed(1)},${sy(py).toFixed(1)}`)
      .join('');
    out.push(
      `<path d="${d}" fill="none" stroke="${l.color}" stroke-width="2" data-series="${esc(l.name)}"/>`,
    );
    const lx = left + pw - 150;
    const ly = top + 14 + i * 16;
    out.push(
      `<line x1="${lx}" x2="${lx + 18}" y1="${ly - 4}" y2="${ly - 4}" stroke="${l.color}" stroke-width="3"/>`,
      `<text x="${lx + 24}" y="${ly}" class="tick">${esc(l.name)}</text>`,
    );
  });
  out.push('</g>');
  return out.join('\n');
}

/**
 * The intervals the time charts draw: not a warmup that sent nothing, and not one shorter than half
 * of --interval, unless every interval is that short (a run shorter than one interval).
 */
export function timeChartIntervals(r: BenchResult): BenchInterval[] {
  const shown = r.intervals.filter((i) => i.phase !== 'warmup' || i.sent > 0);
  const full = shown.filter((i) => i.endMs - i.startMs >= r.parameters.intervalMs * 0.5);
  return full.length > 0 ? full : shown;
}

/** The three charts as one SVG document. */
export function renderPlotSvg(r: BenchResult): string {
  const hs = histogramsOf(r);
  const names = (['send', 'send_raw', 'e2e', 'delay'] as HistogramName[]).filter((n) => hs[n]);
  // Percentile chart: x = log10(1 / (1 − p)), up to where the sample count still resolves.
  let xMax = 1;
  const pctLines: Line[] = [];
  let pctMaxMs = 0;
  for (const n of names) {
    const h = hs[n]!;
    const reach = Math.min(6, Math.max(1, Math.log10(h.totalCount)));
    xMax = Math.max(xMax, Math.ceil(reach));
    const points: [number, number][] = [];
    for (let x = 0; x <= reach + 1e-9; x += 0.05) {
      const p = 100 * (1 - 10 ** -x);
      const v = h.getValueAtPercentile(p) / 1000;
      points.push([x, v]);
      pctMaxMs = Math.max(pctMaxMs, v);
    }
    points.push([reach, h.maxValue / 1000]);
    pctMaxMs = Math.max(pctMaxMs, h.maxValue / 1000);
    pctLines.push({ name: n, color: COLORS[n]!, points });
  }
  const pctTicks = Array.from({ length: xMax + 1 }, (_, k) => ({
    value: k,
    label: k === 0 ? '0%' : `${(100 * (1 - 10 ** -k)).toFixed(Math.max(0, k - 2))}%`,
  }));
  const ms = timeChartIntervals(r);
  const tMax = Math.max(0, ...ms.map((i) => i.endMs / 1000));
  const timeAxis = dataAxis(tMax, (v) => `${+v.toFixed(1)}s`);
  const tpsLines: Line[] = [
    { name: 'send msg/s', color: COLORS.send!, points: ms.map((i) => [i.endMs / 1000, i.sendTps]) },
  ];
  if (r.parameters.consumers > 0) {
    tpsLines.push({
      name: 'receive msg/s',
      color: COLORS.receive!,
      points: ms.map((i) => [i.endMs / 1000, i.receiveTps]),
    });
  }
  const tpsMax = Math.max(1, ...ms.flatMap((i) => [i.sendTps, i.receiveTps]));
  const p99Lines: Line[] = (
    [
      {
        name: 'send p99',
        color: COLORS.send!,
        points: ms.filter((i) => i.send).map((i): [number, number] => [i.endMs / 1000, i.send!.p99 / 1000]),
      },
      {
        name: 'e2e p99',
        color: COLORS.e2e!,
        points: ms.filter((i) => i.e2e).map((i): [number, number] => [i.endMs / 1000, i.e2e!.p99 / 1000]),
      },
    ] as Line[]
  ).filter((l) => l.points.length > 0);
  const p99Max = Math.max(0.001, ...p99Lines.flatMap((l) => l.points.map((p) => p[1])));
  const body = [
    chart(
      'Latency by percentile',
      { min: 0, max: xMax, ticks: pctTicks },
      niceAxis(pctMaxMs, fmtLatencyMs),
      pctLines,
      0,
      { x: 'percentile', y: 'latency' },
      'percentile',
    ),
    chart(
      'Throughput per interval',
      timeAxis,
      niceAxis(tpsMax, fmtCount),
      tpsLines,
      310,
      { x: 'time', y: 'msg/s' },
      'throughput',
    ),
    chart(
      'p99 latency per interval',
      timeAxis,
      niceAxis(p99Max, fmtLatencyMs),
      p99Lines,
      620,
      { x: 'time', y: 'latency' },
      'p99',
    ),
  ];
  return [
    '<svg xmlns="http://www.w3.org/2000/svg" width="860" height="930" viewBox="0 0 860 930" font-family="system-ui, sans-serif">',
    '<style>.title{font-size:15px;font-weight:600}.tick{font-size:11px;fill:#444}.label{font-size:12px;fill:#222}.grid{stroke:#e5e5e5}.frame{fill:none;stroke:#999}</style>',
    '<rect width="860" height="930" fill="#fff"/>',
    ...body,
    '</svg>',
  ].join('\n');
}

/** An HTML page with the parameters and the charts. */
export function renderPlotHtml(r: BenchResult): string {
  const p = r.parameters;
  const left =
    r.intervals.filter((i) => i.phase !== 'warmup' || i.sent > 0).length - timeChartIntervals(r).length;
  const facts = [
    `topic ${p.topic}`,
    `${plural(p.producers, 'producer')} (${p.mode})`,
    p.rate !== undefined ? `open loop ${p.rate} msg/s` : `closed loop, ${p.inflight} in flight each`,
    `${plural(p.consumers, 'consumer')} × ${plural(p.groups, 'group')}`,
    `${p.size} B ${p.type} messages`,
    `send ${r.throughput.send.tps} msg/s`,
    `receive ${r.throughput.receive.tps} msg/s`,
  ];
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>rmq bench ${esc(r.runId)}</title>`,
    '<style>body{font-family:system-ui,sans-serif;margin:24px;color:#222}h1{font-size:20px}p{color:#555}</style>',
    '</head><body>',
    `<h1>rmq bench ${esc(r.runId)}</h1>`,
    `<p>${esc(facts.join(' · '))}<br>${esc(r.startedAt)} – ${esc(r.endedAt)}</p>`,
    renderPlotSvg(r),
    ...(left > 0
      ? [
          `<p>The time charts leave out ${plural(left, 'interval')} shorter than half of the ${r.parameters.intervalMs} ms interval (cut short at the end of the run).</p>`,
        ]
      : []),
    ...(r.warnings.length > 0 ? [`<ul>${r.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>`] : []),
    '</body></html>',
    '',
  ].join('\n');
}
