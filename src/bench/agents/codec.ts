/**
 * The messages of the bench agents' bus: JSON bodies on two small RocketMQ topics of a pool, the
 * control topic (coordinator → every agent) and the results topic (agents → coordinator).
 *
 * Envelope of every message:
 *   { v: 1, pool, kind, from, seq, at, …the kind's fields }
 *     v     BUS_VERSION; another version is refused (a mixed fleet says so instead of misreading)
 *     pool  the pool's name; a message of another pool is refused
 *     from  the sender's id (an agent's id, or "coordinator:<runId>")
 *     seq   the sender's message counter: later state (phase, progress) wins over earlier
 *     at    the sender's clock when sent, µs (diagnostics only; the clocks differ)
 *
 * control:  ping {ping, t1}               every idle agent answers with a pong
 *           run  {runId, assignments[], readQueues, retries, e2e, coordinatorTimeoutMs}
 *           go   {runId, startUs, offsets}  start at startUs, coordinator clock; offsets: each agent's
 *                                         clock − the coordinator's, µs (measured up to now)
 *           drained {runId}               the consumers caught up (or the drain window is over)
 *           abort {runId, reason}
 *           beat {runId}                  the coordinator is alive (once a second)
 * results:  hello {state, runId?, host, pid, cores, version}   once a second (the agent's heartbeat)
 *           pong {ping, t1, t2, t3}
 *           ready {runId} · started {runId, plannedUs, actualUs} · tick {runId, tick}
 *           phase {runId, phase, progress} · progress {runId, progress} · warning {runId, message}
 *           done {runId, part, parts, data}   the result, in parts (see RESULT_PART_CHARS)
 *           error {runId, message, errorKind}
 *
 * Every byte of it comes from outside: decodeBusMessage reads a body within a byte and a depth
 * budget and checks every field it hands on, and anything else is a ProtocolError, which the
 * reader counts and skips (a stranger's message on the topic must not stop an agent). Kinds it
 * does not know are refused the same way, so a newer sender's additions are skipped, not misread.
 * Handling is idempotent (keyed by run id, agent id, interval index, ping id, part number), so a
 * message read twice or late changes nothing.
 */
import { ProtocolError } from '../../core/errors.js';
import { parseFastjson } from '../../core/remoting/fastjson.js';
import type { DrainProgress } from '../engine.js';
import type { SourceTick, WorkerBrokerTally } from '../gather.js';
import { type BenchInterval, type BenchParameters, type BenchResult, SCHEMA_VERSION } from '../result.js';
import { decodeRanges } from '../verify-ranges.js';
import type { VerifierState } from '../verify.js';

export const BUS_VERSION = 1;
/** Largest body read off the bus. */
export const MAX_BUS_BYTES = 1024 * 1024;
/** Deepest nesting of a bus message (a result nests about six levels). */
export const MAX_BUS_DEPTH = 24;
/** A result is sent in parts of at most this many characters. */
export const RESULT_PART_CHARS = 256 * 1024;
/** Most parts of one result (so at most 16 MiB of result). */
export const MAX_RESULT_PARTS = 64;
/** Broker groups one tick may name (a row each, with its histogram): far more than clusters have. */
export const MAX_TICK_BROKERS = 256;

export type E2eScope = 'all' | 'local';

export interface Assignment {
  agent: string;
  params: BenchParameters;
  producerBase: number;
  consumerBase: number;
  /** agent clock − coordinator clock, µs, as measured so far (the go message has the final one) */
  offsetUs: number;
}

interface Envelope {
  v: typeof BUS_VERSION;
  pool: string;
  from: string;
  seq: number;
  at: number;
}

export type ControlBody =
  | { kind: 'ping'; ping: number; t1: number }
  | {
      kind: 'run';
      runId: string;
      assignments: Assignment[];
      readQueues: number;
      retries: number;
      e2e: E2eScope;
      coordinatorTimeoutMs: number;
    }
  | { kind: 'go'; runId: string; startUs: number; offsets: Record<string, number> }
  | { kind: 'drained'; runId: string }
  | { kind: 'abort'; runId: string; reason: string }
  | { kind: 'beat'; runId: string };

