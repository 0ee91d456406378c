/**
 * The RocketMQ 5.x proxy of `rmq local up --proxy`: ProxyStartup in cluster mode (it keeps no
 * messages; it forwards its clients' requests to the brokers it learns from the name servers),
 * on the ports of the port plan (topology.ts), with its own node dir <dir>/nodes/proxy. It starts
 * after the brokers have registered: the proxy reads the cluster's own topic at start and fails
 * without it (every broker here has clusterTopicEnable, RocketMQ's default).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { Admin } from '../core/client/admin.js';
import type { RemotingClient } from '../core/client/remoting-client.js';
import { InvalidArgumentError, TimeoutError } from '../core/errors.js';
import { getRouteInfoHeader } from '../core/protocol/get-routeinfo-by-topic.js';
import { RequestCode } from '../core/remoting/codes.js';
import { type ClusterSettings, isLegacy, javaArgs, proxyConfigJson } from './config.js';
import { exitedError, type LaunchContext, pause, spawnJvm } from './launch.js';
import { type NodeState, writeState } from './state.js';
import { nodeMarker, nodePaths, PROXY_NODE, proxyPorts, topologyHeap } from './topology.js';

/** `--proxy` is a 5.x feature: 4.x has no proxy (it came with RocketMQ 5.0). */
export function validateProxy(
  version: string,
  opts: { acl?: unknown; tls?: boolean | undefined; advertiseIp?: string | undefined },
): void {
  if (isLegacy(version)) {
    throw new InvalidArgumentError('--proxy needs RocketMQ 5.x: 4.x has no proxy', {
      hint: 'use --version 5.3, or drop --proxy',
    });
  }
  if (opts.acl || opts.tls || opts.advertiseIp) {
    throw new InvalidArgumentError('--proxy is not supported with --acl, --tls or --advertise-ip yet', {
      hint: 'drop one of them',
    });
  }
}

export interface ProxyLaunch extends LaunchContext {
  settings: Pick<ClusterSettings, 'version' | 'clusterName' | 'tls'>;
  /** The first name server's port: the proxy's ports derive from it. */
  namesrvPort: number;
  /** Every name server, ';'-separated. */
  namesrvAddr: string;
}

/** What `up` reports of the proxy. */
export interface ProxyStarted {
  remotingAddr: string;
  grpcAddr: string;
  pid: number;
  /** From spawning the JVM until it answered a route request. */
  startMs: number;
  log: string;
}

/** Writes rmq-proxy.json, starts the proxy and waits until it serves routes. */
export async function startProxy(l: ProxyLaunch): Promise<ProxyStarted> {
  const { remoting, grpc } = proxyPorts(l.namesrvPort);
  const paths = nodePaths(l.layout, { name: PROXY_NODE, kind: 'proxy' });
  await mkdir(paths.homeDir, { recursive: true });
  await writeFile(
    paths.conf,
    proxyConfigJson({
      clusterName: l.settings.clusterName,
      namesrvAddr: l.namesrvAddr,
      remotingPort: remoting,
      grpcPort: grpc,
    }),
  );
  const node: NodeState = {
    name: PROXY_NODE,
    kind: 'proxy',
    port: remoting,
    grpcPort: grpc,
    args: javaArgs('proxy', l.settings, l.layout, l.libDir, l.java.major, {
      heap: topologyHeap('proxy'),
      homeDir: paths.homeDir,
      conf: paths.conf,
      marker: nodeMarker(PROXY_NODE),
    }),
    mainLog: paths.mainLog,
    out: paths.out,
  };
  l.state.proxy = node;
  await writeState(l.layout, l.state);

  await createHeartbeatTopic(l);
  l.progress(`starting the proxy: remoting 127.0.0.1:${remoting}, gRPC 127.0.0.1:${grpc}`);
  const started = Date.now();
  const p = spawnJvm('proxy', l.java.path, node.args, l.layout, l.env, {
    name: PROXY_NODE,
    files: { main: node.mainLog, stdout: node.out },
  });
  l.spawned.push(p);
  node.pid = p.child.pid;
  await writeState(l.layout, l.state);

  const address = `127.0.0.1:${remoting}`;
  for (;;) {
    if (l.signal?.aborted) throw l.signal.reason ?? new Error('aborted');
    if (p.exit !== undefined) throw await exitedError(p);
    if (await proxyServes(l.client, address, l.settings.clusterName)) break;
    if (Date.now() > l.deadline) throw proxyNotReady(node, l.waitMs);
    await pause(300, [p], l.signal);
  }
  return {
    remotingAddr: address,
    grpcAddr: `127.0.0.1:${grpc}`,
    pid: p.child.pid!,
    startMs: Date.now() - started,
    log: node.mainLog,
  };
}

/**
 * The proxy's own topic (ProxyConfig.heartbeatSyncerTopicName, 1 queue), made before it starts.
 * ProxyStartup creates it itself when missing, but gives up, and exits, when the name server does
 * not route it after 3 quick checks (DefaultAdminService.createTopicOnTopicBrokerIfNotExist): on
 * a loaded machine the broker registers the new topic later than that, and a 5.3.3 proxy died with
 * "create system broadcast topic DefaultHeartBeatSyncerTopic failed on cluster DefaultCluster".
 */
async function createHeartbeatTopic(l: ProxyLaunch): Promise<void> {
  const admin = new Admin({ namesrv: l.namesrvAddr.split(';'), timeoutMs: 10_000 });
  try {
    const { brokers } = await admin.createTopic(HEARTBEAT_TOPIC, {
      readQueues: 1,
      writeQueues: 1,
      perm: 6,
      order: false,
      cluster: l.settings.clusterName,
    });
    const left = Math.max(1000, l.deadline - Date.now());
    await admin.waitForRoute(
      HEARTBEAT_TOPIC,
      brokers.map((b) => b.brokerName),
      left,
    );
  } finally {
    admin.close();
  }
}

/** ProxyConfig's heartbeatSyncerTopicName (rmq-proxy.json leaves it as it is). */
export const HEARTBEAT_TOPIC = 'DefaultHeartBeatSyncerTopic';

/**
 * Whether the proxy answers a route request: it listens only once it has started, and a route
 * of the cluster's own topic goes through its whole path (its name server client included).
 */
export async function proxyServes(
  client: RemotingClient,
  address: string,
  clusterName: string,
): Promise<boolean> {
  try {
    await client.call(address, RequestCode.GET_ROUTEINFO_BY_TOPIC, getRouteInfoHeader(clusterName));
    return true;
  } catch {
    return false;
  }
}

export function proxyNotReady(node: Pick<NodeState, 'mainLog' | 'out'>, waitMs: number): TimeoutError {
  return new TimeoutError(`the proxy did not become ready within ${Math.round(waitMs / 1000)}s`, waitMs, {
    hint: `see ${node.mainLog} (and ${node.out}); a slow machine may need a longer --wait`,
  });
}
