import assert from 'node:assert/strict';
import net from 'node:net';
import { Duplex } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import {
  ConnectionClosedError,
  ConnectionError,
  ProtocolError,
  RocketMQError,
  TimeoutError,
} from '../../src/core/errors.js';
import {
  encodeFrame,
  FLAG_ONEWAY,
  FLAG_RESPONSE,
  LanguageCode,
  type RemotingCommand,
  SerializeType,
} from '../../src/core/remoting/command.js';
import { RemotingClient } from '../../src/core/client/remoting-client.js';
import { Connection, type ConnectionOptions, parseAddress } from '../../src/core/remoting/connection.js';
import { FrameDecoder } from '../../src/core/remoting/frame-decoder.js';
import { FakeBroker } from '../helpers/fake-broker.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Settles a promise into a value we can assert on later, so no rejection goes unhandled. */
function settle<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A response frame as a server would write it. */
function responseFrame(opaque: number, over: Partial<RemotingCommand> = {}): Buffer {
  return encodeFrame({
    code: 0,
    language: LanguageCode.JAVA,
    version: 479,
    opaque,
    flag: FLAG_RESPONSE,
    extFields: {},
    serializeType: SerializeType.JSON,
    ...over,
  });
}

/**
 * An in-memory transport: `client` is handed to the Connection, `server` is our end. Writes are
 * recorded per _writev/_write call so coalescing is visible without a socket.
 */
function memoryTransport() {
  const writeCalls: number[] = []; // chunks per call
  const serverDecoder = new FrameDecoder();
  const received: RemotingCommand[] = [];
  const client = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      writeCalls.push(1);
      received.push(...serverDecoder.push(chunk));
      cb();
    },
    writev(chunks, cb) {
      writeCalls.push(chunks.length);
      for (const { chunk } of chunks) received.push(...serverDecoder.push(chunk as Buffer));
      cb();
    },
  });
  const server = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      client.push(chunk);
      cb();
    },
  });
  return { client, server, writeCalls, received };
}

