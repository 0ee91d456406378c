#!/usr/bin/env node
// `npm run bench:durability`: what RocketMQ's zero-loss recipe costs. Two local clusters of the
// same shape (one master, one slave), started by `rmq local up` on free ports:
//   async: --flush async --replication async (ASYNC_MASTER, ASYNC_FLUSH: RocketMQ's default)
//   sync:  --flush sync  --replication sync  (SYNC_MASTER, SYNC_FLUSH, and on 5.x inSyncReplicas=2:
//          an ack means the message is on the master's disk and in the slave's memory)
// Each broker's running config is read back first, so the comparison is of what the brokers do,
// not of what was asked. Then the same `rmq bench` (closed loop, --inflight, --size, one consumer,
// --verify) runs on each in alternating order (ABBA: async first in even rounds), both clusters
// up the whole time, and every round's TPS and send latencies are printed side by side with the
// ratio sync/async and its spread. `rmq bench compare` on each round's pair gives the verdict
// (Welch's t-test on the per-interval series), the most typical pair's in full.
//
// Usage: node scripts/bench-durability.mjs [--version 5.3] [--rounds 4] [--duration 20s]
//          [--warmup 3s] [--inflight 64] [--size 1024] [--keep DIR]
// Needs `npm run build` first. Both clusters are stopped and deleted at the end (--keep DIR keeps
// the bench results there).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { arg, calibrationMs, cpuModel, loadAvg, root } from './bench-common.mjs';

const { freePortBlock } = await import(`${root}dist/test/helpers/ports.js`);

const version = arg('version', '5.3');
const rounds = Number(arg('rounds', '4'));
const duration = arg('duration', '20s');
const warmup = arg('warmup', '3s');
const inflight = arg('inflight', '64');
const size = arg('size', '1024');
const keep = arg('keep', undefined);
const bin = join(root, 'bin', 'run.js');

function rmq(argv) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...argv], {
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => {
      let json;
      try {
        json = JSON.parse(out);
      } catch {
        json = undefined;
      }
      resolve({ code, out, err, json });
    });
  });
}

function fail(what, r) {
  process.stderr.write(`${what} failed (exit ${r.code}):\n${r.err.trim()}\n`);
  process.exitCode = 1;
}

const work = mkdtempSync(join(tmpdir(), 'rmq-durability-'));
const results = keep ?? join(work, 'results');
mkdirSync(results, { recursive: true });
const sides = [
  { name: 'async', flush: 'async', replication: 'async', role: 'ASYNC_MASTER', flushType: 'ASYNC_FLUSH' },
  { name: 'sync', flush: 'sync', replication: 'sync', role: 'SYNC_MASTER', flushType: 'SYNC_FLUSH' },
];
const started = [];

async function up(side) {
  // A 1 × 1 topology uses the name server's port and the two brokers' blocks 22 above it.
  const base = await freePortBlock(32);
  side.dir = join(work, side.name);
  const t = Date.now();
  const r = await rmq([
    'local',
    'up',
    '--dir',
    side.dir,
    '--version',
    version,
    '--port-base',
    String(base),
    '--replicas',
    '1',
    '--flush',
    side.flush,
    '--replication',
    side.replication,
    '--no-save-profile',
    '--wait',
    '300s',
    '--json',
  ]);
  if (r.code !== 0) throw Object.assign(new Error(`local up (${side.name})`), { r });
  started.push(side);
  side.namesrv = `127.0.0.1:${base}`;
  side.upS = (Date.now() - t) / 1000;
  side.version = r.json?.version;
  const cfg = await rmq([
    'broker',
    'config',
    'get',
    'broker-a',
    'brokerRole',
    'flushDiskType',
    'inSyncReplicas',
    '-n',
    side.namesrv,
    '--json',
  ]);
  const conf = cfg.json?.config ?? {};
  const role = conf.brokerRole;
  const flushType = conf.flushDiskType;
  // From 5.0 a SYNC_MASTER waits for inSyncReplicas copies (master included; default 1 = none).
  const copies = conf.inSyncReplicas === undefined ? 2 : Number(conf.inSyncReplicas);
  if (role !== side.role || flushType !== side.flushType || (side.name === 'sync' && copies < 2))
    throw Object.assign(
      new Error(
        `${side.name} broker runs ${role}/${flushType} (inSyncReplicas ${conf.inSyncReplicas}), expected ${side.role}/${side.flushType}${side.name === 'sync' ? ' waiting for a slave' : ''}`,
      ),
      { r: cfg },
    );
  process.stderr.write(
    `${side.name}: RocketMQ ${side.version} at ${side.namesrv}, ${role} + ${flushType}, up in ${side.upS.toFixed(0)} s\n`,
  );
}

