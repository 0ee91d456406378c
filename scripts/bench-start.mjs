#!/usr/bin/env node
// A shared start under load (`npm run bench:start`): how far apart processes that wait for the
// same instant start, when the machine is busy. This is what `bench --agents` (and --workers)
// does before a run: every engine waits for one start time.
//
// Three waiter processes wait for the same instants (one every --period ms, --instants of them)
// while --load processes burn CPU in bursts (20 ms of work, up to 10 ms asleep), each in a
// session of its own, as `rmq local up` starts its JVMs. For each instant the spread is the
// latest waiter's lateness minus the earliest's. Both ways of waiting run one after the other
// under the same load, alternating ABAB, the same waiters, the same instants:
//   - spin:  a timer until 30 ms before, then a busy-wait with turns of the event loop (the
//            engine's wait until Dec 3);
//   - sleep: a timer until 20 ms before, then a kernel sleep to the instant (the engine's now:
//            systemClock.sleepSync).
// `--same-session` keeps the waiters in this script's session (as agents started by one test
// runner were); by default each waiter has a session of its own, as an agent on its own host,
// ssh session or pod has. Linux's autogroup scheduling (/proc/sys/kernel/sched_autogroup_enabled)
// shares the CPU between sessions first.
//
// Usage: node scripts/bench-start.mjs [--load 10] [--instants 100] [--period 150] [--rounds 2]
//          [--same-session]
// Needs `npm run build` first (the sleep side uses dist/src/bench/clock.js).
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { arg, cpuModel, has, loadAvg, root } from './bench-common.mjs';

const self = fileURLToPath(import.meta.url);

if (process.argv[2] === '--burn') {
  const burst = () => {
    const end = performance.now() + 20;
    while (performance.now() < end);
    setTimeout(burst, Math.random() * 10);
  };
  burst();
} else if (process.argv[2] === '--waiter') {
  const [, , , way, t0s, periodS, countS] = process.argv;
  const { systemClock: clock } = await import(pathToFileURL(join(root, 'dist/src/bench/clock.js')).href);
  const t0 = Number(t0s);
  const period = Number(periodS);
  const late = [];
  const timer = (ms) => new Promise((r) => clock.setTimeout(r, ms));
  for (let i = 0; i < Number(countS); i++) {
    const at = (t0 + i * period) * 1000;
    for (let left; (left = (at - clock.nowUs()) / 1000) > 0;) {
      if (way === 'spin') {
        await (left > 30
          ? timer(left - 30)
          : new Promise((r) => clock.pacer(r, true).arm(clock.nowUs() + Math.min(left, 1) * 1000)));
      } else if (left > 20) await timer(left - 20);
      else clock.sleepSync(left);
    }
    late.push(clock.nowUs() - at);
  }
  process.stdout.write(JSON.stringify(late));
} else {
  const load = Number(arg('load', '10'));
  const instants = Number(arg('instants', '100'));
  const period = Number(arg('period', '150'));
  const rounds = Number(arg('rounds', '2'));
  const ownSession = !has('same-session');
  const burners = Array.from({ length: load }, () =>
    spawn(process.execPath, [self, '--burn'], { stdio: 'ignore', detached: true }),
  );
  const stop = () => burners.forEach((b) => b.kill('SIGKILL'));
  process.on('exit', stop);
  const waiters = (way) => {
    const t0 = Date.now() + 1000;
    return Promise.all(
      [0, 1, 2].map(
        () =>
          new Promise((resolve, reject) => {
            const w = spawn(
              process.execPath,
              [self, '--waiter', way, String(t0), String(period), String(instants)],
              {
                stdio: ['ignore', 'pipe', 'inherit'],
                detached: ownSession,
              },
            );
            let out = '';
            w.stdout.on('data', (d) => (out += d));
            w.on('close', (code) =>
              code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`waiter exit ${code}`)),
            );
          }),
      ),
    );
  };
  const spreads = { spin: [], sleep: [] };
  const lates = { spin: [], sleep: [] };
  for (let r = 0; r < rounds; r++) {
    for (const way of r % 2 === 0 ? ['spin', 'sleep'] : ['sleep', 'spin']) {
      const res = await waiters(way);
      for (let i = 0; i < instants; i++) {
        const at = res.map((x) => x[i] / 1000);
        spreads[way].push(Math.max(...at) - Math.min(...at));
        lates[way].push(...at);
      }
    }
  }
  stop();
  const q = (a, p) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(a.length * p))];
  const ms = (v) => `${v.toFixed(1)} ms`.padStart(9);
  console.log(
    `${cpuModel()}; ${load} burners, waiters ${ownSession ? 'each in a session of its own' : "in this script's session"}; ${rounds} × ${instants} instants each; load average ${loadAvg()}`,
  );
  console.log(
    `${'wait'.padEnd(6)}${'spread p50'.padStart(11)}${'p90'.padStart(10)}${'p99'.padStart(10)}${'max'.padStart(10)}  over 50 ms  late p50`,
  );
  for (const way of ['spin', 'sleep']) {
    const s = spreads[way];
    console.log(
      `${way.padEnd(6)}${ms(q(s, 0.5)).padStart(11)} ${ms(q(s, 0.9))} ${ms(q(s, 0.99))} ${ms(q(s, 1))}  ${String(s.filter((x) => x > 50).length).padStart(4)} of ${s.length}  ${ms(q(lates[way], 0.5))}`,
    );
  }
  const ratio = q(spreads.spin, 0.99) / Math.max(0.001, q(spreads.sleep, 0.99));
  console.log(`p99 spread, spin ÷ sleep: ${ratio.toFixed(1)}`);
}
