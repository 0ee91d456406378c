/**
 * --rate-profile: the open-loop rate as a function of time, and the schedule it makes.
 *
 * Grammar (whitespace between tokens is free; rates are msg/s, a `k` suffix is ×1000):
 *
 *   PROFILE := SEGMENT ("," SEGMENT)*
 *   SEGMENT := RATE "@" DURATION                               hold RATE for DURATION
 *            | "ramp" RATE ".." RATE "@" DURATION              linear from one rate to the other
 *            | "steps" RATE ".." RATE "+" RATE "every" DURATION   hold each step, up (or down) to the last
 *
 *   e.g.  "1000@30s, ramp 1000..5000@60s, 5000@30s"    "steps 1000..5000 +1000 every 20s"
 *
 * The schedule: with r(t) the profile's rate, N(t) = ∫₀ᵗ r is how many messages are due by t, so
 * message n is due at N⁻¹(n). Intended send times follow the profile exactly, whatever the
 * pacer's lateness, which keeps the coordinated-omission correction right while the rate moves.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { parseDuration } from '../core/util/units.js';

/** One stretch of the profile: the rate goes linearly from `from` to `to` over `ms`. */
export interface ProfileSegment {
  from: number;
  to: number;
  ms: number;
}

/** A mistake in a --rate-profile: which segment, and what was expected there (exit 2). */
export class RateProfileError extends InvalidArgumentError {
  constructor(
    readonly segment: string,
    what: string,
  ) {
    super(`--rate-profile: ${what} in "${segment}"`, {
      hint: 'use e.g. "1000@30s,ramp 1000..5000@60s,5000@30s" or "steps 1000..5000 +1000 every 20s"',
    });
  }
}

export const MAX_PROFILE_SEGMENTS = 1000;
export const MAX_PROFILE_RATE = 10_000_000;
/** Longer than any bench should run, and within a timer's reach. */
const MAX_PROFILE_MS = 7 * 86_400_000;

function rate(text: string, segment: string): number {
  const m = /^(\d+(?:\.\d+)?)(k?)$/i.exec(text.trim());
  if (!m) throw new RateProfileError(segment, `"${text.trim()}" is not a rate (e.g. 500, 2.5k)`);
  const r = Number(m[1]) * (m[2] ? 1000 : 1);
  if (r > MAX_PROFILE_RATE) throw new RateProfileError(segment, `rate ${r} is above ${MAX_PROFILE_RATE}`);
  return r;
}

function duration(text: string, segment: string): number {
  let ms: number;
  try {
    ms = parseDuration(text.trim());
  } catch {
    throw new RateProfileError(segment, `"${text.trim()}" is not a duration (e.g. 500ms, 30s, 2m)`);
  }
  if (!(ms > 0)) throw new RateProfileError(segment, 'a duration must be above 0');
  return ms;
}

const RATE = String.raw`(\d+(?:\.\d+)?k?)`;
const DUR = String.raw`(\S+)`;
const HOLD = new RegExp(String.raw`^${RATE}\s*@\s*${DUR}$`, 'i');
const RAMP = new RegExp(String.raw`^ramp\s+${RATE}\s*\.\.\s*${RATE}\s*@\s*${DUR}$`, 'i');
const STEPS = new RegExp(String.raw`^steps\s+${RATE}\s*\.\.\s*${RATE}\s*\+\s*${RATE}\s+every\s+${DUR}$`, 'i');

/** Parses a profile into segments (steps expanded into holds). Throws RateProfileError. */
export function parseRateProfile(spec: string): ProfileSegment[] {
  if (spec.length > 10_000) throw new RateProfileError(spec.slice(0, 40), 'the profile is too long');
  const out: ProfileSegment[] = [];
  const push = (s: ProfileSegment, text: string) => {
    if (out.length >= MAX_PROFILE_SEGMENTS) {
      throw new RateProfileError(text, `more than ${MAX_PROFILE_SEGMENTS} segments`);
    }
    out.push(s);
  };
  const parts = spec.split(',').map((s) => s.trim());
  for (const text of parts) {
    if (text === '') throw new RateProfileError(spec, 'an empty segment');
    let m: RegExpExecArray | null;
    if ((m = HOLD.exec(text))) {
      const r = rate(m[1]!, text);
      push({ from: r, to: r, ms: duration(m[2]!, text) }, text);
    } else if ((m = RAMP.exec(text))) {
      push({ from: rate(m[1]!, text), to: rate(m[2]!, text), ms: duration(m[3]!, text) }, text);
    } else if ((m = STEPS.exec(text))) {
      const a = rate(m[1]!, text);
      const b = rate(m[2]!, text);
      const step = rate(m[3]!, text);
      const every = duration(m[4]!, text);
      if (!(step > 0)) throw new RateProfileError(text, 'the step must be above 0');
      const n = Math.floor(Math.abs(b - a) / step + 1e-9) + 1;
      if (n > MAX_PROFILE_SEGMENTS)
        throw new RateProfileError(text, `more than ${MAX_PROFILE_SEGMENTS} steps`);
      if (Math.abs(a + Math.sign(b - a) * step * (n - 1) - b) > 1e-9) {
        throw new RateProfileError(text, `${a}..${b} is not a whole number of +${step} steps`);
      }
      for (let i = 0; i < n; i++) {
        const r = a + Math.sign(b - a) * step * i;
        push({ from: r, to: r, ms: every }, text);
      }
    } else if (/^ramp\b/i.test(text)) {
      throw new RateProfileError(text, 'expected "ramp FROM..TO@DURATION"');
    } else if (/^steps\b/i.test(text)) {
      throw new RateProfileError(text, 'expected "steps FROM..TO +STEP every DURATION"');
    } else {
      throw new RateProfileError(text, 'expected "RATE@DURATION", "ramp …" or "steps …"');
    }
  }
  const total = out.reduce((a, s) => a + s.ms, 0);
  if (total > MAX_PROFILE_MS) throw new RateProfileError(spec, 'the profile is longer than 7 days');
  if (!out.some((s) => s.from > 0 || s.to > 0)) throw new RateProfileError(spec, 'every rate is 0');
  return out;
}