export type ReportBody =
  | {
      kind: 'hello';
      state: 'idle' | 'busy';
      runId?: string | undefined;
      host: string;
      pid: number;
      cores: number;
      version: string;
    }
  | { kind: 'pong'; ping: number; t1: number; t2: number; t3: number }
  | { kind: 'ready'; runId: string }
  | { kind: 'started'; runId: string; plannedUs: number; actualUs: number }
  | { kind: 'tick'; runId: string; tick: SourceTick }
  | { kind: 'phase'; runId: string; phase: string; progress: DrainProgress }
  | { kind: 'progress'; runId: string; progress: DrainProgress }
  | { kind: 'warning'; runId: string; message: string }
  | { kind: 'done'; runId: string; part: number; parts: number; data: string }
  | { kind: 'error'; runId: string; message: string; errorKind: string };

export type BusBody = ControlBody | ReportBody;
export type BusMessage = Envelope & BusBody;

const CONTROL_KINDS = new Set(['ping', 'run', 'go', 'drained', 'abort', 'beat']);
const REPORT_KINDS = new Set([
  'hello',
  'pong',
  'ready',
  'started',
  'tick',
  'phase',
  'progress',
  'warning',
  'done',
  'error',
]);

/** Pool names and agent ids: what fits in a topic or group name and reads well in a report. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const POOL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$/;
const RUN_ID = /^[0-9a-z]{1,16}p?$/;

export function encodeBusMessage(m: BusMessage): Buffer {
  return Buffer.from(JSON.stringify(m), 'utf8');
}

const fail = (what: string): never => {
  throw new ProtocolError(`bus message: ${what}`);
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Typed field readers over an untrusted object: each returns the value or throws ProtocolError. */
class Fields {
  constructor(
    private readonly o: Record<string, unknown>,
    private readonly where: string,
  ) {}

  num(k: string, min = -Number.MAX_VALUE, max = Number.MAX_VALUE): number {
    const v = this.o[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max)
      fail(`${this.where}.${k} is not a number in range`);
    return v as number;
  }

  int(k: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.num(k, min, max);
    if (!Number.isInteger(v)) fail(`${this.where}.${k} is not an integer`);
    return v;
  }

  str(k: string, maxLen = 1024, pattern?: RegExp): string {
    const v = this.o[k];
    if (typeof v !== 'string' || v.length > maxLen) fail(`${this.where}.${k} is not text of up to ${maxLen}`);
    if (pattern && !pattern.test(v as string)) fail(`${this.where}.${k} is malformed`);
    return v as string;
  }

  bool(k: string): boolean {
    const v = this.o[k];
    if (typeof v !== 'boolean') fail(`${this.where}.${k} is not true or false`);
    return v as boolean;
  }

  obj(k: string): Fields {
    const v = this.o[k];
    if (!isObject(v)) fail(`${this.where}.${k} is not an object`);
    return new Fields(v as Record<string, unknown>, `${this.where}.${k}`);
  }

  raw(k: string): unknown {
    return this.o[k];
  }

  arr(k: string, maxLen: number): unknown[] {
    const v = this.o[k];
    if (!Array.isArray(v) || v.length > maxLen) fail(`${this.where}.${k} is not a list of up to ${maxLen}`);
    return v as unknown[];
  }
}

function fields(v: unknown, where: string): Fields {
  if (!isObject(v)) fail(`${where} is not an object`);
  return new Fields(v as Record<string, unknown>, where);
}

function progressOf(f: Fields, k: string): DrainProgress {
  const p = f.obj(k);
  const received = p.arr('received', 1024);
  if (!received.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0))
    fail(`${k}.received is not a list of counts`);
  return { acked: p.int('acked'), received: received as number[] };
}

const INTERVAL_NUMBERS = [
  'startMs',
  'endMs',
  'sent',
  'sendErrors',
  'received',
  'sendTps',
  'receiveTps',
  'sendMBps',
  'receiveMBps',
  'backlog',
  'inflight',
  'queued',
  'eventLoopP99Ms',
  'eventLoopMaxMs',
  'cpuPct',
] as const;

/** An interval as an agent renders it (checked, so the merge adds numbers, not strings). */
export function checkInterval(v: unknown, where = 'interval'): BenchInterval {
  const f = fields(v, where);
  f.int('index', 0, 10_000_000);
  const phase = f.str('phase', 16);
  if (phase !== 'warmup' && phase !== 'measure' && phase !== 'drain') fail(`${where}.phase is unknown`);
  for (const k of INTERVAL_NUMBERS) f.num(k);
  f.obj('errors');
  const e = (v as { errors: Record<string, unknown> }).errors;
  if (Object.keys(e).length > 1000) fail(`${where}.errors has too many keys`);
  for (const n of Object.values(e)) if (typeof n !== 'number' || !Number.isFinite(n)) fail(`${where}.errors`);
  for (const k of ['send', 'e2e'] as const) {
    const l = f.raw(k);
    if (l === null) continue;
    const lf = fields(l, `${where}.${k}`);
    lf.num('p50');
    lf.num('p99');
    lf.num('max');
  }
  return v as BenchInterval;
}

