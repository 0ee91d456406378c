// A null RocketMQ responder for the instrument benchmarks (bench-ceiling, bench-soak): one TCP
// port that is name server and broker at once, routes every topic to itself (8 queues) and
// answers every request with success at once. It runs in a worker thread so the process that
// starts it keeps its own thread for measuring. Uses the built codec (dist/), so build first.
//
//   import { startNullResponder } from './bench-null-responder.mjs';
//   const { port, stop } = await startNullResponder();
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';

const root = fileURLToPath(new URL('..', import.meta.url));

export async function startNullResponder() {
  const worker = new Worker(fileURLToPath(import.meta.url));
  const port = await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return { port, stop: () => worker.terminate() };
}

/**
 * Reads only what a reply needs — code, flag and opaque — straight from the frame bytes, and
 * writes the answer to a send from a template: the responder must ack at once, and its own
 * garbage is GC pauses in the replies, which the tool-overhead figure would count as the tool's.
 * (A decode and encode per message made the pauses show; objects, a frame and an array per reply
 * still made it scavenge every ~200 ms at 20k msg/s, 2-4 ms each.) The replies to one chunk go
 * out in one buffer.
 *
 * Frame: int32 length | int32 (serializeType << 24 | headerLen) | header | body.
 * JSON header: {"code":N,…,"flag":N,…,"opaque":N,…}; ROCKETMQ binary header: int16 code,
 * int8 language, int16 version, int32 opaque, int32 flag, ….
 */
async function respond() {
  const { encodeFrame, FLAG_RESPONSE, SerializeType } = await import(
    `${root}dist/src/core/remoting/command.js`
  );
  const CODE = Buffer.from('"code":');
  const FLAG = Buffer.from('"flag":');
  const OPAQUE = Buffer.from('"opaque":');
  /** The integer after `key` in buf[start, end), or 0. */
  const jsonInt = (buf, start, end, key) => {
    let i = buf.indexOf(key, start);
    if (i < 0 || i >= end) return 0;
    i += key.length;
    let n = 0;
    let sign = 1;
    if (buf[i] === 45) {
      sign = -1;
      i++;
    }
    for (; i < end && buf[i] >= 48 && buf[i] <= 57; i++) n = n * 10 + buf[i] - 48;
    return sign * n;
  };
  // The reply to a send, as encodeFrame writes it, around its two numbers.
  const SEND_HEAD = Buffer.from(
    '{"code":0,"extFields":{"msgId":"7F00000100002A9F0000000000000000","queueId":"0","queueOffset":"',
  );
  const SEND_MID = Buffer.from('"},"flag":1,"language":"JAVA","opaque":');
  const SEND_TAIL = Buffer.from(',"serializeTypeCurrentRPC":"JSON","version":479}');
  const SEND_MAX = 8 + SEND_HEAD.length + 16 + SEND_MID.length + 11 + SEND_TAIL.length;
  const digits = (buf, pos, n) => {
    if (n < 0) {
      buf[pos++] = 45;
      n = -n;
    }
    let len = 1;
    for (let x = n; x >= 10; x = Math.floor(x / 10)) len++;
    for (let at = pos + len - 1; at >= pos; at--) {
      const q = Math.floor(n / 10);
      buf[at] = 48 + n - q * 10;
      n = q;
    }
    return pos + len;
  };
  const writeSendReply = (buf, pos, opaque, queueOffset) => {
    const start = pos;
    pos += 8;
    buf.set(SEND_HEAD, pos);
    pos = digits(buf, pos + SEND_HEAD.length, queueOffset);
    buf.set(SEND_MID, pos);
    pos = digits(buf, pos + SEND_MID.length, opaque);
    buf.set(SEND_TAIL, pos);
    pos += SEND_TAIL.length;
    buf.writeInt32BE(pos - start - 4, start);
    buf.writeInt32BE(pos - start - 8, start + 4);
    return pos;
  };
  let offset = 0;
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    const self = `127.0.0.1:${server.address().port}`;
    const route = Buffer.from(
      JSON.stringify({
        brokerDatas: [{ brokerAddrs: { 0: self }, brokerName: 'null-broker', cluster: 'NullCluster' }],
        filterServerTable: {},
        queueDatas: [
          { brokerName: 'null-broker', perm: 6, readQueueNums: 8, topicSysFlag: 0, writeQueueNums: 8 },
        ],
      }),
    );
    const reply = (opaque, extFields, body) =>
      encodeFrame({
        code: 0,
        language: 0,
        version: 479,
        opaque,
        flag: FLAG_RESPONSE,
        extFields,
        body,
        serializeType: SerializeType.JSON,
      });
    let held;
    socket.on('data', (chunk) => {
      const buf = held ? Buffer.concat([held, chunk]) : chunk;
      held = undefined;
      // Room for a reply to a send per whole frame in the chunk.
      let frames = 0;
      for (
        let p = 0;
        buf.length - p >= 4 && buf.length - p >= 4 + buf.readInt32BE(p);
        p += 4 + buf.readInt32BE(p)
      )
        frames++;
      let out = Buffer.allocUnsafe(frames * SEND_MAX);
      let n = 0;
      let pos = 0;
      while (buf.length - pos >= 8) {
        const len = buf.readInt32BE(pos);
        if (buf.length - pos < 4 + len) break;
        const word = buf.readUInt32BE(pos + 4);
        const hs = pos + 8;
        const he = hs + (word & 0xffffff);
        pos += 4 + len;
        let code;
        let flag;
        let opaque;
        if (word >>> 24 === 1) {
          code = buf.readInt16BE(hs);
          opaque = buf.readInt32BE(hs + 5);
          flag = buf.readInt32BE(hs + 9);
        } else {
          code = jsonInt(buf, hs, he, CODE);
          flag = jsonInt(buf, hs, he, FLAG);
          opaque = jsonInt(buf, hs, he, OPAQUE);
        }
        // Oneway requests and responses to nothing we asked get no answer.
        if ((flag & 3) !== 0) continue;
        if (code === 310 || code === 10 || code === 320) {
          n = writeSendReply(out, n, opaque, offset++);
          continue;
        }
        const other = code === 105 ? reply(opaque, {}, route) : reply(opaque, {});
        if (n + other.length > out.length)
          out = Buffer.concat([out.subarray(0, n), Buffer.alloc(other.length)]);
        n += other.copy(out, n);
      }
      if (pos < buf.length) held = buf.subarray(pos);
      if (n > 0) socket.write(out.subarray(0, n));
    });
    socket.on('error', () => {});
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  parentPort.postMessage(server.address().port);
}

if (!isMainThread) await respond();
