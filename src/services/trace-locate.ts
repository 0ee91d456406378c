/**
 * Finding a traced message and its trace records: by offset id at its store host, by unique key
 * in --topic, in the topic its trace records name, or in every topic; and the records about it
 * in the trace topic, each with the host that wrote it.
 */
import { isSystemTopic } from '../core/client/admin.js';
import { type FoundMessage, MessageQuery, offsetIdAddress } from '../core/client/query.js';
import { NotFoundError } from '../core/errors.js';
import { Prop } from '../core/protocol/message.js';
import { type ClusterInfo, masterAddress } from '../core/protocol/route.js';
import { decodeTraceData, type TraceRecord } from '../core/protocol/trace.js';
import { bodyErrorText } from './message-record.js';
import type { TraceInput, TracedMessage, TraceResult } from './trace-result.js';

export interface LocatedRecord {
  record: TraceRecord;
  /** Born host of the trace message that carried the record: the host that wrote it. */
  clientHost: string;
}

export const iso = (ms: number): string => new Date(ms).toISOString();
const hostOnly = (hostPort: string): string => hostPort.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');

/** Reads trace records about `msgId` from the trace topic (as mqadmin queryMsgTraceById does). */
export async function queryTraceRecords(
  q: MessageQuery,
  traceTopic: string,
  msgId: string,
  options: { beginMs?: number; endMs?: number; maxNum?: number } = {},
): Promise<{ records: LocatedRecord[]; exists: boolean; malformed: number }> {
  let found: FoundMessage[];
  try {
    ({ found } = await q.byKey(traceTopic, msgId, {
      unique: false,
      maxNum: options.maxNum ?? 64,
      beginMs: options.beginMs,
      endMs: options.endMs,
    }));
  } catch (err) {
    if (err instanceof NotFoundError) return { records: [], exists: false, malformed: 0 };
    throw err;
  }
  const records: LocatedRecord[] = [];
  let malformed = 0;
  const seen = new Set<string>();
  for (const f of found) {
    // Java's producer may store a trace message twice on a retry: keep one of each.
    if (seen.has(f.message.msgId)) continue;
    seen.add(f.message.msgId);
    // A trace message that would not inflate (a bomb in the trace topic) holds no readable record.
    if (f.message.bodyError) {
      malformed++;
      continue;
    }
    const decoded = decodeTraceData(f.message.body.toString('utf8'));
    malformed += decoded.malformed;
    for (const record of decoded.records) {
      if (record.msgId === msgId) records.push({ record, clientHost: hostOnly(f.message.bornHost) });
    }
  }
  return { records, exists: true, malformed };
}

export function describeMessage(f: FoundMessage): TracedMessage {
  const m = f.message;
  const p = m.properties;
  let delay: string | null = null;
  if (p[Prop.DELAY]) delay = `level ${p[Prop.DELAY]}`;
  else if (p.TIMER_DELIVER_MS || p.TIMER_DELAY_MS || p.TIMER_DELAY_SEC || p.TIMER_OUT_MS) delay = 'timer';
  return {
    topic: m.topic,
    msgId: m.msgId,
    offsetMsgId: m.offsetMsgId,
    brokerName: f.brokerName,
    storeHost: m.storeHost,
    queueId: m.queueId,
    queueOffset: m.queueOffset,
    tags: p[Prop.TAGS] ?? null,
    keys: (p[Prop.KEYS] ?? '').split(' ').filter(Boolean),
    bornHost: m.bornHost,
    bornTimestamp: iso(m.bornTimestamp),
    storeTimestamp: iso(m.storeTimestamp),
    storeDelayMs: m.storeTimestamp - m.bornTimestamp,
    bodyLength: m.bodyError ? null : m.body.length,
    bodyError: m.bodyError ? bodyErrorText(m.bodyError) : null,
    reconsumeTimes: m.reconsumeTimes,
    transaction: p[Prop.TRAN_MSG] === 'true',
    delay,
  };
}

/** Every address of every broker, to tell an offset id (names a broker) from a unique key. */
export function brokerAddressSet(info: ClusterInfo): Set<string> {
  const out = new Set<string>();
  for (const b of info.brokers) for (const a of b.addrs.values()) out.add(a);
  return out;
}

