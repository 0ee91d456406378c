#!/usr/bin/env node
// `npm run bench:compare`: rmq against RocketMQ's own Java benchmark programs on the same broker.
//
//  1. produce: org.apache.rocketmq.example.benchmark.Producer (-w N sync threads) and
//     `rmq bench --consumers 0 --inflight N`, same topic, same body size, same in-flight count,
//     alternated --rounds times. Both are measured the same way from outside: messages stored
//     (the topic's max offsets) and the child's CPU time (/proc) over the same window after a
//     warmup. Prints the TPS ratio rmq/Java (goal ≥ 1.3) and CPU-seconds per message ratio
//     (goal ≤ 0.5).
//  2. drain: a backlog of --backlog messages (default 1,000,000) read by the Java benchmark
//     Consumer and by `rmq consume --from first --until-end` (new groups each), timed by the
//     groups' committed offsets. Prints the rate ratio rmq/Java (goal ≥ 1.2).
//
// Java side: the rocketmq-example jar from RMQ_EXAMPLE_JAR or the Maven cache
// (~/.m2/repository/org/apache/rocketmq/rocketmq-example/<version>/), plus the client classpath of
// the `rmq local` cache (~/.cache/rmq/rocketmq/<version>/lib) or RMQ_EXAMPLE_CLASSPATH. Get the jar
// with: mvn dependency:get -Dartifact=org.apache.rocketmq:rocketmq-example:<version>
//
// Usage: node scripts/bench-compare.mjs [-n namesrv] [--version 5.3.3] [--duration 30s] [--warmup 5s]
//          [--rounds 3] [--inflight 64] [--size 1024] [--backlog 1000000] [--skip-drain] [--rmq-only]
// Needs `npm run build` first.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { Admin } = await import(`${root}dist/src/core/client/admin.js`);
const { masterAddress } = await import(`${root}dist/src/core/protocol/route.js`);

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const has = (name) => process.argv.includes(name);
const parseMs = (s) => {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(s);
  if (!m) throw new Error(`bad duration ${s}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2] ?? 'ms'];
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const namesrv = arg('-n', process.env.RMQ_NAMESRV || process.env.NAMESRV_ADDR || '127.0.0.1:9876');
const version = arg('--version', '5.3.3');
const durationMs = parseMs(arg('--duration', '30s'));
const warmupMs = parseMs(arg('--warmup', '5s'));
const rounds = Number(arg('--rounds', '3'));
const inflight = Number(arg('--inflight', '64'));
const size = Number(arg('--size', '1024'));
const backlog = Number(arg('--backlog', '1000000'));
const rmqOnly = has('--rmq-only');
const CLK_TCK = 100; // Linux USER_HZ

function javaClasspath() {
  const jar =
    process.env.RMQ_EXAMPLE_JAR ??
    join(
      homedir(),
      '.m2',
      'repository',
      'org',
      'apache',
      'rocketmq',
      'rocketmq-example',
      version,
      `rocketmq-example-${version}.jar`,
    );
  if (!existsSync(jar)) {
    process.stderr.write(
      `the Java benchmark jar is missing: ${jar}\n` +
        `get it with: mvn dependency:get -Dartifact=org.apache.rocketmq:rocketmq-example:${version}\n` +
        '(or set RMQ_EXAMPLE_JAR); --rmq-only runs the rmq half alone\n',
    );
    process.exit(8);
  }
  if (process.env.RMQ_EXAMPLE_CLASSPATH) return `${jar}:${process.env.RMQ_EXAMPLE_CLASSPATH}`;
  const cache = process.env.RMQ_CACHE_DIR
    ? join(process.env.RMQ_CACHE_DIR, 'rocketmq')
    : join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'rmq', 'rocketmq');
  const lib = join(cache, version, 'lib');
  if (!existsSync(lib)) {
    process.stderr.write(
      `no client classpath at ${lib}: run \`rmq local up --version ${version}\` once, or set RMQ_EXAMPLE_CLASSPATH\n`,
    );
    process.exit(8);
  }
  return [
    jar,
    ...readdirSync(lib)
      .filter((f) => f.endsWith('.jar'))
      .map((f) => join(lib, f)),
  ].join(':');
}

