/**
 * The state file of a local cluster (what `up` started, on which ports, with which pids) and the
 * live JVMs that carry the dir's owner marker.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { TlsOptions } from '../core/remoting/connection.js';
import { ownerMarker, type Role } from './config.js';
import type { LocalLayout } from './paths.js';
import { ownedRole, scanOwned } from './process.js';

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
  for (const pid of [state?.pids.broker, state?.pids.namesrv]) {
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
