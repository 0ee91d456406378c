/**
 * What became of a message in each consumer group: its delivery attempts from the trace records,
 * its consumption from the group's offsets, and its retry and dead-letter copies; and which
 * groups to report.
 */
import { type Admin, isSystemGroup } from '../core/client/admin.js';
import { dlqTopic, retryTopic } from '../core/client/consumer.js';
import { type FoundMessage, MessageQuery, routeBrokers, TOOLS_CONSUMER_GROUP } from '../core/client/query.js';
import { NotFoundError } from '../core/errors.js';
import type { ClusterInfo } from '../core/protocol/route.js';
import type { SubAfterRecord, SubBeforeRecord } from '../core/protocol/trace.js';
import { findByUniqueKey, iso, type LocatedRecord, masterOf } from './trace-locate.js';
import type { Attempt, CopyInfo, GroupTrace, TraceInput } from './trace-result.js';

/** Delivery attempts of each group, from SubBefore/SubAfter pairs (paired by requestId). */
export function attemptsByGroup(records: LocatedRecord[], storedMs: number | null): Map<string, Attempt[]> {
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

/** Groups to report: --group, else those consuming the topic and those in the trace. */
export async function groupNames(
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
