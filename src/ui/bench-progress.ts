/**
 * The live lines of `rmq bench` on stderr, as a subscriber to the run's events (the way
 * autocannon's progress tracker subscribes to its instance): set-up texts and one line per
 * interval on the spinner of a terminal, a log line per interval otherwise, nothing under --json
 * (notes excepted, which the command already keeps off --json output).
 */
import type { EventEmitter } from 'node:events';
import type { BenchParameters } from '../bench/result.js';
import type { BenchEvents } from '../services/bench/model.js';
import { renderTick } from './bench-report.js';
import { describeBodies, describeWorkloadOptions } from './bench-workload.js';
import { stderrColor } from './color.js';
import type { Progress } from './progress.js';

export interface BenchProgressOptions {
  progress: Progress;
  json: boolean;
  /** prints a note on stderr */
  note: (text: string) => void;
}

export function trackBench(events: EventEmitter<BenchEvents>, o: BenchProgressOptions): void {
  const color = stderrColor().level > 0;
  const tty = Boolean(process.stderr.isTTY) && !o.json;
  let params: BenchParameters | undefined;
  // A spinner line on a terminal; a log line otherwise.
  const line = (text: string) => {
    if (tty) o.progress.update(text);
    else process.stderr.write(`${text}\n`);
  };
  events.on('setup', (text) => o.progress.update(text));
  events.on('start', (e) => {
    params = e.parameters;
    // The workload options at the top of the live lines, as in the final report's header.
    if (!o.json) {
      const body = describeBodies(params);
      for (const l of [...(body ? [body] : []), ...describeWorkloadOptions(params)]) line(l);
    }
  });
  events.on('step', (step, rate) => {
    if (!o.json) line(`step ${step}: ${rate.toLocaleString('en-US')} msg/s`);
  });
  events.on('tick', (e) => {
    if (!o.json && params) line(renderTick(e.interval, params, { color }));
  });
  events.on('note', (text) => {
    if (tty) o.progress.stop();
    o.note(text);
  });
}