/** CPU seconds (user + system) of a live process, from /proc. */
function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[11] = utime, fields[12] = stime (0-based after the command name)
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return Number.NaN;
  }
}

const admin = new Admin({ namesrv: [namesrv], timeoutMs: 5000 });

async function brokerAddresses(topic) {
  const route = await admin.namesrv.getTopicRoute(topic);
  return route.brokers.map((b) => masterAddress(b)).filter(Boolean);
}

async function stored(topic) {
  let n = 0;
  for (const a of await brokerAddresses(topic))
    for (const q of await admin.topicStats(a, topic)) n += q.maxOffset;
  return n;
}

async function consumed(topic, group) {
  let n = 0;
  for (const a of await brokerAddresses(topic)) {
    for (const q of (await admin.consumeStats(a, group, topic)).offsets) n += Math.max(0, q.consumerOffset);
  }
  return n;
}

async function createTopic(name) {
  const { brokers } = await admin.createTopic(name, { readQueues: 8, writeQueues: 8, perm: 6, order: false });
  await admin.waitForRoute(
    name,
    brokers.map((b) => b.brokerName),
    15_000,
  );
}

function start(cmd, args) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => {
    err = (err + d).slice(-4000);
  });
  const done = new Promise((r) => child.on('close', r));
  return { child, done, err: () => err };
}

/** Runs a producer child; measures stored messages and its CPU over [warmup, warmup + duration]. */
async function measureProduce(label, topic, cmd, args) {
  const p = start(cmd, args);
  await sleep(warmupMs);
  const m0 = await stored(topic);
  const c0 = cpuSeconds(p.child.pid);
  const t0 = Date.now();
  await sleep(durationMs);
  const m1 = await stored(topic);
  const c1 = cpuSeconds(p.child.pid);
  const s = (Date.now() - t0) / 1000;
  p.child.kill('SIGTERM');
  await Promise.race([p.done, sleep(10_000)]);
  const tps = (m1 - m0) / s;
  const cpuPerMsg = (c1 - c0) / Math.max(1, m1 - m0);
  if (m1 - m0 === 0) process.stderr.write(`${label}: nothing was stored\n${p.err()}\n`);
  process.stdout.write(
    `  ${label.padEnd(5)} ${Math.round(tps).toLocaleString('en-US').padStart(9)} msg/s  ${(cpuPerMsg * 1e6).toFixed(1).padStart(7)} µs CPU/msg\n`,
  );
  return { tps, cpuPerMsg };
}

