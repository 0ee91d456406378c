/**
 * The `rmq smoke` report, k6-style: one ✓/✗ line per check, the latencies, each --slo threshold
 * with its measured value, and a verdict. Pure: (result, {color}) → string.
 */
import { Chalk } from 'chalk';
import type { LatencySummary } from '../bench/result.js';
import type { SmokeResult } from '../services/smoke/model.js';
import { formatDuration } from './trace-view.js';

const us = (v: number | null): string => (v === null ? 'not measured' : formatDuration(v / 1000));

function latencyLine(name: string, l: LatencySummary | null): string | undefined {
  if (!l) return undefined;
  return `${name} p50 ${us(l.p50)} p99 ${us(l.p99)} max ${us(l.max)}`;
}

/** @example process.stdout.write(renderSmokeReport(result, { color: true })) */
export function renderSmokeReport(r: SmokeResult, options: { color: boolean }): string {
  const c = new Chalk({ level: options.color ? 1 : 0 });
  const out: string[] = [];
  out.push(
    c.bold(`rmq smoke`) +
      c.dim(
        `  ${r.namesrv.join(';')}  topic ${r.topic}${r.topicCreated ? ' (temporary)' : ''}  group ${r.group}`,
      ),
  );
  const width = Math.max(0, ...r.checks.map((x) => x.name.length));
  for (const x of r.checks) {
    out.push(
      `  ${x.ok ? c.green('✓') : c.red('✗')} ${x.name.padEnd(width)}  ${x.ok ? x.detail : c.red(x.detail)}`,
    );
  }
  const lat = [
    latencyLine('send', r.latency.send),
    latencyLine('e2e', r.latency.e2e),
    latencyLine('delay lateness', r.latency.delay),
  ].filter((x): x is string => x !== undefined);
  if (lat.length > 0) out.push(c.dim(`  latency  ${lat.join(' · ')}`));
  for (const s of r.slo) {
    const latency = !['errors', 'lost', 'duplicates', 'reordered'].includes(s.metric);
    const actual = latency ? us(s.actual) : s.actual === null ? 'not measured' : String(s.actual);
    out.push(`  ${s.pass ? c.green('✓') : c.red('✗')} slo ${s.expr}  ${c.dim(`actual ${actual}`)}`);
  }
  const verdict =
    r.status === 'passed'
      ? c.green.bold('PASSED')
      : r.status === 'slo-failed'
        ? c.red.bold('FAILED (SLO)')
        : r.status === 'interrupted'
          ? c.yellow.bold('INTERRUPTED')
          : c.red.bold('FAILED');
  out.push(`${verdict} in ${formatDuration(r.elapsedMs)}`);
  return `${out.join('\n')}\n`;
}