describe('Connection over the fake broker', () => {
  let broker: FakeBroker;
  const open: Connection[] = [];
  const connect = async (opts: Partial<ConnectionOptions> = {}) => {
    const c = await Connection.connect({ address: broker.address, connectTimeoutMs: 1000, ...opts });
    open.push(c);
    return c;
  };

  beforeEach(async () => {
    broker = await FakeBroker.start();
  });
  afterEach(async () => {
    for (const c of open.splice(0)) c.close();
    await broker.close();
  });

  it('correlates out-of-order responses by opaque', async () => {
    broker.respondWith(105, async (req) => {
      await sleep(Number(req.extFields.delay));
      return { body: Buffer.from(`route of ${req.extFields.topic}`) };
    });
    const conn = await connect();
    const order: string[] = [];
    const ask = (topic: string, delay: number) =>
      conn.request(105, { topic, delay: String(delay) }, { timeoutMs: 2000 }).then((res) => {
        order.push(topic);
        return res;
      });
    const [a, b, c] = await Promise.all([ask('A', 120), ask('B', 60), ask('C', 0)]);
    assert.deepEqual(order, ['C', 'B', 'A'], 'the broker really answered in reverse order');
    assert.equal(a.body?.toString(), 'route of A');
    assert.equal(b.body?.toString(), 'route of B');
    assert.equal(c.body?.toString(), 'route of C');
    assert.deepEqual(
      [a.opaque, b.opaque, c.opaque],
      broker.requests.map((r) => r.opaque),
    );
    assert.equal(new Set(broker.requests.map((r) => r.opaque)).size, 3, 'distinct opaques');
    assert.equal(conn.requestsInFlight, 0);
  });

  it('sends version 479 and language JAVA, and records the version the server stamps', async () => {
    broker.respondWith(28, () => ({ version: 409 }));
    const conn = await connect();
    assert.equal(conn.serverVersion, undefined);
    await conn.request(28, {}, { timeoutMs: 1000 });
    assert.equal(broker.requests[0]!.version, 479);
    assert.equal(broker.requests[0]!.language, LanguageCode.JAVA);
    assert.equal(broker.requests[0]!.flag, 0);
    assert.equal(conn.serverVersion, 409);
  });

  it('resolves with non-success responses as they are (the caller decides)', async () => {
    const conn = await connect();
    const res = await conn.request(9999, {}, { timeoutMs: 1000 });
    assert.equal(res.code, 3);
    assert.equal(res.remark, ' request type 9999 not supported');
  });

  it('sends binary headers when asked and still reads the JSON replies 5.x servers send', async () => {
    broker.respondWith(30, (req) => ({ extFields: { offset: req.extFields.queueId === '3' ? '42' : '0' } }));
    const conn = await connect({ serializeType: SerializeType.ROCKETMQ });
    const res = await conn.request(30, { topic: 'T', queueId: '3' }, { timeoutMs: 1000 });
    assert.equal(broker.requests[0]!.serializeType, SerializeType.ROCKETMQ);
    assert.equal(res.serializeType, SerializeType.JSON);
    assert.deepEqual(res.extFields, { offset: '42' });
  });

  it('rejects a timed-out request with a TimeoutError created at the call site', async () => {
    broker.hang();
    const conn = await connect();
    async function requestThatTimesOut() {
      return conn.request(105, { topic: 'T' }, { timeoutMs: 40 });
    }
    const started = Date.now();
    await assert.rejects(requestThatTimesOut(), (err: unknown) => {
      assert.ok(err instanceof TimeoutError);
      assert.equal(err.timeoutMs, 40);
      assert.equal(err.kind, 'timeout');
      assert.match(err.message, /request 105 to 127\.0\.0\.1:\d+ timed out after 40 ms/);
      assert.match(err.stack ?? '', /requestThatTimesOut/, 'stack names the caller');
      assert.match(err.stack ?? '', /connection\.test\.js/);
      return true;
    });
    assert.ok(Date.now() - started >= 35, 'not before its time');
    assert.equal(conn.requestsInFlight, 0);
    assert.equal(conn.closed, false, 'a timeout does not close the connection');
  });

  it('ignores a response that arrives after its request timed out', async () => {
    let answered = 0;
    broker.respondWith(105, async (req) => {
      if (req.extFields.topic === 'slow') await sleep(120);
      answered++;
      return { body: Buffer.from(req.extFields.topic!) };
    });
    const conn = await connect();
    await assert.rejects(conn.request(105, { topic: 'slow' }, { timeoutMs: 30 }), TimeoutError);
    await broker.waitFor(() => answered === 1, 1000, 'the late answer');
    await sleep(30); // let the late frame reach the client
    const next = await conn.request(105, { topic: 'fast' }, { timeoutMs: 1000 });
    assert.equal(next.body?.toString(), 'fast');
    assert.equal(conn.closed, false);
    assert.equal(conn.requestsInFlight, 0);
  });

  it('close() rejects everything in flight with ConnectionClosedError, and later requests too', async () => {
    broker.hang();
    const conn = await connect();
    const pending = [1, 2, 3].map((i) => settle(conn.request(105, { topic: `T${i}` }, { timeoutMs: 5000 })));
    await broker.waitForRequests(3);
    conn.close();
    for (const r of await Promise.all(pending)) {
      assert.equal(r.ok, false);
      assert.ok(!r.ok && r.error instanceof ConnectionClosedError);
    }
    assert.equal(conn.closed, true);
    assert.equal(conn.requestsInFlight, 0);
    await assert.rejects(conn.request(105, {}, { timeoutMs: 100 }), ConnectionClosedError);
    assert.throws(() => conn.oneway(15, {}), ConnectionClosedError);
    await broker.waitFor(() => broker.connections === 0, 1000, 'the socket to close');
  });

  it('rejects in-flight requests with a ConnectionError when the server dies mid-frame', async () => {
    broker.respondWith(105, () => ({ body: Buffer.alloc(4000, 0x61) })).disconnectMidFrame();
    const conn = await connect();
    const closed = new Promise<Error>((resolve) => conn.once('close', resolve));
    const started = Date.now();
    await assert.rejects(conn.request(105, { topic: 'T' }, { timeoutMs: 3000 }), (err: unknown) => {
      assert.ok(err instanceof ConnectionError);
      assert.equal(err.retriable, true);
      return true;
    });
    assert.ok(Date.now() - started < 2000, 'rejected by the disconnect, not by the timeout');
    assert.ok((await closed) instanceof ConnectionError);
    assert.equal(conn.closed, true);
  });

  it('closes with a ProtocolError on garbage and rejects what was in flight with it', async () => {
    broker.hang();
    const conn = await connect();
    const closed = new Promise<Error>((resolve) => conn.once('close', resolve));
    const pending = settle(conn.request(105, { topic: 'T' }, { timeoutMs: 3000 }));
    await broker.waitForRequests(1);
    await broker.sendGarbage(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'));
    const r = await pending;
    assert.ok(!r.ok && r.error instanceof ProtocolError, `got ${!r.ok && String(r.error)}`);
    assert.ok((await closed) instanceof ProtocolError);
    assert.equal(conn.closed, true);
    await broker.waitFor(() => broker.connections === 0, 1000, 'the client to drop the socket');
  });

  it('decodes a response dripped one byte at a time', async () => {
    broker.hang();
    const conn = await connect();
    const p = conn.request(105, { topic: 'T' }, { timeoutMs: 3000 });
    await broker.waitForRequests(1);
    const frame = responseFrame(broker.requests[0]!.opaque, {
      body: Buffer.from('{"x":1}'),
      extFields: { k: 'v' },
    });
    await broker.slowDrip(frame.subarray(0, 40), 1);
    await broker.sendRaw(frame.subarray(40));
    const res = await p;
    assert.equal(res.body?.toString(), '{"x":1}');
    assert.deepEqual(res.extFields, { k: 'v' });
  });

  it('answers a server request with the registered handler: same opaque, flag 1', async () => {
    const conn = await connect();
    const seen: RemotingCommand[] = [];
    conn.onRequest(307, (req, c) => {
      seen.push(req);
      assert.equal(c, conn);
      return {
        code: 0,
        extFields: { jstack: 'no' },
        body: Buffer.from(`running ${req.extFields.consumerGroup}`),
      };
    });
    const res = await broker.sendRequest({ code: 307, extFields: { consumerGroup: 'G1', clientId: 'c' } });
    assert.ok(res);
    assert.equal(res.flag, FLAG_RESPONSE);
    assert.equal(res.code, 0);
    assert.equal(res.opaque, 1);
    assert.deepEqual(res.extFields, { jstack: 'no' });
    assert.equal(res.body?.toString(), 'running G1');
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.extFields.consumerGroup, 'G1');
  });

  it('answers with an async handler, and with code 1 when the handler throws', async () => {
    const conn = await connect();
    conn.onRequest(221, async () => {
      await sleep(20);
      return { code: 0, remark: 'later' };
    });
    conn.onRequest(309, () => {
      throw new Error('cannot consume directly');
    });
    const later = await broker.sendRequest({ code: 221 });
    assert.equal(later?.remark, 'later');
    const failed = await broker.sendRequest({ code: 309 });
    assert.equal(failed?.code, 1);
    assert.equal(failed?.remark, 'cannot consume directly');
  });

  it('answers an unregistered server request with code 3 "not supported"', async () => {
    await connect();
    const res = await broker.sendRequest({ code: 326, opaque: 77 });
    assert.ok(res);
    assert.equal(res.code, 3);
    assert.equal(res.opaque, 77);
    assert.equal(res.flag, FLAG_RESPONSE);
    assert.match(res.remark ?? '', /request type 326 not supported/);
  });

  it('never answers a oneway server request, though its handler runs', async () => {
    const conn = await connect();
    let calls = 0;
    conn.onRequest(40, () => {
      calls++;
      return { code: 0 };
    });
    const oneway = await broker.sendRequest(
      { code: 40, flag: FLAG_ONEWAY, extFields: { consumerGroup: 'G' } },
      150,
    );
    assert.equal(oneway, undefined);
    assert.equal(calls, 1);
    // Unregistered oneway codes get no "not supported" either.
    assert.equal(await broker.sendRequest({ code: 39, flag: FLAG_ONEWAY }, 100), undefined);
    const normal = await broker.sendRequest({ code: 40 });
    assert.equal(normal?.code, 0);
    assert.equal(broker.clientResponses.length, 1, 'only the two-way request was answered');
  });

  it('treats a server request whose opaque collides with ours as a request, not our response', async () => {
    broker.hang();
    const conn = await connect();
    conn.onRequest(221, () => ({ code: 0 }));
    const mine = settle(conn.request(105, { topic: 'T' }, { timeoutMs: 150 }));
    await broker.waitForRequests(1);
    const opaque = broker.requests[0]!.opaque;
    const res = await broker.sendRequest({ code: 221, opaque });
    assert.equal(res?.opaque, opaque);
    const r = await mine;
    assert.ok(!r.ok && r.error instanceof TimeoutError, 'our request was not resolved by their request');
  });

  it('holds the third request until one of two in flight completes (maxInFlight 2)', async () => {
    const gates = new Map<string, ReturnType<typeof deferred<void>>>();
    broker.respondWith(105, async (req) => {
      const g = deferred<void>();
      gates.set(req.extFields.topic!, g);
      await g.promise;
      return { body: Buffer.from(req.extFields.topic!) };
    });
    const conn = await connect({ maxInFlight: 2 });
    const results = ['A', 'B', 'C'].map((t) => conn.request(105, { topic: t }, { timeoutMs: 3000 }));
    await broker.waitForRequests(2);
    await sleep(50);
    assert.deepEqual(
      broker.requests.map((r) => r.extFields.topic),
      ['A', 'B'],
      'C waits for a slot',
    );
    assert.equal(conn.requestsInFlight, 2);
    gates.get('B')!.resolve();
    assert.equal((await results[1])?.body?.toString(), 'B');
    await broker.waitForRequests(3);
    assert.equal(broker.requests[2]!.extFields.topic, 'C');
    gates.get('A')!.resolve();
    gates.get('C')!.resolve();
    assert.deepEqual(
      (await Promise.all(results)).map((r) => r.body?.toString()),
      ['A', 'B', 'C'],
    );
    assert.equal(conn.requestsInFlight, 0);
  });

  it('times out a request still waiting for a slot, without sending it', async () => {
    broker.hang();
    const conn = await connect({ maxInFlight: 1 });
    const first = settle(conn.request(105, { topic: 'A' }, { timeoutMs: 300 }));
    await assert.rejects(conn.request(105, { topic: 'B' }, { timeoutMs: 50 }), TimeoutError);
    await first;
    assert.deepEqual(
      broker.requests.map((r) => r.extFields.topic),
      ['A'],
    );
  });

  it('never exceeds maxInFlight when a slot frees up while a server request issues a request', async () => {
    broker.hang();
    const conn = await connect({ maxInFlight: 2 });
    const outcomes: Promise<unknown>[] = [];
    conn.onRequest(40, () => {
      outcomes.push(settle(conn.request(105, { topic: 'D' }, { timeoutMs: 400 })));
      return undefined;
    });
    for (const t of ['A', 'B', 'C'])
      outcomes.push(settle(conn.request(105, { topic: t }, { timeoutMs: 400 })));
    await broker.waitForRequests(2);
    // One chunk: the answer to A, then a oneway server request whose handler sends D.
    const notify = encodeFrame({
      code: 40,
      language: LanguageCode.JAVA,
      version: 479,
      opaque: 900,
      flag: FLAG_ONEWAY,
      extFields: { consumerGroup: 'G' },
      serializeType: SerializeType.JSON,
    });
    await broker.sendRaw(Buffer.concat([responseFrame(broker.requests[0]!.opaque), notify]));
    await sleep(60);
    const outstanding = broker.requests.length - 1; // A was answered
    assert.ok(outstanding <= 2, `${outstanding} requests in flight at the server with maxInFlight 2`);
    assert.ok(conn.requestsInFlight <= 2, `requestsInFlight = ${conn.requestsInFlight}`);
    await Promise.all(outcomes);
  });

  it('sends oneway requests with flag 2', async () => {
    const conn = await connect();
    conn.oneway(15, { consumerGroup: 'G', topic: 'T', queueId: '0', commitOffset: '5' });
    await broker.waitForRequests(1);
    assert.equal(broker.requests[0]!.flag, FLAG_ONEWAY);
    assert.equal(broker.requests[0]!.extFields.commitOffset, '5');
    assert.equal(conn.requestsInFlight, 0);
  });

  it('applies the request hook to every request before it is encoded', async () => {
    broker.respondWith(28, () => ({}));
    const conn = await connect({
      requestHook: (cmd) => {
        cmd.extFields = { ...cmd.extFields, AccessKey: 'ak', Signature: `sig-${cmd.code}` };
      },
    });
    await conn.request(28, {}, { timeoutMs: 1000 });
    assert.deepEqual(broker.requests[0]!.extFields, { AccessKey: 'ak', Signature: 'sig-28' });
  });

  it('coalesces requests made in one tick into fewer socket chunks', async () => {
    broker.respondWith(105, (req) => ({ body: Buffer.from(req.extFields.topic!) }));
    const conn = await connect();
    const n = 20;
    const before = broker.chunks.length;
    const all = Array.from({ length: n }, (_, i) =>
      conn.request(105, { topic: `T${i}` }, { timeoutMs: 2000 }),
    );
    const res = await Promise.all(all);
    assert.deepEqual(
      res.map((r) => r.body?.toString()),
      Array.from({ length: n }, (_, i) => `T${i}`),
    );
    const chunks = broker.chunks.length - before;
    assert.ok(chunks < n, `${n} requests arrived in ${chunks} chunks`);
  });
});

