// Shared by the instrument benchmarks (bench-ceiling, bench-overhead): running the built CLI's
// `bench` and the reference client against the null responder as child processes, the machine's
// description (CPU model, load, a calibration loop), the young-generation GC figures of a run,
// and spread statistics.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));

export function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

export const has = (name) => process.argv.includes(`--${name}`);

/** /proc/cpuinfo's model name (what an absolute figure is a property of), and the core count. */
export function cpuModel() {
  let model = os.cpus()[0]?.model ?? 'unknown CPU';
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) model = line.slice(line.indexOf(':') + 1).trim();
  } catch {
    // not Linux: os.cpus() it is
  }
  return `${model}, ${os.cpus().length} cores`;
}

export const loadAvg = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

/**
 * A fixed amount of integer and floating-point work, timed (ms): a calibration figure printed
 * beside absolute rates, so a figure from a slower or busier machine can be recognised as such.
 */
export function calibrationMs() {
  const t = performance.now();
  let x = 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < 50_000_000; i++) {
    h = Math.imul(h ^ i, 0x01000193);
    x += Math.sqrt(i & 1023);
  }
  if (x < 0 || h === 0.5) process.stdout.write(''); // keeps the loop from being optimised away
  return Math.round(performance.now() - t);
}

/** Lines that --trace-gc prints (`[pid:0x…]  123 ms: Scavenge …`). */
const GC_LINE = /^\[\d+:0x[0-9a-f]+\]/;

/**
 * Young-generation figures from --trace-gc lines, over the collections of the last `windowMs`
 * (the steady state, not start-up): scavenges, their pauses, the mean time between them, and the
 * heap allocated between collections (growth from one collection's end to the next one's start).
 */
export function gcStats(lines, windowMs = Infinity) {
  const events = [];
  for (const l of lines) {
    const m =
      /\s([\d.]+) ms: (Scavenge|Mark-Compact|Mark-sweep|Minor Mark-Compact)[^\d]*([\d.]+) \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB, (?:pooled: [\d.]+ MB, )?([\d.]+) \/ [\d.]+ ms/.exec(
        l,
      );
    if (m)
      events.push({
        at: Number(m[1]),
        kind: m[2],
        before: Number(m[3]),
        after: Number(m[4]),
        ms: Number(m[5]),
      });
  }
  const end = events.at(-1)?.at ?? 0;
  let scavenges = 0;
  let pauseMs = 0;
  let maxPauseMs = 0;
  let allocatedMB = 0;
  let first;
  for (let i = 1; i < events.length; i++) {
    const e = events[i];
    if (e.at < end - windowMs) continue;
    first ??= events[i - 1].at;
    allocatedMB += Math.max(0, e.before - events[i - 1].after);
    if (e.kind === 'Scavenge') {
      scavenges++;
      pauseMs += e.ms;
      maxPauseMs = Math.max(maxPauseMs, e.ms);
    }
  }
  const spanMs = first === undefined ? 0 : end - first;
  return {
    scavenges,
    meanPauseMs: scavenges ? pauseMs / scavenges : 0,
    maxPauseMs,
    /** mean time between scavenges */
    intervalMs: scavenges ? spanMs / scavenges : undefined,
    allocatedMB,
    /** MB allocated per second of the window */
    mbPerS: spanMs > 0 ? allocatedMB / (spanMs / 1000) : undefined,
  };
}

/**
 * Runs `rmq bench --json` (from the checkout at `cliRoot`) against the null responder on `port`.
 * Resolves with the parsed result, plus `gc` (gcStats over the last `gcWindowMs`) when `nodeArgs`
 * include --trace-gc.
 */
export function runBench(port, extra, label, { cliRoot = root, nodeArgs = [], gcWindowMs } = {}) {
  const args = [
    ...nodeArgs,
    `${cliRoot}bin/run.js`,
    'bench',
    '-n',
    `127.0.0.1:${port}`,
    '--topic',
    'null_topic',
    '--group',
    'null_group',
    '--consumers',
    '0',
    '--json',
    ...extra,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('close', (code) => {
      const lines = out.split('\n');
      const gcLines = lines.filter((l) => GC_LINE.test(l));
      try {
        const result = JSON.parse(lines.filter((l) => !GC_LINE.test(l)).join('\n'));
        if (gcLines.length > 0) result.gc = gcStats(gcLines, gcWindowMs);
        resolve(result);
      } catch {
        reject(new Error(`${label}: exit ${code}\n${err}\n${out.slice(0, 2000)}`));
      }
    });
  });
}

/**
 * Runs scripts/bench-reference-client.mjs (of this checkout) against the null responder on
 * `port` with `extra` arguments, 1 KiB messages; resolves with its JSON line.
 */
export function runReference(port, extra) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [
      `${root}scripts/bench-reference-client.mjs`,
      '--port',
      String(port),
      '--size',
      '1024',
      ...extra,
    ]);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('close', (code) => {
      try {
        resolve(JSON.parse(out));
      } catch {
        reject(new Error(`reference client: exit ${code}\n${err}\n${out}`));
      }
    });
  });
}

/** Mean CPU % of a core over the measure window's intervals. */
export function cpuPct(r) {
  const m = r.intervals.filter((i) => i.phase === 'measure');
  return m.length ? Math.round(m.reduce((a, i) => a + i.cpuPct, 0) / m.length) : 0;
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/** `median (min–max)` of a list (runs without a figure left out), with a formatter for each number. */
export function spread(all, fmt = (x) => String(x)) {
  const xs = all.filter(Number.isFinite);
  if (xs.length === 0) return '-';
  return `${fmt(median(xs))} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`;
}

export const thousands = (x) => Math.round(x).toLocaleString('en-US');
