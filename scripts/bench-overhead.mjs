#!/usr/bin/env node
// Tool overhead (`npm run bench:overhead`): the latency `rmq bench` itself adds at a fixed rate.
// The built CLI runs `bench --rate 20000 --precise` as a child process against the null responder
// (a fake broker in a worker thread of this process that answers every send at once), so
// send_raw — from the moment a request left to its reply — is the tool's own time plus a
// loopback round trip. Goal: send_raw p99 < 200 µs at 20,000 msg/s.
//
// The null responder runs in a worker thread of this script, not in the measured process: its
// CPU and garbage are not rmq's. Beside rmq, each run measures the reference client open loop
// (scripts/bench-reference-client.mjs --rate: pre-encoded frames, the same schedule and the same
// pacer, nothing decoded) — its send→reply p99 is what any Node client reaches on this machine
// under this load, and rmq's p99 is also given as a ratio to it.
//
// One run says little on a shared machine, so it runs several and prints each and their spread.
// The sides alternate ABBA (R A A R R A …; with a baseline R A B B A R …) so a drift in machine
// load falls on all alike. `--baseline DIR` adds the build of another checkout, the same method,
// to compare two versions under the same machine load.
// `--gc` adds --trace-gc to the child and reports how often the young generation was scavenged,
// the pauses, and the heap allocated per message.
//
// Usage: node scripts/bench-overhead.mjs [--runs 5] [--duration 10s] [--warmup 2s] [--rate 20000]
//          [--baseline DIR] [--gc] [--coarse] [--no-reference]
//   --coarse   without --precise (Node's 1 ms timers pace the sends; the reference likewise)
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
  runReference,
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
const reference = !has('no-reference');

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
  const side = (name, cliRoot) => ({ name, cliRoot, p99: [], p50: [], rate: [] });
  const sides = [];
  if (reference) sides.push(side('reference'));
  sides.push(side('this', root));
  if (baseline) sides.push(side('baseline', baseline));
  /** rmq's p99 over the reference's in the same run, per run. */
  const ratios = { this: [], baseline: [] };
  try {
    for (let i = 0; i < runs; i++) {
      // ABBA: the order reverses every run, so a drift in machine load falls on all sides alike.
      const order = i % 2 === 0 ? sides : [...sides].reverse();
      const p99s = {};
      for (const side of order) {
        if (side.name === 'reference') {
          const r = await runReference(port, [
            '--duration',
            duration,
            '--warmup',
            warmup,
            '--rate',
            rate,
            ...(precise ? [] : ['--coarse']),
          ]);
          side.p99.push(r.rawUs.p99 ?? NaN);
          side.p50.push(r.rawUs.p50 ?? NaN);
          side.rate.push(r.tps);
          p99s.reference = r.rawUs.p99;
          process.stdout.write(
            `run ${i + 1} reference: ${thousands(r.tps)} msg/s, send→reply p50 ${us(r.rawUs.p50)}` +
              ` p99 ${us(r.rawUs.p99)} p99.9 ${us(r.rawUs.p999)}, ${r.cpuPct} % of a core,` +
              ` event loop p99 ${r.eventLoopP99Ms} ms; load ${loadAvg()}\n`,
          );
          continue;
        }
        const r = await runBench(port, extra, side.name, {
          cliRoot: side.cliRoot,
          nodeArgs,
          gcWindowMs: measureMs * 0.9,
        });
        side.p99.push(r.latency.send_raw?.p99 ?? NaN);
        side.p50.push(r.latency.send_raw?.p50 ?? NaN);
        side.rate.push(r.throughput.send.tps);
        p99s[side.name] = r.latency.send_raw?.p99;
        process.stdout.write(`${line(`run ${i + 1} ${side.name}`, r)}\n`);
      }
      for (const name of ['this', 'baseline'])
        if (p99s[name] !== undefined && p99s.reference) ratios[name].push(p99s[name] / p99s.reference);
    }
  } finally {
    await stop();
  }
  for (const side of sides) {
    const ratio = ratios[side.name]?.length
      ? `, ${spread(ratios[side.name], (x) => `${x.toFixed(1)}×`)} the reference's`
      : '';
    process.stdout.write(
      `${side.name}: send_raw p99 ${spread(side.p99, (x) => `${x} µs`)} (goal < 200 µs)${ratio},` +
        ` p50 ${spread(side.p50, (x) => `${x} µs`)}, achieved ${spread(side.rate, thousands)} msg/s` +
        ` of ${thousands(Number(rate))} — median (min–max) of ${side.p99.length}\n`,
    );
  }
  process.stdout.write(`calibration loop ${calibrationMs()} ms; load average ${loadAvg()} at the end\n`);
}

await main();
