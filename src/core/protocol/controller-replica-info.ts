/**
 * CONTROLLER_GET_REPLICA_INFO (1004), to a 5.x controller (standalone, or inside a name server
 * with enableControllerInNamesrv): one broker group's master and in-sync replicas.
 *
 * Request extFields: brokerName.
 * Response SUCCESS (0): extFields masterBrokerId, masterAddress, masterEpoch (raised at every
 *   election); body SyncStateSet, fastjson: {"syncStateSet":[0,2],"syncStateSetEpoch":3}, the
 *   broker ids the master counts in sync, itself included.
 * CONTROLLER_NOT_LEADER (2007) from a controller that is not its raft group's leader;
 * CONTROLLER_BROKER_METADATA_NOT_EXIST (2008) for a group it does not know.
 */
import { ProtocolError } from '../errors.js';
import { jsonNumber, parseFastjson } from '../remoting/fastjson.js';
import type { RemotingCommand } from '../remoting/command.js';

/** A set of broker ids: a few bytes each. */
const MAX_BODY = 64 * 1024;
const MAX_IDS = 1024;

export function replicaInfoHeader(brokerName: string): Record<string, string> {
  return { brokerName };
}

export interface ReplicaInfo {
  masterBrokerId: number | null;
  masterAddress: string | null;
  masterEpoch: number | null;
  /** Broker ids in sync, the master's included. */
  syncStateSet: number[];
  syncStateSetEpoch: number | null;
}

const int = (v: string | undefined): number | null => {
  if (v === undefined || !/^-?\d{1,15}$/.test(v)) return null;
  return Number(v);
};

export function decodeReplicaInfo(res: RemotingCommand): ReplicaInfo {
  const root = parseFastjson(res.body ?? '{}', { maxLength: MAX_BODY, maxDepth: 4 });
  if (!root || typeof root !== 'object' || Array.isArray(root)) {
    throw new ProtocolError('controller sync state set is not an object');
  }
  const o = root as Record<string, unknown>;
  const ids = Array.isArray(o.syncStateSet) ? o.syncStateSet.slice(0, MAX_IDS) : [];
  const epoch = jsonNumber(o.syncStateSetEpoch);
  const ext = res.extFields;
  return {
    masterBrokerId: int(ext.masterBrokerId),
    masterAddress: ext.masterAddress || null,
    masterEpoch: int(ext.masterEpoch),
    syncStateSet: ids.map(jsonNumber).filter((n) => Number.isInteger(n)),
    syncStateSetEpoch: Number.isFinite(epoch) ? epoch : null,
  };
}