function tickOf(f: Fields): SourceTick {
  const t = f.obj('tick');
  const interval = checkInterval(t.raw('interval'), 'tick.interval');
  t.obj('histograms');
  const hs = t.raw('histograms') as Record<string, unknown>;
  for (const [name, b64] of Object.entries(hs)) {
    if (!['send', 'send_raw', 'e2e', 'delay'].includes(name))
      fail(`tick.histograms.${name.slice(0, 20)} is unknown`);
    if (typeof b64 !== 'string' || b64.length > 256 * 1024 || !/^[A-Za-z0-9+/=]*$/.test(b64))
      fail(`tick.histograms.${name} is not a base64 histogram`);
  }
  const tick: SourceTick = {
    interval,
    histograms: hs as SourceTick['histograms'],
    startUs: t.num('startUs'),
    endUs: t.num('endUs'),
  };
  // Counts and per-broker sends feed the coordinator's live metrics; an agent of an older rmq
  // leaves them out, and its ticks still merge.
  if (t.raw('counts') !== undefined) {
    const c = t.obj('counts');
    tick.counts = {
      sent: c.int('sent'),
      sentBytes: c.int('sentBytes'),
      errors: c.int('errors'),
      received: c.int('received'),
      receivedBytes: c.int('receivedBytes'),
    };
  }
  if (t.raw('brokers') !== undefined) {
    tick.brokers = t.arr('brokers', MAX_TICK_BROKERS).map((b, i) => {
      const bf = fields(b, `tick.brokers[${i}]`);
      const row: WorkerBrokerTally = {
        // A broker's name as the name server gave it: shown in metrics labels, so printable only.
        name: bf.str('name', 255, /^[\x21-\x7e]+$/),
        sent: bf.int('sent'),
        errors: bf.int('errors'),
      };
      if (bf.raw('send') !== undefined) {
        const b64 = bf.str('send', 256 * 1024, /^[A-Za-z0-9+/=]*$/);
        row.send = b64;
      }
      return row;
    });
  }
  return tick;
}

/** What an agent needs of the parameters to run (the rest it hands to its engine as they are). */
export function checkParams(v: unknown, where = 'params'): BenchParameters {
  const f = fields(v, where);
  f.str('topic', 127, /^[%|A-Za-z0-9_-]+$/);
  f.int('queues', 1, 1 << 16);
  f.int('producers', 0, 100_000);
  f.int('consumers', 0, 100_000);
  const groups = f.int('groups', 1, 1024);
  const names = f.arr('groupNames', 1024);
  if (
    names.length !== groups ||
    !names.every((g) => typeof g === 'string' && /^[%|A-Za-z0-9_-]{1,255}$/.test(g))
  )
    fail(`${where}.groupNames does not name the groups`);
  f.int('size', 1, 64 * 1024 * 1024);
  f.bool('keys');
  f.str('mode', 16);
  f.str('type', 16);
  f.int('batch', 1, 1_000_000);
  f.int('inflight', 1, 1_000_000);
  if (f.raw('rate') !== undefined) f.num('rate', 0);
  if (f.raw('durationMs') !== undefined) f.num('durationMs', 0);
  if (f.raw('messages') !== undefined) f.int('messages');
  f.num('warmupMs', 0);
  f.num('intervalMs', 1);
  f.num('drainMs', 0);
  f.bool('verify');
  f.int('fifoGroups', 1, 1 << 20);
  return v as BenchParameters;
}

