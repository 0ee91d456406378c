/**
 * `rmq trace <id>`: where a message is and what happened to it. Finds the message (by unique
 * key or offset message id), its trace records in the trace topic, and for every group that
 * consumes its topic the consumption state from offsets, retry copies in %RETRY%<group> and a
 * dead-letter copy in %DLQ%<group>; then lays it out as hops with the time between them.
 * Knows nothing of oclif or terminals; src/ui/trace-view.ts renders the result.
 */
import { type Admin, isSystemGroup, isSystemTopic } from '../core/client/admin.js';
import { dlqTopic, retryTopic } from '../core/client/consumer.js';
import {
  type FoundMessage,
  MessageQuery,
  offsetIdAddress,
  routeBrokers,
  TOOLS_CONSUMER_GROUP,
} from '../core/client/query.js';
import { CheckFailedError, InvalidArgumentError, NotFoundError, TimeoutError } from '../core/errors.js';
import { Prop } from '../core/protocol/message.js';
import { type ClusterInfo, masterAddress } from '../core/protocol/route.js';
import {
  decodeTraceData,
  type EndTransactionRecord,
  type PubRecord,
  type SubAfterRecord,
  type SubBeforeRecord,
  TRACE_TOPIC_DEFAULT,
  type TraceRecord,
} from '../core/protocol/trace.js';
import { bodyErrorText } from './message-record.js';

export interface TraceInput {
  /** A unique key (UNIQ_KEY, "the message id") or an offset message id. */
  id: string;
  topic?: string | undefined;
  beginMs?: number | undefined;
  endMs?: number | undefined;
  traceTopic?: string | undefined;
  /** Only these groups (default: every group consuming the topic, and every group in the trace). */
  groups?: string[] | undefined;
  /** Trace messages asked of each broker (the broker caps it at 64). */
  maxTraceMessages?: number | undefined;
  /** --max-body: largest inflated body (message and trace messages); see inflateBody. */
  maxBodyBytes?: number | undefined;
  /** Wait until this group consumed the message; TimeoutError after timeoutMs. */
  waitConsumed?: { group: string; timeoutMs: number; pollMs?: number } | undefined;
  onProgress?: ((text: string) => void) | undefined;
}

export interface TracedMessage {
  topic: string;
  msgId: string;
  offsetMsgId: string;
  brokerName: string;
  storeHost: string;
  queueId: number;
  queueOffset: number;
  tags: string | null;
  keys: string[];
  bornHost: string;
  bornTimestamp: string;
  storeTimestamp: string;
  /** Store time minus born time (the clocks of producer and broker may differ). */
  storeDelayMs: number;
  /** Bytes of the (inflated) body; null when it was not inflated (see bodyError). */
  bodyLength: number | null;
  /** Why the compressed body was not inflated, else null. */
  bodyError: string | null;
  reconsumeTimes: number;
  transaction: boolean;
  /** How the message was delayed, e.g. "level 3" or "timer", if it was. */
  delay: string | null;
}

export interface PublishInfo {
  group: string;
  /** Host that wrote the trace record (the producer). */
  clientHost: string;
  at: string;
  costMs: number;
  success: boolean;
  storeHost: string;
  msgType: string;
  regionId: string;
  offsetMsgId: string | null;
}

export interface TransactionEnd {
  state: string;
  fromTransactionCheck: boolean;
  group: string;
  at: string;
  sinceBornMs: number | null;
}

export interface Attempt {
  /** 1-based, in time order. */
  n: number;
  requestId: string;
  at: string;
  clientHost: string;
  /** Deliveries before this one, as the consumer saw it (reconsumeTimes). */
  retryTimes: number | null;
  /** Handling time; null when the consumer has not reported the outcome (yet). */
  costMs: number | null;
  success: boolean | null;
  /** From the message's store time to this delivery. */
  sinceStoredMs: number | null;
  /** From the end of the previous attempt of the group to this one. */
  sincePreviousMs: number | null;
}

