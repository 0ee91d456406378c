/**
 * Multi-node local clusters: which JVMs a topology (--masters, --replicas, --namesrvs, --ha,
 * --flush, --replication) runs, on which ports, with which config. Pure, like config.ts, so the
 * port plan and every config key are unit-tested.
 *
 * Port plan, from the two bases `up` already takes (--namesrv-port N, --broker-port B; or
 * --port-base P for N = P, B = P + 22): name server i listens on N + i, the controller embedded in
 * it on N + 5 + i; broker j (groups in order, master first) on B + 4j, with its fast channel on
 * B + 4j − 2 and its HA port on B + 4j + 1. Two topologies of up to 6 brokers with bases 50 apart
 * never collide.
 *
 * The 5.x proxy (--proxy, one-node cluster or topology alike) takes the gap between the
 * controllers and the brokers: its remoting port on N + 10, its gRPC port on N + 11 (with
 * --port-base P: P + 10 and P + 11). It binds both on every interface: RocketMQ's proxy has no
 * bind address (NettyServerConfig's 0.0.0.0, gRPC's forPort).
 * DLedger (--ha dledger, 4.9 only): each group is a raft group of its master and slaves (3 nodes
 * with --replicas 2), and broker j's raft peer port is B + 4j − 1, the free slot between its fast
 * channel and its main port. Such a broker has no HA port (the raft log replaces master/slave
 * replication), so it listens on B + 4j − 2, B + 4j − 1 and B + 4j.
 */
import { InvalidArgumentError } from '../core/errors.js';
import {
  BROKER_DIRECT_MEMORY_CAP,
  type ClusterSettings,
  isLegacy,
  properties,
  SHARED_BOX_ENTRIES,
  storeEntries,
} from './config.js';
import { join } from 'node:path';
import type { LocalLayout } from './paths.js';
import { NODE_MARKER_PREFIX } from './process.js';

export type HaMode = 'none' | 'controller' | 'dledger';
export type SyncMode = 'sync' | 'async';

export interface TopologySpec {
  masters: number;
  /** Slaves per master. */
  replicas: number;
  namesrvs: number;
  ha: HaMode;
  flush: SyncMode;
  replication: SyncMode;
}

export const SINGLE_NODE: TopologySpec = {
  masters: 1,
  replicas: 0,
  namesrvs: 1,
  ha: 'none',
  flush: 'async',
  replication: 'async',
};

/** Whether a spec needs the multi-node code path: the default keeps the one-node `up` as it was. */
export function isMultiNode(t: TopologySpec): boolean {
  return (
    t.masters > 1 ||
    t.replicas > 0 ||
    t.namesrvs > 1 ||
    t.ha !== 'none' ||
    t.flush !== 'async' ||
    t.replication !== 'async'
  );
}

/** What --port-base derives: name servers from the base, brokers (fast channel first) 20 above it. */
export function portsFromBase(base: number): { namesrvPort: number; brokerPort: number } {
  return { namesrvPort: base, brokerPort: base + 22 };
}

export const MAX_MASTERS = 8;
export const MAX_REPLICAS = 2;
export const MAX_NAMESRVS = 5;

export type NodeKind = 'namesrv' | 'broker' | 'proxy';

/** The proxy's node name: `local status`, `local logs --node proxy`, `local stop|start proxy`. */
export const PROXY_NODE = 'proxy';

/** The proxy's remoting and gRPC ports, from the first name server's port. */
export function proxyPorts(namesrvPort: number): { remoting: number; grpc: number } {
  return { remoting: namesrvPort + 2 * MAX_NAMESRVS, grpc: namesrvPort + 2 * MAX_NAMESRVS + 1 };
}

/** The proxy as a node of the port plan (for the collision and free-port checks). */
export function proxyNode(namesrvPort: number): NodeSpec {
  const { remoting, grpc } = proxyPorts(namesrvPort);
  return { name: PROXY_NODE, kind: 'proxy', port: remoting, ports: [remoting, grpc] };
}

