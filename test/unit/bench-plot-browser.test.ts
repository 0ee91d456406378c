/**
 * `bench plot` as a browser shows it: the HTML page rendered by headless Chromium (Debian's
 * `chromium` package), measured in the page (a small script added to a copy of the page writes the
 * geometry of the drawn charts into a DOM attribute, which --dump-dom reads back), not in the file.
 * Skipped, with its reason, on a machine without Chromium (.ci/run installs it in CI).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { encodeHistogram, newHistogram } from '../../src/bench/histogram.js';
import { renderPlotHtml } from '../../src/bench/plot.js';
import type { BenchInterval, BenchResult } from '../../src/bench/result.js';

const CHROMIUM = process.env.CHROMIUM || 'chromium';
const dir = mkdtempSync(join(tmpdir(), 'rmq-plot-browser-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Writes what the page drew, in page pixels, into body[data-measure] (URI-encoded JSON). */
const MEASURE = `<script>
(() => {
  const svg = document.querySelector('svg');
  const s = svg.getBoundingClientRect();
  const box = (b) => ({ left: b.left - s.left, right: b.right - s.left, top: b.top - s.top, bottom: b.bottom - s.top });
  const out = { svg: { width: s.width, height: s.height }, texts: [], charts: {}, facts: document.querySelector('p').textContent };
  for (const t of svg.querySelectorAll('text')) out.texts.push({ text: t.textContent, ...box(t.getBoundingClientRect()) });
  for (const g of svg.querySelectorAll('g[data-chart]')) {
    const series = {};
    for (const p of g.querySelectorAll('path[data-series]')) {
      const m = p.getCTM();
      const end = p.getPointAtLength(p.getTotalLength()).matrixTransform(m);
      series[p.dataset.series] = { x: end.x, y: end.y };
    }
    const f = g.querySelector('rect.frame');
    const fb = box(f.getBoundingClientRect());
    out.charts[g.dataset.chart] = { frame: fb, series };
  }
  document.body.setAttribute('data-measure', encodeURIComponent(JSON.stringify(out)));
})();
</script>`;

interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
}
interface Measure {
  svg: { width: number; height: number };
  texts: (Box & { text: string })[];
  charts: Record<string, { frame: Box; series: Record<string, { x: number; y: number }> }>;
  facts: string;
}

function interval(
  index: number,
  startMs: number,
  endMs: number,
  sent: number,
  phase = 'measure',
): BenchInterval {
  const secs = (endMs - startMs) / 1000;
  return {
    index,
    phase: phase as BenchInterval['phase'],
    startMs,
    endMs,
    sent,
    sendErrors: 0,
    received: sent,
    sendTps: Math.round((sent / secs) * 10) / 10,
    receiveTps: Math.round((sent / secs) * 10) / 10,
    sendMBps: 1,
    receiveMBps: 1,
    backlog: 0,
    inflight: 1,
    queued: 0,
    errors: {},
    send: sent > 0 ? { p50: 800, p99: 2500, max: 9000 } : null,
    e2e: sent > 0 ? { p50: 1500, p99: 4000, max: 12000 } : null,
    eventLoopP99Ms: 1,
    eventLoopMaxMs: 2,
    cpuPct: 10,
  };
}

/**
 * One producer, one consumer, ten full intervals at 2,000 msg/s, and the run's last one 37 ms long
 * with nothing sent (the drain after sending stopped): what drew a drop to 0 at the chart's end.
 * 20,000 samples: the percentile axis reaches 99.999 %, its label at the right edge.
 */
function fixture(): BenchResult {
  const h = newHistogram();
  for (let i = 0; i < 20_000; i++) h.recordValue(300 + ((i * 7919) % 20_000));
  const lat = {
    count: 20_000,
    min: 300,
    mean: 10_300,
    stdev: 5_000,
    p50: 10_300,
    p90: 18_300,
    p99: 20_100,
    p999: 20_280,
    p9999: 20_298,
    max: 20_299,
  };
  const intervals = Array.from({ length: 10 }, (_, i) => interval(i, i * 1000, (i + 1) * 1000, 2000));
  intervals.push(interval(10, 10_000, 10_037, 0, 'drain'));
  return {
    schemaVersion: 1,
    tool: { name: 'rmq', version: '0.1.0' },
    runId: 'plot01',
    startedAt: '2026-01-01T00:00:00.000Z',
    endedAt: '2026-01-01T00:00:10.037Z',
    interrupted: false,
    parameters: {
      topic: 'orders',
      queues: 8,
      producers: 1,
      consumers: 1,
      groups: 1,
      groupNames: ['g'],
      size: 1024,
      keys: false,
      tags: [],
      mode: 'async',
      batch: 1,
      inflight: 32,
      rate: 2000,
      precise: false,
      durationMs: 10_000,
      warmupMs: 0,
      intervalMs: 1000,
      type: 'normal',
      fifoGroups: 16,
      txRollbackRatio: 0,
      verify: false,
      drainMs: 10_000,
      slo: [],
    },
    phases: { warmupMs: 0, measureMs: 10_000, drainMs: 37 },
    totals: {
      sent: 20_000,
      sendErrors: 0,
      received: 20_000,
      measuredSent: 20_000,
      measuredReceived: 20_000,
      bytesSent: 20_000 * 1024,
      bytesReceived: 20_000 * 1024,
      unsent: 0,
      foreign: 0,
      saturated: 0,
      early: 0,
      skewed: 0,
      skewedMaxUs: 0,
    },
    throughput: {
      send: { tps: 2000, mbps: 1.953, perInterval: { min: 2000, avg: 2000, max: 2000 } },
      receive: { tps: 2000, mbps: 1.953, perInterval: { min: 2000, avg: 2000, max: 2000 } },
    },
    latency: { send: lat, e2e: lat },
    histograms: { send: encodeHistogram(h), e2e: encodeHistogram(h) },
    errors: [],
    eventLoop: { p50Ms: 0.5, p99Ms: 1.5, maxMs: 4 },
    cpu: { userMs: 800, systemMs: 200, usPerMessage: 25 },
    intervals,
    warnings: [],
  };
}

