/**
 * The shapes of a workload beyond one body and one rate: body size distributions (--size
 * 1k..16k, --size 1k:70,4k:20,64k:10), message keys drawn from a distribution (--keys N
 * --key-dist uniform|roundrobin|zipf:S), and the backlog to build before consumers start
 * (--backlog 2GiB or a message count). Parsers throw InvalidArgumentError (exit 2); samplers are
 * seeded, so a run's draws are reproducible and tests can check them statistically.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { parseSize } from '../core/util/units.js';

export const MAX_BODY = 4 * 1024 * 1024;

/** A body size distribution: one size, a uniform range, or weighted sizes. */
export type SizeDistribution =
  | { kind: 'fixed'; size: number }
  | { kind: 'range'; min: number; max: number }
  | { kind: 'weighted'; choices: { size: number; weight: number }[] };

function bad(message: string, hint: string): InvalidArgumentError {
  return new InvalidArgumentError(message, { hint });
}

const SIZE_HINT = 'use e.g. 1k, 1k..16k (uniform) or 1k:70,4k:20,64k:10 (weighted)';

function oneSize(text: string, spec: string): number {
  let n: number;
  try {
    n = parseSize(text, '--size');
  } catch {
    throw bad(`invalid --size "${spec}": "${text.trim()}" is not a size`, SIZE_HINT);
  }
  if (!(n >= 1 && n <= MAX_BODY)) {
    throw bad(
      `invalid --size "${spec}": ${n} bytes is outside 1 B..4 MiB`,
      'RocketMQ bodies are 1 B to 4 MiB',
    );
  }
  return n;
}

/** Parses --size: "1k", "1k..16k" or "1k:70,4k:20,64k:10". */
export function parseSizeSpec(spec: string): SizeDistribution {
  const s = spec.trim();
  if (s.length > 2000) throw bad('--size is too long', SIZE_HINT);
  if (s.includes('..')) {
    const [a, b, ...rest] = s.split('..');
    if (rest.length > 0 || a === undefined || b === undefined)
      throw bad(`invalid --size "${spec}"`, SIZE_HINT);
    const min = oneSize(a, spec);
    const max = oneSize(b, spec);
    if (min > max)
      throw bad(`invalid --size "${spec}": the range runs backwards`, 'give the smaller size first');
    return min === max ? { kind: 'fixed', size: min } : { kind: 'range', min, max };
  }
  if (s.includes(':') || s.includes(',')) {
    const choices = s.split(',').map((part) => {
      const m = /^([^:]+):\s*(\d+(?:\.\d+)?)$/.exec(part.trim());
      if (!m) throw bad(`invalid --size "${spec}": "${part.trim()}" is not SIZE:WEIGHT`, SIZE_HINT);
      return { size: oneSize(m[1]!, spec), weight: Number(m[2]) };
    });
    if (choices.length > 100) throw bad(`invalid --size "${spec}": more than 100 sizes`, SIZE_HINT);
    if (!choices.some((c) => c.weight > 0))
      throw bad(`invalid --size "${spec}": every weight is 0`, SIZE_HINT);
    return { kind: 'weighted', choices: choices.filter((c) => c.weight > 0) };
  }
  return { kind: 'fixed', size: oneSize(s, spec) };
}

export function sizeMean(d: SizeDistribution): number {
  if (d.kind === 'fixed') return d.size;
  if (d.kind === 'range') return (d.min + d.max) / 2;
  const w = d.choices.reduce((a, c) => a + c.weight, 0);
  return d.choices.reduce((a, c) => a + c.size * c.weight, 0) / w;
}

export function sizeMax(d: SizeDistribution): number {
  if (d.kind === 'fixed') return d.size;
  if (d.kind === 'range') return d.max;
  return Math.max(...d.choices.map((c) => c.size));
}

export function sizeMin(d: SizeDistribution): number {
  if (d.kind === 'fixed') return d.size;
  if (d.kind === 'range') return d.min;
  return Math.min(...d.choices.map((c) => c.size));
}

/** mulberry32: a small, fast, seeded generator of floats in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Bodies a run cycles through: enough that a distribution's shape holds within a few seconds. */
export const BODY_POOL = 4096;

/**
 * A pool of bodies drawn from `d`, each a view of `base` (which must be at least the largest
 * size): no body is allocated per message. Weighted sizes come in exact proportion (largest
 * remainders) and shuffled; a range is drawn uniformly.
 */
export function bodyPool(d: SizeDistribution, base: Buffer, seed = 1): Buffer[] {
  if (d.kind === 'fixed') return [base.subarray(0, d.size)];
  const random = rng(seed);
  const sizes: number[] = [];
  if (d.kind === 'range') {
    for (let i = 0; i < BODY_POOL; i++) sizes.push(d.min + Math.floor(random() * (d.max - d.min + 1)));
  } else {
    const w = d.choices.reduce((a, c) => a + c.weight, 0);
    const exact = d.choices.map((c) => (c.weight / w) * BODY_POOL);
    const counts = exact.map(Math.floor);
    const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0]);
    for (let k = 0; k < BODY_POOL - counts.reduce((a, b) => a + b, 0); k++) counts[order[k]![1]]!++;
    d.choices.forEach((c, i) => {
      for (let k = 0; k < counts[i]!; k++) sizes.push(c.size);
    });
    for (let i = sizes.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [sizes[i], sizes[j]] = [sizes[j]!, sizes[i]!];
    }
  }
  return sizes.map((n) => base.subarray(0, n));
}

