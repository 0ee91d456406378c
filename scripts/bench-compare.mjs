#!/usr/bin/env node
// `npm run bench:compare`: rmq against RocketMQ's own Java benchmark programs on the same broker.
//
// Both sides are measured the same way, from outside, in alternating order (ABBA: Java first in
// even rounds, rmq first in odd ones, so neither always gets the warmer broker and the shorter
// commit log), and every ratio is printed per round with its spread.
//
//  1. produce: org.apache.rocketmq.example.benchmark.Producer (-w N sync threads) and
//     `rmq bench --consumers 0 --inflight N`, same topic, same body size, same in-flight count.
//     The warmup runs from the side's first stored message (the topic's max offsets start to move),
//     not from process spawn, which would hand the JVM's start-up to Java's warmup. Then messages
//     stored and the child's CPU time (/proc) over the same window. Prints the TPS ratio rmq/Java
//     (goal ≥ 1.3) and the CPU-seconds per message ratio (goal ≤ 0.5).
//  2. drain: a backlog of --backlog messages (default 1,000,000) read, --drain-rounds times, by
//     the Java benchmark Consumer and by `rmq consume --from first --until-end` (new groups each).
//     Timed by receipt, not by committed offsets: the Java consumer's offsets reach the broker only
//     on its 5 s persist interval, rmq's as soon as it catches up, so offsets would time the two
//     to different marks. Each side's count of messages it has processed is sampled every
//     POLL_MS: rmq writes two bytes per message to a file whose size the script reads; the Java
//     Consumer runs unchanged inside a small launcher (ReceiptCounter, below) that reads its
//     client's own consume-OK counter. The rate runs from the first sample with a message to the
//     first with all of them, so start-up and rebalance are left out on both sides. Prints the
//     rate ratio rmq/Java (goal ≥ 1.2).
//
// Java side: the official benchmark classes from Maven Central's rocketmq-example jar, resolved
// with its runtime dependencies into the rmq cache on first use (--example-version, default 5.5.0:
// the newest release whose example jar is published; 5.0–5.3 never were). RMQ_EXAMPLE_CLASSPATH
// overrides the whole classpath. The launcher is run from source (java 11+ compiles it in memory).
//
// Usage: node scripts/bench-compare.mjs [-n namesrv] [--example-version 5.5.0] [--duration 30s] [--warmup 5s]
//          [--rounds 4] [--drain-rounds 2] [--inflight 64] [--size 1024] [--backlog 1000000]
//          [--skip-produce] [--skip-drain] [--rmq-only]
// Needs `npm run build` first.
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
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
const exampleVersion = arg('--example-version', process.env.RMQ_EXAMPLE_VERSION || '5.5.0');
const durationMs = parseMs(arg('--duration', '30s'));
const warmupMs = parseMs(arg('--warmup', '5s'));
const rounds = Number(arg('--rounds', '4'));
const drainRounds = Number(arg('--drain-rounds', '2'));
const inflight = Number(arg('--inflight', '64'));
const size = Number(arg('--size', '1024'));
let backlog = Number(arg('--backlog', '1000000'));
const rmqOnly = has('--rmq-only');
const CLK_TCK = 100; // Linux USER_HZ
/** How often each side's receipt count is sampled during a drain (both sides alike). */
const POLL_MS = 10;

/**
 * The Java side's classpath: rocketmq-example and its own runtime closure, copied by Maven into the
 * rmq cache once (the example jar is on Maven Central only for some releases: 4.1–4.7 and 5.5.0 —
 * none of 5.0–5.3 — so the newest is the default; its client speaks to 5.3 and 4.9 brokers alike).
 */
const exampleDir = join(
  process.env.RMQ_CACHE_DIR
    ? join(process.env.RMQ_CACHE_DIR, 'rocketmq-example')
    : join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'rmq', 'rocketmq-example'),
  exampleVersion,
);