function render(html: string): { measure?: Measure; skip?: string } {
  const probe = spawnSync(CHROMIUM, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    return { skip: `${CHROMIUM} is not installed (apt-get install chromium provides it)` };
  }
  const file = join(dir, 'plot.html');
  writeFileSync(file, html.replace('</body>', `${MEASURE}</body>`));
  const res = spawnSync(
    CHROMIUM,
    [
      '--headless',
      '--disable-gpu',
      '--no-sandbox',
      '--no-first-run',
      '--disable-extensions',
      `--user-data-dir=${join(dir, 'profile')}`,
      '--window-size=920,1200',
      '--dump-dom',
      `file://${file}`,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  const m = /data-measure="([^"]*)"/.exec(res.stdout ?? '');
  assert.ok(
    m,
    `no measurements in the page Chromium rendered (exit ${res.status}): ${res.stderr?.slice(-500)}`,
  );
  return { measure: JSON.parse(decodeURIComponent(m[1]!)) as Measure };
}

describe('bench plot in headless Chromium', { timeout: 60_000 }, () => {
  const r = fixture();
  const html = renderPlotHtml(r);
  let measured: ReturnType<typeof render> | undefined;
  const page = (t: { skip: (why: string) => void }): Measure | undefined => {
    measured ??= render(html);
    if (measured.skip) t.skip(measured.skip);
    return measured.measure;
  };

  test('the throughput line ends at the last full interval, not in a drop to 0', (t) => {
    const m = page(t);
    if (!m) return;
    const c = m.charts.throughput!;
    for (const name of ['send msg/s', 'receive msg/s']) {
      const end = c.series[name]!;
      assert.ok(end, name);
      // 2,000 msg/s on an axis to 2,000: the top of the frame, far from its bottom (0).
      assert.ok(end.y < c.frame.bottom - (c.frame.bottom - c.frame.top) / 2, `${name} ends at y ${end.y}`);
    }
  });

  test('the time axis ends where the data ends', (t) => {
    const m = page(t);
    if (!m) return;
    for (const id of ['throughput', 'p99']) {
      const c = m.charts[id]!;
      for (const [name, end] of Object.entries(c.series)) {
        assert.ok(
          Math.abs(end.x - c.frame.right) < 1.5,
          `${id} ${name}: ends at x ${end.x}, frame right ${c.frame.right}`,
        );
      }
    }
    // The data ends at 10 s (the last full interval): its tick is the axis's last.
    const ticks = m.texts.filter((x) => /^\d+(\.\d+)?s$/.test(x.text)).map((x) => Number.parseFloat(x.text));
    assert.equal(Math.max(...ticks), 10);
  });

  test('every label is inside the picture, 99.999% included', (t) => {
    const m = page(t);
    if (!m) return;
    assert.ok(
      m.texts.some((x) => x.text === '99.999%'),
      m.texts.map((x) => x.text).join(' '),
    );
    for (const x of m.texts) {
      assert.ok(
        x.left >= 0 && x.right <= m.svg.width + 0.5,
        `"${x.text}" spans x ${x.left}..${x.right} of ${m.svg.width}`,
      );
      assert.ok(x.top >= 0 && x.bottom <= m.svg.height + 0.5, `"${x.text}" spans y ${x.top}..${x.bottom}`);
    }
  });

  test('one producer, one consumer, one group: singular', (t) => {
    const m = page(t);
    if (!m) return;
    assert.match(m.facts, /\b1 producer \(async\)/);
    assert.match(m.facts, /\b1 consumer × 1 group\b/);
    assert.doesNotMatch(m.facts, /\b1 (producers|consumers|groups)\b/);
  });
});
