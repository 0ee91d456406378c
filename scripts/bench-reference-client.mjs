#!/usr/bin/env node
// The reference for `bench:ceiling`: the least work a Node client can do per message against the
// null responder. It writes SEND_MESSAGE_V2 frames encoded once up front (the same header and
// 1 KiB body as rmq sends) and counts the replies by their length prefixes, without decoding
// them, keeping --inflight requests outstanding. Its msg/s on this machine, in this run, is what
// rmq's closed-loop figure is divided by: an absolute rate is a property of the machine.
//
// With --rate R it is the open-loop reference of `bench:overhead` instead: R msg/s on the
// schedule rmq's engine keeps, paced by the engine's own pacer (dist/src/bench/clock.js, so the
// reference gets whatever pacer the checkout has); at each wake-up it writes the frames due by
// then (at most 16, the engine's --precise burst; at most 32 in flight, rmq's default) in one write. Replies come back in order, so
// the k-th reply's send time is the k-th stamp; send→reply is what `rmq bench` calls send_raw.
// Its p99 is the least any Node client can show for that round trip on this machine, now.
//
// Usage (a child of bench-ceiling / bench-overhead, one process like `rmq bench`):
//   node scripts/bench-reference-client.mjs --port P [--duration 10s] [--warmup 2s] [--inflight 256] [--size 1024]
//     [--rate R [--coarse]]
// Prints one JSON line: { tps, usPerMessage, replies, measureMs }, and with --rate also
// { rawUs: { p50, p99, p999 }, cpuPct, eventLoopP99Ms }.
import net from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { arg, has, root } from './bench-common.mjs';

const { encodeFrame, SerializeType } = await import(`${root}dist/src/core/remoting/command.js`);
const { UniqueIdGenerator } = await import(`${root}dist/src/core/protocol/message.js`);
const { SendHeaderJson, sendHeaderV2 } = await import(`${root}dist/src/core/protocol/send-message.js`);

const ms = (s) => {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(s);
  if (!m) throw new Error(`bad duration ${s}`);
  return Number(m[1]) * (m[2] === 'ms' ? 1 : 1000);
};

const port = Number(arg('port', '0'));
const measureMs = ms(arg('duration', '10s'));
const warmupMs = ms(arg('warmup', '2s'));
const inflight = Number(arg('inflight', '256'));
/** Open loop: requests in flight at most (rmq bench's default --inflight). */
const openInflight = Number(arg('inflight', '32'));
const size = Number(arg('size', '1024'));
const rate = arg('rate', undefined) === undefined ? undefined : Number(arg('rate', '0'));
const precise = !has('coarse');

/** One frame as rmq's producer would write it: the same header fields, properties and body. */
function sendFrame() {
  const now = Date.now();
  const properties = `rmqb\u0001ref000.0.0.${now * 1000}\u0002UNIQ_KEY\u0001${new UniqueIdGenerator().next()}\u0002WAIT\u0001true\u0002`;
  const ext = sendHeaderV2({
    producerGroup: 'rmq_bench_producer_ref000',
    topic: 'null_topic',
    queueId: 0,
    sysFlag: 0,
    bornTimestamp: now,
    flag: 0,
    properties,
    brokerName: 'null-broker',
  });
  const extJson = new SendHeaderJson('rmq_bench_producer_ref000', 0, 'null-broker').render(
    'null_topic',
    0,
    now,
    properties,
  );
  return encodeFrame({
    code: 310,
    language: 0,
    version: 479,
    opaque: 1,
    flag: 0,
    extFields: ext,
    extJson,
    body: Buffer.alloc(size, 'x'),
    serializeType: SerializeType.JSON,
  });
}

const frame = sendFrame();
// `inflight` copies back to back: k more requests are one write of the first k of them.
const frames = Buffer.concat(Array.from({ length: inflight }, () => frame));

const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
await new Promise((resolve, reject) => {
  socket.once('connect', resolve);
  socket.once('error', reject);
});

/** Counts whole replies in each chunk by their length prefixes, without decoding them. */
function replyCounter() {
  /** Bytes still to skip of the reply being read. */
  let skip = 0;
  let prefix = Buffer.alloc(0);
  return (chunk) => {
    let k = 0;
    let pos = 0;
    while (pos < chunk.length) {
      if (skip > 0) {
        const n = Math.min(skip, chunk.length - pos);
        skip -= n;
        pos += n;
        if (skip === 0) k++;
        continue;
      }
      // A length prefix, possibly split across chunks.
      const need = 4 - prefix.length;
      if (chunk.length - pos < need) {
        prefix = Buffer.concat([prefix, chunk.subarray(pos)]);
        break;
      }
      const len = prefix.length
        ? Buffer.concat([prefix, chunk.subarray(pos, pos + need)]).readInt32BE(0)
        : chunk.readInt32BE(pos);
      pos += need;
      prefix = Buffer.alloc(0);
      skip = len;
      if (skip === 0) k++;
    }
    return k;
  };
}

socket.on('error', (err) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});

const print = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const round2 = (x) => Math.round(x * 100) / 100;

