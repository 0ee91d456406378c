/**
 * The measure window per broker: messages acknowledged and failed, and the corrected send
 * latency, for "which broker is slow". Histograms travel encoded in the result, so results of
 * worker threads or hosts merge into exact per-broker quantiles as the totals do.
 */
import { decodeHistogram, encodeHistogram, type Histogram, newHistogram, summarize } from './histogram.js';
import type { BenchResult, BrokerBreakdown } from './result.js';

/** Sends whose broker the port did not name. */
export const UNKNOWN_BROKER = '(unknown)';

export interface BrokerTally {
  sent: number;
  errors: number;
  send: Histogram;
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

/** The result's rows, busiest first. */
export function brokerRows(tallies: ReadonlyMap<string, BrokerTally>, measureS: number): BrokerBreakdown[] {
  let all = 0;
  for (const t of tallies.values()) all += t.sent;
  return [...tallies]
    .map(([brokerName, t]) => ({
      brokerName,
      sent: t.sent,
      sendErrors: t.errors,
      tps: measureS > 0 ? round1(t.sent / measureS) : 0,
      share: all > 0 ? Math.round((t.sent / all) * 1000) / 1000 : 0,
      send: summarize(t.send) ?? null,
      histogram: t.send.totalCount > 0 ? encodeHistogram(t.send) : null,
    }))
    .sort((a, b) => b.sent - a.sent || (a.brokerName < b.brokerName ? -1 : 1));
}

/** Several results' rows, summed per broker (histograms added); undefined when none has any. */
export function mergeBrokerRows(results: BenchResult[], measureS: number): BrokerBreakdown[] | undefined {
  // A Map: broker names come from result files, and "constructor" must not find a built-in.
  const tallies = new Map<string, BrokerTally>();
  for (const r of results) {
    for (const row of r.brokers ?? []) {
      let t = tallies.get(row.brokerName);
      if (!t) {
        t = { sent: 0, errors: 0, send: newHistogram() };
        tallies.set(row.brokerName, t);
      }
      t.sent += row.sent;
      t.errors += row.sendErrors;
      if (row.histogram) t.send.add(decodeHistogram(row.histogram));
    }
  }
  return tallies.size > 0 ? brokerRows(tallies, measureS) : undefined;
}
