/**
 * The JVMs of a multi-node topology: starting them all for `up`, the per-node view of `status`,
 * and `local stop|start NODE` for drills. Every signal goes through the same ownership checks as
 * the one-node cluster's (owner marker + start time), and a node is found by its node marker.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NameServerClient } from '../core/client/namesrv.js';
import { RemotingClient } from '../core/client/remoting-client.js';
import { EnvironmentError, InvalidArgumentError, NotFoundError, TimeoutError } from '../core/errors.js';
import {
  decodeDLedgerMetadata,
  DLEDGER_METADATA,
  DLEDGER_METADATA_ACCEPT,
  dledgerMetadataBody,
} from '../core/protocol/dledger-metadata.js';
import { RequestCode } from '../core/remoting/codes.js';
import {
  type ClusterSettings,
  isLegacy,
  javaArgs,
  legacyLogbackXml,
  ownerMarker,
  type Role,
} from './config.js';
import { exitedError, type LaunchContext, pause, probePortsFree, spawnJvm, tcpReachable } from './launch.js';
import type { LogFiles } from './logs.js';
import { localLayout } from './paths.js';
import { exists, isAlive, ownershipCheck, sleep, stopProcess } from './process.js';
import {
  type LiveNode,
  liveNodes,
  type LocalState,
  type NodeState,
  probeTls,
  readState,
  writeState,
} from './state.js';
import { proxyServes } from './proxy.js';
import {
  nodeMarker,
  PROXY_NODE,
  nodePaths,
  type NodeSpec,
  type TopologySpec,
  topologyBrokerConf,
  topologyHeap,
  topologyNamesrvConf,
} from './topology.js';

const roleOf = (n: Pick<NodeState, 'kind'>): Role => n.kind;

export function nodeLogFiles(n: Pick<NodeState, 'mainLog' | 'out'>): LogFiles {
  return { main: n.mainLog, stdout: n.out };
}

/** Refuses a port of any node that is taken, before anything starts. */
export async function checkTopologyPorts(nodes: readonly NodeSpec[], version: string): Promise<void> {
  for (const n of nodes) {
    for (const port of n.ports) {
      // The HA port binds every interface on 5.x too; 4.x binds everything everywhere.
      // The proxy binds every interface too (topology.ts).
      const everywhere =
        isLegacy(version) || n.kind === 'proxy' || (n.kind === 'broker' && port === n.port + 1);
      await probePortsFree(port, everywhere, `${n.name}`, '--namesrv-port / --broker-port / --port-base');
    }
  }
}

export interface TopologyLaunch extends LaunchContext {
  spec: TopologySpec;
  nodes: NodeSpec[];
  settings: ClusterSettings;
}

