/**
 * GET_BROKER_RUNTIME_INFO (28), to a broker. No request fields.
 *
 * Response SUCCESS (0): body KVTable, fastjson, every value a string:
 *   {"table":{"brokerVersionDesc":"V5_3_3","putTps":"12.5 10.1 9.8","commitLogMaxOffset":"1234",
 *             "commitLogDiskRatio":"0.41","commitLogDiskRatio_/data/a":"0.41", …}}
 * TPS values are "10s 60s 600s" averages; `commitLogDiskRatio_<path>` appears once per store path
 * when the commit log spans several (storePathCommitLog with ';'), `commitLogDiskRatio` is the
 * smallest. Timer keys are "0" when the timer wheel is off. Accepted codes: SUCCESS only.
 */
import { ProtocolError } from '../errors.js';
import { jsonText, mapEntries, parseFastjson } from '../remoting/fastjson.js';

/** A runtime table is a few hundred short strings; 1 MiB is generous and bounds the parse. */
const MAX_RUNTIME_BODY = 1024 * 1024;

export const ACCEPTED_RUNTIME_INFO_CODES = ['SUCCESS'] as const;

export function decodeRuntimeInfo(body: Buffer | undefined): Record<string, string> {
  const root = parseFastjson(body ?? '{}', { maxLength: MAX_RUNTIME_BODY, maxDepth: 8 });
  if (!root || typeof root !== 'object' || Array.isArray(root)) {
    throw new ProtocolError('broker runtime info is not an object');
  }
  const table = (root as Record<string, unknown>).table;
  // fromEntries: a key "__proto__" from the wire stays data instead of replacing the prototype.
  return Object.fromEntries(mapEntries(table).map(([k, v]) => [jsonText(k), jsonText(v)]));
}

export interface BrokerRuntimeStats {
  version: string | null;
  /** Messages put per second, 10 s average. */
  putTps: number | null;
  /** Messages handed to consumers per second, 10 s average. */
  getTps: number | null;
  commitLogMinOffset: number | null;
  commitLogMaxOffset: number | null;
  /** Used fraction (0..1) of the disk under each commit-log store path. */
  commitLogDisk: { path: string; usedRatio: number }[];
  /** Used fraction of the disk under the consume queues. */
  consumeQueueDiskRatio: number | null;
  /** How long the commit log's put lock has been held (ms); over osPageCacheBusyTimeOutMills the broker refuses sends as page-cache busy. */
  pageCacheLockTimeMs: number | null;
  /** Bytes written to the commit log but not yet dispatched to consume queues and indexes. */
  dispatchBehindBytes: number | null;
  /** Delayed (timer) messages not yet enqueued into the timer wheel, and not yet delivered. */
  timerOffsetBehind: number | null;
  timerReadBehind: number | null;
  timerCongestNum: number | null;
  /** Requests waiting in the send and pull thread-pool queues. */
  sendQueueSize: number | null;
  pullQueueSize: number | null;
  bootTimestamp: number | null;
  earliestMessageTimestamp: number | null;
}

const numberOf = (s: string | undefined): number | null => {
  if (s === undefined) return null;
  const n = Number(s.trim().split(/\s+/)[0]);
  return Number.isFinite(n) ? n : null;
};
const rounded = (n: number | null): number | null => (n === null ? null : Math.round(n * 100) / 100);

export function runtimeStats(table: Record<string, string>): BrokerRuntimeStats {
  const prefix = 'commitLogDiskRatio_';
  const perPath = Object.entries(table)
    .filter(([k]) => k.startsWith(prefix))
    .map(([k, v]) => ({ path: k.slice(prefix.length), usedRatio: numberOf(v) ?? 0 }))
    .sort((a, b) => a.path.localeCompare(b.path));
  const single = numberOf(table.commitLogDiskRatio);
  return {
    version: table.brokerVersionDesc ?? null,
    putTps: rounded(numberOf(table.putTps)),
    getTps: rounded(numberOf(table.getTransferredTps ?? table.getTransferedTps)),
    commitLogMinOffset: numberOf(table.commitLogMinOffset),
    commitLogMaxOffset: numberOf(table.commitLogMaxOffset),
    commitLogDisk: perPath.length > 0 ? perPath : single === null ? [] : [{ path: '', usedRatio: single }],
    consumeQueueDiskRatio: numberOf(table.consumeQueueDiskRatio),
    pageCacheLockTimeMs: numberOf(table.pageCacheLockTimeMills),
    dispatchBehindBytes: numberOf(table.dispatchBehindBytes),
    timerOffsetBehind: numberOf(table.timerOffsetBehind),
    timerReadBehind: numberOf(table.timerReadBehind),
    timerCongestNum: numberOf(table.timerCongestNum),
    sendQueueSize: numberOf(table.sendThreadPoolQueueSize),
    pullQueueSize: numberOf(table.pullThreadPoolQueueSize),
    bootTimestamp: numberOf(table.bootTimestamp),
    earliestMessageTimestamp: numberOf(table.earliestMessageTimeStamp),
  };
}