describe('oneway sends against a broker that stops reading', () => {
  it('resolve only for bytes the kernel took, and the client buffers no more than a high-water mark', async () => {
    const broker = await FakeBroker.start();
    broker.pause();
    let socket: net.Socket | undefined;
    const client = new RemotingClient({
      timeoutMs: 3000,
      transportFactory: (host, port) => (socket = net.connect({ host, port, noDelay: true })),
    });
    try {
      const body = Buffer.alloc(64 * 1024, 0x61);
      // 128 MiB: far more than loopback socket buffers hold, so the kernel fills up long before.
      const cap = 2048;
      // As many in flight as `rmq bench`'s default --inflight, kept busy like its closed loop.
      const inflight = 32;
      let issued = 0;
      let sent = 0;
      let failed: unknown;
      let maxBuffered = 0;
      let lastProgress = Date.now();
      let stopped = false;
      const outstanding: Promise<void>[] = [];
      const pump = (): void => {
        while (issued - sent < inflight && issued < cap && failed === undefined && !stopped) {
          issued++;
          outstanding.push(
            client.oneway(broker.address, 310, { n: String(issued) }, body).then(
              () => {
                sent++;
                lastProgress = Date.now();
                pump();
              },
              (err: unknown) => {
                failed = err;
              },
            ),
          );
          if (socket) maxBuffered = Math.max(maxBuffered, socket.writableLength);
        }
      };
      pump();
      // Stalled: over the high-water mark and nothing taken for a while (or, unbounded, all sent).
      await new Promise<void>((resolve) => {
        const watch = setInterval(() => {
          const stalled = socket?.writableNeedDrain === true && Date.now() - lastProgress > 300;
          if (stalled || sent === cap || failed !== undefined) {
            stopped = true;
            clearInterval(watch);
            resolve();
          }
        }, 20);
      });
      assert.equal(failed, undefined);
      const s = socket!;
      // The frame is the body plus a header of a hundred-odd bytes.
      const frameMax = body.length + 512;
      assert.ok(sent < cap, `all ${cap} oneway sends resolved though the broker read nothing`);
      assert.ok(
        maxBuffered <= s.writableHighWaterMark + frameMax,
        `the client buffered ${maxBuffered} bytes (high-water mark ${s.writableHighWaterMark})`,
      );
      // What the kernel took: bytes whose write completed (written minus those still buffered).
      const taken = s.bytesWritten - s.writableLength;
      assert.ok(
        sent * body.length <= taken && taken <= sent * frameMax,
        `${sent} sends resolved, the kernel took ${taken} bytes`,
      );
      // Once the broker reads again, everything that was issued arrives and resolves.
      broker.resume();
      await Promise.all(outstanding);
      await broker.waitForRequests(issued, 20_000);
      assert.equal(sent, issued);
      assert.equal(broker.requests.length, issued);
      assert.ok(broker.requests.every((r, i) => r.flag === FLAG_ONEWAY && r.extFields.n === String(i + 1)));
    } finally {
      client.close();
      await broker.close();
    }
  });

  it('rejects oneway sends waiting for the socket to drain when the connection closes', async () => {
    const broker = await FakeBroker.start();
    broker.pause();
    const client = new RemotingClient({ timeoutMs: 3000 });
    try {
      const conn = await client.connection(broker.address);
      const body = Buffer.alloc(256 * 1024, 0x61);
      // Enough to fill the socket buffers: the later ones wait for a 'drain' that never comes.
      const pending = Array.from({ length: 400 }, () => settle(conn.onewayFlushed(310, {}, body)));
      await sleep(200);
      conn.close();
      const outcomes = await Promise.all(pending);
      const rejected = outcomes.filter((o) => !o.ok);
      assert.ok(rejected.length > 0, 'some sends were still waiting');
      assert.ok(rejected.every((o) => !o.ok && o.error instanceof ConnectionClosedError));
      // In order: what was flushed precedes what was not.
      const firstRejected = outcomes.findIndex((o) => !o.ok);
      assert.ok(outcomes.slice(firstRejected).every((o) => !o.ok));
    } finally {
      client.close();
      await broker.close();
    }
  });
});

