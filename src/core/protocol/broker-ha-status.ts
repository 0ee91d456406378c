/**
 * GET_BROKER_HA_STATUS (907), to a broker (5.x). No request fields.
 *
 * Response SUCCESS (0): body HARuntimeInfo, fastjson:
 *   {"master":true,"masterCommitLogMaxOffset":1234,"inSyncSlaveNums":1,
 *    "haConnectionInfo":[{"addr":"127.0.0.1:52114","slaveAckOffset":1234,"diff":0,"inSync":true,
 *                         "transferredByteInSecond":0,"transferFromWhere":0}],
 *    "haClientRuntimeInfo":{"masterAddr":"127.0.0.1:10912","maxOffset":1234,"masterFlushOffset":1234,
 *                           "lastReadTimestamp":…,"lastWriteTimestamp":…,…}}
 * (5.3 writes no "activated"/"isActivated"; masterAddr is absent while the slave has no master.)
 * A master fills haConnectionInfo (one entry per connected slave, `addr` the slave's side of the
 * HA connection, not its broker address); a slave fills haClientRuntimeInfo. SYSTEM_ERROR (1)
 * when the store keeps no HA service (e.g. duplicationEnable); 4.x answers
 * REQUEST_CODE_NOT_SUPPORTED (3).
 */
import { ProtocolError } from '../errors.js';
import { jsonNumber, jsonText, parseFastjson } from '../remoting/fastjson.js';

/** A master with a few slaves answers well under a kilobyte. */
const MAX_BODY = 256 * 1024;
/** More slaves than any real group has: the rest is not counted. */
const MAX_CONNECTIONS = 64;

export interface HaStatus {
  master: boolean;
  /** A master: its commit log's end. */
  masterMaxOffset: number | null;
  /** A master: the slaves connected to it, and how many of them it counts in sync. */
  slaves: { slaveAckOffset: number | null; behindBytes: number | null; inSync: boolean }[];
  inSyncSlaves: number | null;
  /** A slave: the master it copies from, its own commit log's end, and whether it is connected. */
  client: { masterAddr: string; maxOffset: number | null; activated: boolean } | null;
}

const num = (v: unknown): number | null => {
  const n = jsonNumber(v);
  return Number.isFinite(n) ? n : null;
};
const record = (v: unknown): Record<string, unknown> | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

export function decodeHaStatus(body: Buffer | undefined): HaStatus {
  const root = record(parseFastjson(body ?? '{}', { maxLength: MAX_BODY, maxDepth: 6 }));
  if (!root) throw new ProtocolError('broker HA status is not an object');
  const conns = Array.isArray(root.haConnectionInfo) ? root.haConnectionInfo.slice(0, MAX_CONNECTIONS) : [];
  const c = record(root.haClientRuntimeInfo);
  const master = jsonText(root.master) === 'true';
  return {
    master,
    masterMaxOffset: num(root.masterCommitLogMaxOffset),
    slaves: conns.map((x) => {
      const o = record(x) ?? {};
      return {
        slaveAckOffset: num(o.slaveAckOffset),
        behindBytes: num(o.diff),
        inSync: jsonText(o.inSync) === 'true',
      };
    }),
    inSyncSlaves: num(root.inSyncSlaveNums),
    client:
      !master && c
        ? {
            masterAddr: jsonText(c.masterAddr),
            maxOffset: num(c.maxOffset),
            // 5.3 leaves isActivated out of the JSON (no getter fastjson sees): a master
            // address is then what says the slave has one to copy from.
            activated:
              c.activated !== undefined || c.isActivated !== undefined
                ? jsonText(c.activated ?? c.isActivated) === 'true'
                : jsonText(c.masterAddr) !== '',
          }
        : null,
  };
}
