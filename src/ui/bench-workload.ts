/**
 * The workload options in the bench report: their lines in the header (what was asked) and the
 * "Workload" section (what they did: sizes sent, keys used, lag, the rate profile's steps, the
 * backlog's build and drain). Pure functions of a BenchResult, as bench-report.ts.
 */
import type { ChalkInstance } from 'chalk';
import { describeSegment } from '../bench/profile.js';
import type { BenchParameters, BenchResult } from '../bench/result.js';
import { describeKeyDist, describeSizes } from '../bench/workload.js';
import { formatBytes } from '../core/util/units.js';

const int = (n: number): string => Math.round(n).toLocaleString('en-US');

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** The body, when it is not one --size: "bodies 1KiB..16KiB uniform (mean 8.5 KiB)". */
export function describeBodies(p: BenchParameters): string | undefined {
  if (p.payloadDir !== undefined) return `bodies from the files of ${p.payloadDir}`;
  if (p.sizes && p.sizes.kind !== 'fixed')
    return `bodies ${describeSizes(p.sizes)} (mean ${formatBytes(p.size)})`;
  return undefined;
}

/** Extra header lines for the workload options (empty when none was given). */
export function describeWorkloadOptions(p: BenchParameters): string[] {
  const lines: string[] = [];
  if (p.keyCount !== undefined) {
    lines.push(
      `${int(p.keyCount)} keys, ${describeKeyDist(p.keyDist ?? { kind: 'uniform' })}${p.type === 'fifo' ? '' : '; the key picks the queue'}`,
    );
  }
  if (p.rateProfile) {
    lines.push(
      `rate profile "${p.rateProfile.spec}": ${p.rateProfile.segments.map(describeSegment).join(', ')}${p.warmupMs > 0 ? ' (the warmup at its first rate)' : ''}`,
    );
  }
  if (p.consumeTimeMs !== undefined) {
    lines.push(`consumers take ${p.consumeTimeMs} ms per message, one message at a time each`);
  }
  if (p.backlog) {
    const target =
      p.backlog.bytes !== undefined ? formatBytes(p.backlog.bytes) : `${int(p.backlog.messages)} messages`;
    lines.push(
      `backlog: ${target} built with the consumers held, then they catch up while producers go on at ${int(p.rate ?? 0)} msg/s; measured until ${seconds(p.durationMs ?? 0)} after the catch-up (limit ${seconds(p.backlogTimeoutMs ?? 0)})`,
    );
  }
  return lines;
}

/** The "Workload" section, or nothing. `table` renders rows as the rest of the report does. */
export function renderWorkload(
  r: BenchResult,
  c: ChalkInstance,
  table: (head: string[], rows: string[][], align: ('left' | 'right')[]) => string,
): string[] {
  const w = r.workload;
  if (!w) return [];
  const out = [c.bold('Workload')];
  if (w.sizes) {
    out.push(
      `  sizes ${w.sizes.spec}: mean ${formatBytes(Math.round(w.sizes.mean))} asked, ${w.sizes.sentMean === null ? 'nothing sent' : `${formatBytes(Math.round(w.sizes.sentMean))} sent`} (${formatBytes(w.sizes.min)}..${formatBytes(w.sizes.max)})`,
    );
  }
  if (w.payloadDir) {
    const d = w.payloadDir;
    out.push(
      `  payload dir ${d.dir}: ${int(d.files)} files, ${formatBytes(d.bytes)} (${formatBytes(d.minSize)}..${formatBytes(d.maxSize)})`,
    );
  }
  if (w.keys) {
    out.push(
      `  keys ${int(w.keys.count)} ${w.keys.distribution}: ${int(w.keys.used)} used${w.keys.hottestShare === null ? '' : `, the most frequent took ${(w.keys.hottestShare * 100).toFixed(1)} % of the messages`}`,
    );
  }
  if (w.consumeTime) {
    const ct = w.consumeTime;
    out.push(
      `  consumers at ${ct.ms} ms per message: backlog max ${int(ct.maxBacklog)}, ${int(ct.endBacklog)} when sending stopped${ct.growthPerS === null ? '' : `, growing ${ct.growthPerS >= 0 ? '+' : ''}${int(ct.growthPerS)} msg/s`}`,
    );
  }
  if (w.backlog) {
    const b = w.backlog;
    out.push(
      b.built
        ? `  backlog built: ${int(b.builtMessages)} messages, ${formatBytes(b.builtBytes)} in ${seconds(b.buildMs ?? 0)}`
        : `  ${c.yellow('backlog not built')} (${int(b.builtMessages)} messages, ${formatBytes(b.builtBytes)} when the run ended)`,
    );
    if (b.catchUpMs !== null) {
      out.push(
        `  caught up ${seconds(b.catchUpMs)} after the release: drained at ${int(b.drainTps ?? 0)} msg/s per group, the backlog shrank at ${int(b.netDrainTps ?? 0)} msg/s`,
      );
    } else if (b.built) {
      out.push(`  ${c.yellow('the consumers did not catch up')}`);
    }
  }
  if (w.rateProfile && w.rateProfile.steps.length > 0) {
    out.push(`  rate profile "${w.rateProfile.spec}"`);
    out.push(
      table(
        ['step', 'from', 'length', 'target msg/s', 'due', 'sent', 'msg/s', 'achieved'],
        w.rateProfile.steps.map((s) => [
          String(s.index + 1),
          seconds(s.startMs),
          seconds(s.ms),
          s.from === s.to ? int(s.from) : `${int(s.from)} → ${int(s.to)}`,
          int(s.due),
          int(s.sent),
          int(s.tps),
          s.achieved === null ? '-' : `${(s.achieved * 100).toFixed(1)} %`,
        ]),
        ['right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
      ),
    );
  }
  out.push('');
  return out;
}