describe('Connection.connect', () => {
  it('fails fast with ConnectionError when the port refuses', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const { port } = server.address() as net.AddressInfo;
    await new Promise<void>((r) => server.close(() => r()));
    const started = Date.now();
    await assert.rejects(
      Connection.connect({ address: `127.0.0.1:${port}`, connectTimeoutMs: 5000 }),
      (err: unknown) => {
        assert.ok(err instanceof ConnectionError);
        assert.equal(err.address, `127.0.0.1:${port}`);
        assert.match(err.message, /refused/);
        assert.equal((err.cause as NodeJS.ErrnoException).code, 'ECONNREFUSED');
        return true;
      },
    );
    assert.ok(Date.now() - started < 1000, 'did not wait for the connect timeout');
  });

  it('gives up after connectTimeoutMs with ConnectionError and destroys the socket', async () => {
    let socket: net.Socket | undefined;
    const started = Date.now();
    await assert.rejects(
      Connection.connect({
        address: 'localhost:9876',
        connectTimeoutMs: 80,
        // A lookup that never answers keeps the socket "connecting" without any network.
        transportFactory: (host, port) => {
          socket = net.connect({ host, port, lookup: () => {} });
          return socket;
        },
      }),
      (err: unknown) => {
        assert.ok(err instanceof ConnectionError);
        assert.match(err.message, /within 80 ms/);
        return true;
      },
    );
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 75 && elapsed < 1000, `took ${elapsed} ms`);
    assert.equal(socket?.destroyed, true);
  });

  it('rejects a malformed address before opening anything', async () => {
    let opened = false;
    const factory = () => {
      opened = true;
      return new Duplex({
        read() {},
        write(_c, _e, cb) {
          cb();
        },
      });
    };
    for (const address of ['nohost', ':9876', 'host:0', 'host:70000', 'host:abc']) {
      assert.throws(() => Connection.connect({ address, transportFactory: factory }), RocketMQError, address);
    }
    assert.equal(opened, false);
    assert.deepEqual(parseAddress('[::1]:9876'), { host: '::1', port: 9876 });
  });
});

