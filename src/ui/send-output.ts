/**
 * What `rmq send` prints: a line per result (--output human), the stderr summary line, and the
 * writer that coalesces result lines to stdout with backpressure.
 */
import { once } from 'node:events';
import { asIs, type TextEscape } from '../services/message-record.js';
import type { SendSummary } from '../services/send/index.js';
import type { SendRecord } from '../services/send/loop.js';
import { stdoutColor } from './color.js';

/**
 * The `--output human` line of a result. `escape` gets each value that may come from the wire
 * or the input (ids, broker, error message); `paint` colours the status.
 */
export function formatResult(
  r: SendRecord,
  paint: (status: string) => string = (s) => s,
  escape: TextEscape = asIs,
): string {
  const status = paint(r.status.padEnd(8));
  if (r.status === 'FAILED') {
    return `${status} msgId=${escape(r.msgId)}  ${r.error?.kind ?? 'error'}: ${escape(r.error?.message ?? '')}`;
  }
  const parts = [`${status} msgId=${escape(r.msgId)}`];
  if (r.offsetMsgId) parts.push(`offsetMsgId=${escape(r.offsetMsgId)}`);
  if (r.brokerName) parts.push(`broker=${escape(r.brokerName)}`);
  if (r.queueId !== null) parts.push(`queue=${r.queueId}`);
  if (r.queueOffset !== null) parts.push(`offset=${r.queueOffset}`);
  if (r.transaction) parts.push(`transaction=${r.transaction}`);
  if (r.recallHandle) parts.push(`recallHandle=${escape(r.recallHandle)}`);
  parts.push(`latency=${r.latencyMs.toFixed(3)}ms`);
  return parts.join('  ');
}

/** The stderr summary line. */
export function formatSummary(s: SendSummary): string {
  const secs = s.elapsedMs / 1000;
  const time = secs >= 1 ? `${secs.toFixed(2)} s` : `${s.elapsedMs.toFixed(1)} ms`;
  let line = `sent ${s.sent}, failed ${s.failed} in ${time} (${s.rate.toFixed(1)} msg/s)`;
  if (s.transaction) {
    line += `; transaction ${s.transaction.action}, ${s.transaction.checksAnswered} check(s) answered`;
  }
  if (s.avoidedBrokers.length > 0) {
    line += `; brokers put aside after a failed or slow send: ${s.avoidedBrokers
      .map((b) => `${b.brokerName} (${b.times}×)`)
      .join(', ')}`;
  }
  if (s.interrupted) line += '; interrupted';
  return line;
}

/** Colours a result's status on stdout: SEND_OK green, FAILED red, the rest yellow. */
export function statusPainter(): (status: string) => string {
  const c = stdoutColor();
  return (s) => (s.startsWith('SEND_OK') ? c.green(s) : s.startsWith('FAILED') ? c.red(s) : c.yellow(s));
}

/**
 * Result lines to stdout, coalesced per event-loop turn: 100k results should not mean 100k
 * write calls, and a slow reader of stdout slows the sending down instead of filling memory.
 */
export class LineWriter {
  private buf: string[] = [];
  private scheduled = false;
  /** stdout was closed (`| head`): results are dropped, sending goes on. */
  private broken = false;

  constructor() {
    process.stdout.on('error', () => {
      this.broken = true;
    });
  }

  write(line: string): void {
    this.buf.push(line);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drainBuffer());
    }
  }

  ready(): Promise<void> | undefined {
    if (this.broken || !process.stdout.writableNeedDrain) return undefined;
    return once(process.stdout, 'drain').then(
      () => {},
      () => {},
    );
  }

  async flush(): Promise<void> {
    this.drainBuffer();
    await this.ready();
  }

  private drainBuffer(): void {
    this.scheduled = false;
    if (this.buf.length === 0 || this.broken) {
      this.buf = [];
      return;
    }
    const text = `${this.buf.join('\n')}\n`;
    this.buf = [];
    process.stdout.write(text);
  }
}