export interface NodeSpec {
  /** namesrv-1 …, broker-a-0 (the configured master), broker-a-1 … (its slaves). */
  name: string;
  kind: NodeKind;
  /** The port clients use. */
  port: number;
  /** Every port the node listens on (for the free-port check). */
  ports: number[];
  /**
   * Brokers: the group (broker-a …) and the id it is configured with (-1 in controller and DLedger
   * modes, where the id follows the role won at run time: 0 for the master or raft leader).
   */
  brokerName?: string | undefined;
  brokerId?: number | undefined;
  /**
   * Brokers: the role configured (controller mode: SLAVE until the controller elects one; DLedger:
   * none, the raft election decides).
   */
  brokerRole?: 'ASYNC_MASTER' | 'SYNC_MASTER' | 'SLAVE' | undefined;
  /** DLedger: the node's raft peer port and its id in the group (n0, n1, n2). */
  dledgerPort?: number | undefined;
  dledgerSelfId?: string | undefined;
  /** The controller port (controller embedded in this name server). */
  controllerPort?: number | undefined;
}

/** broker-a, broker-b, … broker-h. */
export function groupName(i: number): string {
  return `broker-${String.fromCharCode(97 + i)}`;
}

export function validateTopology(t: TopologySpec, version: string): void {
  const bad = (msg: string, hint: string): never => {
    throw new InvalidArgumentError(msg, { hint });
  };
  const range = (flag: string, v: number, lo: number, hi: number): void => {
    if (!Number.isInteger(v) || v < lo || v > hi) bad(`invalid ${flag} ${v}`, `use ${lo} to ${hi}`);
  };
  range('--masters', t.masters, 1, MAX_MASTERS);
  range('--replicas', t.replicas, 0, MAX_REPLICAS);
  range('--namesrvs', t.namesrvs, 1, MAX_NAMESRVS);
  if (t.ha === 'controller') {
    if (isLegacy(version))
      bad('--ha controller needs RocketMQ 5.x', 'use --version 5.3, or --ha dledger on 4.9');
    if (t.replicas < 1)
      bad('--ha controller needs --replicas 1 or more', 'a group with no slave has nothing to fail over to');
  }
  if (t.ha === 'dledger') {
    // 5.x still ships the DLedger commit log, but documents the controller as its failover, and
    // only the 4.9 line's DLedger mode is what clusters that use DLedger run.
    if (!isLegacy(version))
      bad('--ha dledger is for RocketMQ 4.9 here', 'use --version 4.9, or --ha controller on 5.x');
    if (t.replicas < 2)
      bad(
        '--ha dledger needs --replicas 2',
        'a raft group elects a leader by majority: 3 nodes (a master and 2 slaves) survive the loss of one',
      );
  }
}

/** The nodes of a topology, name servers first, then each group's master and its slaves. */
export function topologyNodes(
  t: TopologySpec,
  s: Pick<ClusterSettings, 'namesrvPort' | 'brokerPort'>,
): NodeSpec[] {
  const nodes: NodeSpec[] = [];
  for (let i = 0; i < t.namesrvs; i++) {
    const port = s.namesrvPort + i;
    const controllerPort = t.ha === 'controller' ? s.namesrvPort + MAX_NAMESRVS + i : undefined;
    nodes.push({
      name: `namesrv-${i + 1}`,
      kind: 'namesrv',
      port,
      ports: controllerPort === undefined ? [port] : [port, controllerPort],
      controllerPort,
    });
  }
  let j = 0;
  for (let g = 0; g < t.masters; g++) {
    for (let r = 0; r <= t.replicas; r++, j++) {
      const port = s.brokerPort + 4 * j;
      const name = `${groupName(g)}-${r}`;
      if (t.ha === 'dledger') {
        nodes.push({
          name,
          kind: 'broker',
          port,
          ports: [port - 2, port - 1, port],
          brokerName: groupName(g),
          brokerId: -1,
          dledgerPort: port - 1,
          dledgerSelfId: `n${r}`,
        });
        continue;
      }
      const controller = t.ha === 'controller';
      nodes.push({
        name,
        kind: 'broker',
        port,
        ports: [port - 2, port, port + 1],
        brokerName: groupName(g),
        brokerId: controller ? -1 : r,
        brokerRole: controller || r > 0 ? 'SLAVE' : t.replication === 'sync' ? 'SYNC_MASTER' : 'ASYNC_MASTER',
      });
    }
  }
  return nodes;
}

