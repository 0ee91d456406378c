/**
 * Offset plans without I/O: where each queue of a group goes for a reset target (clamped to the
 * queue's range), what that replays or skips, and the plan file that `--export` writes and
 * `--from-file` reads back. A plan file is input from outside: its size, row count and every
 * field are checked, and the first bad row is named by its number.
 */
import { InvalidArgumentError } from '../core/errors.js';

export type ResetTarget =
  | { kind: 'time'; ms: number }
  | { kind: 'first' }
  | { kind: 'last' }
  | { kind: 'offset'; offset: number }
  | { kind: 'shift'; by: number }
  | { kind: 'file'; path: string; rows: PlanFileRow[] };

export interface OffsetPlanRow {
  topic: string;
  brokerName: string;
  queueId: number;
  /** The group's committed offset; null where it has none. */
  currentOffset: number | null;
  /** Where the target points, before clamping. */
  requestedOffset: number;
  newOffset: number;
  minOffset: number;
  maxOffset: number;
  /** 'min' or 'max' when the requested offset lay outside [min, max] and was moved to that end. */
  clamped: 'min' | 'max' | null;
  /**
   * Messages the move makes the group consume again (+) or skip (−), counting only messages the
   * queue still holds; null where the group has no committed offset.
   */
  change: number | null;
}

export interface QueueRange {
  topic: string;
  brokerName: string;
  queueId: number;
  minOffset: number;
  maxOffset: number;
  currentOffset: number | null;
}

export function clampOffset(
  requested: number,
  min: number,
  max: number,
): { offset: number; clamped: 'min' | 'max' | null } {
  if (requested < min) return { offset: min, clamped: 'min' };
  if (requested > max) return { offset: max, clamped: 'max' };
  return { offset: requested, clamped: null };
}

/** One queue's row: the requested offset clamped to the queue, and what moving there means. */
export function planRow(q: QueueRange, requested: number): OffsetPlanRow {
  const { offset, clamped } = clampOffset(requested, q.minOffset, q.maxOffset);
  const change = q.currentOffset === null ? null : Math.max(q.currentOffset, q.minOffset) - offset;
  return {
    topic: q.topic,
    brokerName: q.brokerName,
    queueId: q.queueId,
    currentOffset: q.currentOffset,
    requestedOffset: requested,
    newOffset: offset,
    minOffset: q.minOffset,
    maxOffset: q.maxOffset,
    clamped,
    change,
  };
}

/**
 * Where a target points on one queue, before clamping. `searched` is the broker's answer to a
 * search by time (needed for 'time' only); a file target names only some queues: undefined for
 * the others, which stay out of the plan. A shift of a queue the group never committed counts
 * from the queue's first offset.
 */
export function requestedOffset(target: ResetTarget, q: QueueRange, searched?: number): number | undefined {
  switch (target.kind) {
    case 'first':
      return q.minOffset;
    case 'last':
      return q.maxOffset;
    case 'offset':
      return target.offset;
    case 'shift':
      return (q.currentOffset ?? q.minOffset) + target.by;
    case 'time':
      return searched ?? q.maxOffset;
    case 'file':
      return target.rows.find(
        (r) => r.topic === q.topic && r.brokerName === q.brokerName && r.queueId === q.queueId,
      )?.offset;
  }
}

export interface PlanSummary {
  queues: number;
  /** Queues whose offset moves. */
  changed: number;
  /** Messages consumed again, summed over the queues that move back. */
  replayed: number;
  /** Messages skipped, summed over the queues that move forward. */
  skipped: number;
  /** Queues whose requested offset was clamped to the queue's range. */
  clamped: number;
}

export function summarize(rows: OffsetPlanRow[]): PlanSummary {
  let replayed = 0;
  let skipped = 0;
  for (const r of rows) {
    if (r.change === null) continue;
    if (r.change > 0) replayed += r.change;
    else skipped -= r.change;
  }
  return {
    queues: rows.length,
    changed: rows.filter((r) => r.currentOffset !== r.newOffset).length,
    replayed,
    skipped,
    clamped: rows.filter((r) => r.clamped !== null).length,
  };
}

