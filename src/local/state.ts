/**
 * The state file of a local cluster (what `up` started, on which ports, with which pids) and the
 * live JVMs that carry the dir's owner marker.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { TlsOptions } from '../core/remoting/connection.js';
import { ownerMarker, type Role } from './config.js';
import type { LocalLayout } from './paths.js';
import { nodeOf, ownedRole, scanOwned } from './process.js';
import type { NodeKind, TopologySpec } from './topology.js';

export interface LocalState {
  schema: 1;
  version: string;
  dir: string;
  namesrvAddr: string;
  brokerAddr: string;
  clusterName: string;
  brokerName: string;
  autoCreateTopic: boolean;
  ports: { namesrv: number; broker: number; brokerFast: number; brokerHa: number };
  pids: { namesrv?: number | undefined; broker?: number | undefined };
  java: string;
  libDir: string;
  startedAt: string;
  /** Started with --acl (the accounts are in conf/acl-accounts.json, never here). */
  acl?: boolean | undefined;
  /** Started with --tls: our own probes must speak TLS too. */
  tls?: boolean | undefined;
  /** Set by `down`; the record stays so `status` can still say what ran here. */
  stoppedAt?: string | undefined;
  /** A multi-node topology (absent: the one-node cluster, as every state before topologies). */
  topology?: TopologyState | undefined;
  /** The 5.x proxy started with --proxy (kind proxy; port: its remoting port). */
  proxy?: NodeState | undefined;
}

export interface TopologyState {
  spec: TopologySpec;
  nodes: NodeState[];
}

export interface NodeState {
  name: string;
  kind: NodeKind;
  port: number;
  brokerName?: string | undefined;
  /** The id configured (-1: assigned at run time, by the controller or the raft election). */
  brokerId?: number | undefined;
  /** The pid of the last start (up or `local start`); trusted only while the process carries the markers. */
  pid?: number | undefined;
  /** The proxy's gRPC port (its remoting port is `port`). */
  grpcPort?: number | undefined;
  /** DLedger: the broker's raft group, its id there and its raft port (status asks who leads). */
  dledger?: { group: string; selfId: string; port: number } | undefined;
  /** The java arguments it was started with: `local start` runs exactly these again. */
  args: string[];
  mainLog: string;
  out: string;
}

export async function readState(layout: LocalLayout): Promise<LocalState | undefined> {
  try {
    const s = JSON.parse(await readFile(layout.stateFile, 'utf8')) as LocalState;
    return s && typeof s === 'object' && s.schema === 1 ? s : undefined;
  } catch {
    return undefined;
  }
}

export async function writeState(layout: LocalLayout, state: LocalState): Promise<void> {
  const tmp = `${layout.stateFile}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`);
  await rename(tmp, layout.stateFile);
}

/** Live JVMs of this dir by role: the state file's pids when still ours, plus any found by marker. */
export async function liveProcesses(
  layout: LocalLayout,
  state: LocalState | undefined,
): Promise<Map<Role, number>> {
  const marker = ownerMarker(layout);
  const live = new Map<Role, number>();
  for (const pid of [state?.pids.broker, state?.pids.namesrv, state?.proxy?.pid]) {
    if (pid === undefined) continue;
    const role = await ownedRole(pid, marker);
    if (role && !live.has(role)) live.set(role, pid);
  }
  for (const [pid, role] of await scanOwned(marker)) if (!live.has(role)) live.set(role, pid);
  return live;
}

/** How our own probes reach a cluster started with --tls: its certificate is self-signed. */
export function probeTls(tls: boolean | undefined): TlsOptions | undefined {
  return tls ? { insecure: true } : undefined;
}

export interface LiveNode {
  pid: number;
  role: Role;
  /** Undefined for a JVM without a node marker (a one-node cluster's). */
  node: string | undefined;
}

/** Every live JVM of this dir with its node name: the processes of a topology. */
export async function liveNodes(layout: LocalLayout, state: LocalState | undefined): Promise<LiveNode[]> {
  const marker = ownerMarker(layout);
  const found = new Map<number, Role>();
  for (const n of [...(state?.topology?.nodes ?? []), ...(state?.proxy ? [state.proxy] : [])]) {
    if (n.pid === undefined) continue;
    const role = await ownedRole(n.pid, marker);
    if (role) found.set(n.pid, role);
  }
  for (const [pid, role] of await scanOwned(marker)) found.set(pid, role);
  const out: LiveNode[] = [];
  for (const [pid, role] of found) out.push({ pid, role, node: await nodeOf(pid) });
  return out;
}

/** The first broker of a topology: the configured master of broker-a. */
export function firstBroker(state: LocalState): NodeState | undefined {
  return state.topology?.nodes.find((n) => n.kind === 'broker');
}