function javaClasspath() {
  if (process.env.RMQ_EXAMPLE_CLASSPATH) return process.env.RMQ_EXAMPLE_CLASSPATH;
  const dir = exampleDir;
  const lib = join(dir, 'lib');
  const jars = () =>
    existsSync(lib)
      ? readdirSync(lib)
          .filter((f) => f.endsWith('.jar'))
          .map((f) => join(lib, f))
      : [];
  if (!jars().some((j) => j.includes('rocketmq-example-'))) {
    process.stderr.write(
      `resolving org.apache.rocketmq:rocketmq-example:${exampleVersion} with Maven into ${lib}\n`,
    );
    mkdirSync(dir, { recursive: true });
    const pom = join(dir, 'pom.xml');
    writeFileSync(
      pom,
      `<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by rmq's bench:compare: only used to copy rocketmq-example's runtime jars into ./lib -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.rmq</groupId>
  <artifactId>rocketmq-example-runtime</artifactId>
  <version>${exampleVersion}</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.rocketmq</groupId><artifactId>rocketmq-example</artifactId><version>${exampleVersion}</version></dependency>
  </dependencies>
</project>
`,
    );
    const mvn = spawnSync(
      'mvn',
      [
        '-B',
        '-q',
        '-f',
        pom,
        'org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies',
        `-DoutputDirectory=${lib}`,
        '-DincludeScope=runtime',
      ],
      { encoding: 'utf8' },
    );
    if (mvn.status !== 0 || !jars().some((j) => j.includes('rocketmq-example-'))) {
      const key =
        `${mvn.stdout ?? ''}${mvn.stderr ?? ''}`.split('\n').find((l) => /ERROR/.test(l)) ??
        mvn.error?.message;
      process.stderr.write(
        `could not resolve rocketmq-example ${exampleVersion}: ${key ?? 'see mvn output'}\n` +
          'pick a published one with --example-version (4.7.0, 5.5.0), set RMQ_EXAMPLE_CLASSPATH, or run --rmq-only\n',
      );
      process.exit(8);
    }
  }
  return jars().join(':');
}

/**
 * Runs org.apache.rocketmq.example.benchmark.Consumer as it is, and prints `received <epoch ms>
 * <count>` whenever its client's own consume-OK counter (what ConsumeMessageConcurrentlyService
 * adds to once a listener call returned) has moved, sampled every POLL_MS: the Java side's count
 * of processed messages, read the way the script reads rmq's. Arguments: topic, group, period
 * in ms, then the Consumer's own.
 */
const RECEIPT_COUNTER = `import java.lang.reflect.Field;
import java.util.Arrays;
import org.apache.rocketmq.client.impl.MQClientManager;
import org.apache.rocketmq.client.impl.factory.MQClientInstance;
import org.apache.rocketmq.client.stat.ConsumerStatsManager;
import org.apache.rocketmq.common.stats.StatsItem;
import org.apache.rocketmq.common.stats.StatsItemSet;

public class ReceiptCounter {
  public static void main(String[] args) throws Exception {
    String key = args[0] + "@" + args[1];
    long period = Long.parseLong(args[2]);
    org.apache.rocketmq.example.benchmark.Consumer.main(Arrays.copyOfRange(args, 3, args.length));
    Field ok = ConsumerStatsManager.class.getDeclaredField("topicAndGroupConsumeOKTPS");
    ok.setAccessible(true);
    long last = 0;
    for (;;) {
      long n = 0;
      for (MQClientInstance c : MQClientManager.getInstance().getFactoryTable().values()) {
        StatsItem item = ((StatsItemSet) ok.get(c.getConsumerStatsManager())).getStatsItem(key);
        if (item != null) n += item.getValue().sum();
      }
      if (n != last) {
        System.out.println("received " + System.currentTimeMillis() + " " + n);
        System.out.flush();
        last = n;
      }
      Thread.sleep(period);
    }
  }
}
`;

