#!/usr/bin/env node
// The instrument ceiling (`npm run bench:ceiling`): how fast `rmq bench` itself can go when the
// broker costs nothing. A null responder (name server + broker in one, acking every send at once)
// runs in a worker thread of this process; the built CLI runs as a child process against it, so
// its single JS thread is the thing measured.
//
// An absolute rate is a property of the machine (and of whatever else runs on it), so the
// closed-loop figure is reported as a ratio to a reference measured in the same run against the
// same responder: scripts/bench-reference-client.mjs, a client that writes pre-encoded frames and
// only counts the replies (the most any Node client can do there). rmq and the reference
// alternate ABBA (R A A R R A …) so a drift in machine load falls on both alike.
//
//   1. unbatched closed loop, one producer: msg/s as a ratio to the reference, with both
//      absolute figures, the CPU model and a calibration loop's time beside them
//   2. open loop at a fixed 20,000 msg/s, once: send_raw p99, the tool's own overhead
//      (goal < 200 µs; `npm run bench:overhead` repeats it and gives the spread)
//
// Usage: node scripts/bench-ceiling.mjs [--runs 3] [--duration 10s] [--inflight 256] [--rate 20000]
//          [--cpu-prof DIR] [--no-open-loop]
//   --runs N   N runs of each (rmq and the reference)
// Needs `npm run build` first (it uses dist/).
import {
  arg,
  calibrationMs,
  cpuModel,
  cpuPct,
  has,
  loadAvg,
  runBench,
  runReference,
  spread,
  thousands,
} from './bench-common.mjs';
import { startNullResponder } from './bench-null-responder.mjs';

async function main() {
  const runs = Number(arg('runs', '3'));
  const duration = arg('duration', '10s');
  const inflight = arg('inflight', '256');
  const rate = arg('rate', '20000');
  const cpuProf = arg('cpu-prof', undefined);
  const profArgs = (label) =>
    cpuProf ? ['--cpu-prof', '--cpu-prof-dir', cpuProf, '--cpu-prof-name', `${label}.cpuprofile`] : [];
  const us = (v) => (v === undefined ? '-' : `${v} µs`);
  const out = (s) => process.stdout.write(`${s}\n`);
  out(
    `null responder, 1 producer, 1 KiB, unbatched, ${duration} after 2 s warmup; ${runs} run(s) each of rmq and the reference, ABBA`,
  );
  out(`CPU: ${cpuModel()}; calibration loop ${calibrationMs()} ms; load average ${loadAvg()}`);
  const { port, stop } = await startNullResponder();
  const ratios = [];
  const cpuRatios = [];
  const rmqTps = [];
  const refTps = [];
  const rmqCpu = [];
  const refCpu = [];
  const warnings = new Set();
  try {
    for (let i = 0; i < runs; i++) {
      const pair = {};
      // R A, then A R: each pair's two runs are adjacent, and the order alternates.
      for (const side of i % 2 === 0 ? ['ref', 'rmq'] : ['rmq', 'ref']) {
        if (side === 'ref') {
          pair.ref = await runReference(port, [
            '--duration',
            duration,
            '--warmup',
            '2s',
            '--inflight',
            inflight,
          ]);
          out(
            `run ${i + 1} reference: ${thousands(pair.ref.tps)} msg/s, ${pair.ref.usPerMessage} µs CPU/msg; load ${loadAvg()}`,
          );
        } else {
          const r = await runBench(
            port,
            ['--duration', duration, '--warmup', '2s', '--inflight', inflight, '--size', '1k'],
            'closed-loop',
            { nodeArgs: profArgs(`closed-loop-${i + 1}`) },
          );
          pair.rmq = r;
          for (const w of r.warnings) warnings.add(w);
          out(
            `run ${i + 1} rmq:       ${thousands(r.throughput.send.tps)} msg/s, ${r.cpu.usPerMessage} µs CPU/msg,` +
              ` ${cpuPct(r)} % of a core, send p50 ${us(r.latency.send?.p50)} p99 ${us(r.latency.send?.p99)}; load ${loadAvg()}`,
          );
        }
      }
      rmqTps.push(pair.rmq.throughput.send.tps);
      refTps.push(pair.ref.tps);
      rmqCpu.push(pair.rmq.cpu.usPerMessage);
      refCpu.push(pair.ref.usPerMessage);
      ratios.push(pair.rmq.throughput.send.tps / pair.ref.tps);
      cpuRatios.push(pair.rmq.cpu.usPerMessage / pair.ref.usPerMessage);
    }
    const calibration = calibrationMs();
    const pct = (x) => `${(x * 100).toFixed(0)} %`;
    out(
      `closed loop (inflight ${inflight}): rmq/reference msg/s ${spread(ratios, pct)},` +
        ` CPU per message rmq/reference ${spread(cpuRatios, (x) => `${x.toFixed(2)}×`)} — median (min–max) of ${runs} pairs`,
    );
    out(
      `  absolute: rmq ${spread(rmqTps, thousands)} msg/s at ${spread(rmqCpu, (x) => `${x}`)} µs CPU/msg;` +
        ` reference ${spread(refTps, thousands)} msg/s at ${spread(refCpu, (x) => `${x}`)} µs CPU/msg` +
        ` — on ${cpuModel()}, calibration loop ${calibration} ms, load average ${loadAvg()}`,
    );
    if (!has('no-open-loop')) {
      const fixed = await runBench(
        port,
        ['--duration', duration, '--warmup', '2s', '--rate', rate, '--precise', '--size', '1k'],
        'fixed-rate',
        { nodeArgs: profArgs('fixed-rate') },
      );
      for (const w of fixed.warnings) warnings.add(w);
      out(
        `open loop at ${rate} msg/s: achieved ${thousands(fixed.throughput.send.tps)} msg/s,` +
          ` send_raw p50 ${us(fixed.latency.send_raw?.p50)} p99 ${us(fixed.latency.send_raw?.p99)} (goal < 200 µs),` +
          ` corrected p99 ${us(fixed.latency.send?.p99)}, ${cpuPct(fixed)} % of a core,` +
          ` event loop p99 ${fixed.eventLoop.p99Ms} ms (one run: npm run bench:overhead for the spread)`,
      );
    }
    for (const w of warnings) out(`! ${w}`);
  } finally {
    await stop();
  }
}

await main();