if (rate === undefined) await closedLoop();
else await openLoop(rate);

async function closedLoop() {
  let replies = 0;
  const count = replyCounter();
  socket.on('data', (chunk) => {
    const k = count(chunk);
    replies += k;
    if (k > 0) socket.write(frames.subarray(0, k * frame.length));
  });
  socket.write(frames);
  await new Promise((r) => setTimeout(r, warmupMs));
  const startReplies = replies;
  const startCpu = process.cpuUsage();
  const startAt = performance.now();
  await new Promise((r) => setTimeout(r, measureMs));
  const elapsed = performance.now() - startAt;
  const cpu = process.cpuUsage(startCpu);
  const counted = replies - startReplies;
  socket.destroy();
  print({
    tps: Math.round((counted / elapsed) * 1000),
    usPerMessage: counted > 0 ? round2((cpu.user + cpu.system) / counted) : null,
    replies: counted,
    measureMs: Math.round(elapsed),
  });
}

/**
 * Open loop at `perSecond`: message n is due at t0 + n/rate. Everything here is preallocated
 * (stamps in a ring, samples in one array) so the reference makes next to no garbage of its own.
 */
async function openLoop(perSecond) {
  const { systemClock } = await import(`${root}dist/src/bench/clock.js`);
  const clock = systemClock;
  // The engine's --precise burst: requests one wake-up may issue.
  const BURST = 16;
  const RING = 1 << 16;
  const stamps = new Float64Array(RING);
  const samples = new Float64Array(Math.ceil((perSecond * measureMs) / 1000) + 1024);
  const frames16 = Buffer.concat(Array.from({ length: BURST }, () => frame));
  let nSamples = 0;
  let sent = 0;
  let replied = 0;
  let measureFromUs = Infinity;
  let measureToUs = Infinity;
  let sending = true;
  const t0 = clock.nowUs() + 1000;
  const dueUs = (n) => t0 + (n * 1e6) / perSecond;
  const count = replyCounter();
  let allReplied;
  socket.on('data', (chunk) => {
    const k = count(chunk);
    if (k === 0) return;
    const now = clock.nowUs();
    for (let i = 0; i < k; i++) {
      const at = stamps[replied++ & (RING - 1)];
      if (at >= measureFromUs && at < measureToUs && nSamples < samples.length)
        samples[nSamples++] = now - at;
    }
    if (sending) dispatch();
    else if (replied === sent) allReplied?.();
  });
  let pacer;
  // Like the engine: what is due goes out at each wake-up, a reply's included, within the
  // in-flight limit (--inflight, rmq's default 32 here), so a starved responder makes the
  // reference fall behind as it makes rmq, rather than queue seconds of requests in the responder.
  const dispatch = () => {
    if (!sending) return;
    const now = clock.nowUs();
    const room = Math.min(BURST, openInflight - (sent - replied));
    let k = 0;
    while (k < room && dueUs(sent + k) <= now) k++;
    if (k > 0) {
      for (let i = 0; i < k; i++) stamps[(sent + i) & (RING - 1)] = now;
      sent += k;
      socket.write(frames16.subarray(0, k * frame.length));
    }
    // Still behind after a full burst: straight back after a turn of the loop, as the engine does.
    if (k === BURST) pacer.arm(now);
    else pacer.arm(dueUs(sent), sent > replied);
  };
  pacer = clock.pacer(dispatch, precise);
  pacer.arm(t0);
  await new Promise((r) => setTimeout(r, warmupMs));
  const eld = monitorEventLoopDelay({ resolution: 10 });
  eld.enable();
  const startCpu = process.cpuUsage();
  const startAt = performance.now();
  measureFromUs = clock.nowUs();
  const startSent = sent;
  await new Promise((r) => setTimeout(r, measureMs));
  measureToUs = clock.nowUs();
  const elapsed = performance.now() - startAt;
  const cpu = process.cpuUsage(startCpu);
  const issued = sent - startSent;
  eld.disable();
  sending = false;
  pacer.cancel();
  // Every reply in, so none is left for the responder to work through in the next side's run.
  if (replied < sent) {
    await new Promise((r) => {
      allReplied = r;
      setTimeout(r, 10_000);
    });
  }
  socket.destroy();
  const sorted = samples.subarray(0, nSamples).sort();
  const q = (p) => (nSamples ? Math.round(sorted[Math.min(nSamples - 1, Math.floor(p * nSamples))]) : null);
  print({
    tps: Math.round((issued / elapsed) * 1000),
    usPerMessage: issued > 0 ? round2((cpu.user + cpu.system) / issued) : null,
    replies: nSamples,
    measureMs: Math.round(elapsed),
    rawUs: { p50: q(0.5), p99: q(0.99), p999: q(0.999) },
    cpuPct: Math.round(((cpu.user + cpu.system) / 1000 / elapsed) * 100),
    // Node's histogram records whole sampling intervals: the delay is what exceeds them.
    eventLoopP99Ms: round2(Math.max(0, eld.percentile(99) / 1e6 - 10)),
  });
}