function receiptCounterSource() {
  mkdirSync(exampleDir, { recursive: true });
  const file = join(exampleDir, 'ReceiptCounter.java');
  if (!existsSync(file) || readFileSync(file, 'utf8') !== RECEIPT_COUNTER)
    writeFileSync(file, RECEIPT_COUNTER);
  return file;
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

async function createTopic(name) {
  const { brokers } = await admin.createTopic(name, { readQueues: 8, writeQueues: 8, perm: 6, order: false });
  await admin.waitForRoute(
    name,
    brokers.map((b) => b.brokerName),
    15_000,
  );
}

function start(cmd, args, stdout = 'ignore') {
  const child = spawn(cmd, args, { stdio: ['ignore', stdout, 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => {
    err = (err + d).slice(-4000);
  });
  const done = new Promise((r) => child.on('close', r));
  return { child, done, err: () => err };
}

/**
 * Runs a producer child; measures stored messages and its CPU over [warmup, warmup + duration],
 * the warmup counted from its first stored message.
 */
async function measureProduce(label, topic, cmd, args) {
  const before = await stored(topic);
  const p = start(cmd, args);
  const startDeadline = Date.now() + 120_000;
  while ((await stored(topic)) === before) {
    if (Date.now() > startDeadline || p.child.exitCode !== null) {
      p.child.kill('SIGTERM');
      process.stderr.write(`${label}: no message stored within 120 s of its start\n${p.err()}\n`);
      process.stdout.write(`  ${label.padEnd(5)} failed to start\n`);
      return { tps: Number.NaN, cpuPerMsg: Number.NaN, started: false };
    }
    await sleep(50);
  }
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

/**
 * Runs a consumer child over the backlog. `sample` is called every POLL_MS-ish by the side's own
 * poller with (epoch ms, messages processed so far); the rate runs from the first sample holding a
 * message to the first holding the whole backlog, and the CPU per message over the same span.
 */
async function measureDrain(label, child, samples) {
  // A side that stops making progress ends its samples once it is killed.
  const killer = setTimeout(() => child.child.kill('SIGTERM'), Math.max(600_000, backlog));
  let first;
  let last;
  let cpu = Number.NaN;
  for await (const s of samples) {
    // `consume --until-end` exits once it is done and /proc forgets it: keep the last CPU reading.
    const c = cpuSeconds(child.child.pid);
    if (!Number.isNaN(c)) cpu = c;
    if (s.n > 0 && first === undefined) first = { ...s, cpu };
    last = { ...s, cpu };
    if (s.n >= backlog) break;
  }
  clearTimeout(killer);
  child.child.kill('SIGTERM');
  await Promise.race([child.done, sleep(10_000)]);
  lastConsumerStop = Date.now();
  const n = last?.n ?? 0;
  if (n < backlog) process.stderr.write(`${label}: ${n} of ${backlog} received\n${child.err()}\n`);
  const s = first && last ? (last.t - first.t) / 1000 : 0;
  // A side that did not read it all has no rate: its round gives no ratio.
  const rate = s > 0 && n >= backlog ? (last.n - first.n) / s : Number.NaN;
  const cpuPerMsg = first && last ? (last.cpu - first.cpu) / Math.max(1, last.n - first.n) : Number.NaN;
  process.stdout.write(
    `  ${label.padEnd(5)} ${Math.round(rate).toLocaleString('en-US').padStart(9)} msg/s  ${(cpuPerMsg * 1e6).toFixed(1).padStart(7)} µs CPU/msg  (${n.toLocaleString('en-US')} of ${backlog.toLocaleString('en-US')} in ${s.toFixed(2)} s)\n`,
  );
  return { rate, cpuPerMsg, started: first !== undefined };
}

/** rmq: `.` and a newline per message (its listener's whole output) into a file, whose size is sampled every POLL_MS. */
async function drainRmq(topic, group, dir) {
  const file = join(dir, `${group}.out`);
  const fd = openSync(file, 'w');
  const child = start(
    process.execPath,
    [
      rmqBin,
      'consume',
      topic,
      '-g',
      group,
      '-n',
      namesrv,
      '--from',
      'first',
      '--until-end',
      '--output',
      'template',
      '--template',
      '.',
    ],
    fd,
  );
  closeSync(fd);
  let exited = false;
  void child.done.then(() => {
    exited = true;
  });
  async function* samples() {
    for (;;) {
      await sleep(POLL_MS);
      const gone = exited;
      yield { t: Date.now(), n: statSync(file).size / 2 };
      if (gone) return;
    }
  }
  try {
    return await measureDrain('rmq', child, samples());
  } finally {
    rmSync(file, { force: true });
  }
}

/** Java: the benchmark Consumer inside ReceiptCounter, which prints its count every POLL_MS. */
async function drainJava(topic, group) {
  const child = start(
    java,
    [
      '-cp',
      cp,
      receiptCounterSource(),
      topic,
      group,
      String(POLL_MS),
      '-n',
      namesrv,
      '-t',
      topic,
      '-g',
      group,
      '-p',
      'false',
    ],
    'pipe',
  );
  async function* samples() {
    let buf = '';
    for await (const chunk of child.child.stdout) {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const m = /^received (\d+) (\d+)$/.exec(buf.slice(0, nl).trim());
        buf = buf.slice(nl + 1);
        if (m) yield { t: Number(m[1]), n: Number(m[2]) };
      }
    }
  }
  return measureDrain('java', child, samples());
}

/**
 * Runs a side again (up to twice) when it never got going: on a busy machine a client's first
 * name-server request sometimes fails and the Java benchmarks exit. That is not a measurement.
 */
async function retryStart(run) {
  let r;
  for (let attempt = 0; attempt < 3; attempt++) {
    r = await run(attempt);
    if (r.started !== false) return r;
    process.stdout.write('  (it did not start: again)\n');
  }
  return r;
}

/** `min–max` of the finite numbers of a list, scaled and suffixed (`35.2k–36.7k`). */
function range(xs, scale = 1, digits = 1, suffix = '') {
  const f = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (f.length === 0) return '-';
  const fmt = (x) => `${(x / scale).toFixed(digits)}${suffix}`;
  return f.length === 1 ? fmt(f[0]) : `${fmt(f[0])}–${fmt(f.at(-1))}`;
}

/** Every value, then min, median and max. */
function spread(xs, digits = 2) {
  const sorted = [...xs].sort((a, b) => a - b);
  return `${xs.map((x) => x.toFixed(digits)).join(', ')}  (min ${sorted[0].toFixed(digits)}, median ${median(xs).toFixed(digits)}, max ${sorted.at(-1).toFixed(digits)})`;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const cp = rmqOnly ? undefined : javaClasspath();
const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
const stamp = Date.now().toString(36);
const rmqBin = join(root, 'bin', 'run.js');
const created = [];

const groups = [];
/** When the last drain's consumer was stopped (its held pulls must lapse before cleanup). */
let lastConsumerStop = 0;
const scratch = mkdtempSync(join(tmpdir(), 'rmq-bench-compare-'));
/** ABBA: Java first in even rounds, rmq first in odd ones. */
const order = (r) => (r % 2 === 0 ? ['java', 'rmq'] : ['rmq', 'java']).filter((x) => x === 'rmq' || cp);

try {
  const topic = `bench_cmp_${stamp}`;
  await createTopic(topic);
  created.push(topic);
  const produce = {
    java: () =>
      measureProduce('java', topic, java, [
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
      ]),
    rmq: () =>
      measureProduce('rmq', topic, process.execPath, [
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
        // Longer than needed: the script stops it once it has measured.
        '--duration',
        `${Math.ceil((warmupMs + durationMs) / 1000) + 150}s`,
      ]),
  };
  const produceRounds = has('--skip-produce') ? 0 : rounds;
  if (produceRounds > 0) {
    process.stdout.write(
      `produce: ${size} B, ${inflight} in flight, ${durationMs / 1000}s after ${warmupMs / 1000}s warmup from the first stored message, ${produceRounds} rounds (ABBA), topic ${topic}\n`,
    );
  }
  const ratios = [];
  const cpuRatios = [];
  const produced = { java: [], rmq: [] };
  for (let r = 0; r < produceRounds; r++) {
    process.stdout.write(` round ${r + 1}: ${order(r).join(', ')}\n`);
    const got = {};
    for (const side of order(r)) got[side] = await retryStart(() => produce[side]());
    for (const side of Object.keys(got)) produced[side].push(got[side]);
    if (got.java) {
      const ratio = got.rmq.tps / got.java.tps;
      if (Number.isFinite(ratio) && ratio > 0) {
        ratios.push(ratio);
        cpuRatios.push(got.rmq.cpuPerMsg / got.java.cpuPerMsg);
      } else {
        process.stdout.write('  (no ratio: a side stored nothing)\n');
      }
    }
  }
  if (ratios.length > 0) {
    process.stdout.write(
      `  TPS rmq/java: ${spread(ratios)}, goal ≥ 1.3\n` +
        `    rmq ${range(
          produced.rmq.map((x) => x.tps),
          1000,
          1,
          'k',
        )} vs java ${range(
          produced.java.map((x) => x.tps),
          1000,
          1,
          'k',
        )} msg/s\n` +
        `  CPU/msg rmq/java: ${spread(cpuRatios)}, goal ≤ 0.5\n` +
        `    rmq ${range(
          produced.rmq.map((x) => x.cpuPerMsg),
          1e-6,
          1,
          ' µs',
        )} vs java ${range(
          produced.java.map((x) => x.cpuPerMsg),
          1e-6,
          1,
          ' µs',
        )}\n`,
    );
  }

  const drainRuns = has('--skip-drain') ? 0 : drainRounds;
  if (drainRuns > 0) {
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
    // What is there to read, whatever the fill's errors were.
    const target = await stored(dtopic);
    if (target !== backlog) process.stderr.write(`the backlog holds ${target} messages, not ${backlog}\n`);
    backlog = target;
    process.stdout.write(
      `drain: ${backlog.toLocaleString('en-US')} messages, ${drainRuns} rounds (ABBA), timed by receipt sampled every ${POLL_MS} ms\n`,
    );
    const drainRatios = [];
    const drainCpuRatios = [];
    const drained = { java: [], rmq: [] };
    for (let r = 0; r < drainRuns; r++) {
      process.stdout.write(` round ${r + 1}: ${order(r).join(', ')}\n`);
      const got = {};
      for (const side of order(r)) {
        got[side] = await retryStart((attempt) => {
          const g = `bench_drain_${side}_${stamp}_${r}${attempt > 0 ? `_${attempt}` : ''}`;
          groups.push(g);
          return side === 'rmq' ? drainRmq(dtopic, g, scratch) : drainJava(dtopic, g);
        });
        drained[side].push(got[side]);
      }
      if (got.java) {
        const ratio = got.rmq.rate / got.java.rate;
        if (Number.isFinite(ratio)) {
          drainRatios.push(ratio);
          drainCpuRatios.push(got.rmq.cpuPerMsg / got.java.cpuPerMsg);
        } else {
          process.stdout.write('  (no ratio: a side did not finish)\n');
        }
      }
    }
    if (drainRatios.length > 0) {
      const rates = (side) =>
        range(
          drained[side].map((x) => x.rate),
          1000,
          1,
          'k',
        );
      const cpus = (side) =>
        range(
          drained[side].map((x) => x.cpuPerMsg),
          1e-6,
          1,
          ' µs',
        );
      process.stdout.write(
        `  drain rate rmq/java: ${spread(drainRatios)}, goal ≥ 1.2\n` +
          `    rmq ${rates('rmq')} vs java ${rates('java')} msg/s\n` +
          // On a machine busier than its cores, a rate is also the CPU share the scheduler gave
          // the side (a JVM's many threads get more than one Node thread): CPU per message is not.
          `  drain CPU/msg rmq/java: ${spread(drainCpuRatios)}\n` +
          `    rmq ${cpus('rmq')} vs java ${cpus('java')}\n`,
      );
    }
  }
} finally {
  if (groups.length > 0) {
    // A pull the broker still holds for a stopped consumer re-creates its group when answered:
    // the Java client's are held up to 15 s, plus the broker's 5 s check. Wait that out.
    const wait = lastConsumerStop + 21_000 - Date.now();
    if (wait > 0) await sleep(wait);
  }
  for (const g of groups) {
    await admin.deleteGroup(g).catch(() => {});
    // The broker made it when the group's consumer first sent a heartbeat.
    await admin.deleteTopic(`%RETRY%${g}`).catch(() => {});
  }
  for (const t of created) await admin.deleteTopic(t).catch(() => {});
  admin.close();
  rmSync(scratch, { recursive: true, force: true });
}