/** Writes every node's config, starts the name servers, then every broker, and waits until all registered. */
export async function startTopology(l: TopologyLaunch): Promise<void> {
  const { layout, nodes, spec } = l;
  if (isLegacy(l.settings.version)) {
    // 4.x exits at start without $ROCKETMQ_HOME/conf/logback_<role>.xml; the files log to
    // ${user.home}, which is each node's own home.
    await mkdir(layout.confDir, { recursive: true });
    for (const name of ['namesrv', 'broker', 'tools'] as const) {
      await writeFile(join(layout.confDir, `logback_${name}.xml`), legacyLogbackXml(name));
    }
  }
  const states: NodeState[] = [];
  for (const n of nodes) {
    const p = nodePaths(layout, n);
    await mkdir(p.storeDir, { recursive: true });
    await mkdir(p.homeDir, { recursive: true });
    const conf =
      n.kind === 'namesrv'
        ? topologyNamesrvConf(n, nodes, l.settings, layout)
        : topologyBrokerConf(n, nodes, spec, l.settings, layout);
    await writeFile(p.conf, conf);
    const args = javaArgs(roleOf(n), l.settings, layout, l.libDir, l.java.major, {
      heap: topologyHeap(n.kind),
      homeDir: p.homeDir,
      conf: p.conf,
      marker: nodeMarker(n.name),
    });
    states.push({
      name: n.name,
      kind: n.kind,
      port: n.port,
      brokerName: n.brokerName,
      brokerId: n.brokerId,
      dledger:
        n.dledgerPort === undefined
          ? undefined
          : { group: n.brokerName!, selfId: n.dledgerSelfId!, port: n.dledgerPort },
      args,
      mainLog: p.mainLog,
      out: p.out,
    });
  }
  l.state.topology = { spec, nodes: states };
  await writeState(layout, l.state);

  const checkAbort = (): void => {
    if (l.signal?.aborted) throw l.signal.reason ?? new Error('aborted');
  };
  const checkExited = async (): Promise<void> => {
    const dead = l.spawned.find((p) => p.exit !== undefined);
    if (dead) throw await exitedError(dead);
  };
  const launch = async (n: NodeState): Promise<void> => {
    const p = spawnJvm(roleOf(n), l.java.path, n.args, layout, l.env, {
      name: n.name,
      files: nodeLogFiles(n),
    });
    l.spawned.push(p);
    n.pid = p.child.pid;
    await writeState(layout, l.state);
  };
  const notReady = (what: string, n: NodeState): TimeoutError =>
    new TimeoutError(`${what} did not become ready within ${Math.round(l.waitMs / 1000)}s`, l.waitMs, {
      hint: `see ${n.mainLog} (and ${n.out}); a slow machine may need a longer --wait`,
    });

  const namesrvs = states.filter((n) => n.kind === 'namesrv');
  const brokers = states.filter((n) => n.kind === 'broker');
  l.progress(`starting ${namesrvs.length} name server(s) on ports ${namesrvs.map((n) => n.port).join(', ')}`);
  for (const n of namesrvs) await launch(n);
  for (const n of namesrvs) {
    while (!(await tcpReachable(n.port, 1000))) {
      checkAbort();
      await checkExited();
      if (Date.now() > l.deadline) throw notReady(`name server ${n.name}`, n);
      await pause(200, l.spawned, l.signal);
    }
  }
  checkAbort();
  l.progress(`starting ${brokers.length} broker(s): ${brokers.map((b) => b.name).join(', ')}`);
  for (const n of brokers) await launch(n);

  l.progress('waiting for every broker to register with every name server');
  const groups = [...new Set(brokers.map((b) => b.brokerName!))];
  const perGroup = spec.replicas + 1;
  for (;;) {
    checkAbort();
    await checkExited();
    if (await allRegistered(l.client, namesrvs, groups, perGroup, l.settings.clusterName)) break;
    if (Date.now() > l.deadline) {
      const first = brokers.find((b) => b.brokerId === 0) ?? brokers[0]!;
      throw notReady('the brokers', first);
    }
    await pause(1000, l.spawned, l.signal);
  }
}

