/**
 * Streaming file formats written while a bench runs, so a crash or Ctrl-C leaves what was
 * measured so far:
 *
 * --csv: one row per interval, the columns of CSV_COLUMNS; latencies in µs, rates per second,
 *   `errors` as `KEY=count;KEY=count`.
 *
 * --hdr-log: the HdrHistogram interval log format (v1.3), as Java's HistogramLogWriter writes it
 *   and HistogramLogProcessor / HdrHistogramVisualizer read it: one line per interval and
 *   histogram, tagged send | send_raw | e2e | delay. Values are µs; the Interval_Max column is ms.
 */
import { HistogramLogWriter } from 'hdr-histogram-js';
import type { Histogram } from './histogram.js';
import type { BenchInterval, HistogramName } from './result.js';

export const CSV_COLUMNS = [
  'index',
  'phase',
  'start_ms',
  'end_ms',
  'sent',
  'send_errors',
  'received',
  'send_tps',
  'receive_tps',
  'send_mbps',
  'receive_mbps',
  'backlog',
  'inflight',
  'queued',
  'send_p50_us',
  'send_p99_us',
  'send_max_us',
  'e2e_p50_us',
  'e2e_p99_us',
  'e2e_max_us',
  'event_loop_p99_ms',
  'event_loop_max_ms',
  'cpu_pct',
  'errors',
] as const;

export function csvHeader(): string {
  return `${CSV_COLUMNS.join(',')}\n`;
}

export function csvRow(i: BenchInterval): string {
  const errors = Object.entries(i.errors)
    .map(([k, v]) => `${k}=${v}`)
    .join(';');
  const cells: (string | number)[] = [
    i.index,
    i.phase,
    i.startMs,
    i.endMs,
    i.sent,
    i.sendErrors,
    i.received,
    i.sendTps,
    i.receiveTps,
    i.sendMBps,
    i.receiveMBps,
    i.backlog,
    i.inflight,
    i.queued,
    i.send?.p50 ?? '',
    i.send?.p99 ?? '',
    i.send?.max ?? '',
    i.e2e?.p50 ?? '',
    i.e2e?.p99 ?? '',
    i.e2e?.max ?? '',
    i.eventLoopP99Ms,
    i.eventLoopMaxMs,
    i.cpuPct,
    errors.includes(',') || errors.includes('"') ? `"${errors.replaceAll('"', '""')}"` : errors,
  ];
  return `${cells.join(',')}\n`;
}

/** Writes an HdrHistogram interval log through `write`. */
export class HdrLog {
  private readonly writer: HistogramLogWriter;

  constructor(
    write: (s: string) => void,
    private readonly startUs: number,
    comment?: string,
  ) {
    this.writer = new HistogramLogWriter(write);
    this.writer.outputLogFormatVersion();
    if (comment) this.writer.outputComment(comment);
    this.writer.outputComment('[values are microseconds; Interval_Max is milliseconds]');
    this.writer.outputStartTime(startUs / 1000);
    this.writer.outputLegend();
  }

  /** One line per non-empty histogram of the interval [startUs, endUs). */
  interval(histograms: Record<HistogramName, Histogram>, startUs: number, endUs: number): void {
    for (const [name, h] of Object.entries(histograms) as [HistogramName, Histogram][]) {
      if (h.totalCount === 0) continue;
      h.tag = name;
      this.writer.outputIntervalHistogram(
        h,
        (startUs - this.startUs) / 1e6,
        (endUs - this.startUs) / 1e6,
        1000,
      );
    }
  }
}