export interface CopyInfo {
  topic: string;
  brokerName: string;
  queueId: number;
  queueOffset: number;
  storedAt: string;
  reconsumeTimes: number;
  /** Whether the group's offset in that queue is past the copy; null if unknown. */
  consumed: boolean | null;
}

export const GROUP_STATES = ['consumed', 'not-consumed-yet', 'retrying', 'dead-lettered', 'unknown'] as const;
export type GroupState = (typeof GROUP_STATES)[number];

export interface GroupTrace {
  group: string;
  /**
   * consumed: the group's offset is past the message and past every retry copy, and its last
   * traced attempt (if any) succeeded; retrying: it was handed back and a retry is pending;
   * dead-lettered: it is in %DLQ%<group>; unknown: broadcasting (offsets live in the clients).
   */
  state: GroupState;
  /** Whether a consumer of the group is connected; null if that could not be asked. */
  online: boolean | null;
  messageModel: string | null;
  /** The group's committed offset of the message's queue (next to consume); null if none. */
  consumerOffset: number | null;
  attempts: Attempt[];
  retries: CopyInfo[];
  deadLetter: CopyInfo | null;
  note: string | null;
}

export interface TraceResult {
  id: string;
  idKind: 'unique-key' | 'offset-id';
  /** The unique key the trace is keyed by. */
  msgId: string;
  found: boolean;
  message: TracedMessage | null;
  /** Times the message is stored in its topic (more than 1: the producer sent it again). */
  copies: number;
  publish: PublishInfo[];
  transaction: TransactionEnd[];
  groups: GroupTrace[];
  traceTopic: string;
  /** Trace records about this message that were found. */
  traceRecords: number;
  window: { begin: string; end: string | null };
  warnings: string[];
  wait?: { group: string; waitedMs: number };
}

