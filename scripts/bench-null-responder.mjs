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
 * answers from a template: the responder must ack at once, and a full decode and encode per
 * message made it allocate enough for its own GC pauses to show up in the tool's latency.
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
  const jsonInt = (header, key) => {
    let i = header.indexOf(key);
    if (i < 0) return 0;
    i += key.length;
    let n = 0;
    let sign = 1;
    if (header[i] === 45) {
      sign = -1;
      i++;
    }
    for (; i < header.length && header[i] >= 48 && header[i] <= 57; i++) n = n * 10 + header[i] - 48;
    return sign * n;
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
      let buf = held ? Buffer.concat([held, chunk]) : chunk;
      held = undefined;
      const out = [];
      let pos = 0;
      while (buf.length - pos >= 8) {
        const len = buf.readInt32BE(pos);
        if (buf.length - pos < 4 + len) break;
        const word = buf.readUInt32BE(pos + 4);
        const header = buf.subarray(pos + 8, pos + 8 + (word & 0xffffff));
        pos += 4 + len;
        let code;
        let flag;
        let opaque;
        if (word >>> 24 === 1) {
          code = header.readInt16BE(0);
          opaque = header.readInt32BE(5);
          flag = header.readInt32BE(9);
        } else {
          code = jsonInt(header, CODE);
          flag = jsonInt(header, FLAG);
          opaque = jsonInt(header, OPAQUE);
        }
        // Oneway requests and responses to nothing we asked get no answer.
        if ((flag & 3) !== 0) continue;
        if (code === 105) out.push(reply(opaque, {}, route));
        else if (code === 310 || code === 10 || code === 320) {
          out.push(
            reply(opaque, {
              msgId: '7F00000100002A9F0000000000000000',
              queueId: '0',
              queueOffset: String(offset++),
            }),
          );
        } else out.push(reply(opaque, {}));
      }
      if (pos < buf.length) held = buf.subarray(pos);
      if (out.length > 0) socket.write(out.length === 1 ? out[0] : Buffer.concat(out));
    });
    socket.on('error', () => {});
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  parentPort.postMessage(server.address().port);
}

if (!isMainThread) await respond();