async function bench(side, round) {
  const file = join(results, `${side.name}-${round}.json`);
  const r = await rmq([
    'bench',
    '-n',
    side.namesrv,
    '--topic',
    'durability',
    '--group',
    'durability-group',
    '--duration',
    duration,
    '--warmup',
    warmup,
    '--inflight',
    inflight,
    '--size',
    size,
    '--verify',
    '--json',
  ]);
  if (!r.json) throw Object.assign(new Error(`bench on ${side.name}`), { r });
  writeFileSync(file, r.out);
  const res = r.json;
  const row = {
    tps: res.throughput.send.tps,
    p50: res.latency.send_raw?.p50 ?? NaN,
    p99: res.latency.send_raw?.p99 ?? NaN,
    errors: (res.errors ?? []).reduce((n, e) => n + e.count, 0),
    lost: res.verification?.lost ?? NaN,
    file,
  };
  process.stderr.write(
    `  ${side.name.padEnd(5)} ${Math.round(row.tps).toLocaleString('en-US').padStart(7)} msg/s  send p50 ${(row.p50 / 1000).toFixed(2)} ms  p99 ${(row.p99 / 1000).toFixed(2)} ms  errors ${row.errors}  lost ${row.lost}\n`,
  );
  return row;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const spread = (xs, digits = 2) =>
  `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}, median ${median(xs).toFixed(digits)}`;

try {
  process.stderr.write(`machine: ${cpuModel()}, load ${loadAvg()}, calibration ${calibrationMs()} ms\n`);
  for (const side of sides) await up(side);
  const rows = { async: [], sync: [] };
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? sides : [...sides].reverse();
    process.stderr.write(` round ${round + 1}: ${order.map((s) => s.name).join(', ')} (load ${loadAvg()})\n`);
    for (const side of order) rows[side.name].push(await bench(side, round));
  }
  const ratios = (k) => rows.sync.map((s, i) => s[k] / rows.async[i][k]);
  const out = [];
  out.push(
    `durability cost: RocketMQ ${sides[1].version}, 1 master + 1 slave each, ${size} B, ${inflight} in flight, ${rounds} × ${duration} (ABBA)`,
  );
  out.push(`  send TPS  sync/async ${spread(ratios('tps'))}`);
  out.push(
    `             async ${spread(
      rows.async.map((r) => r.tps),
      0,
    )} msg/s; sync ${spread(
      rows.sync.map((r) => r.tps),
      0,
    )} msg/s`,
  );
  out.push(`  send p50  sync/async ${spread(ratios('p50'))}`);
  out.push(`  send p99  sync/async ${spread(ratios('p99'))}`);
  out.push(
    `  lost      async ${rows.async.map((r) => r.lost).join(' ')}; sync ${rows.sync.map((r) => r.lost).join(' ')}`,
  );
  out.push(
    `  errors    async ${rows.async.map((r) => r.errors).join(' ')}; sync ${rows.sync.map((r) => r.errors).join(' ')}`,
  );
  const verdicts = [];
  for (let i = 0; i < rounds; i++) {
    const c = await rmq(['bench', 'compare', rows.async[i].file, rows.sync[i].file, '--json']);
    verdicts.push(c.json?.verdict ?? `? (exit ${c.code})`);
  }
  out.push(`  bench compare async → sync, per round: ${verdicts.join(', ')}`);
  process.stdout.write(`${out.join('\n')}\n\n`);
  // In full: the round whose TPS ratio is nearest the median (the most typical pair).
  const r = ratios('tps');
  const m = median(r);
  const typical = r.indexOf(r.reduce((best, x) => (Math.abs(x - m) < Math.abs(best - m) ? x : best)));
  process.stdout.write(`round ${typical + 1} (TPS ratio nearest the median), in full:\n`);
  const full = await rmq(['bench', 'compare', rows.async[typical].file, rows.sync[typical].file]);
  process.stdout.write(full.out);
  if (rows.async.some((r) => r.lost !== 0) || rows.sync.some((r) => r.lost !== 0)) {
    process.stderr.write('a bench lost messages: see its result in --keep DIR\n');
    process.exitCode = 1;
  }
} catch (e) {
  if (e.r) fail(e.message, e.r);
  else throw e;
} finally {
  for (const side of started)
    await rmq(['local', 'down', '--dir', side.dir, '--purge', '--timeout', '15s', '--json']);
  rmSync(work, { recursive: true, force: true }); // the clusters' dirs (and the results, unless --keep)
}
