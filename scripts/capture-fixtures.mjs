#!/usr/bin/env node
/**
 * Records what a real RocketMQ name server and broker send, for the codec and decoder tests.
 *
 *   npx tsc -p . && node scripts/capture-fixtures.mjs [--namesrv host:port] [--broker host:port] [--out dir]
 *
 * Addresses also come from the environment (NAMESRV, BROKER); without a broker the master of the
 * first broker the name server lists is used. Creates `fixture_topic` (8 queues) and
 * `fixture_group`, sends no messages, writes `test/fixtures/<serverVersion>/`, and deletes the
 * topic and group again, even when a capture fails.
 *
 * Output:
 *   <name>.body  raw response body bytes
 *   <name>.bin   a whole response frame exactly as received (length prefix included), read from a
 *                plain net.Socket after writing a frame built with our encodeFrame
 *   index.json   what each file is: request code and extFields, request version and header type,
 *                response code/remark/header type/version, server version and capture date
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLIENT_LANGUAGE, encodeFrame, SerializeType } from '../dist/src/core/remoting/command.js';
import { Connection } from '../dist/src/core/remoting/connection.js';
import { FrameDecoder } from '../dist/src/core/remoting/frame-decoder.js';

const TOPIC = 'fixture_topic';
const GROUP = 'fixture_group';
const ABSENT_TOPIC = 'fixture_absent_topic';
const QUEUES = 8;
const TIMEOUT_MS = 5000;

/** MQVersion.Version ordinals of the releases we expect to meet (CM/MQVersion.java). */
const VERSION_NAMES = {
  400: '4.9.3',
  401: '4.9.4',
  407: '4.9.7',
  409: '4.9.8',
  413: '5.0.0',
  433: '5.1.0',
  475: '5.3.1',
  477: '5.3.2',
  479: '5.3.3',
};

function parseArgs(argv) {
  const opts = {
    namesrv: process.env.NAMESRV ?? process.env.NAMESRV_ADDR,
    broker: process.env.BROKER,
    out: undefined,
  };
  const positional = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--namesrv' || a === '-n') opts.namesrv = argv[++i];
    else if (a === '--broker' || a === '-b') opts.broker = argv[++i];
    else if (a === '--out' || a === '-o') opts.out = argv[++i];
    else if (a === '--help' || a === '-h') {
      console.log(
        'usage: node scripts/capture-fixtures.mjs [--namesrv host:port] [--broker host:port] [--out dir]',
      );
      process.exit(0);
    } else positional.push(a);
  }
  opts.namesrv = positional[0] ?? opts.namesrv ?? '127.0.0.1:9876';
  opts.broker = positional[1] ?? opts.broker;
  return opts;
}

