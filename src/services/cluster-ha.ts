/**
 * What `cluster list` says of replication: how each broker group replicates (classic
 * master/slave, the 5.x controller, or a DLedger raft group on 4.x) and its state now. The
 * broker's config says which mode it runs; then a master tells its connected slaves and how many
 * are in sync, a slave what it copies; in controller mode the controller (the broker's
 * controllerAddr) tells the group's master epoch, raised at every election, and its sync state
 * set; a DLedger node tells its raft role. Everything here is best effort: a broker or controller
 * that does not answer one of these requests still leaves the row, without the figure.
 */
import type { Ops } from '../core/client/ops.js';
import type { HaStatus } from '../core/protocol/broker-ha-status.js';
import type { ReplicaInfo } from '../core/protocol/controller-replica-info.js';

export interface Replication {
  mode: 'master-slave' | 'controller' | 'dledger';
  /** brokerRole as configured: ASYNC_MASTER, SYNC_MASTER or SLAVE (in controller mode only the start). */
  brokerRole?: string;
  /** A master (5.x): the slaves connected to it, and how many it counts in sync. */
  slaves?: number;
  inSync?: number;
  /** Controller mode, from the controller: the group's master epoch, and whether this broker is in its sync state set. */
  epoch?: number;
  inSyncStateSet?: boolean;
  /** A slave (5.x): whether its HA client is connected, and how far its commit log is behind its master's. */
  connected?: boolean;
  behindBytes?: number;
  /** DLedger: this node's raft id and role, and the leader's id (null while the group elects). */
  raftSelfId?: string;
  raftRole?: 'leader' | 'follower' | 'candidate';
  raftLeader?: string | null;
}

/** What addReplication needs of a cluster list row, and fills. */
export interface ReplicationRow {
  brokerName: string;
  brokerId: number;
  address: string;
  error?: string;
  replication?: Replication;
}

/** `n0-127.0.0.1:40911;n1-127.0.0.1:40912` → id → address. */
export function parseDLedgerPeers(peers: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of peers.split(';')) {
    const i = p.indexOf('-');
    if (i > 0 && i < p.length - 1) out.set(p.slice(0, i).trim(), p.slice(i + 1).trim());
  }
  return out;
}

async function settled<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch {
    return undefined;
  }
}

/** The group as its controller sees it: the first of the broker's controllers that answers (the leader). */
async function fromController(
  ops: Ops,
  controllers: string,
  brokerName: string,
): Promise<ReplicaInfo | undefined> {
  for (const c of controllers
    .split(';')
    .map((x) => x.trim())
    .filter((x) => x !== '')) {
    const info = await settled(ops.replicaInfo(c, brokerName));
    if (info) return info;
  }
  return undefined;
}

async function replicationOf(
  ops: Ops,
  row: ReplicationRow,
  controllerOf: (controllers: string, brokerName: string) => Promise<ReplicaInfo | undefined>,
): Promise<{ r: Replication; ha?: HaStatus } | undefined> {
  const config = await settled(ops.brokerConfig(row.address));
  if (!config) return undefined;
  const brokerRole = config.get('brokerRole');
  if (config.get('enableDLegerCommitLog') === 'true') {
    const selfId = config.get('dLegerSelfId') ?? '';
    const group = config.get('dLegerGroup') ?? '';
    const raft = parseDLedgerPeers(config.get('dLegerPeers') ?? '').get(selfId);
    const r: Replication = { mode: 'dledger', raftSelfId: selfId };
    if (raft) {
      const leader = await settled(ops.dledgerLeader(raft, group, selfId));
      if (leader !== undefined) {
        r.raftLeader = leader;
        r.raftRole = leader === null ? 'candidate' : leader === selfId ? 'leader' : 'follower';
      }
    }
    return { r };
  }
  const controller = config.get('enableControllerMode') === 'true';
  const r: Replication = { mode: controller ? 'controller' : 'master-slave' };
  if (brokerRole) r.brokerRole = brokerRole;
  const [ha, group] = await Promise.all([
    settled(ops.haStatus(row.address)),
    controller ? controllerOf(config.get('controllerAddr') ?? '', row.brokerName) : undefined,
  ]);
  if (group) {
    if (group.masterEpoch !== null) r.epoch = group.masterEpoch;
    // The name server lists a master as id 0 whatever id the controller gave it: it is in
    // the set by definition. A slave keeps its controller-given id there.
    r.inSyncStateSet = row.brokerId === 0 || group.syncStateSet.includes(row.brokerId);
  }
  if (ha?.master) {
    r.slaves = ha.slaves.length;
    r.inSync = ha.inSyncSlaves ?? ha.slaves.filter((s) => s.inSync).length;
  } else if (ha?.client) {
    r.connected = ha.client.activated;
  }
  return ha ? { r, ha } : { r };
}

/**
 * Fills `replication` of every answering row. A slave's lag is its master's commit-log end less
 * its own, both read now: approximate under load, exact at rest.
 */
export async function addReplication(ops: Ops, rows: ReplicationRow[]): Promise<void> {
  const maxOffsets = new Map<ReplicationRow, { master: number | null; own: number | null }>();
  // One question per group to its controller, however many of its brokers ask.
  const groups = new Map<string, Promise<ReplicaInfo | undefined>>();
  const controllerOf = (controllers: string, brokerName: string) => {
    const key = `${controllers}\u0000${brokerName}`;
    let p = groups.get(key);
    if (!p) groups.set(key, (p = fromController(ops, controllers, brokerName)));
    return p;
  };
  await Promise.all(
    rows
      .filter((r) => !r.error)
      .map(async (row) => {
        const got = await replicationOf(ops, row, controllerOf);
        if (!got) return;
        row.replication = got.r;
        if (got.ha)
          maxOffsets.set(row, { master: got.ha.masterMaxOffset, own: got.ha.client?.maxOffset ?? null });
      }),
  );
  for (const slave of rows) {
    const own = maxOffsets.get(slave)?.own;
    if (slave.brokerId === 0 || own == null || !slave.replication) continue;
    const master = rows.find((r) => r.brokerName === slave.brokerName && r.brokerId === 0);
    const masterMax = master && maxOffsets.get(master)?.master;
    if (masterMax != null) slave.replication.behindBytes = Math.max(0, masterMax - own);
  }
}

/** The HA cell of a row: "epoch 3, 1/1 in sync", "raft follower of n0", "behind 0 B". */
export function replicationCell(r: Replication | undefined): string {
  if (!r) return '-';
  if (r.mode === 'dledger') {
    if (!r.raftRole) return `raft ${r.raftSelfId ?? '?'}: no answer`;
    if (r.raftRole === 'follower') return `raft follower of ${r.raftLeader ?? '?'}`;
    return `raft ${r.raftRole}`;
  }
  const parts: string[] = [];
  if (r.epoch !== undefined) parts.push(`epoch ${r.epoch}`);
  if (r.inSyncStateSet === false) parts.push('out of the sync state set');
  if (r.slaves !== undefined)
    parts.push(r.slaves === 0 ? 'no slave' : `${r.inSync ?? 0}/${r.slaves} in sync`);
  if (r.connected === false) parts.push('not connected');
  if (r.behindBytes !== undefined) parts.push(`behind ${r.behindBytes} B`);
  if (parts.length === 0 && r.brokerRole) parts.push(r.brokerRole.toLowerCase().replace('_', ' '));
  return parts.join(', ') || '-';
}