function body(kind: string, f: Fields): BusBody {
  const runId = () => f.str('runId', 17, RUN_ID);
  switch (kind) {
    case 'ping':
      return { kind, ping: f.int('ping'), t1: f.num('t1') };
    case 'run': {
      const assignments = f.arr('assignments', 10_000).map((a, i) => {
        const af = fields(a, `assignments[${i}]`);
        return {
          agent: af.str('agent', 64, ID_PATTERN),
          params: checkParams(af.raw('params'), `assignments[${i}].params`),
          producerBase: af.int('producerBase'),
          consumerBase: af.int('consumerBase'),
          offsetUs: af.num('offsetUs'),
        };
      });
      const e2e = f.str('e2e', 8);
      if (e2e !== 'all' && e2e !== 'local') fail('e2e is neither all nor local');
      return {
        kind,
        runId: runId(),
        assignments,
        readQueues: f.int('readQueues', 1, 1 << 20),
        retries: f.int('retries', 0, 100),
        e2e: e2e as E2eScope,
        coordinatorTimeoutMs: f.int('coordinatorTimeoutMs', 100, 3_600_000),
      };
    }
    case 'go': {
      const o = f.obj('offsets');
      const offsets = f.raw('offsets') as Record<string, unknown>;
      const keys = Object.keys(offsets);
      if (keys.length > 10_000) fail('go.offsets has too many agents');
      for (const k of keys) {
        if (!ID_PATTERN.test(k)) fail('go.offsets names a malformed agent id');
        o.num(k);
      }
      return { kind, runId: runId(), startUs: f.num('startUs'), offsets: offsets as Record<string, number> };
    }
    case 'drained':
    case 'beat':
      return { kind, runId: runId() };
    case 'abort':
      return { kind, runId: runId(), reason: f.str('reason', 1024) };
    case 'hello': {
      const state = f.str('state', 8);
      if (state !== 'idle' && state !== 'busy') fail('state is neither idle nor busy');
      return {
        kind,
        state: state as 'idle' | 'busy',
        ...(f.raw('runId') === undefined ? {} : { runId: runId() }),
        host: f.str('host', 255),
        pid: f.int('pid'),
        cores: f.int('cores', 0, 1 << 16),
        version: f.str('version', 64),
      };
    }
    case 'pong':
      return { kind, ping: f.int('ping'), t1: f.num('t1'), t2: f.num('t2'), t3: f.num('t3') };
    case 'ready':
      return { kind, runId: runId() };
    case 'started':
      return { kind, runId: runId(), plannedUs: f.num('plannedUs'), actualUs: f.num('actualUs') };
    case 'tick':
      return { kind, runId: runId(), tick: tickOf(f) };
    case 'phase': {
      const phase = f.str('phase', 16);
      return { kind, runId: runId(), phase, progress: progressOf(f, 'progress') };
    }
    case 'progress':
      return { kind, runId: runId(), progress: progressOf(f, 'progress') };
    case 'warning':
      return { kind, runId: runId(), message: f.str('message', 4096) };
    case 'done': {
      const parts = f.int('parts', 1, MAX_RESULT_PARTS);
      return {
        kind,
        runId: runId(),
        part: f.int('part', 0, parts - 1),
        parts,
        data: f.str('data', RESULT_PART_CHARS),
      };
    }
    case 'error':
      return { kind, runId: runId(), message: f.str('message', 4096), errorKind: f.str('errorKind', 32) };
    default:
      return fail(`unknown kind "${kind.slice(0, 20)}"`);
  }
}

/**
 * One bus message of `pool` from a body read off `topic` ('control' or 'results'), checked field
 * by field; ProtocolError for anything else (too big, too deep, not JSON, another version or
 * pool, a kind that does not travel on that topic, a field missing or out of range).
 */
export function decodeBusMessage(raw: Buffer, pool: string, topic: 'control' | 'results'): BusMessage {
  if (raw.length > MAX_BUS_BYTES) fail(`${raw.length} bytes is more than ${MAX_BUS_BYTES}`);
  const v = parseFastjson(raw, { maxDepth: MAX_BUS_DEPTH, maxLength: MAX_BUS_BYTES });
  const f = fields(v, 'message');
  if (f.raw('v') !== BUS_VERSION) fail(`version ${String(f.raw('v')).slice(0, 10)} is not ${BUS_VERSION}`);
  if (f.str('pool', 48) !== pool) fail('it is of another pool');
  const kind = f.str('kind', 16);
  if (!(topic === 'control' ? CONTROL_KINDS : REPORT_KINDS).has(kind))
    fail(`"${kind}" does not travel on the ${topic} topic`);
  const envelope: Envelope = {
    v: BUS_VERSION,
    pool,
    from: f.str('from', 80),
    seq: f.int('seq'),
    at: f.num('at'),
  };
  return { ...envelope, ...body(kind, f) } as BusMessage;
}