describe('Connection over an in-memory transport', () => {
  it('passes host and port to the factory and talks through the duplex', async () => {
    const t = memoryTransport();
    const calls: [string, number][] = [];
    const conn = await Connection.connect({
      address: 'broker.test:10911',
      transportFactory: (host, port) => {
        calls.push([host, port]);
        return t.client;
      },
    });
    assert.deepEqual(calls, [['broker.test', 10911]]);
    const p = conn.request(106, {}, { timeoutMs: 1000 });
    await sleep(5);
    assert.equal(t.received.length, 1);
    t.server.write(responseFrame(t.received[0]!.opaque, { body: Buffer.from('{}') }));
    assert.equal((await p).body?.toString(), '{}');
    conn.close();
    assert.equal(t.client.destroyed, true);
  });

  it('writes requests made in one tick with a single writev call', async () => {
    const t = memoryTransport();
    const conn = await Connection.connect({ address: 'mem:1', transportFactory: () => t.client });
    const pending = Array.from({ length: 5 }, (_, i) =>
      settle(conn.request(105, { topic: `T${i}` }, { timeoutMs: 500 })),
    );
    await sleep(5);
    assert.deepEqual(t.writeCalls, [5]);
    assert.deepEqual(
      t.received.map((r) => r.extFields.topic),
      ['T0', 'T1', 'T2', 'T3', 'T4'],
    );
    // Answer in reverse order through the duplex, all in one chunk.
    t.server.write(
      Buffer.concat(
        [...t.received].reverse().map((r) => responseFrame(r.opaque, { remark: r.extFields.topic })),
      ),
    );
    const res = await Promise.all(pending);
    assert.deepEqual(
      res.map((r) => (r.ok ? r.value.remark : 'failed')),
      ['T0', 'T1', 'T2', 'T3', 'T4'],
    );
    conn.close();
  });

  it('rejects in flight with ConnectionClosedError when the transport ends', async () => {
    const t = memoryTransport();
    const conn = await Connection.connect({ address: 'mem:1', transportFactory: () => t.client });
    const p = settle(conn.request(105, {}, { timeoutMs: 1000 }));
    await sleep(5);
    t.client.destroy();
    const r = await p;
    assert.ok(!r.ok && r.error instanceof ConnectionClosedError);
  });

  it('rejects in flight when the transport errors, with the cause kept', async () => {
    const t = memoryTransport();
    const conn = await Connection.connect({ address: 'mem:1', transportFactory: () => t.client });
    const p = settle(conn.request(105, {}, { timeoutMs: 1000 }));
    await sleep(5);
    const boom = new Error('ECONNRESET');
    t.client.destroy(boom);
    const r = await p;
    assert.ok(!r.ok && r.error instanceof ConnectionError);
    assert.equal(!r.ok && (r.error as Error).cause, boom);
  });
});