/** Every port of a topology must be a valid, distinct port. */
export function validateTopologyPorts(nodes: readonly NodeSpec[]): void {
  const seen = new Map<number, string>();
  for (const n of nodes) {
    for (const p of n.ports) {
      if (!Number.isInteger(p) || p < 1 || p > 65535) {
        throw new InvalidArgumentError(`port ${p} of ${n.name} is out of range`, {
          hint: 'pick lower --namesrv-port / --broker-port (or --port-base)',
        });
      }
      const other = seen.get(p);
      if (other) {
        throw new InvalidArgumentError(`port ${p} would be used by both ${other} and ${n.name}`, {
          hint: `name servers use --namesrv-port … +${2 * MAX_NAMESRVS - 1}, brokers --broker-port − 2 and 4 ports each above it; pick bases further apart (or --port-base)`,
        });
      }
      seen.set(p, n.name);
    }
  }
}

/** Where one node keeps its config, store, home (RocketMQ's logs) and stdout. */
export interface NodePaths {
  dir: string;
  conf: string;
  storeDir: string;
  homeDir: string;
  /** RocketMQ's own log. */
  mainLog: string;
  /** The JVM's stdout+stderr. */
  out: string;
}

export function nodePaths(layout: LocalLayout, n: Pick<NodeSpec, 'name' | 'kind'>): NodePaths {
  const dir = join(layout.nodesDir, n.name);
  const homeDir = join(dir, 'home');
  return {
    dir,
    // ProxyStartup reads JSON (its ProxyConfig by field name), the servers a properties file.
    conf: join(dir, n.kind === 'proxy' ? 'rmq-proxy.json' : `${n.kind}.conf`),
    storeDir: join(dir, 'store'),
    homeDir,
    mainLog: join(homeDir, 'logs', 'rocketmqlogs', `${n.kind}.log`),
    out: join(dir, `${n.kind}.out`),
  };
}

const HEADER = (v: string): string =>
  `Generated by rmq local up (RocketMQ ${v}, topology); rewritten on every up.`;

export function topologyNamesrvConf(
  n: NodeSpec,
  all: readonly NodeSpec[],
  s: Pick<ClusterSettings, 'version'>,
  layout: LocalLayout,
): string {
  const p = nodePaths(layout, n);
  const entries: [string, string | number | boolean][] = [['listenPort', n.port]];
  if (!isLegacy(s.version)) entries.push(['bindAddress', '127.0.0.1']);
  entries.push(['kvConfigPath', join(p.storeDir, 'kvConfig.json')]);
  if (n.controllerPort !== undefined) {
    const peers = all
      .filter((x) => x.controllerPort !== undefined)
      .map((x) => `${controllerId(x)}-127.0.0.1:${x.controllerPort}`)
      .join(';');
    entries.push(
      ['enableControllerInNamesrv', true],
      ['controllerDLegerGroup', 'rmq-controller'],
      ['controllerDLegerPeers', peers],
      ['controllerDLegerSelfId', controllerId(n)],
      ['controllerStorePath', join(p.storeDir, 'controller')],
    );
  }
  return properties(HEADER(s.version), entries);
}

function controllerId(n: NodeSpec): string {
  return `n${Number(n.name.slice(n.name.lastIndexOf('-') + 1)) - 1}`;
}