/** A result's JSON in parts for 'done' messages (each within the bus's budget). */
export function resultParts(json: string): string[] {
  const parts: string[] = [];
  for (let i = 0; i < json.length;) {
    let end = Math.min(json.length, i + RESULT_PART_CHARS);
    // Never between the two halves of a surrogate pair: each part is encoded as UTF-8 on its own.
    const last = json.charCodeAt(end - 1);
    if (end < json.length && last >= 0xd800 && last <= 0xdbff) end--;
    parts.push(json.slice(i, end));
    i = end;
  }
  if (parts.length === 0) parts.push('');
  if (parts.length > MAX_RESULT_PARTS)
    throw new ProtocolError(`the result is ${json.length} characters, more than the bus carries`);
  return parts;
}

const TOTALS = [
  'sent',
  'sendErrors',
  'received',
  'measuredSent',
  'measuredReceived',
  'bytesSent',
  'bytesReceived',
];

/**
 * An agent's result as the parts of its 'done' messages carry it: { result, verifier? }, read
 * within the bus's budgets, with the fields the merge and the report use checked.
 */
export function decodeAgentResult(json: string): {
  result: BenchResult;
  verifier: VerifierState | undefined;
} {
  const v = parseFastjson(json, { maxDepth: MAX_BUS_DEPTH, maxLength: MAX_RESULT_PARTS * RESULT_PART_CHARS });
  const f = fields(v, 'done');
  const r = f.obj('result');
  if (r.raw('schemaVersion') !== SCHEMA_VERSION) fail('result: another schema version');
  r.str('runId', 64);
  r.str('startedAt', 64);
  r.str('endedAt', 64);
  r.bool('interrupted');
  const phases = r.obj('phases');
  for (const k of ['warmupMs', 'measureMs', 'drainMs']) phases.num(k);
  const totals = r.obj('totals');
  for (const k of TOTALS) totals.num(k, 0);
  for (const [k, n] of Object.entries(r.raw('totals') as Record<string, unknown>))
    if (typeof n !== 'number' || !Number.isFinite(n)) fail(`result.totals.${k.slice(0, 20)} is not a number`);
  const tp = r.obj('throughput');
  for (const k of ['send', 'receive']) {
    const rs = tp.obj(k);
    rs.num('tps');
    rs.num('mbps');
    const per = rs.raw('perInterval');
    if (per !== null) for (const q of ['min', 'avg', 'max']) fields(per, `${k}.perInterval`).num(q);
  }
  r.obj('histograms');
  for (const [name, b64] of Object.entries(r.raw('histograms') as Record<string, unknown>)) {
    if (!['send', 'send_raw', 'e2e', 'delay'].includes(name))
      fail(`result.histograms.${name.slice(0, 20)} is unknown`);
    if (typeof b64 !== 'string' || b64.length > 1024 * 1024 || !/^[A-Za-z0-9+/=]*$/.test(b64))
      fail(`result.histograms.${name} is not a base64 histogram`);
  }
  for (const k of ['errors', 'notAsAsked']) {
    if (k === 'notAsAsked' && r.raw(k) === undefined) continue;
    r.arr(k, 10_000).forEach((e, i) => {
      const ef = fields(e, `result.${k}[${i}]`);
      ef.str('key', 256);
      ef.num('count', 0);
    });
  }
  const el = r.obj('eventLoop');
  for (const k of ['p50Ms', 'p99Ms', 'maxMs']) el.num(k);
  const cpu = r.obj('cpu');
  cpu.num('userMs');
  cpu.num('systemMs');
  r.arr('intervals', 1_000_000).forEach((x, i) => checkInterval(x, `result.intervals[${i}]`));
  if (!r.arr('warnings', 1000).every((w) => typeof w === 'string')) fail('result.warnings is not text');
  for (const k of ['brokers', 'consumeModes', 'stalls']) {
    if (r.raw(k) !== undefined && !r.arr(k, 100_000).every(isObject))
      fail(`result.${k} is not a list of objects`);
  }
  const ver = r.raw('verification');
  if (ver !== undefined) {
    const vf = fields(ver, 'result.verification');
    for (const k of ['acknowledged', 'lost', 'duplicates', 'reordered', 'rolledBack']) vf.num(k, 0);
    vf.arr('groups', 1024).forEach((g, i) => {
      const gf = fields(g, `result.verification.groups[${i}]`);
      gf.str('group', 255);
      for (const k of ['receivedUnique', 'lost', 'duplicates', 'reordered']) gf.num(k, 0);
    });
  }
  const ranges = f.raw('verifier');
  return {
    result: r.raw('schemaVersion') === SCHEMA_VERSION ? (f.raw('result') as BenchResult) : fail('result'),
    verifier: ranges === undefined ? undefined : decodeRanges(ranges),
  };
}