export const profileMs = (segments: readonly ProfileSegment[]): number =>
  segments.reduce((a, s) => a + s.ms, 0);

export const profilePeak = (segments: readonly ProfileSegment[]): number =>
  Math.max(...segments.map((s) => Math.max(s.from, s.to)));

/** Messages a segment makes due over its first `ms` (exact for a linear rate). */
function countIn(s: ProfileSegment, ms: number): number {
  const t = ms / 1000;
  const T = s.ms / 1000;
  return s.from * t + ((s.to - s.from) * t * t) / (2 * T);
}

/** The time (ms into the segment) by which `k` of its messages are due: countIn's inverse. */
function timeFor(s: ProfileSegment, k: number): number {
  const T = s.ms / 1000;
  const slope = (s.to - s.from) / T;
  if (Math.abs(slope) < 1e-12) return (k / s.from) * 1000;
  // from·t + slope·t²/2 = k, the root within the segment
  const disc = s.from * s.from + 2 * slope * k;
  return ((-s.from + Math.sqrt(Math.max(0, disc))) / slope) * 1000;
}

/**
 * Message n's due time. `scale` multiplies every rate (a worker's or agent's share of the
 * producers); times are µs after `startUs`; after the profile's end, the last rate goes on (the
 * engine's end-of-schedule cut stops it).
 */
export class ProfileSchedule {
  private readonly segs: ProfileSegment[];
  /** messages due before each segment starts */
  private readonly before: number[] = [];
  /** µs offset of each segment's start */
  private readonly startUs: number[] = [];
  private readonly total: number;
  private last = 0;

  constructor(
    segments: readonly ProfileSegment[],
    private readonly originUs: number,
    scale = 1,
  ) {
    this.segs = segments.map((s) => ({ from: s.from * scale, to: s.to * scale, ms: s.ms }));
    let n = 0;
    let t = 0;
    for (const s of this.segs) {
      this.before.push(n);
      this.startUs.push(t);
      n += countIn(s, s.ms);
      t += s.ms * 1000;
    }
    this.total = n;
  }

  /** Due time of message n (0-based), engine clock µs. */
  dueUs(n: number): number {
    const segs = this.segs;
    // Mostly increasing n: start from the last segment found.
    let i = this.last;
    if (n < this.before[i]!) {
      // Behind (a reply of an earlier segment): a binary search for the last start at or before n.
      let lo = 0;
      let hi = i;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if (this.before[mid]! <= n) lo = mid;
        else hi = mid - 1;
      }
      i = lo;
    }
    // A segment with no messages (rate 0) starts where the next one does, so this skips it.
    while (i + 1 < segs.length && this.before[i + 1]! <= n) i++;
    this.last = i;
    const s = segs[i]!;
    const k = n - this.before[i]!;
    if (n >= this.total) {
      // Past the end: the last rate continues.
      const endRate = s.to;
      const endUs = this.startUs[i]! + s.ms * 1000;
      if (endRate <= 0) return Infinity;
      return this.originUs + endUs + ((n - this.total) / endRate) * 1e6;
    }
    return this.originUs + this.startUs[i]! + timeFor(s, k) * 1000;
  }

  /** Messages due by `us` µs after the origin. */
  dueBy(us: number): number {
    let n = 0;
    for (let i = 0; i < this.segs.length; i++) {
      const s = this.segs[i]!;
      const from = this.startUs[i]!;
      if (us <= from) break;
      n += countIn(s, Math.min(s.ms, (us - from) / 1000));
    }
    return n;
  }

  get totalMessages(): number {
    return this.total;
  }
}

/** A segment in words, e.g. "1,000 msg/s for 30s" or "1,000 → 5,000 msg/s over 1m". */
export function describeSegment(s: ProfileSegment): string {
  const f = (r: number) => Math.round(r).toLocaleString('en-US');
  const d = s.ms % 60_000 === 0 ? `${s.ms / 60_000}m` : `${s.ms / 1000}s`;
  return s.from === s.to ? `${f(s.from)} msg/s for ${d}` : `${f(s.from)} → ${f(s.to)} msg/s over ${d}`;
}