/**
 * A server on another thread, so it answers while this one is busy: it replies to every request
 * frame with an empty success carrying the request's opaque (JSON headers only), except code 99,
 * which it never answers.
 */
const ANSWERING_SERVER = `
const net = require('node:net');
const { parentPort } = require('node:worker_threads');
const server = net.createServer((s) => {
  let buf = Buffer.alloc(0);
  s.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
      const len = buf.readUInt32BE(0);
      const headerLen = buf.readUInt32BE(4) & 0xffffff;
      const { opaque, code } = JSON.parse(buf.subarray(8, 8 + headerLen).toString());
      buf = buf.subarray(4 + len);
      if (code === 99) continue;
      const header = Buffer.from(JSON.stringify({ code: 0, language: 'JAVA', version: 479, opaque, flag: 1, extFields: {}, serializeTypeCurrentRPC: 'JSON' }));
      const frame = Buffer.alloc(8 + header.length);
      frame.writeUInt32BE(4 + header.length, 0);
      frame.writeUInt32BE(header.length, 4);
      header.copy(frame, 8);
      s.write(frame);
    }
  });
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
`;

describe('a timeout after the process was busy', () => {
  it('reads the replies that came meanwhile before it fails a request', async () => {
    const worker = new Worker(ANSWERING_SERVER, { eval: true });
    try {
      const port = await new Promise<number>((r) => worker.once('message', r));
      const conn = await Connection.connect({ address: `127.0.0.1:${port}` });
      try {
        const answered = await conn.request(10, {}, { timeoutMs: 2000 });
        assert.equal(answered.code, 0, 'the server answers');
        const reply = settle(conn.request(10, {}, { timeoutMs: 100 }));
        // Let the request go out, then stay busy past its deadline while the other thread answers:
        // the timer and the reply are both due when this thread looks again, as after a long
        // deschedule on a loaded machine.
        await new Promise((r) => setImmediate(r));
        const until = Date.now() + 500;
        while (Date.now() < until);
        const r = await reply;
        assert.ok(r.ok, `failed although the reply had come: ${r.ok ? '' : String(r.error)}`);
        assert.equal(r.value.code, 0);
        // And a request no one answers still times out.
        const s = await settle(conn.request(99, {}, { timeoutMs: 100 }));
        assert.ok(!s.ok && s.error instanceof TimeoutError, 'an unanswered request times out');
      } finally {
        conn.close();
      }
    } finally {
      await worker.terminate();
    }
  });
});