/** Writes one frame on a fresh socket and returns the first whole frame the server sends back. */
function rawExchange(address, cmd) {
  const idx = address.lastIndexOf(':');
  const host = address.slice(0, idx);
  const port = Number(address.slice(idx + 1));
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const chunks = [];
    let total = 0;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no reply from ${address} within ${TIMEOUT_MS} ms`));
    }, TIMEOUT_MS);
    socket.on('connect', () => socket.write(encodeFrame(cmd)));
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      total += chunk.length;
      const buf = Buffer.concat(chunks, total);
      if (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        clearTimeout(timer);
        socket.destroy();
        resolve(buf.subarray(0, 4 + buf.readInt32BE(0)));
      }
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

function decodeOne(frameWithPrefix) {
  const frames = new FrameDecoder().push(frameWithPrefix);
  if (frames.length !== 1) throw new Error(`expected one frame, decoded ${frames.length}`);
  return frames[0];
}

const serializeName = (t) => (t === SerializeType.ROCKETMQ ? 'ROCKETMQ' : 'JSON');

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const captured = []; // { file, data, meta }
  let opaque = 1000;

  const ns = await Connection.connect({ address: opts.namesrv, connectTimeoutMs: TIMEOUT_MS });
  let broker;
  const cleanup = [];
  try {
    // Cluster info first: it also tells us the broker when none was given.
    const clusterRes = await ns.request(106, {}, { timeoutMs: TIMEOUT_MS });
    if (!opts.broker) {
      const m = /"brokerAddrs":\{"?0"?:"([^"]+)"/.exec(clusterRes.body?.toString('utf8') ?? '');
      if (!m) throw new Error('no broker given and the name server lists no master; pass --broker');
      opts.broker = m[1];
    }
    broker = await Connection.connect({ address: opts.broker, connectTimeoutMs: TIMEOUT_MS });

    const runtime = await broker.request(28, {}, { timeoutMs: TIMEOUT_MS });
    const desc = /"brokerVersionDesc":"V?([0-9_]+)[^"]*"/.exec(runtime.body?.toString('utf8') ?? '');
    const serverVersion = desc
      ? desc[1].replace(/_+$/, '').replaceAll('_', '.')
      : (VERSION_NAMES[runtime.version] ?? `ordinal-${runtime.version}`);
    const outDir = path.resolve(opts.out ?? path.join(root, 'test', 'fixtures', serverVersion));
    console.log(
      `server ${serverVersion} (broker ordinal ${runtime.version}, name server ordinal ${clusterRes.version})`,
    );

    const viaConnection = async (file, target, code, extFields, body) => {
      const conn = target === 'namesrv' ? ns : broker;
      const res = await conn.request(code, extFields, { timeoutMs: TIMEOUT_MS, body });
      record(
        file,
        target,
        { code, extFields, version: 479, serializeType: SerializeType.JSON },
        res,
        res.body,
      );
      return res;
    };
    const record = (file, target, req, res, data) => {
      const meta = {
        target,
        address: target === 'namesrv' ? opts.namesrv : opts.broker,
        requestCode: req.code,
        extFields: req.extFields,
        requestVersion: req.version,
        requestSerializeType: serializeName(req.serializeType),
        ...(req.opaque === undefined ? {} : { requestOpaque: req.opaque }),
        responseCode: res.code,
        responseRemark: res.remark ?? null,
        responseSerializeType: serializeName(res.serializeType),
        responseVersion: res.version,
        bytes: data?.length ?? 0,
      };
      if (data && data.length > 0) {
        captured.push({ file, data, meta });
        console.log(`  ${file}: code ${res.code}, ${data.length} bytes`);
      } else {
        // e.g. GET_TOPIC_CONFIG (351) on 4.9.x answers 3 without a body: keep the fact, not a file.
        captured.push({ file: null, data: null, meta: { ...meta, wanted: file } });
        console.warn(`  ${file}: code ${res.code} ${res.remark ?? ''} (no body, not written)`);
      }
    };
    const viaRaw = async (
      file,
      target,
      code,
      extFields,
      { version = 479, serializeType = SerializeType.JSON, frame = false } = {},
    ) => {
      const req = {
        code,
        language: CLIENT_LANGUAGE,
        version,
        opaque: opaque++,
        flag: 0,
        extFields,
        serializeType,
      };
      const bytes = await rawExchange(target === 'namesrv' ? opts.namesrv : opts.broker, req);
      const res = decodeOne(bytes);
      if (res.opaque !== req.opaque) throw new Error(`${file}: reply opaque ${res.opaque} != ${req.opaque}`);
      record(file, target, req, res, frame ? bytes : res.body);
      return res;
    };

    // --- set up ------------------------------------------------------------------------------
    const created = await broker.request(
      17,
      {
        topic: TOPIC,
        defaultTopic: 'TBW102',
        readQueueNums: String(QUEUES),
        writeQueueNums: String(QUEUES),
        perm: '6',
        topicFilterType: 'SINGLE_TAG',
        topicSysFlag: '0',
        order: 'false',
      },
      { timeoutMs: TIMEOUT_MS },
    );
    cleanup.push(async () => {
      await broker.request(215, { topic: TOPIC }, { timeoutMs: TIMEOUT_MS });
      await ns.request(216, { topic: TOPIC }, { timeoutMs: TIMEOUT_MS });
    });
    if (created.code !== 0) throw new Error(`creating ${TOPIC} failed: ${created.code} ${created.remark}`);

    const group = {
      groupName: GROUP,
      consumeEnable: true,
      consumeFromMinEnable: true,
      consumeBroadcastEnable: true,
      consumeMessageOrderly: false,
      retryQueueNums: 1,
      retryMaxTimes: 16,
      brokerId: 0,
      whichBrokerWhenConsumeSlowly: 1,
      notifyConsumerIdsChangedEnable: true,
    };
    const groupRes = await broker.request(
      200,
      {},
      { timeoutMs: TIMEOUT_MS, body: Buffer.from(JSON.stringify(group)) },
    );
    cleanup.push(async () => {
      await broker.request(207, { groupName: GROUP, cleanOffset: 'true' }, { timeoutMs: TIMEOUT_MS });
    });
    if (groupRes.code !== 0) throw new Error(`creating ${GROUP} failed: ${groupRes.code} ${groupRes.remark}`);

    // The broker registers the new topic with the name server asynchronously.
    const deadline = Date.now() + 15000;
    for (;;) {
      const r = await ns.request(
        105,
        { topic: TOPIC, acceptStandardJsonOnly: 'true' },
        { timeoutMs: TIMEOUT_MS },
      );
      if (r.code === 0 && r.body?.toString('utf8').includes(`"readQueueNums":${QUEUES}`)) break;
      if (Date.now() > deadline) throw new Error(`name server never routed ${TOPIC}`);
      await new Promise((res) => setTimeout(res, 250));
    }

    // --- name server bodies ------------------------------------------------------------------
    record(
      'cluster-info.body',
      'namesrv',
      { code: 106, extFields: {}, version: 479, serializeType: 0 },
      clusterRes,
      clusterRes.body,
    );
    await viaConnection('route-v479-accept-standard.body', 'namesrv', 105, {
      topic: TOPIC,
      acceptStandardJsonOnly: 'true',
    });
    await viaConnection('route-v479.body', 'namesrv', 105, { topic: TOPIC });
    await viaRaw('route-v400.body', 'namesrv', 105, { topic: TOPIC }, { version: 400 });
    await viaRaw(
      'route-v400-accept-standard.body',
      'namesrv',
      105,
      { topic: TOPIC, acceptStandardJsonOnly: 'true' },
      { version: 400 },
    );
    await viaConnection('topic-list.body', 'namesrv', 206, {});

    // --- broker bodies -----------------------------------------------------------------------
    record(
      'broker-runtime-info.body',
      'broker',
      { code: 28, extFields: {}, version: 479, serializeType: 0 },
      runtime,
      runtime.body,
    );
    await viaConnection('topic-stats.body', 'broker', 202, { topic: TOPIC });
    await viaConnection('all-topic-config.body', 'broker', 21, {});
    await viaConnection('all-subscription-group-config.body', 'broker', 201, {});
    await viaConnection('consume-stats.body', 'broker', 208, { consumerGroup: GROUP, topic: TOPIC });
    await viaConnection('topic-config.body', 'broker', 351, { topic: TOPIC });

    // --- whole frames, as received -----------------------------------------------------------
    await viaRaw('namesrv-route-json.bin', 'namesrv', 105, { topic: TOPIC }, { frame: true });
    await viaRaw(
      'namesrv-route-binary.bin',
      'namesrv',
      105,
      { topic: TOPIC },
      { frame: true, serializeType: SerializeType.ROCKETMQ },
    );
    await viaRaw('namesrv-route-not-found.bin', 'namesrv', 105, { topic: ABSENT_TOPIC }, { frame: true });
    await viaRaw('broker-topic-stats-json.bin', 'broker', 202, { topic: TOPIC }, { frame: true });
    await viaRaw(
      'broker-topic-stats-binary.bin',
      'broker',
      202,
      { topic: TOPIC },
      { frame: true, serializeType: SerializeType.ROCKETMQ },
    );
    // A response whose header carries extFields (offset).
    await viaRaw('broker-max-offset-json.bin', 'broker', 30, { topic: TOPIC, queueId: '0' }, { frame: true });
    await viaRaw(
      'broker-max-offset-binary.bin',
      'broker',
      30,
      { topic: TOPIC, queueId: '0' },
      { frame: true, serializeType: SerializeType.ROCKETMQ },
    );
    await viaRaw(
      'broker-unknown-code.bin',
      'broker',
      9999,
      {},
      { frame: true, serializeType: SerializeType.ROCKETMQ },
    );

    // --- write ---------------------------------------------------------------------------------
    mkdirSync(outDir, { recursive: true });
    // A re-capture replaces the previous one whole, so no stale file outlives its index entry.
    for (const f of readdirSync(outDir)) {
      if (/\.(body|bin)$/.test(f) || f === 'index.json') rmSync(path.join(outDir, f));
    }
    const files = {};
    const missing = [];
    for (const { file, data, meta } of captured) {
      if (!file) {
        missing.push(meta);
        continue;
      }
      writeFileSync(path.join(outDir, file), data);
      files[file] = { kind: file.endsWith('.bin') ? 'frame' : 'body', ...meta };
    }
    const index = {
      serverVersion,
      brokerVersionOrdinal: runtime.version,
      namesrvVersionOrdinal: clusterRes.version,
      capturedAt: new Date().toISOString(),
      namesrv: opts.namesrv,
      broker: opts.broker,
      topic: TOPIC,
      topicQueues: QUEUES,
      group: GROUP,
      client: { language: 'JAVA', defaultRequestVersion: 479 },
      files,
      notCaptured: missing,
    };
    writeFileSync(path.join(outDir, 'index.json'), `${JSON.stringify(index, null, 2)}\n`);
    console.log(
      `wrote ${Object.keys(files).length} files and index.json to ${path.relative(process.cwd(), outDir) || '.'}`,
    );
  } finally {
    for (const undo of cleanup.reverse()) {
      try {
        await undo();
      } catch (err) {
        console.error(`cleanup failed: ${err.message}`);
        process.exitCode = 1;
      }
    }
    if (cleanup.length > 0) console.log(`deleted ${TOPIC} and ${GROUP}`);
    broker?.close();
    ns.close();
  }
}

main().catch((err) => {
  console.error(`capture failed: ${err.stack ?? err}`);
  process.exitCode = 1;
});
