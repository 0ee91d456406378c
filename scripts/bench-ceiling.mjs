#!/usr/bin/env node
// The instrument ceiling (`npm run bench:ceiling`): how fast `rmq bench` itself can go when the
// broker costs nothing. A null responder (name server + broker in one, acking every send at once)
// runs in a worker thread of this process; the built CLI runs as a child process against it, so
// its single JS thread is the thing measured.
//
//   1. unbatched closed loop, one producer: msg/s (goal ≥ 100,000 on one core)
//   2. open loop at a fixed 20,000 msg/s: send_raw p99, the tool's own overhead (goal < 200 µs)
//
// Usage: node scripts/bench-ceiling.mjs [--duration 10s] [--inflight 256] [--rate 20000] [--cpu-prof DIR]
// Needs `npm run build` first (it uses dist/).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startNullResponder } from './bench-null-responder.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

function runBench(port, extra, label, cpuProf) {
  const args = [
    ...(cpuProf ? ['--cpu-prof', '--cpu-prof-dir', cpuProf, '--cpu-prof-name', `${label}.cpuprofile`] : []),
    `${root}bin/run.js`,
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
      try {
        resolve(JSON.parse(out));
      } catch {
        reject(new Error(`${label}: exit ${code}\n${err}\n${out.slice(0, 2000)}`));
      }
    });
  });
}

function cpuPct(r) {
  const m = r.intervals.filter((i) => i.phase === 'measure');
  return m.length ? Math.round(m.reduce((a, i) => a + i.cpuPct, 0) / m.length) : 0;
}

async function main() {
  const duration = arg('duration', '10s');
  const inflight = arg('inflight', '256');
  const rate = arg('rate', '20000');
  const cpuProf = arg('cpu-prof', undefined);
  const { port, stop } = await startNullResponder();
  try {
    const max = await runBench(
      port,
      ['--duration', duration, '--warmup', '2s', '--inflight', inflight, '--size', '1k'],
      'closed-loop',
      cpuProf,
    );
    const fixed = await runBench(
      port,
      ['--duration', duration, '--warmup', '2s', '--rate', rate, '--precise', '--size', '1k'],
      'fixed-rate',
      cpuProf,
    );
    const us = (v) => (v === undefined ? '-' : `${v} µs`);
    process.stdout.write(
      [
        `null responder, 1 producer, 1 KiB, unbatched, ${duration} after 2 s warmup`,
        `closed loop (inflight ${inflight}): ${Math.round(max.throughput.send.tps).toLocaleString('en-US')} msg/s` +
          ` (goal ≥ 100,000), ${max.cpu.usPerMessage} µs CPU/msg, ${cpuPct(max)} % of a core,` +
          ` send p50 ${us(max.latency.send?.p50)} p99 ${us(max.latency.send?.p99)}`,
        `open loop at ${rate} msg/s: achieved ${Math.round(fixed.throughput.send.tps).toLocaleString('en-US')} msg/s,` +
          ` send_raw p50 ${us(fixed.latency.send_raw?.p50)} p99 ${us(fixed.latency.send_raw?.p99)} (goal < 200 µs),` +
          ` corrected p99 ${us(fixed.latency.send?.p99)}, ${cpuPct(fixed)} % of a core,` +
          ` event loop p99 ${fixed.eventLoop.p99Ms} ms`,
        ...[...max.warnings, ...fixed.warnings].map((w) => `! ${w}`),
        '',
      ].join('\n'),
    );
  } finally {
    await stop();
  }
}

await main();
