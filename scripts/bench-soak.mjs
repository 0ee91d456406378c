#!/usr/bin/env node
// Soak (`npm run bench:soak`): `rmq bench` at a fixed rate for a long time, watching its memory.
// Goal: 10 minutes at 10,000 msg/s with RSS ≤ 200 MB and < 10 % growth after the first minute,
// while it really sends at that rate: the achieved rate within 1 % of the target and no send
// errors (a tool that falls behind or fails sends holds less in memory, and would pass on RSS).
// The bench runs as a child process; its RSS is read from /proc every 5 s.
//
// Usage: node scripts/bench-soak.mjs [-n namesrv] [--duration 10m] [--rate 10000] [--null] [--verify]
//   --null   against the in-process null responder instead of a broker (the tool alone)
//   without -n/--null, the name server comes from RMQ_NAMESRV or NAMESRV_ADDR, else 127.0.0.1:9876
// Needs `npm run build` first.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startNullResponder } from './bench-null-responder.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const has = (name) => process.argv.includes(name);

function parseMs(s) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s);
  if (!m) throw new Error(`bad duration ${s}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 'ms'];
}

function rssMiB(pid) {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('VmRSS:'));
    return line ? Number(line.split(/\s+/)[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

const duration = arg('--duration', '10m');
const rate = arg('--rate', '10000');
const durationMs = parseMs(duration);
let namesrv = arg('-n', process.env.RMQ_NAMESRV || process.env.NAMESRV_ADDR || '127.0.0.1:9876');
let responder;
if (has('--null')) {
  responder = await startNullResponder();
  namesrv = `127.0.0.1:${responder.port}`;
}
const args = [
  `${root}bin/run.js`,
  'bench',
  '-n',
  namesrv,
  '--rate',
  rate,
  '--duration',
  duration,
  '--interval',
  '5s',
  '--json',
  ...(has('--null') ? ['--topic', 'null_topic', '--group', 'null_group', '--consumers', '0'] : []),
  ...(has('--verify') ? ['--verify'] : []),
];
const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
let out = '';
child.stdout.on('data', (d) => {
  out += d;
});
const started = Date.now();
const samples = [];
const timer = setInterval(() => {
  const mib = rssMiB(child.pid);
  if (mib === undefined) return;
  samples.push({ s: (Date.now() - started) / 1000, mib });
  process.stderr.write(
    `${((Date.now() - started) / 1000).toFixed(0).padStart(5)} s  RSS ${mib.toFixed(1)} MiB\n`,
  );
}, 5000);
const code = await new Promise((r) => child.on('close', r));
clearInterval(timer);
await responder?.stop();

let result;
try {
  result = JSON.parse(out);
} catch {
  process.stderr.write(`bench exited ${code} without a result\n`);
  process.exit(1);
}
const max = Math.max(...samples.map((x) => x.mib));
// Growth after the first minute (or the first sixth of a short run).
const settleS = Math.min(60, durationMs / 6000);
const after = samples.filter((x) => x.s >= settleS - 0.5);
const base = after[0]?.mib ?? samples[0]?.mib ?? 0;
const last = samples.at(-1)?.mib ?? 0;
const growth = base > 0 ? (last - base) / base : 0;
const target = Number(rate);
const achieved = result.throughput.send.tps;
const rateOff = Math.abs(achieved - target) / target;
const errors = result.totals.sendErrors;
const checks = [
  ['RSS max ≤ 200 MiB', max <= 200],
  ['RSS growth < 10 %', growth < 0.1],
  ['rate within 1 %', rateOff <= 0.01],
  ['no send errors', errors === 0],
];
const failed = checks.filter(([, ok]) => !ok).map(([what]) => what);
process.stdout.write(
  [
    `soak: ${duration} at ${rate} msg/s against ${has('--null') ? 'the null responder' : namesrv}`,
    `achieved ${achieved} msg/s (${(rateOff * 100).toFixed(2)} % off, goal ≤ 1 %), ${result.totals.sent} sent, ${errors} errors (goal 0), ${result.totals.unsent} unsent, send p99 ${result.latency.send?.p99 ?? '-'} µs`,
    `RSS max ${max.toFixed(1)} MiB (goal ≤ 200), after ${settleS} s: ${base.toFixed(1)} → ${last.toFixed(1)} MiB, growth ${(growth * 100).toFixed(1)} % (goal < 10 %)`,
    `verdict: ${failed.length === 0 ? 'PASS' : `FAIL (${failed.join(', ')})`}`,
    '',
  ].join('\n'),
);
process.exitCode = failed.length === 0 ? 0 : 1;
