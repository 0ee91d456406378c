#!/usr/bin/env node
// Tool overhead (`npm run bench:overhead`): the latency `rmq bench` itself adds at a fixed rate.
// The built CLI runs `bench --rate 20000 --precise` as a child process against the null responder
// (a fake broker in a worker thread of this process that answers every send at once), so
// send_raw — from the moment a request left to its reply — is the tool's own time plus a
// loopback round trip. Goal: send_raw p99 < 200 µs at 20,000 msg/s.
//
// One run says little on a shared machine, so it runs several and prints each and their spread.
// `--baseline DIR` alternates with the build of another checkout (ABBA: B A A B B A …), the same
// method both sides, to compare two versions under the same machine load.
// `--gc` adds --trace-gc to the child and reports how often the young generation was scavenged,
// the pauses, and the heap allocated per message.
//
// Usage: node scripts/bench-overhead.mjs [--runs 5] [--duration 10s] [--warmup 2s] [--rate 20000]
//          [--baseline DIR] [--gc] [--coarse]
//   --coarse   without --precise (Node's 1 ms timers pace the sends)
// Needs `npm run build` first (it uses dist/; a baseline checkout needs its own build).
import {
  arg,
  calibrationMs,
  cpuModel,
  cpuPct,
  has,
  loadAvg,
  root,
  runBench,
  spread,
  thousands,
} from './bench-common.mjs';
import { startNullResponder } from './bench-null-responder.mjs';

const runs = Number(arg('runs', '5'));
const duration = arg('duration', '10s');
const warmup = arg('warmup', '2s');
const rate = arg('rate', '20000');
const baseline = arg('baseline', undefined)?.replace(/\/?$/, '/');
const gc = has('gc');
const precise = !has('coarse');

const durationMs = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(duration);
const measureMs = durationMs
  ? Number(durationMs[1]) * { ms: 1, s: 1000, m: 60_000 }[durationMs[2] ?? 's']
  : 0;

const us = (v) => (v === undefined ? '-' : `${v} µs`);

function line(label, r) {
  const raw = r.latency.send_raw;
  const g = r.gc;
  const gcText = g
    ? `, scavenge every ${g.intervalMs === undefined ? '-' : `${Math.round(g.intervalMs)} ms`}` +
      ` (mean ${g.meanPauseMs.toFixed(2)} ms, max ${g.maxPauseMs.toFixed(2)} ms),` +
      ` ${g.mbPerS === undefined ? '-' : ((g.mbPerS * 1024) / r.throughput.send.tps).toFixed(2)} KB allocated/msg`
    : '';
  return (
    `${label}: ${thousands(r.throughput.send.tps)} msg/s, send_raw p50 ${us(raw?.p50)} p99 ${us(raw?.p99)}` +
    ` p99.9 ${us(raw?.p999)}, corrected p99 ${us(r.latency.send?.p99)}, ${cpuPct(r)} % of a core,` +
    ` event loop p99 ${r.eventLoop.p99Ms} ms${gcText}; load ${loadAvg()}` +
    r.warnings.map((w) => `\n    ! ${w}`).join('')
  );
}

async function main() {
  const extra = [
    '--duration',
    duration,
    '--warmup',
    warmup,
    '--rate',
    rate,
    ...(precise ? ['--precise'] : []),
    '--size',
    '1k',
  ];
  const nodeArgs = gc ? ['--trace-gc'] : [];
  process.stdout.write(
    `tool overhead: rmq bench ${extra.join(' ')} against the null responder, ${runs} run(s)` +
      `${baseline ? ` each of this checkout and ${baseline}, alternated ABBA` : ''}\n` +
      `CPU: ${cpuModel()}; calibration loop ${calibrationMs()} ms; load average ${loadAvg()}\n`,
  );
  const { port, stop } = await startNullResponder();
  const sides = [{ name: 'this', cliRoot: root, p99: [], p50: [], rate: [] }];
  if (baseline) sides.push({ name: 'baseline', cliRoot: baseline, p99: [], p50: [], rate: [] });
  try {
    for (let i = 0; i < runs; i++) {
      // ABBA: the order flips every run, so a drift in machine load falls on both sides alike.
      const order = sides.length === 2 && i % 2 === 0 ? [sides[1], sides[0]] : sides;
      for (const side of order) {
        const r = await runBench(port, extra, side.name, {
          cliRoot: side.cliRoot,
          nodeArgs,
          gcWindowMs: measureMs * 0.9,
        });
        side.p99.push(r.latency.send_raw?.p99 ?? NaN);
        side.p50.push(r.latency.send_raw?.p50 ?? NaN);
        side.rate.push(r.throughput.send.tps);
        process.stdout.write(`${line(`run ${i + 1} ${side.name}`, r)}\n`);
      }
    }
  } finally {
    await stop();
  }
  for (const side of sides) {
    process.stdout.write(
      `${side.name}: send_raw p99 ${spread(side.p99, (x) => `${x} µs`)} (goal < 200 µs),` +
        ` p50 ${spread(side.p50, (x) => `${x} µs`)}, achieved ${spread(side.rate, thousands)} msg/s` +
        ` of ${thousands(Number(rate))} — median (min–max) of ${side.p99.length}\n`,
    );
  }
  process.stdout.write(`calibration loop ${calibrationMs()} ms; load average ${loadAvg()} at the end\n`);
}

await main();