async function measureDrain(label, topic, group, cmd, args) {
  const p = start(cmd, args);
  const t0 = Date.now();
  let first;
  let n = 0;
  const deadline = t0 + Math.max(600_000, (backlog / 1000) * 1000);
  while (Date.now() < deadline) {
    await sleep(500);
    try {
      n = await consumed(topic, group);
    } catch {
      continue;
    }
    if (n > 0 && first === undefined) first = { t: Date.now(), n, cpu: cpuSeconds(p.child.pid) };
    if (n >= backlog) break;
  }
  const t1 = Date.now();
  const cpu = cpuSeconds(p.child.pid);
  p.child.kill('SIGTERM');
  await Promise.race([p.done, sleep(10_000)]);
  // From the first committed progress, so JVM and Node start-up are not part of the rate.
  const rate = first ? (n - first.n) / ((t1 - first.t) / 1000) : 0;
  const cpuPerMsg = first ? (cpu - first.cpu) / Math.max(1, n - first.n) : Number.NaN;
  process.stdout.write(
    `  ${label.padEnd(5)} ${Math.round(rate).toLocaleString('en-US').padStart(9)} msg/s  ${(cpuPerMsg * 1e6).toFixed(1).padStart(7)} µs CPU/msg  (${n.toLocaleString('en-US')} of ${backlog.toLocaleString('en-US')})\n`,
  );
  return { rate, cpuPerMsg };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cp = rmqOnly ? undefined : javaClasspath();
const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
const stamp = Date.now().toString(36);
const rmqBin = join(root, 'bin', 'run.js');
const created = [];

try {
  const topic = `bench_cmp_${stamp}`;
  await createTopic(topic);
  created.push(topic);
  process.stdout.write(
    `produce: ${size} B, ${inflight} in flight, ${durationMs / 1000}s after ${warmupMs / 1000}s warmup, ${rounds} rounds, topic ${topic}\n`,
  );
  const ratios = [];
  const cpuRatios = [];
  for (let r = 0; r < rounds; r++) {
    let j;
    if (cp) {
      j = await measureProduce('java', topic, java, [
        '-cp',
        cp,
        'org.apache.rocketmq.example.benchmark.Producer',
        '-n',
        namesrv,
        '-t',
        topic,
        '-s',
        String(size),
        '-w',
        String(inflight),
      ]);
    }
    const m = await measureProduce('rmq', topic, process.execPath, [
      rmqBin,
      'bench',
      '-n',
      namesrv,
      '--topic',
      topic,
      '--group',
      `bench_cmp_g_${stamp}`,
      '--consumers',
      '0',
      '--inflight',
      String(inflight),
      '--size',
      String(size),
      '--duration',
      `${Math.ceil((warmupMs + durationMs) / 1000) + 30}s`,
    ]);
    if (j) {
      ratios.push(m.tps / j.tps);
      cpuRatios.push(m.cpuPerMsg / j.cpuPerMsg);
    }
  }
  if (ratios.length > 0) {
    process.stdout.write(
      `  TPS rmq/java: ${ratios.map((x) => x.toFixed(2)).join(', ')} (median ${median(ratios).toFixed(2)}, goal ≥ 1.3)\n` +
        `  CPU/msg rmq/java: ${cpuRatios.map((x) => x.toFixed(2)).join(', ')} (median ${median(cpuRatios).toFixed(2)}, goal ≤ 0.5)\n`,
    );
  }

  if (!has('--skip-drain')) {
    const dtopic = `bench_drain_${stamp}`;
    await createTopic(dtopic);
    created.push(dtopic);
    process.stdout.write(`drain: filling ${dtopic} with ${backlog.toLocaleString('en-US')} messages\n`);
    const fill = start(process.execPath, [
      rmqBin,
      'bench',
      '-n',
      namesrv,
      '--topic',
      dtopic,
      '--consumers',
      '0',
      '--messages',
      String(backlog),
      '--size',
      String(size),
      '--inflight',
      '128',
    ]);
    await fill.done;
    let j;
    if (cp) {
      const g = `bench_drain_java_${stamp}`;
      j = await measureDrain('java', dtopic, g, java, [
        '-cp',
        cp,
        'org.apache.rocketmq.example.benchmark.Consumer',
        '-n',
        namesrv,
        '-t',
        dtopic,
        '-g',
        g,
      ]);
    }
    const g = `bench_drain_rmq_${stamp}`;
    const m = await measureDrain('rmq', dtopic, g, '/bin/sh', [
      '-c',
      `exec "${process.execPath}" "${rmqBin}" consume ${dtopic} -g ${g} -n ${namesrv} --from first --until-end --output body > /dev/null`,
    ]);
    if (j) process.stdout.write(`  drain rate rmq/java: ${(m.rate / j.rate).toFixed(2)} (goal ≥ 1.2)\n`);
  }
} finally {
  for (const t of created) await admin.deleteTopic(t).catch(() => {});
  admin.close();
}
