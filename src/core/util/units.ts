import { InvalidArgumentError } from '../errors.js';

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * The longest duration accepted: 2^31 − 1 ms (about 24.8 days). Every duration ends up in a
 * setTimeout somewhere, and Node replaces a longer delay with 1 ms, so a larger --timeout would
 * make every request time out at once instead of never.
 */
export const MAX_DURATION_MS = 2 ** 31 - 1;

/**
 * Parses "250ms", "3s", "1.5m", "2h", "1h30m" or a bare number of milliseconds; at most
 * MAX_DURATION_MS.
 * @example parseDuration('1m30s') === 90000
 */
export function parseDuration(input: string, what = 'duration'): number {
  return checkDurationMax(parseDurationText(input, what), input, what);
}

function checkDurationMax(ms: number, input: string, what: string): number {
  if (!(ms <= MAX_DURATION_MS)) {
    throw new InvalidArgumentError(
      `${what} "${input}" is above the maximum of 24.8 days (${MAX_DURATION_MS} ms)`,
      {
        hint: 'a timer cannot wait longer: use at most 24d',
      },
    );
  }
  return ms;
}

function parseDurationText(input: string, what: string): number {
  const s = input.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
  let total = 0;
  let consumed = 0;
  for (const m of s.matchAll(re)) {
    if (m.index !== consumed) break;
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    consumed += m[0].length;
  }
  if (consumed === 0 || consumed !== s.length) {
    throw new InvalidArgumentError(`invalid ${what} "${input}"`, { hint: 'use e.g. 500ms, 5s, 2m, 1h30m' });
  }
  return total;
}

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1 << 20,
  mb: 1 << 20,
  mib: 1 << 20,
  g: 1 << 30,
  gb: 1 << 30,
  gib: 1 << 30,
};

/** Parses "512", "4k", "1KiB", "2MB", "1GiB" (binary multiples). */
export function parseSize(input: string, what = 'size'): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(input.trim());
  const name = (m?.[2] || 'b').toLowerCase();
  // Own keys only: "1constructor" must not multiply by Object's constructor (NaN).
  const unit = Object.hasOwn(SIZE_UNITS, name) ? SIZE_UNITS[name] : undefined;
  if (!m || unit === undefined) {
    throw new InvalidArgumentError(`invalid ${what} "${input}"`, { hint: 'use e.g. 512, 4k, 1MiB' });
  }
  return Math.round(Number(m[1]) * unit);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1 << 20) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1 << 30) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  return `${(n / (1 << 30)).toFixed(2)} GiB`;
}
