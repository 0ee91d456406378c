#!/usr/bin/env node
// The reference for `bench:ceiling`: the least work a Node client can do per message against the
// null responder. It writes SEND_MESSAGE_V2 frames encoded once up front (the same header and
// 1 KiB body as rmq sends) and counts the replies by their length prefixes, without decoding
// them, keeping --inflight requests outstanding. Its msg/s on this machine, in this run, is what
// rmq's closed-loop figure is divided by: an absolute rate is a property of the machine.
//
// Usage (a child of bench-ceiling, one process like `rmq bench`):
//   node scripts/bench-reference-client.mjs --port P [--duration 10s] [--warmup 2s] [--inflight 256] [--size 1024]
// Prints one JSON line: { tps, usPerMessage, replies, measureMs }.
import net from 'node:net';
import { arg, root } from './bench-common.mjs';

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
const size = Number(arg('size', '1024'));

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

let replies = 0;
/** Bytes still to skip of the reply being read, or -1 while its length prefix is incomplete. */
let skip = 0;
let prefix = Buffer.alloc(0);
socket.on('data', (chunk) => {
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
  replies += k;
  if (k > 0) socket.write(frames.subarray(0, k * frame.length));
});
socket.on('error', (err) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
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
process.stdout.write(
  `${JSON.stringify({
    tps: Math.round((counted / elapsed) * 1000),
    usPerMessage: counted > 0 ? Math.round(((cpu.user + cpu.system) / counted) * 100) / 100 : null,
    replies: counted,
    measureMs: Math.round(elapsed),
  })}\n`,
);
