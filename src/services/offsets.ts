/**
 * Moving a group's offsets, planned first: `group reset`, `group skip` and `group copy-offsets`
 * build the same plan (one row per queue: current → new, clamped to the queue's range) and apply
 * it the way each broker allows:
 *   - broker-reset: the broker's own reset of a queue to an exact offset (5.2+, or 5.1 with
 *     useServerSideResetOffset=true); online consumers are moved at their next pull.
 *   - commit: the offset committed as a consumer would (UPDATE_CONSUMER_OFFSET), for a group with
 *     no consumer online on a broker without server-side reset (4.9, 5.0, 5.1 by default).
 *   - client-reset: a reset by time that the broker relays to the group's online consumers, who
 *     move and commit (4.9's only way to move a running group); only for time, first and last.
 *   - refused: any other move of a running group on such a broker: its consumers would overwrite
 *     a commit with their own within seconds.
 */
import { open } from 'node:fs/promises';
import type { Admin, MasterBroker } from '../core/client/admin.js';
import { OffsetAdmin } from '../core/client/offsets.js';
import { Ops } from '../core/client/ops.js';
import { InvalidArgumentError, NotFoundError } from '../core/errors.js';
import { compareMessageQueue, type MessageQueue } from '../core/protocol/admin.js';
import {
  formatPlanFile,
  type OffsetPlanRow,
  PLAN_FILE_MAX_BYTES,
  planFileFormat,
  type PlanSummary,
  parsePlanFile,
  planRow,
  type QueueRange,
  requestedOffset,
  type ResetTarget,
  summarize,
} from './offset-plan.js';
import { parseTimestamp } from './consume.js';

export type OffsetMethod = 'broker-reset' | 'commit' | 'client-reset' | 'refused';

export interface OffsetBrokerPlan {
  brokerName: string;
  address: string;
  /** Whether a consumer of the group is connected to this broker. */
  online: boolean;
  /** How --execute moves the offsets on this broker (see `rmq group reset --help`). */
  method: OffsetMethod;
  /** Why the method is what it is. */
  reason: string;
}

export interface AppliedRow {
  topic: string;
  brokerName: string;
  queueId: number;
  /** The group's offset read back after the move (client-reset: the offset the broker sent). */
  offset: number | null;
  ok: boolean;
}

/** What `rmq group reset|skip|copy-offsets --json` print. */
export interface OffsetPlanResult {
  action: 'reset' | 'skip' | 'copy';
  group: string;
  /** copy: the group the offsets come from. */
  from?: string | undefined;
  topics: string[];
  /** The target, as given: to-first, to-last, to-offset N, shift-by ±N, to-time ISO, from-file PATH. */
  target: string;
  /** Whether any consumer of the group is online. */
  online: boolean;
  brokers: OffsetBrokerPlan[];
  queues: OffsetPlanRow[];
  summary: PlanSummary;
  /** False for a plan only (the default); true once --execute applied it. */
  executed: boolean;
  /** The file --export wrote the plan to. */
  exported?: string | undefined;
  /** Set once executed: each queue's offset read back. */
  applied?: AppliedRow[] | undefined;
}

export interface PlannedOffsets {
  plan: OffsetPlanResult;
  apply: () => Promise<OffsetPlanResult>;
}

export interface ResetTargetFlags {
  toTime?: string | undefined;
  toFirst?: boolean | undefined;
  toLast?: boolean | undefined;
  toOffset?: number | undefined;
  shiftBy?: number | undefined;
  fromFile?: string | undefined;
}

/** Exactly one target flag → a target (the plan file read and checked). */
export async function resetTargetFromFlags(f: ResetTargetFlags): Promise<ResetTarget> {
  const given = [
    f.toTime !== undefined && '--to-time',
    f.toFirst && '--to-first',
    f.toLast && '--to-last',
    f.toOffset !== undefined && '--to-offset',
    f.shiftBy !== undefined && '--shift-by',
    f.fromFile !== undefined && '--from-file',
  ].filter((x): x is string => typeof x === 'string');
  if (given.length !== 1) {
    throw new InvalidArgumentError(
      given.length === 0 ? 'say where to move the offsets' : `give one target, not ${given.join(' and ')}`,
      { hint: 'one of --to-time, --to-first, --to-last, --to-offset, --shift-by, --from-file' },
    );
  }
  if (f.toTime !== undefined) return { kind: 'time', ms: parseTimestamp(f.toTime, '--to-time') };
  if (f.toFirst) return { kind: 'first' };
  if (f.toLast) return { kind: 'last' };
  if (f.toOffset !== undefined) {
    if (f.toOffset < 0) throw new InvalidArgumentError(`--to-offset must be 0 or more, got ${f.toOffset}`);
    return { kind: 'offset', offset: f.toOffset };
  }
  if (f.shiftBy !== undefined) return { kind: 'shift', by: f.shiftBy };
  const path = f.fromFile!;
  const format = planFileFormat(path);
  return { kind: 'file', path, rows: parsePlanFile(await readBounded(path), format, path) };
}