async function allRegistered(
  client: RemotingClient,
  namesrvs: readonly NodeState[],
  groups: readonly string[],
  perGroup: number,
  clusterName: string,
): Promise<boolean> {
  try {
    for (const ns of namesrvs) {
      const info = await new NameServerClient(client, [`127.0.0.1:${ns.port}`]).getClusterInfo();
      for (const g of groups) {
        const b = info.brokers.find((x) => x.brokerName === g && x.cluster === clusterName);
        if (!b || !b.addrs.has(0) || b.addrs.size < perGroup) return false;
      }
      // Registered is not yet serving: ask each master once.
      for (const g of groups) {
        const master = info.brokers.find((x) => x.brokerName === g)!.addrs.get(0)!;
        await client.call(master, RequestCode.GET_BROKER_RUNTIME_INFO, {});
      }
    }
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// status

export interface NodeStatus {
  name: string;
  kind: 'namesrv' | 'broker' | 'proxy';
  /**
   * namesrv, proxy, or the broker's role as the name servers list it now (MASTER/SLAVE); null
   * when not listed.
   */
  role: 'namesrv' | 'proxy' | 'MASTER' | 'SLAVE' | null;
  brokerName: string | null;
  /** The id the name servers list it with now (0 = master); null when not listed. */
  brokerId: number | null;
  /**
   * DLedger: the node's raft state as it answers it now (leader, follower, or candidate while no
   * leader is known), with its id and the leader's; null when it does not answer.
   */
  raft?: { role: 'leader' | 'follower' | 'candidate'; selfId: string; leaderId: string | null } | null;
  address: string;
  port: number;
  /** The proxy's gRPC address (its remoting address is `address`). */
  grpcAddress?: string | undefined;
  pid: number | null;
  up: boolean;
  log: string;
}

/** The proxy of a cluster started with --proxy, as `status` shows a node. */
export function proxyStatus(state: LocalState, live: readonly LiveNode[]): NodeStatus | undefined {
  const n = state.proxy;
  if (!n) return undefined;
  const pid = live.find((x) => x.node === n.name)?.pid ?? null;
  return {
    name: n.name,
    kind: 'proxy',
    role: 'proxy',
    brokerName: null,
    brokerId: null,
    address: `127.0.0.1:${n.port}`,
    port: n.port,
    grpcAddress: n.grpcPort === undefined ? undefined : `127.0.0.1:${n.grpcPort}`,
    pid,
    up: pid !== null,
    log: n.mainLog,
  };
}

/** Every node of a topology: running or not, and the role the name servers give it right now. */
export async function nodeStatuses(state: LocalState, live: readonly LiveNode[]): Promise<NodeStatus[]> {
  const nodes = state.topology?.nodes ?? [];
  const ids = new Map<string, number>();
  const client = new RemotingClient({ timeoutMs: 2000, tls: probeTls(state.tls) });
  try {
    for (const ns of nodes.filter((n) => n.kind === 'namesrv')) {
      if (!live.some((x) => x.node === ns.name)) continue;
      try {
        const info = await new NameServerClient(client, [`127.0.0.1:${ns.port}`]).getClusterInfo();
        // Every live name server is asked: name servers know nothing of each other, and a node
        // that has just (re)started may have registered with one and not yet with another.
        for (const b of info.brokers) for (const [id, addr] of b.addrs) ids.set(addr, id);
      } catch {
        // Ask the next name server.
      }
    }
    const raft = new Map<string, NodeStatus['raft']>();
    await Promise.all(
      nodes.map(async (n) => {
        if (n.dledger && live.some((x) => x.node === n.name))
          raft.set(n.name, await raftState(client, n.dledger));
      }),
    );
    const statuses = nodes.map((n) => nodeStatus(n, live, ids, raft));
    const proxy = proxyStatus(state, live);
    return proxy ? [...statuses, proxy] : statuses;
  } finally {
    client.close();
  }
}

/** Who a DLedger node says leads its group; null when it does not answer (starting, or gone). */
async function raftState(
  client: RemotingClient,
  d: NonNullable<NodeState['dledger']>,
): Promise<NodeStatus['raft']> {
  try {
    const res = await client.call(
      `127.0.0.1:${d.port}`,
      DLEDGER_METADATA,
      {},
      {
        body: dledgerMetadataBody(d.group, d.selfId),
        accept: DLEDGER_METADATA_ACCEPT,
      },
    );
    const { leaderId } = decodeDLedgerMetadata(res);
    const role = leaderId === null ? 'candidate' : leaderId === d.selfId ? 'leader' : 'follower';
    return { role, selfId: d.selfId, leaderId };
  } catch {
    return null;
  }
}

function nodeStatus(
  n: NodeState,
  live: readonly LiveNode[],
  ids: ReadonlyMap<string, number>,
  raft: ReadonlyMap<string, NodeStatus['raft']>,
): NodeStatus {
  const pid = live.find((x) => x.node === n.name)?.pid ?? null;
  const address = `127.0.0.1:${n.port}`;
  const id = n.kind === 'broker' ? ids.get(address) : undefined;
  return {
    name: n.name,
    kind: n.kind,
    role: n.kind === 'namesrv' ? 'namesrv' : id === undefined ? null : id === 0 ? 'MASTER' : 'SLAVE',
    brokerName: n.brokerName ?? null,
    brokerId: id ?? null,
    ...(n.dledger ? { raft: raft.get(n.name) ?? null } : {}),
    address,
    port: n.port,
    pid,
    up: pid !== null,
    log: n.mainLog,
  };
}

// ---------------------------------------------------------------------------------------------
// stop / start one node

export interface NodeActionResult {
  dir: string;
  node: string;
  kind: 'namesrv' | 'broker' | 'proxy';
  action: 'stop' | 'start';
  /** stop: whether it was running; start: whether it already was (nothing was started then). */
  wasRunning: boolean;
  pid: number | null;
  /** stop: how it ended (SIGKILL with --kill, or after the timeout). */
  signal?: 'SIGTERM' | 'SIGKILL' | undefined;
  elapsedMs: number;
}

async function topologyNode(dir: string, name: string): Promise<{ state: LocalState; node: NodeState }> {
  const layout = localLayout(dir);
  const state = await readState(layout);
  // The proxy is a node of the one-node cluster too.
  if (name === PROXY_NODE && state?.proxy) return { state, node: state.proxy };
  if (!state?.topology) {
    throw new InvalidArgumentError(`no multi-node cluster in ${layout.dir}`, {
      hint: 'stop and start nodes of a cluster started with --masters/--replicas/--namesrvs (or its proxy, "proxy", with --proxy); `rmq local down` stops a one-node cluster',
    });
  }
  const node = state.topology.nodes.find((n) => n.name === name);
  if (!node) {
    throw new InvalidArgumentError(`no node "${name}" in ${layout.dir}`, {
      hint: `nodes: ${[...state.topology.nodes, ...(state.proxy ? [state.proxy] : [])].map((n) => n.name).join(', ')}`,
    });
  }
  return { state, node };
}

export async function stopNode(opts: {
  dir: string;
  node: string;
  kill: boolean;
  timeoutMs: number;
}): Promise<NodeActionResult> {
  const started = Date.now();
  const layout = localLayout(opts.dir);
  const { state, node } = await topologyNode(opts.dir, opts.node);
  const live = (await liveNodes(layout, state)).find((x) => x.node === node.name);
  const base = { dir: layout.dir, node: node.name, kind: node.kind, action: 'stop' as const };
  if (!live) return { ...base, wasRunning: false, pid: null, elapsedMs: Date.now() - started };
  const isOurs = await ownershipCheck(live.pid, ownerMarker(layout), live.role);
  let signal: 'SIGTERM' | 'SIGKILL' | undefined;
  if (opts.kill) {
    if (await isOurs()) {
      process.kill(live.pid, 'SIGKILL');
      signal = 'SIGKILL';
      const until = Date.now() + 10_000;
      while (Date.now() < until && (await isAlive(live.pid))) await sleep(100);
    }
  } else {
    const outcome = await stopProcess(live.pid, opts.timeoutMs, isOurs);
    signal = outcome === 'gone' ? undefined : outcome;
  }
  return { ...base, wasRunning: true, pid: live.pid, signal, elapsedMs: Date.now() - started };
}

export async function startNode(opts: {
  dir: string;
  node: string;
  waitMs: number;
  env?: Readonly<Record<string, string | undefined>>;
}): Promise<NodeActionResult> {
  const started = Date.now();
  const layout = localLayout(opts.dir);
  const { state, node } = await topologyNode(opts.dir, opts.node);
  const base = { dir: layout.dir, node: node.name, kind: node.kind, action: 'start' as const };
  const all = await liveNodes(layout, state);
  const running = all.find((x) => x.node === node.name);
  if (running) return { ...base, wasRunning: true, pid: running.pid, elapsedMs: Date.now() - started };
  if (state.stoppedAt || all.length === 0) {
    throw new EnvironmentError(`the cluster in ${layout.dir} is down`, {
      hint: `start it with \`rmq local up --dir ${layout.dir}\` (and the same topology flags)`,
    });
  }
  const p = spawnJvm(roleOf(node), state.java, node.args, layout, opts.env ?? process.env, {
    name: node.name,
    files: nodeLogFiles(node),
  });
  node.pid = p.child.pid;
  await writeState(layout, state);
  const deadline = Date.now() + opts.waitMs;
  const client = new RemotingClient({ timeoutMs: 2000, tls: probeTls(state.tls) });
  const address = `127.0.0.1:${node.port}`;
  try {
    for (;;) {
      if (p.exit !== undefined) throw await exitedError(p);
      if (node.kind === 'namesrv') {
        if (await tcpReachable(node.port, 1000)) break;
      } else if (node.kind === 'proxy') {
        if (await proxyServes(client, address, state.clusterName)) break;
      } else if (await registered(client, state, address)) break;
      if (Date.now() > deadline) {
        throw new TimeoutError(
          `${node.name} did not become ready within ${Math.round(opts.waitMs / 1000)}s`,
          opts.waitMs,
          { hint: `it keeps running; see ${node.mainLog} (and ${node.out})` },
        );
      }
      await pause(500, [p], undefined);
    }
  } finally {
    client.close();
  }
  return { ...base, wasRunning: false, pid: p.child.pid ?? null, elapsedMs: Date.now() - started };
}

/** Whether any name server of the topology lists `address` as a broker. */
async function registered(client: RemotingClient, state: LocalState, address: string): Promise<boolean> {
  for (const ns of state.topology?.nodes.filter((n) => n.kind === 'namesrv') ?? []) {
    try {
      const info = await new NameServerClient(client, [`127.0.0.1:${ns.port}`]).getClusterInfo();
      if (info.brokers.some((b) => [...b.addrs.values()].includes(address))) return true;
    } catch {
      // That name server may be the one stopped for a drill.
    }
  }
  return false;
}

/** The log `rmq local logs --node` shows: RocketMQ's own file when there is one, else the JVM's stdout. */
export async function pickNodeLogFile(dir: string, name: string): Promise<string> {
  const { node } = await topologyNode(dir, name);
  if (await exists(node.mainLog)) return node.mainLog;
  if (await exists(node.out)) return node.out;
  throw new NotFoundError(`no log of ${name} yet`, { hint: `it has not run since this dir's last up` });
}