// ---- plan files -------------------------------------------------------------------------------

export interface PlanFileRow {
  /** Line (CSV) or entry (JSON, 1-based) the row came from, for error messages. */
  row: number;
  topic: string;
  brokerName: string;
  queueId: number;
  offset: number;
}

/** A plan file is a few lines per queue: 1 MiB holds ~20 000 of them. */
export const PLAN_FILE_MAX_BYTES = 1024 * 1024;
export const PLAN_FILE_MAX_ROWS = 20_000;
const MAX_QUEUE_ID = 65_535;
const TOPIC_RE = /^[%|a-zA-Z0-9_-]{1,127}$/;
/** Broker names are free text in broker.conf; anything printable without a comma or quote. */
const BROKER_RE = /^[^\s,"'\\\u0000-\u001f\u007f]{1,127}$/;

/** CSV columns as written; `offset` is the new offset, the rest are for people and ignored. */
export const PLAN_CSV_COLUMNS = [
  'topic',
  'broker',
  'queue',
  'offset',
  'current',
  'min',
  'max',
  'change',
] as const;
const REQUIRED_CSV = ['topic', 'broker', 'queue', 'offset'];

export type PlanFileFormat = 'csv' | 'json';

export function planFileFormat(path: string): PlanFileFormat {
  const lower = path.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.json')) return 'json';
  throw new InvalidArgumentError(`cannot tell the format of plan file "${path}"`, {
    hint: 'name it *.csv or *.json',
  });
}

export function formatPlanFile(rows: OffsetPlanRow[], format: PlanFileFormat, doc?: object): string {
  if (format === 'json') return `${JSON.stringify(doc ?? { queues: rows }, null, 2)}\n`;
  const lines = [PLAN_CSV_COLUMNS.join(',')];
  for (const r of rows) {
    lines.push(
      [
        r.topic,
        r.brokerName,
        r.queueId,
        r.newOffset,
        r.currentOffset ?? '',
        r.minOffset,
        r.maxOffset,
        r.change ?? '',
      ].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

const bad = (name: string, row: number, what: string) =>
  new InvalidArgumentError(`${name} row ${row}: ${what}`, {
    hint: 'a plan file is what `rmq group reset … --export FILE` writes',
  });

function checkRow(name: string, r: PlanFileRow, seen: Set<string>): PlanFileRow {
  if (!TOPIC_RE.test(r.topic)) throw bad(name, r.row, `"${clip(r.topic)}" is not a topic name`);
  if (!BROKER_RE.test(r.brokerName)) throw bad(name, r.row, `"${clip(r.brokerName)}" is not a broker name`);
  const key = `${r.topic}\u0000${r.brokerName}\u0000${r.queueId}`;
  if (seen.has(key)) throw bad(name, r.row, `queue ${r.topic}/${r.brokerName}/${r.queueId} is listed twice`);
  seen.add(key);
  return r;
}

const clip = (s: string) => (s.length > 40 ? `${s.slice(0, 40)}…` : s).replace(/[\u0000-\u001f\u007f]/g, '?');

/** A CSV cell's digits, or (jsonOnly) a JSON number: a JSON string of digits is refused too. */
function int(name: string, row: number, field: string, v: unknown, max: number, jsonOnly = false): number {
  const n =
    typeof v === 'number'
      ? v
      : !jsonOnly && typeof v === 'string' && /^\d{1,16}$/.test(v.trim())
        ? Number(v.trim())
        : NaN;
  if (!Number.isSafeInteger(n) || n < 0 || n > max) {
    const shown = typeof v === 'string' ? `"${clip(v)}"` : (JSON.stringify(v) ?? 'missing');
    throw bad(name, row, `${field} ${shown} is not an integer from 0 to ${max}`);
  }
  return n;
}

/** Parses a plan file's text (the caller has read at most PLAN_FILE_MAX_BYTES of it). */
export function parsePlanFile(text: string, format: PlanFileFormat, name = 'plan file'): PlanFileRow[] {
  if (Buffer.byteLength(text) > PLAN_FILE_MAX_BYTES) {
    throw new InvalidArgumentError(`${name} is over ${PLAN_FILE_MAX_BYTES} bytes`, {
      hint: 'a plan has one row per queue',
    });
  }
  const rows = format === 'csv' ? parseCsv(text, name) : parseJson(text, name);
  if (rows.length === 0) throw new InvalidArgumentError(`${name} lists no queue`);
  const seen = new Set<string>();
  return rows.map((r) => checkRow(name, r, seen));
}

function parseCsv(text: string, name: string): PlanFileRow[] {
  const lines = text.split('\n');
  let header: string[] | undefined;
  const rows: PlanFileRow[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    const n = i + 1;
    if (line.trim() === '' || line.startsWith('#')) continue;
    const cells = line.split(',').map((c) => c.trim());
    if (!header) {
      header = cells;
      for (const c of cells) {
        if (!(PLAN_CSV_COLUMNS as readonly string[]).includes(c)) {
          throw bad(name, n, `unknown column "${clip(c)}" (columns: ${PLAN_CSV_COLUMNS.join(',')})`);
        }
      }
      const missing = REQUIRED_CSV.filter((c) => !cells.includes(c));
      if (missing.length > 0) throw bad(name, n, `the header lacks ${missing.join(', ')}`);
      if (new Set(cells).size !== cells.length) throw bad(name, n, 'a column is named twice');
      continue;
    }
    if (cells.length !== header.length) {
      throw bad(name, n, `${cells.length} fields, the header has ${header.length}`);
    }
    if (rows.length >= PLAN_FILE_MAX_ROWS) throw bad(name, n, `more than ${PLAN_FILE_MAX_ROWS} rows`);
    const get = (c: string) => cells[header!.indexOf(c)]!;
    for (const c of ['current', 'min', 'max']) {
      if (header.includes(c) && get(c) !== '') int(name, n, c, get(c), Number.MAX_SAFE_INTEGER);
    }
    if (header.includes('change') && get('change') !== '' && !/^-?\d{1,16}$/.test(get('change'))) {
      throw bad(name, n, `change "${clip(get('change'))}" is not an integer`);
    }
    rows.push({
      row: n,
      topic: get('topic'),
      brokerName: get('broker'),
      queueId: int(name, n, 'queue', get('queue'), MAX_QUEUE_ID),
      offset: int(name, n, 'offset', get('offset'), Number.MAX_SAFE_INTEGER),
    });
  }
  if (!header) throw new InvalidArgumentError(`${name} is empty`);
  return rows;
}

function parseJson(text: string, name: string): PlanFileRow[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new InvalidArgumentError(`${name} is not JSON: ${(err as Error).message}`);
  }
  const list = Array.isArray(doc)
    ? doc
    : doc && typeof doc === 'object' && Array.isArray((doc as { queues?: unknown }).queues)
      ? (doc as { queues: unknown[] }).queues
      : undefined;
  if (!list) {
    throw new InvalidArgumentError(`${name} holds neither a list of queues nor an object with "queues"`, {
      hint: 'a plan file is what `rmq group reset … --export FILE` writes',
    });
  }
  if (list.length > PLAN_FILE_MAX_ROWS)
    throw bad(name, PLAN_FILE_MAX_ROWS + 1, `more than ${PLAN_FILE_MAX_ROWS} rows`);
  return list.map((e, i) => {
    const n = i + 1;
    if (!e || typeof e !== 'object' || Array.isArray(e)) throw bad(name, n, 'is not an object');
    const o = e as Record<string, unknown>;
    if (typeof o.topic !== 'string') throw bad(name, n, 'topic is not a string');
    if (typeof o.brokerName !== 'string') throw bad(name, n, 'brokerName is not a string');
    return {
      row: n,
      topic: o.topic,
      brokerName: o.brokerName,
      queueId: int(name, n, 'queueId', o.queueId, MAX_QUEUE_ID, true),
      offset: int(name, n, 'newOffset', o.newOffset, Number.MAX_SAFE_INTEGER, true),
    };
  });
}