/** Reads at most PLAN_FILE_MAX_BYTES + 1 bytes: a larger file is refused without reading it all. */
async function readBounded(path: string): Promise<string> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw new InvalidArgumentError(`cannot read plan file ${path}: ${(err as Error).message}`);
  }
  try {
    if (!(await fh.stat()).isFile())
      throw new InvalidArgumentError(`plan file ${path} is not a regular file`);
    const buf = Buffer.alloc(PLAN_FILE_MAX_BYTES + 1);
    let len = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, len, buf.length - len, null);
      if (bytesRead === 0) break;
      len += bytesRead;
      if (len === buf.length) {
        throw new InvalidArgumentError(`plan file ${path} is over ${PLAN_FILE_MAX_BYTES} bytes`, {
          hint: 'a plan has one row per queue',
        });
      }
    }
    return buf.subarray(0, len).toString('utf8');
  } finally {
    await fh.close();
  }
}

function describeTarget(t: ResetTarget): string {
  switch (t.kind) {
    case 'first':
      return 'to-first';
    case 'last':
      return 'to-last';
    case 'offset':
      return `to-offset ${t.offset}`;
    case 'shift':
      return `shift-by ${t.by >= 0 ? '+' : ''}${t.by}`;
    case 'time':
      return `to-time ${new Date(t.ms).toISOString()}`;
    case 'file':
      return `from-file ${t.path}`;
  }
}

interface LiveQueue extends QueueRange {
  address: string;
}

/** The group's queues of a topic on the brokers where the group exists, with ranges and offsets. */
async function liveQueues(
  admin: Admin,
  off: OffsetAdmin,
  group: string,
  masters: MasterBroker[],
  topic: string,
): Promise<LiveQueue[]> {
  const route = await admin.namesrv.getTopicRoute(topic);
  const out: LiveQueue[] = [];
  await Promise.all(
    route.queues.map(async (qd) => {
      const m = masters.find((b) => b.brokerName === qd.brokerName);
      if (!m) return;
      const stats = await admin.topicStats(m.address, topic);
      await Promise.all(
        Array.from({ length: qd.readQueueNums }, async (_, queueId) => {
          const mq: MessageQueue = { topic, brokerName: m.brokerName, queueId };
          const s = stats.find((x) => x.mq.queueId === queueId);
          const [minOffset, maxOffset, current] = await Promise.all([
            s ? s.minOffset : off.minOffset(m.address, mq),
            s ? s.maxOffset : off.maxOffset(m.address, mq),
            off.consumerOffset(m.address, group, mq),
          ]);
          out.push({ ...mq, address: m.address, minOffset, maxOffset, currentOffset: current ?? null });
        }),
      );
    }),
  );
  if (out.length === 0) {
    throw new NotFoundError(`topic "${topic}" has no queue on a broker where group "${group}" exists`, {
      hint: 'see `rmq group list` and `rmq topic describe`',
    });
  }
  return out.sort(compareMessageQueue);
}

/** Topics the group has committed offsets for (retry and dead-letter topics left out). */
async function groupTopics(admin: Admin, group: string, masters: MasterBroker[]): Promise<string[]> {
  const topics = new Set<string>();
  for (const m of masters) {
    const stats = await admin.consumeStats(m.address, group);
    for (const o of stats.offsets) {
      if (!o.mq.topic.startsWith('%RETRY%') && !o.mq.topic.startsWith('%DLQ%')) topics.add(o.mq.topic);
    }
  }
  if (topics.size === 0) {
    throw new NotFoundError(`group "${group}" has no committed offsets`, {
      hint: 'name the topic with --topic',
    });
  }
  return [...topics].sort();
}

