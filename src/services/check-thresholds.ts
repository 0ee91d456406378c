/**
 * `rmq check`'s vocabulary: statuses, their order, and the threshold syntax of its flags. Pure:
 * no I/O, so the unit tests pin every rule here.
 *
 * A threshold is `CRIT` or `WARN,CRIT` (the check_* plugin habit of one flag per measure rather
 * than a --warn-* twin for each): a value above WARN is a warning, above CRIT critical.
 */
import { validateGroupName } from '../core/client/admin.js';
import { InvalidArgumentError } from '../core/errors.js';

export type CheckStatus = 'ok' | 'warning' | 'critical' | 'unknown';

/** Worst first: a critical outweighs a warning, and both outweigh a measure that could not be taken. */
const SEVERITY: Record<CheckStatus, number> = { ok: 0, unknown: 1, warning: 2, critical: 3 };

export function worstStatus(statuses: Iterable<CheckStatus>): CheckStatus {
  let worst: CheckStatus = 'ok';
  for (const s of statuses) if (SEVERITY[s] > SEVERITY[worst]) worst = s;
  return worst;
}

export interface Threshold {
  /** null: no warning level, only critical. */
  warning: number | null;
  critical: number;
}

/** A value against an upper threshold: above critical is critical, above warning a warning. */
export function statusAbove(value: number, t: Threshold | null): CheckStatus {
  if (!t) return 'ok';
  if (value > t.critical) return 'critical';
  if (t.warning !== null && value > t.warning) return 'warning';
  return 'ok';
}

const DECIMAL = /^(?:\d+(?:\.\d*)?|\.\d+)$/;

function number(text: string, what: string, hint: string): number {
  const t = text.trim();
  const n = Number(t);
  if (!DECIMAL.test(t) || !Number.isFinite(n)) {
    throw new InvalidArgumentError(`${what}: "${text}" is not a non-negative number`, { hint });
  }
  return n;
}

function pair(text: string, what: string, hint: string, parse: (s: string) => number): Threshold {
  const parts = text.split(',');
  if (parts.length > 2 || parts.some((p) => p.trim() === '')) {
    throw new InvalidArgumentError(`${what}: "${text}" is not CRIT or WARN,CRIT`, { hint });
  }
  const values = parts.map(parse);
  const t: Threshold =
    values.length === 2
      ? { warning: values[0]!, critical: values[1]! }
      : { warning: null, critical: values[0]! };
  if (t.warning !== null && t.warning > t.critical) {
    throw new InvalidArgumentError(
      `${what}: the warning level ${parts[0]} is above the critical ${parts[1]}`,
      {
        hint,
      },
    );
  }
  return t;
}

/** `--max-disk 85%` or `80%,90%` (a bare number is a percentage too): a used ratio, 0..1. */
export function parseDiskThreshold(text: string): Threshold {
  const hint = 'e.g. --max-disk 85% or --max-disk 80%,90%';
  return pair(text, '--max-disk', hint, (p) => {
    const s = p.trim().replace(/%$/, '');
    const n = number(s, '--max-disk', hint);
    if (n > 100) throw new InvalidArgumentError(`--max-disk: ${p} is over 100%`, { hint });
    return n / 100;
  });
}

function groupAndRest(text: string, flag: string, hint: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`${flag}: "${text}" is not GROUP=THRESHOLD`, { hint });
  const group = text.slice(0, eq);
  try {
    validateGroupName(group);
  } catch (err) {
    throw new InvalidArgumentError(`${flag}: ${(err as Error).message}`, { hint });
  }
  return [group, text.slice(eq + 1)];
}

/** `--max-lag GROUP=N` or `GROUP=WARN,CRIT`, messages behind summed over the group's queues. */
export function parseLagThreshold(text: string): { group: string; threshold: Threshold } {
  const hint = 'e.g. --max-lag orders=1000 or --max-lag orders=500,1000';
  const [group, rest] = groupAndRest(text, '--max-lag', hint);
  return {
    group,
    threshold: pair(rest, '--max-lag', hint, (p) => {
      const n = number(p, '--max-lag', hint);
      if (!Number.isInteger(n))
        throw new InvalidArgumentError(`--max-lag: ${p} is not a whole number`, { hint });
      return n;
    }),
  };
}

const PER_HOUR: Record<string, number> = { s: 3600, m: 60, min: 60, h: 1, d: 1 / 24 };

/**
 * `--max-dlq-growth [GROUP=]N/h` or `WARN,CRIT/h` (units /s /m /h /d), as messages per hour.
 * Without a group it applies to every group that has a dead-letter queue.
 */
export function parseDlqGrowthThreshold(text: string): { group: string | null; threshold: Threshold } {
  const hint = 'e.g. --max-dlq-growth orders=10/h, --max-dlq-growth 5,20/h (every group), units /s /m /h /d';
  let group: string | null = null;
  let rest = text;
  if (text.includes('=')) [group, rest] = groupAndRest(text, '--max-dlq-growth', hint);
  const slash = rest.lastIndexOf('/');
  const unit = slash >= 0 ? rest.slice(slash + 1).trim() : '';
  const factor = Object.hasOwn(PER_HOUR, unit) ? PER_HOUR[unit]! : undefined;
  if (factor === undefined) {
    throw new InvalidArgumentError(`--max-dlq-growth: "${text}" has no rate unit (/s, /m, /h or /d)`, {
      hint,
    });
  }
  const threshold = pair(rest.slice(0, slash), '--max-dlq-growth', hint, (p) =>
    number(p, '--max-dlq-growth', hint),
  );
  return {
    group,
    threshold: {
      warning: threshold.warning === null ? null : threshold.warning * factor,
      critical: threshold.critical * factor,
    },
  };
}

/** `--expect-brokers N` (masters registered) or `--expect-brokers broker-a,broker-b` (those names). */
export function parseExpectBrokers(text: string): { count: number } | { names: string[] } {
  const hint = 'e.g. --expect-brokers 2 or --expect-brokers broker-a,broker-b';
  const t = text.trim();
  if (/^\d+$/.test(t)) {
    const count = Number(t);
    if (count < 1 || !Number.isSafeInteger(count)) {
      throw new InvalidArgumentError(`--expect-brokers: ${t} is not a count of at least 1`, { hint });
    }
    return { count };
  }
  const names = t.split(',').map((s) => s.trim());
  if (names.some((n) => !/^[\w.:-]{1,127}$/.test(n))) {
    throw new InvalidArgumentError(`--expect-brokers: "${text}" is neither a count nor broker names`, {
      hint,
    });
  }
  return { names: [...new Set(names)] };
}
