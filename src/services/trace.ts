/**
 * `rmq trace <id>`: where a message is and what happened to it. Finds the message (by unique
 * key or offset message id), its trace records in the trace topic, and for every group that
 * consumes its topic the consumption state from offsets, retry copies in %RETRY%<group> and a
 * dead-letter copy in %DLQ%<group>; then lays it out as hops with the time between them.
 * Knows nothing of oclif or terminals; src/ui/trace-view.ts renders the result. The finding is
 * trace-locate.ts, the per-group state trace-groups.ts, the result's types trace-result.ts; this
 * file is the run: wait, find, read the traces, put the hops together.
 */
import type { Admin } from '../core/client/admin.js';
import { MessageQuery } from '../core/client/query.js';
import { CheckFailedError, InvalidArgumentError, NotFoundError, TimeoutError } from '../core/errors.js';
import { type EndTransactionRecord, type PubRecord, TRACE_TOPIC_DEFAULT } from '../core/protocol/trace.js';
import { attemptsByGroup, groupNames, groupTrace } from './trace-groups.js';
import { describeMessage, iso, type LocatedRecord, locate, queryTraceRecords } from './trace-locate.js';
import type { GroupTrace, PublishInfo, TraceInput, TraceResult } from './trace-result.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

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
