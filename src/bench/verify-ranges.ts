/**
 * A Verifier's tables (verify.ts: one byte per message per producer, for the send state and
 * for each group's receipt count) as compact sequence ranges, for a table that travels between
 * hosts (bench agents): each producer's bytes as runs `[value, length, value, length, …]`, the
 * zeros past the last message dropped. A run without loss is a couple of numbers per producer
 * whatever its length; every gap costs two more.
 *
 *   { groupNames, fifoGroups, rolledBack,
 *     send:     { "<producer>": [v, n, v, n, …] },
 *     received: [ { "<producer>": [v, n, …] } per group ] }
 *
 * Decoding is budgeted: the producers, runs and messages it may describe are bounded, and
 * anything else is a ProtocolError.
 */
import { ProtocolError } from '../core/errors.js';
import type { VerifierState } from './verify.js';

export interface VerifierRanges {
  groupNames: string[];
  fifoGroups: number;
  rolledBack: number;
  send: Record<string, number[]>;
  received: Record<string, number[]>[];
}

export interface RangeLimits {
  /** highest producer index + 1 */
  maxProducers: number;
  /** messages per producer */
  maxSeq: number;
  /** numbers in all runs together */
  maxRunNumbers: number;
  /** messages described by all tables together (each costs a byte once decoded) */
  maxTotal: number;
}

export const DEFAULT_RANGE_LIMITS: RangeLimits = {
  maxProducers: 100_000,
  maxSeq: 1 << 30,
  maxRunNumbers: 4_000_000,
  maxTotal: 1 << 28,
};

function runs(a: Uint8Array): number[] {
  let end = a.length;
  while (end > 0 && a[end - 1] === 0) end--;
  const out: number[] = [];
  let i = 0;
  while (i < end) {
    const v = a[i]!;
    let j = i + 1;
    while (j < end && a[j] === v) j++;
    out.push(v, j - i);
    i = j;
  }
  return out;
}

function table(xs: (Uint8Array | null)[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  xs.forEach((a, p) => {
    if (!a) return;
    const r = runs(a);
    if (r.length > 0) out[String(p)] = r;
  });
  return out;
}

export function encodeRanges(s: VerifierState): VerifierRanges {
  return {
    groupNames: s.groupNames,
    fifoGroups: s.fifoGroups,
    rolledBack: s.rolledBack,
    send: table(s.send),
    received: s.received.map(table),
  };
}

const bad = (what: string): ProtocolError => new ProtocolError(`verification ranges: ${what}`);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The VerifierState the ranges describe; ProtocolError for anything malformed or past the limits. */
export function decodeRanges(v: unknown, limits: RangeLimits = DEFAULT_RANGE_LIMITS): VerifierState {
  if (!isObject(v)) throw bad('not an object');
  const { groupNames, fifoGroups, rolledBack, send, received } = v;
  if (!Array.isArray(groupNames) || groupNames.length === 0 || groupNames.length > 1024)
    throw bad('groupNames must be 1 to 1024 names');
  if (!groupNames.every((g) => typeof g === 'string' && g.length <= 255))
    throw bad('a group name is not text');
  const count = (x: unknown, what: string, max: number): number => {
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > max) throw bad(`${what} out of range`);
    return x;
  };
  count(fifoGroups, 'fifoGroups', 1 << 20);
  count(rolledBack, 'rolledBack', Number.MAX_SAFE_INTEGER);
  if (!Array.isArray(received) || received.length !== groupNames.length)
    throw bad('one receipt table per group expected');
  let budget = limits.maxRunNumbers;
  let total = limits.maxTotal;
  const decodeTable = (t: unknown, what: string): (Uint8Array | null)[] => {
    if (!isObject(t)) throw bad(`${what} is not an object`);
    const out: (Uint8Array | null)[] = [];
    for (const [key, r] of Object.entries(t)) {
      if (!/^\d{1,9}$/.test(key)) throw bad(`${what}: "${key.slice(0, 20)}" is not a producer index`);
      const p = Number(key);
      if (p >= limits.maxProducers) throw bad(`${what}: producer ${p} is beyond ${limits.maxProducers}`);
      if (!Array.isArray(r) || r.length % 2 !== 0) throw bad(`${what}: producer ${p}: runs come in pairs`);
      budget -= r.length;
      if (budget < 0) throw bad(`more than ${limits.maxRunNumbers} numbers`);
      let len = 0;
      for (let i = 0; i < r.length; i += 2) {
        count(r[i], `${what}: a value`, 255);
        len += count(r[i + 1], `${what}: a run length`, limits.maxSeq);
        if (len > limits.maxSeq) throw bad(`${what}: producer ${p} has more than ${limits.maxSeq} messages`);
      }
      total -= len;
      if (total < 0) throw bad(`more than ${limits.maxTotal} messages in all`);
      const a = new Uint8Array(len);
      let at = 0;
      for (let i = 0; i < r.length; i += 2) {
        const n = r[i + 1] as number;
        a.fill(r[i] as number, at, at + n);
        at += n;
      }
      while (out.length < p) out.push(null);
      out[p] = a;
    }
    return out;
  };
  return {
    groupNames: groupNames as string[],
    fifoGroups: fifoGroups as number,
    rolledBack: rolledBack as number,
    send: decodeTable(send, 'send'),
    received: received.map((t, g) => decodeTable(t, `group ${g}`)),
  };
}