export function topologyBrokerConf(
  n: NodeSpec,
  all: readonly NodeSpec[],
  t: TopologySpec,
  s: Pick<ClusterSettings, 'version' | 'clusterName' | 'autoCreateTopic'>,
  layout: LocalLayout,
): string {
  const legacy = isLegacy(s.version);
  const p = nodePaths(layout, n);
  const namesrvs = all.filter((x) => x.kind === 'namesrv');
  const entries: [string, string | number | boolean][] = [
    ['brokerClusterName', s.clusterName],
    ['brokerName', n.brokerName!],
  ];
  // DLedger: no id or role (4.9's BrokerStartup sets the id to -1, and would refuse a SLAVE
  // without an id above 0): the raft leader becomes the master with id 0, follower nK a slave
  // with id K + 1.
  if (n.brokerRole !== undefined) entries.push(['brokerId', n.brokerId!], ['brokerRole', n.brokerRole]);
  entries.push(
    ['flushDiskType', t.flush === 'sync' ? 'SYNC_FLUSH' : 'ASYNC_FLUSH'],
    ['namesrvAddr', namesrvs.map((x) => `127.0.0.1:${x.port}`).join(';')],
    ['brokerIP1', '127.0.0.1'],
    ['brokerIP2', '127.0.0.1'],
    ['listenPort', n.port],
  );
  if (n.dledgerPort === undefined) entries.push(['haListenPort', n.port + 1]);
  if (!legacy) entries.push(['bindAddress', '127.0.0.1']);
  if (!legacy && t.ha !== 'controller' && n.brokerRole === 'SYNC_MASTER') {
    // From 5.0 a SYNC_MASTER waits for inSyncReplicas copies, master included, and that defaults
    // to 1: without this it answers as soon as its own write is done, as an ASYNC_MASTER does
    // (4.x waited for a slave). 2 is 4.x's meaning: the master and one slave. With no slave in
    // sync the master waits slaveTimeout (3 s) and answers FLUSH_SLAVE_TIMEOUT.
    entries.push(['inSyncReplicas', 2]);
  }
  if (n.dledgerPort !== undefined) {
    const peers = all
      .filter((x) => x.brokerName === n.brokerName && x.dledgerPort !== undefined)
      .map((x) => `${x.dledgerSelfId}-127.0.0.1:${x.dledgerPort}`)
      .join(';');
    entries.push(
      ['enableDLegerCommitLog', true],
      ['dLegerGroup', n.brokerName!],
      ['dLegerPeers', peers],
      ['dLegerSelfId', n.dledgerSelfId!],
      // One push RPC per entry (4.9's default) took the leader ~0.9 s per quorum on a loaded
      // 2-core box, 24 msg/s in all; batched, the same group held 300 msg/s.
      ['enableBatchPush', true],
    );
  }
  if (t.ha === 'controller') {
    entries.push(
      ['enableControllerMode', true],
      ['controllerAddr', namesrvs.map((x) => `127.0.0.1:${x.controllerPort}`).join(';')],
      // Sync replication in controller mode: a write is acknowledged once every in-sync replica has it.
      ['allAckInSyncStateSet', t.replication === 'sync'],
    );
  }
  entries.push(
    ...storeEntries(s.version, p.storeDir, s.autoCreateTopic),
    // A proxy in cluster mode starts only once the brokers register the cluster's own topic.
    ['clusterTopicEnable', true],
  );
  if (t.replicas > 0) {
    // Consumers read a group's queues from its slave while the master is down, as a replicated
    // deployment is set up to: RocketMQ ships it off, and then a 5.x slave refuses every pull
    // (a 4.9 slave answers each with "retry at the master"). On a master it lets the broker
    // suggest the slave to a group that reads far behind (suggestWhichBrokerId).
    entries.push(['slaveReadEnable', true]);
  }
  entries.push(['fileReservedTime', 1], ...SHARED_BOX_ENTRIES);
  return properties(HEADER(s.version), entries);
}

/** Smaller heaps than the one-node cluster's: a topology runs up to a dozen JVMs on 2 cores. */
export function topologyHeap(kind: NodeKind): string[] {
  if (kind === 'proxy') return [...PROXY_HEAP];
  return kind === 'namesrv'
    ? ['-Xms32m', '-Xmx128m']
    : ['-Xms128m', '-Xmx256m', `-XX:MaxDirectMemorySize=${BROKER_DIRECT_MEMORY_CAP}`];
}

/**
 * The proxy keeps no messages, only clients, routes and requests in flight: a small heap does
 * (RocketMQ's script gives it 4 GiB, sized for production). Direct memory (netty, gRPC) is
 * capped at the heap's size by default.
 */
export const PROXY_HEAP: readonly string[] = ['-Xms64m', '-Xmx256m'];

/** The -D that names a node in its argv: how `status` and `down` tell the JVMs of one dir apart. */
export function nodeMarker(name: string): string {
  return `${NODE_MARKER_PREFIX}${name}`;
}

/** The name server list clients are given: every name server, ';'-separated as RocketMQ takes it. */
export function topologyNamesrvAddr(nodes: readonly NodeSpec[]): string {
  return nodes
    .filter((n) => n.kind === 'namesrv')
    .map((n) => `127.0.0.1:${n.port}`)
    .join(';');
}
