/**
 * Latency histograms: HdrHistogram with an explicit range (1 µs .. 60 s) and precision
 * (3 significant digits, so any quantile is within 0.1 %), pure JS so histograms from
 * workers and files can be added to each other (the WASM ones refuse JS operands).
 */
import {
  build,
  decodeFromCompressedBase64,
  encodeIntoCompressedBase64,
  type Histogram,
} from 'hdr-histogram-js';
import type { IntervalLatency, LatencySummary } from './result.js';

export type { Histogram };

export const LOWEST_US = 1;
export const HIGHEST_US = 60_000_000;
export const SIGNIFICANT_DIGITS = 3;

export function newHistogram(): Histogram {
  return build({
    lowestDiscernibleValue: LOWEST_US,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: SIGNIFICANT_DIGITS,
    autoResize: false,
    useWebAssembly: false,
    bitBucketSize: 64,
  });
}

/**
 * Records a value in µs; returns false when it was above the range and recorded as the top
 * of the range instead (a 61 s stall must still count, and the caller reports it).
 */
export function recordUs(h: Histogram, us: number): boolean {
  const v = us <= 0 ? 0 : Math.round(us);
  if (v > HIGHEST_US) {
    h.recordValue(HIGHEST_US);
    return false;
  }
  h.recordValue(v);
  return true;
}

export function summarize(h: Histogram): LatencySummary | undefined {
  if (h.totalCount === 0) return undefined;
  return {
    count: h.totalCount,
    min: h.minNonZeroValue === Number.MAX_SAFE_INTEGER ? 0 : Math.min(h.minNonZeroValue, h.maxValue),
    mean: round1(h.mean),
    stdev: round1(h.stdDeviation),
    p50: h.getValueAtPercentile(50),
    p90: h.getValueAtPercentile(90),
    p99: h.getValueAtPercentile(99),
    p999: h.getValueAtPercentile(99.9),
    p9999: h.getValueAtPercentile(99.99),
    max: h.maxValue,
  };
}

export function intervalLatency(h: Histogram): IntervalLatency | null {
  if (h.totalCount === 0) return null;
  return { p50: h.getValueAtPercentile(50), p99: h.getValueAtPercentile(99), max: h.maxValue };
}

export function encodeHistogram(h: Histogram): string {
  return encodeIntoCompressedBase64(h);
}

export function decodeHistogram(base64: string): Histogram {
  const decoded = decodeFromCompressedBase64(base64, 64, false);
  // Re-home into our range so decoded histograms can be added to fresh ones.
  const h = newHistogram();
  h.add(decoded);
  return h;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
