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

async function respond() {
  const { FrameDecoder } = await import(`${root}dist/src/core/remoting/frame-decoder.js`);
  const { encodeFrame, FLAG_RESPONSE, isOneway, SerializeType } = await import(
    `${root}dist/src/core/remoting/command.js`
  );
  let offset = 0;
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    const decoder = new FrameDecoder();
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
    socket.on('data', (chunk) => {
      const out = [];
      for (const req of decoder.push(chunk)) {
        if (isOneway(req) || (req.flag & FLAG_RESPONSE) !== 0) continue;
        const res = {
          code: 0,
          language: 0,
          version: 479,
          opaque: req.opaque,
          flag: FLAG_RESPONSE,
          extFields: {},
          serializeType: SerializeType.JSON,
        };
        if (req.code === 105) res.body = route;
        else if (req.code === 310 || req.code === 10 || req.code === 320) {
          res.extFields = {
            msgId: '7F00000100002A9F0000000000000000',
            queueId: req.extFields.e ?? '0',
            queueOffset: String(offset++),
          };
        }
        out.push(encodeFrame(res));
      }
      if (out.length > 0) socket.write(out.length === 1 ? out[0] : Buffer.concat(out));
    });
    socket.on('error', () => {});
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  parentPort.postMessage(server.address().port);
}

if (!isMainThread) await respond();
