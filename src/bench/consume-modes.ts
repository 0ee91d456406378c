/**
 * End-to-end latency per consume mode, for a run whose groups consume different ways
 * (`--consume-mode pull,pop`): the two ways measured against the same producers, broker and
 * moment. Histograms travel encoded, so worker and host results merge exactly, as brokers.ts.
 */
import { decodeHistogram, encodeHistogram, type Histogram, newHistogram, summarize } from './histogram.js';
import type { BenchResult, ConsumeMode, ConsumeModeBreakdown } from './result.js';

export interface ModeTally {
  groups: Set<string>;
  received: number;
  e2e: Histogram;
}

export function newModeTally(): ModeTally {
  return { groups: new Set(), received: 0, e2e: newHistogram() };
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

export function modeRows(
  tallies: ReadonlyMap<ConsumeMode, ModeTally>,
  measureS: number,
): ConsumeModeBreakdown[] {
  return [...tallies]
    .map(([mode, t]) => ({
      mode,
      groups: [...t.groups].sort(),
      received: t.received,
      rtps: measureS > 0 ? round1(t.received / measureS) : 0,
      e2e: summarize(t.e2e) ?? null,
      histogram: t.e2e.totalCount > 0 ? encodeHistogram(t.e2e) : null,
    }))
    .sort((a, b) => (a.mode < b.mode ? 1 : -1));
}

/** Several results' rows, summed per mode; undefined when none has any. */
export function mergeModeRows(results: BenchResult[], measureS: number): ConsumeModeBreakdown[] | undefined {
  const tallies = new Map<ConsumeMode, ModeTally>();
  for (const r of results) {
    for (const row of r.consumeModes ?? []) {
      if (row.mode !== 'pull' && row.mode !== 'pop') continue;
      let t = tallies.get(row.mode);
      if (!t) tallies.set(row.mode, (t = newModeTally()));
      for (const g of row.groups) t.groups.add(g);
      t.received += row.received;
      if (row.histogram) t.e2e.add(decodeHistogram(row.histogram));
    }
  }
  return tallies.size > 0 ? modeRows(tallies, measureS) : undefined;
}