export function brokerNameOf(info: ClusterInfo, address: string): string {
  for (const b of info.brokers) for (const a of b.addrs.values()) if (a === address) return b.brokerName;
  return '';
}

export function masterOf(info: ClusterInfo, brokerName: string): string | undefined {
  const b = info.brokers.find((x) => x.brokerName === brokerName);
  return b ? masterAddress(b) : undefined;
}

export async function findByUniqueKey(
  q: MessageQuery,
  topic: string,
  id: string,
  window: { beginMs?: number | undefined; endMs?: number | undefined },
): Promise<FoundMessage[]> {
  try {
    return (await q.byKey(topic, id, { unique: true, beginMs: window.beginMs, endMs: window.endMs })).found;
  } catch (err) {
    if (err instanceof NotFoundError) return [];
    throw err;
  }
}

/** Runs `fn` over `items`, at most `limit` at a time, stopping early once `stop` says so. */
async function eachLimited<T>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<void>,
  stop: () => boolean,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !stop()) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export interface Location {
  found: FoundMessage[];
  idKind: TraceResult['idKind'];
  msgId: string;
  /** Trace records read while looking (reused when the window allows). */
  traces?: Awaited<ReturnType<typeof queryTraceRecords>>;
}

/**
 * Finds the message: an offset id is read at its store host; a unique key is looked up in
 * --topic, else in the topic its trace records name, else in every non-system topic.
 */
export async function locate(
  q: MessageQuery,
  info: ClusterInfo,
  input: Pick<TraceInput, 'id' | 'topic' | 'beginMs' | 'endMs' | 'maxTraceMessages'>,
  traceTopic: string,
  progress: (t: string) => void = () => {},
): Promise<Location> {
  const id = input.id;
  const window = { beginMs: input.beginMs, endMs: input.endMs };
  const viewAt = offsetIdAddress(id, brokerAddressSet(info));
  if (viewAt) {
    try {
      const f = await q.byOffsetId(id, { brokerName: brokerNameOf(info, viewAt) });
      return { found: [f], idKind: 'offset-id', msgId: f.message.msgId };
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }
  let traces: Location['traces'];
  const topics: string[] = [];
  if (input.topic) topics.push(input.topic);
  else {
    progress('reading trace records');
    traces = await queryTraceRecords(q, traceTopic, id, {
      beginMs: input.beginMs,
      endMs: input.endMs,
      maxNum: input.maxTraceMessages,
    });
    for (const { record } of traces.records) {
      if ((record.type === 'Pub' || record.type === 'EndTransaction') && !topics.includes(record.topic)) {
        topics.push(record.topic);
      }
    }
  }
  for (const topic of topics) {
    progress(`looking for ${id} in ${topic}`);
    const found = await findByUniqueKey(q, topic, id, window);
    if (found.length > 0) return { found, idKind: 'unique-key', msgId: id, traces };
  }
  if (!input.topic && topics.length === 0) {
    // No topic to go by: ask every topic's index, a few at a time.
    const all = (await q.namesrv.getTopicList()).filter((t) => !isSystemTopic(t) && t !== traceTopic);
    progress(`looking for ${id} in ${all.length} topics`);
    let hit: FoundMessage[] = [];
    await eachLimited(
      all,
      8,
      async (topic) => {
        const found = await findByUniqueKey(q, topic, id, window).catch(() => []);
        if (found.length > 0 && hit.length === 0) hit = found;
      },
      () => hit.length > 0,
    );
    if (hit.length > 0) return { found: hit, idKind: 'unique-key', msgId: id, traces };
  }
  // An offset id of a broker known by another address (NAT, hostnames): try it where it points.
  const elsewhere = viewAt ? undefined : offsetIdAddress(id);
  if (elsewhere && !/^0+$/.test(id)) {
    try {
      const f = await q.byOffsetId(id, { brokerName: brokerNameOf(info, elsewhere) });
      return { found: [f], idKind: 'offset-id', msgId: f.message.msgId };
    } catch {
      // not an offset id after all
    }
  }
  return { found: [], idKind: viewAt ? 'offset-id' : 'unique-key', msgId: id, traces };
}