/** "1 KiB..16 KiB uniform", "1 KiB 70 %, 4 KiB 20 %", "1 KiB". */
export function describeSizes(d: SizeDistribution): string {
  const b = (n: number) =>
    n % 1048576 === 0 ? `${n / 1048576}MiB` : n % 1024 === 0 ? `${n / 1024}KiB` : `${n}B`;
  if (d.kind === 'fixed') return b(d.size);
  if (d.kind === 'range') return `${b(d.min)}..${b(d.max)} uniform`;
  const w = d.choices.reduce((a, c) => a + c.weight, 0);
  return d.choices.map((c) => `${b(c.size)} ${Math.round((c.weight / w) * 1000) / 10}%`).join(', ');
}

// ---- keys ----

export type KeyDistribution =
  { kind: 'uniform' } | { kind: 'roundrobin' } | { kind: 'zipf'; exponent: number };

export const MAX_KEYS = 1_000_000;

/** --keys N (1..MAX_KEYS). */
export function parseKeyCount(text: string): number {
  const t = text.trim();
  if (!/^\d{1,9}$/.test(t) || Number(t) < 1 || Number(t) > MAX_KEYS) {
    throw bad(
      `invalid --keys "${text}"`,
      `give a key count from 1 to ${MAX_KEYS.toLocaleString('en-US')}, or no value for a unique key per message`,
    );
  }
  return Number(t);
}

/** --key-dist uniform | roundrobin | zipf:S (0 < S ≤ 10). */
export function parseKeyDist(text: string): KeyDistribution {
  const t = text.trim().toLowerCase();
  if (t === 'uniform') return { kind: 'uniform' };
  if (t === 'roundrobin' || t === 'round-robin') return { kind: 'roundrobin' };
  const m = /^zipf(?::(\d+(?:\.\d+)?))?$/.exec(t);
  if (m) {
    const s = m[1] === undefined ? 1 : Number(m[1]);
    if (!(s > 0 && s <= 10))
      throw bad(`invalid --key-dist "${text}": the exponent must be above 0 and at most 10`, 'e.g. zipf:1.1');
    return { kind: 'zipf', exponent: s };
  }
  throw bad(`invalid --key-dist "${text}"`, 'use uniform, roundrobin or zipf:S (e.g. zipf:1.1)');
}

export function describeKeyDist(d: KeyDistribution): string {
  return d.kind === 'zipf' ? `zipf:${d.exponent}` : d.kind;
}

/**
 * Zipf over ranks 1..n: P(k) = k^-s / H(n, s), by inverting the cumulative table (a binary
 * search, exact for any s > 0 and n up to MAX_KEYS; the table is 8 bytes per key).
 */
export class ZipfSampler {
  private readonly cdf: Float64Array;

  constructor(
    readonly n: number,
    readonly s: number,
  ) {
    this.cdf = new Float64Array(n);
    let sum = 0;
    for (let k = 1; k <= n; k++) {
      sum += k ** -s;
      this.cdf[k - 1] = sum;
    }
    for (let i = 0; i < n; i++) this.cdf[i]! /= sum;
    this.cdf[n - 1] = 1;
  }

  /** A rank 0..n-1 (0 the most frequent) for a uniform draw u in [0, 1). */
  rank(u: number): number {
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cdf[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** The probability of rank k (0-based). */
  p(k: number): number {
    return this.cdf[k]! - (k > 0 ? this.cdf[k - 1]! : 0);
  }
}

/** Draws key indexes 0..n-1 from a distribution. */
export class KeyPicker {
  private readonly random: () => number;
  private readonly zipf: ZipfSampler | undefined;
  private next = 0;

  constructor(
    readonly n: number,
    readonly dist: KeyDistribution,
    seed: number,
  ) {
    this.random = rng(seed);
    this.zipf = dist.kind === 'zipf' ? new ZipfSampler(n, dist.exponent) : undefined;
  }

  pick(): number {
    if (this.zipf) return this.zipf.rank(this.random());
    if (this.dist.kind === 'roundrobin') {
      const k = this.next;
      this.next = (k + 1) % this.n;
      return k;
    }
    return Math.floor(this.random() * this.n);
  }
}

// ---- backlog ----

export type BacklogTarget = { bytes: number; messages?: undefined } | { messages: number; bytes?: undefined };

/**
 * --backlog: a size with a unit ("2GiB", "500MB", "64k", "1000000B") is bytes; a bare count or
 * one followed by "msgs"/"messages" ("1000000", "50000 msgs") is messages.
 */
export function parseBacklog(text: string): BacklogTarget {
  const t = text.trim();
  const count = /^(\d{1,12})\s*(msgs?|messages?)?$/i.exec(t);
  if (count) {
    const n = Number(count[1]);
    if (n < 1) throw bad('--backlog must be at least 1 message', 'e.g. --backlog 100000 or --backlog 1GiB');
    return { messages: n };
  }
  let bytes: number;
  try {
    bytes = parseSize(t, '--backlog');
  } catch {
    throw bad(
      `invalid --backlog "${text}"`,
      'give a size with its unit (e.g. 2GiB, 500MB) or a message count (e.g. 100000)',
    );
  }
  if (!(bytes >= 1)) throw bad('--backlog must be at least 1 byte', 'e.g. --backlog 1GiB');
  return { bytes };
}