/** The broker's timestamp for a relayed reset, when the target is one the broker can compute. */
function relayTimestamp(t: ResetTarget | 'skip' | 'copy'): number | undefined {
  if (t === 'skip') return -1;
  if (t === 'copy') return undefined;
  if (t.kind === 'time') return t.ms;
  if (t.kind === 'last') return -1;
  if (t.kind === 'first') return 0;
  return undefined;
}

async function brokerPlans(
  admin: Admin,
  group: string,
  masters: MasterBroker[],
  target: ResetTarget | 'skip' | 'copy',
): Promise<OffsetBrokerPlan[]> {
  const ops = new Ops(admin.client);
  return Promise.all(
    masters.map(async (m): Promise<OffsetBrokerPlan> => {
      const [config, conns] = await Promise.all([
        ops.brokerConfig(m.address),
        ops.consumerConnections(m.address, group),
      ]);
      const online = (conns?.connections.length ?? 0) > 0;
      const base = { brokerName: m.brokerName, address: m.address, online };
      if (config.get('useServerSideResetOffset') === 'true') {
        return {
          ...base,
          method: 'broker-reset',
          reason: 'the broker resets offsets itself: useServerSideResetOffset=true',
        };
      }
      if (!online)
        return { ...base, method: 'commit', reason: 'no consumer online: the offsets are committed' };
      if (relayTimestamp(target) !== undefined) {
        return {
          ...base,
          method: 'client-reset',
          reason: 'the broker relays a reset by time to the online consumers',
        };
      }
      return {
        ...base,
        method: 'refused',
        reason:
          'consumers are online and this broker can only move them by time: stop them, or use --to-time/--to-first/--to-last',
      };
    }),
  );
}

async function build(
  admin: Admin,
  input: {
    action: OffsetPlanResult['action'];
    group: string;
    from?: string;
    topic?: string | undefined;
    target: ResetTarget | 'skip' | 'copy';
  },
): Promise<PlannedOffsets> {
  const off = new OffsetAdmin(admin.client);
  const masters = await admin.groupBrokers(input.group);
  const sourceMasters = input.from !== undefined ? await admin.groupBrokers(input.from) : undefined;
  const target = input.target;
  let topics: string[];
  if (input.topic) topics = [input.topic];
  else if (target !== 'skip' && target !== 'copy' && target.kind === 'file')
    topics = [...new Set(target.rows.map((r) => r.topic))].sort();
  else topics = await groupTopics(admin, input.from ?? input.group, sourceMasters ?? masters);

  const rows: OffsetPlanRow[] = [];
  const addresses = new Map<string, string>();
  for (const topic of topics) {
    const queues = await liveQueues(admin, off, input.group, masters, topic).catch((err: unknown) => {
      // A topic named only in a plan file: say which row names it.
      const file = typeof target === 'object' && target.kind === 'file' ? target : undefined;
      const row = file?.rows.find((r) => r.topic === topic);
      if (file && row && err instanceof NotFoundError) {
        throw new NotFoundError(`${file.path} row ${row.row}: ${err.message}`);
      }
      throw err;
    });
    let source: Map<string, number | null> | undefined;
    if (input.from !== undefined) {
      const src = await liveQueues(admin, off, input.from, sourceMasters!, topic);
      source = new Map(src.map((q) => [`${q.brokerName}/${q.queueId}`, q.currentOffset]));
    }
    if (target !== 'skip' && target !== 'copy' && target.kind === 'file') {
      for (const r of target.rows.filter((x) => x.topic === topic)) {
        if (!queues.some((q) => q.brokerName === r.brokerName && q.queueId === r.queueId)) {
          throw new InvalidArgumentError(
            `${target.path} row ${r.row}: queue ${r.queueId} of ${r.brokerName} is not a queue of ${topic} where group ${input.group} exists`,
          );
        }
      }
    }
    await Promise.all(
      queues.map(async (q) => {
        let requested: number | undefined;
        if (target === 'skip') requested = q.maxOffset;
        else if (target === 'copy') requested = source!.get(`${q.brokerName}/${q.queueId}`) ?? undefined;
        else {
          const searched =
            target.kind === 'time' ? await off.searchOffset(q.address, q, target.ms) : undefined;
          requested = requestedOffset(target, q, searched);
        }
        if (requested === undefined) return;
        rows.push(planRow(q, requested));
        addresses.set(q.brokerName, q.address);
      }),
    );
  }
  if (input.topic && target !== 'skip' && target !== 'copy' && target.kind === 'file') {
    const other = target.rows.find((r) => r.topic !== input.topic);
    if (other)
      throw new InvalidArgumentError(
        `${target.path} row ${other.row}: topic ${other.topic} is not --topic ${input.topic}`,
      );
  }
  rows.sort(compareMessageQueue);
  if (rows.length === 0) {
    throw new NotFoundError(
      input.from !== undefined
        ? `group "${input.from}" has no committed offset to copy on ${topics.join(', ')}`
        : 'no queue to move',
    );
  }
  const inPlan = masters.filter((m) => addresses.has(m.brokerName));
  const brokers = await brokerPlans(admin, input.group, inPlan, target);
  const plan: OffsetPlanResult = {
    action: input.action,
    group: input.group,
    ...(input.from !== undefined ? { from: input.from } : {}),
    topics,
    target:
      target === 'skip' ? 'to-last' : target === 'copy' ? `copy from ${input.from}` : describeTarget(target),
    online: brokers.some((b) => b.online),
    brokers,
    queues: rows,
    summary: summarize(rows),
    executed: false,
  };
  return { plan, apply: () => applyPlan(off, plan, target) };
}