interface LocatedRecord {
  record: TraceRecord;
  /** Born host of the trace message that carried the record: the host that wrote it. */
  clientHost: string;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const hostOnly = (hostPort: string): string => hostPort.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

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

function describeMessage(f: FoundMessage): TracedMessage {
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
function brokerAddressSet(info: ClusterInfo): Set<string> {
  const out = new Set<string>();
  for (const b of info.brokers) for (const a of b.addrs.values()) out.add(a);
  return out;
}

function brokerNameOf(info: ClusterInfo, address: string): string {
  for (const b of info.brokers) for (const a of b.addrs.values()) if (a === address) return b.brokerName;
  return '';
}

function masterOf(info: ClusterInfo, brokerName: string): string | undefined {
  const b = info.brokers.find((x) => x.brokerName === brokerName);
  return b ? masterAddress(b) : undefined;
}

async function findByUniqueKey(
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

/** Delivery attempts of each group, from SubBefore/SubAfter pairs (paired by requestId). */
function attemptsByGroup(records: LocatedRecord[], storedMs: number | null): Map<string, Attempt[]> {
  const before = new Map<string, LocatedRecord & { record: SubBeforeRecord }>();
  const after = new Map<string, LocatedRecord & { record: SubAfterRecord }>();
  for (const r of records) {
    if (r.record.type === 'SubBefore')
      before.set(r.record.requestId, r as LocatedRecord & { record: SubBeforeRecord });
    if (r.record.type === 'SubAfter')
      after.set(r.record.requestId, r as LocatedRecord & { record: SubAfterRecord });
  }
  const raw: {
    group: string;
    startMs: number;
    a: Omit<Attempt, 'n' | 'sinceStoredMs' | 'sincePreviousMs'>;
  }[] = [];
  for (const id of new Set([...before.keys(), ...after.keys()])) {
    const b = before.get(id);
    const a = after.get(id);
    const group = b?.record.group ?? a?.record.group ?? '';
    // Without its SubBefore, a SubAfter's own time (its end) less its cost is the start.
    const startMs = b ? b.record.timestamp : (a?.record.timestamp ?? 0) - (a?.record.costTime ?? 0);
    if (!group || !startMs) continue;
    raw.push({
      group,
      startMs,
      a: {
        requestId: id,
        at: iso(startMs),
        clientHost: (b ?? a)!.clientHost,
        retryTimes: b ? b.record.retryTimes : null,
        costMs: a ? a.record.costTime : null,
        success: a ? a.record.success : null,
      },
    });
  }
  raw.sort((x, y) => x.startMs - y.startMs);
  const out = new Map<string, Attempt[]>();
  const lastEnd = new Map<string, number>();
  for (const r of raw) {
    const list = out.get(r.group) ?? [];
    const prev = lastEnd.get(r.group);
    list.push({
      n: list.length + 1,
      ...r.a,
      sinceStoredMs: storedMs === null ? null : r.startMs - storedMs,
      sincePreviousMs: prev === undefined ? null : r.startMs - prev,
    });
    out.set(r.group, list);
    lastEnd.set(r.group, r.startMs + (r.a.costMs ?? 0));
  }
  return out;
}

async function copies(
  q: MessageQuery,
  info: ClusterInfo,
  topic: string,
  msgId: string,
  group: string,
  window: { beginMs?: number | undefined },
): Promise<CopyInfo[]> {
  const found = await findByUniqueKey(q, topic, msgId, window);
  return Promise.all(
    found.map(async (f) => {
      const address = masterOf(info, f.brokerName) ?? f.address;
      let offset: number | null | undefined;
      try {
        offset = await q.consumerOffset(address, group, topic, f.message.queueId);
      } catch {
        offset = undefined;
      }
      return {
        topic,
        brokerName: f.brokerName,
        queueId: f.message.queueId,
        queueOffset: f.message.queueOffset,
        storedAt: iso(f.message.storeTimestamp),
        reconsumeTimes: f.message.reconsumeTimes,
        consumed: offset === undefined ? null : offset !== null && offset > f.message.queueOffset,
      };
    }),
  );
}

/** One group's consumption of the message, from offsets, retry/DLQ copies and its traced attempts. */
export async function groupTrace(
  admin: Admin,
  q: MessageQuery,
  info: ClusterInfo,
  found: FoundMessage,
  group: string,
  attempts: Attempt[] = [],
): Promise<GroupTrace> {
  const m = found.message;
  const address = masterOf(info, found.brokerName) ?? found.address;
  const g: GroupTrace = {
    group,
    state: 'not-consumed-yet',
    online: null,
    messageModel: null,
    consumerOffset: null,
    attempts,
    retries: [],
    deadLetter: null,
    note: null,
  };
  try {
    const conn = await admin.consumerConnections(address, group);
    g.online = conn !== undefined && conn.connections.length > 0;
    g.messageModel = conn?.messageModel || null;
  } catch {
    g.online = null;
  }
  if (g.messageModel === 'BROADCASTING') {
    g.state = 'unknown';
    g.note = 'broadcasting: every consumer keeps its own offsets, the broker cannot tell';
    return g;
  }
  const window = { beginMs: m.bornTimestamp - 60_000 };
  const [offset, retries, dlq] = await Promise.all([
    q.consumerOffset(address, group, m.topic, m.queueId).catch((): number | null => null),
    copies(q, info, retryTopic(group), m.msgId, group, window),
    copies(q, info, dlqTopic(group), m.msgId, group, window),
  ]);
  g.consumerOffset = offset;
  g.retries = retries;
  g.deadLetter = dlq[0] ?? null;
  const last = attempts[attempts.length - 1];
  const pastOriginal = offset !== null && offset > m.queueOffset;
  if (g.deadLetter) g.state = 'dead-lettered';
  else if (!pastOriginal) g.state = 'not-consumed-yet';
  else if (retries.some((r) => r.consumed !== true) || last?.success === false) {
    // Handed back: the retry waits in the schedule topic or in %RETRY%<group>.
    g.state = 'retrying';
  } else g.state = 'consumed';
  return g;
}

function publishInfo(r: LocatedRecord & { record: PubRecord }): PublishInfo {
  return {
    group: r.record.group,
    clientHost: r.record.clientHost ?? r.clientHost,
    at: iso(r.record.timestamp),
    costMs: r.record.costTime,
    success: r.record.success,
    storeHost: r.record.storeHost,
    msgType: r.record.msgType,
    regionId: r.record.regionId,
    offsetMsgId: r.record.offsetMsgId,
  };
}

/** Groups to report: --group, else those consuming the topic and those in the trace. */
async function groupNames(
  admin: Admin,
  q: MessageQuery,
  topic: string,
  input: TraceInput,
  traced: Iterable<string>,
): Promise<string[]> {
  if (input.groups && input.groups.length > 0) return [...new Set(input.groups)];
  const names = new Set<string>(traced);
  try {
    const route = await q.namesrv.getTopicRoute(topic);
    for (const b of routeBrokers(route)) {
      const listed = await q.groupsOf(topic, b.address).catch((): string[] => []);
      await Promise.all(
        listed
          .filter((g) => !names.has(g) && g !== TOOLS_CONSUMER_GROUP && !isSystemGroup(g))
          .map(async (g) => {
            // The broker also lists groups it only heard of in passing (5.3.3 lists one named like
            // the topic after a consume): keep those with a consumer online or any progress.
            const [conn, stats] = await Promise.all([
              admin.consumerConnections(b.address, g).catch(() => undefined),
              admin.consumeStats(b.address, g, topic).catch(() => undefined),
            ]);
            const consumed = stats?.offsets.some((o) => o.consumerOffset > 0) ?? false;
            if ((conn && conn.connections.length > 0) || consumed) names.add(g);
          }),
      );
    }
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
  return [...names].filter((g) => g !== TOOLS_CONSUMER_GROUP && !isSystemGroup(g)).sort();
}

/**
 * Traces one message. NotFoundError when neither the message nor any trace record is found.
 * @example await traceMessage(admin, { id: 'C0A8010A1A2B18B4AAC2…', topic: 'orders' })
 */
export async function traceMessage(admin: Admin, input: TraceInput): Promise<TraceResult> {
  const id = input.id.trim();
  if (!/^[0-9A-Za-z]+$/.test(id)) {
    throw new InvalidArgumentError(`"${input.id}" is not a message id`, {
      hint: 'pass the message id (UNIQ_KEY) or the offset message id, as `rmq send` prints them',
    });
  }
  const progress = input.onProgress ?? (() => {});
  const traceTopic = input.traceTopic || TRACE_TOPIC_DEFAULT;
  const q = new MessageQuery(admin.client, admin.namesrv, { maxBodyBytes: input.maxBodyBytes });
  const info = await admin.getClusterInfo();
  const wait = input.waitConsumed;
  const started = Date.now();
  const deadline = wait ? started + wait.timeoutMs : 0;

  let loc = await locate(q, info, { ...input, id }, traceTopic, progress);
  while (wait && loc.found.length === 0 && Date.now() < deadline) {
    // Just sent: the index may not have it yet.
    await sleep(Math.min(wait.pollMs ?? 500, Math.max(0, deadline - Date.now())));
    loc = await locate(q, info, { ...input, id }, traceTopic, progress);
  }
  const first = loc.found[0];
  const waitResult: TraceResult['wait'] = wait ? { group: wait.group, waitedMs: 0 } : undefined;
  if (wait) {
    if (!first) {
      throw new TimeoutError(
        `message ${id} was not found within ${Math.round(wait.timeoutMs / 1000)} s`,
        wait.timeoutMs,
        { hint: input.topic ? 'check the id and --topic' : 'pass --topic to look in the right topic' },
      );
    }
    progress(`waiting for group ${wait.group} to consume ${loc.msgId}`);
    for (;;) {
      const g = await groupTrace(admin, q, info, first, wait.group);
      if (g.state === 'consumed') break;
      if (g.state === 'dead-lettered') {
        throw new CheckFailedError(
          `message ${loc.msgId} went to the dead-letter queue of group ${wait.group}`,
          {
            hint: `read it with \`rmq consume -g ${wait.group} --dlq\``,
          },
        );
      }
      if (Date.now() >= deadline) {
        throw new TimeoutError(
          `message ${loc.msgId} was not consumed by group ${wait.group} within ${Math.round(wait.timeoutMs / 1000)} s (${g.state.replace(/-/g, ' ')}${g.online === false ? ', group not online' : ''})`,
          wait.timeoutMs,
          { hint: `see \`rmq trace ${id}\` for where it is` },
        );
      }
      await sleep(Math.min(wait.pollMs ?? 500, Math.max(0, deadline - Date.now())));
    }
    waitResult!.waitedMs = Date.now() - started;
  }

  const message = first ? describeMessage(first) : null;
  const bornMs = first?.message.bornTimestamp;
  const beginMs = input.beginMs ?? (bornMs !== undefined ? bornMs - 60_000 : 0);
  const endMs = input.endMs;
  const warnings: string[] = [];
  let traces = loc.traces;
  // A lookup by trace ran over the whole window (a superset); an offset id needs its unique key.
  if (!traces || loc.msgId !== id) {
    progress('reading trace records');
    traces = await queryTraceRecords(q, traceTopic, loc.msgId, {
      beginMs,
      endMs,
      maxNum: input.maxTraceMessages,
    });
  }
  if (!traces.exists) warnings.push(`the trace topic ${traceTopic} does not exist: nothing was traced`);
  if (traces.malformed > 0) warnings.push(`${traces.malformed} trace record(s) could not be read`);
  if (loc.found.length > 1) {
    warnings.push(`the message is stored ${loc.found.length} times (the producer sent it again)`);
  }
  if (!first && traces.records.length === 0) {
    throw new NotFoundError(`message ${id} not found${input.topic ? ` in topic ${input.topic}` : ''}`, {
      hint: input.topic
        ? 'check the id (UNIQ_KEY or offset message id), --topic and --begin/--end'
        : 'pass --topic: without it only traced messages and topics the index knows are searched',
    });
  }

  const records = traces.records;
  const storedMs = first?.message.storeTimestamp ?? null;
  const attempts = attemptsByGroup(records, storedMs);
  const publish = records
    .filter((r): r is LocatedRecord & { record: PubRecord } => r.record.type === 'Pub')
    .sort((a, b) => a.record.timestamp - b.record.timestamp)
    .map(publishInfo);
  const bornForDelta = bornMs ?? (publish[0] ? Date.parse(publish[0].at) : null);
  const transaction = records
    .filter((r): r is LocatedRecord & { record: EndTransactionRecord } => r.record.type === 'EndTransaction')
    .sort((a, b) => a.record.timestamp - b.record.timestamp)
    .map((r) => ({
      state: r.record.transactionState,
      fromTransactionCheck: r.record.fromTransactionCheck,
      group: r.record.group,
      at: iso(r.record.timestamp),
      sinceBornMs: bornForDelta === null ? null : r.record.timestamp - bornForDelta,
    }));

  let groups: GroupTrace[] = [];
  if (first) {
    progress('reading consumer offsets');
    const names = await groupNames(admin, q, first.message.topic, input, attempts.keys());
    groups = await Promise.all(names.map((g) => groupTrace(admin, q, info, first, g, attempts.get(g) ?? [])));
  } else {
    // Only the trace knows about it (e.g. a delayed message not delivered yet).
    warnings.push(
      publish.some((p) => p.msgType === 'Delay_Msg')
        ? 'the message was sent delayed: it is stored in its topic only when the delay is up'
        : 'the message itself was not found (not stored yet, deleted, or --topic/--begin exclude it)',
    );
    groups = [...attempts.entries()].map(([group, list]) => ({
      group,
      state: 'unknown' as const,
      online: null,
      messageModel: null,
      consumerOffset: null,
      attempts: list,
      retries: [],
      deadLetter: null,
      note: null,
    }));
  }
  const result: TraceResult = {
    id,
    idKind: loc.idKind,
    msgId: loc.msgId,
    found: first !== undefined,
    message,
    copies: loc.found.length,
    publish,
    transaction,
    groups,
    traceTopic,
    traceRecords: records.length,
    window: { begin: iso(beginMs), end: endMs === undefined ? null : iso(endMs) },
    warnings,
  };
  if (waitResult) result.wait = waitResult;
  return result;
}