async function applyPlan(
  off: OffsetAdmin,
  plan: OffsetPlanResult,
  target: ResetTarget | 'skip' | 'copy',
): Promise<OffsetPlanResult> {
  const refused = plan.brokers.find((b) => b.method === 'refused');
  if (refused) {
    throw new InvalidArgumentError(
      `cannot move group ${plan.group} on ${refused.brokerName}: ${refused.reason}`,
      {
        hint: 'nothing was changed',
      },
    );
  }
  const applied: AppliedRow[] = [];
  for (const b of plan.brokers) {
    const rows = plan.queues.filter((q) => q.brokerName === b.brokerName);
    if (b.method === 'client-reset') {
      const ts = relayTimestamp(target)!;
      for (const topic of new Set(rows.map((r) => r.topic))) {
        const r = await off.resetByTimestamp(b.address, plan.group, topic, ts);
        if (!r.ok) throw r.error;
        for (const q of rows.filter((x) => x.topic === topic)) {
          const got = r.offsets.find((o) => o.mq.queueId === q.queueId);
          applied.push({
            topic,
            brokerName: b.brokerName,
            queueId: q.queueId,
            offset: got?.offset ?? null,
            ok: got !== undefined,
          });
        }
      }
      continue;
    }
    for (const q of rows) {
      if (b.method === 'broker-reset') {
        const r = await off.resetQueue(b.address, plan.group, q, q.newOffset);
        if (!r.ok) throw r.error;
      } else {
        await off.commitOffset(b.address, plan.group, q, q.newOffset);
      }
    }
    for (const q of rows) {
      const now = await off.consumerOffset(b.address, plan.group, q);
      applied.push({
        topic: q.topic,
        brokerName: q.brokerName,
        queueId: q.queueId,
        offset: now ?? null,
        ok: now === q.newOffset,
      });
    }
  }
  applied.sort(compareMessageQueue);
  return { ...plan, executed: true, applied };
}

export function planGroupReset(
  admin: Admin,
  input: { group: string; topic?: string | undefined; target: ResetTarget },
): Promise<PlannedOffsets> {
  if (!input.topic && input.target.kind !== 'file') {
    throw new InvalidArgumentError('name the topic whose offsets move with --topic');
  }
  return build(admin, { action: 'reset', group: input.group, topic: input.topic, target: input.target });
}

export function planGroupSkip(
  admin: Admin,
  input: { group: string; topic?: string | undefined },
): Promise<PlannedOffsets> {
  return build(admin, { action: 'skip', group: input.group, topic: input.topic, target: 'skip' });
}

export function planCopyOffsets(
  admin: Admin,
  input: { from: string; to: string; topic?: string | undefined },
): Promise<PlannedOffsets> {
  if (input.from === input.to) throw new InvalidArgumentError('copy-offsets needs two different groups');
  return build(admin, {
    action: 'copy',
    group: input.to,
    from: input.from,
    topic: input.topic,
    target: 'copy',
  });
}

/** The plan as a file `--from-file` reads back: CSV or JSON by the file's extension. */
export function exportPlanText(plan: OffsetPlanResult, path: string): string {
  return formatPlanFile(plan.queues, planFileFormat(path), plan);
}
