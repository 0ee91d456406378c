/**
 * What `broker config` and `namesrv config` share: RocketMQ's Configuration class behaves the same
 * on both servers (GET lists every key as `key=value`, UPDATE sets the keys it knows, ignores the
 * rest, refuses a black list and rewrites the whole config file), so parsing KEY=VALUE arguments,
 * checking them against the server's keys, planning old → new and diffing two key sets are one
 * piece of code for both.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { isValidConfigKey } from '../core/protocol/properties-text.js';

export interface ConfigChange {
  key: string;
  old: string;
  new: string;
  /** Whether the server acts on the new value without a restart (HOT_BROKER_KEYS, HOT_NAMESRV_KEYS). */
  appliesAtRunTime: boolean;
  /** Where the server reads the key on each use, for a key applied at run time. */
  readAt?: string;
}

/** Parses KEY=VALUE arguments; the last one of a key wins. */
export function parseAssignments(args: string[], example = 'fileReservedTime=48'): Map<string, string> {
  if (args.length === 0) {
    throw new InvalidArgumentError('nothing to set', { hint: `give KEY=VALUE pairs, e.g. ${example}` });
  }
  const out = new Map<string, string>();
  for (const a of args) {
    const eq = a.indexOf('=');
    const key = eq > 0 ? a.slice(0, eq) : '';
    if (!isValidConfigKey(key)) {
      throw new InvalidArgumentError(`"${a}" is not KEY=VALUE`, { hint: `e.g. ${example}` });
    }
    out.set(key, a.slice(eq + 1));
  }
  return out;
}

/** Keys close to an unknown one, for the error's hint. */
export function suggestKeys(config: ReadonlyMap<string, string>, key: string, listCommand: string): string {
  const lower = key.toLowerCase();
  const near = [...config.keys()].filter(
    (k) => k.toLowerCase().includes(lower) || lower.includes(k.toLowerCase()),
  );
  return near.length > 0
    ? `did you mean ${near.slice(0, 5).join(', ')}?`
    : `see \`${listCommand}\` for its keys`;
}

/** The keys asked for (all, sorted, when none is), or an error naming the first unknown one. */
export function selectKeys(
  config: ReadonlyMap<string, string>,
  keys: readonly string[],
  o: { who: string; listCommand: string },
): Record<string, string> {
  const missing = keys.filter((k) => !config.has(k));
  if (missing.length > 0) {
    throw new InvalidArgumentError(`${o.who} has no config key ${missing.join(', ')}`, {
      hint: suggestKeys(config, missing[0]!, o.listCommand),
    });
  }
  const chosen = keys.length > 0 ? keys : [...config.keys()].sort();
  return Object.fromEntries(chosen.map((k) => [k, config.get(k)!]));
}

/** The value must keep the type the current one shows: the server ignores what it cannot parse. */
function checkType(key: string, old: string, value: string): void {
  const bad = (what: string) =>
    new InvalidArgumentError(`${key} takes ${what}; "${value}" is not one`, {
      hint: `its current value is ${old}`,
    });
  if (old === 'true' || old === 'false') {
    if (value !== 'true' && value !== 'false') throw bad('true or false');
  } else if (/^-?\d+$/.test(old)) {
    if (!/^-?\d+$/.test(value.trim())) throw bad('an integer');
  } else if (/^-?\d+\.\d+$/.test(old)) {
    if (!Number.isFinite(Number(value)) || value.trim() === '') throw bad('a number');
  }
}

/**
 * Old → new for each assignment against one server's configuration. Throws before anything is
 * sent for a refused key, an unknown key or a value of the wrong type.
 */
export function planChanges(
  config: ReadonlyMap<string, string>,
  assignments: ReadonlyMap<string, string>,
  o: {
    who: string;
    listCommand: string;
    refused: ReadonlySet<string>;
    hotKeys: Readonly<Record<string, string>>;
  },
): { changes: ConfigChange[]; unchanged: string[] } {
  const changes: ConfigChange[] = [];
  const unchanged: string[] = [];
  for (const [key, value] of assignments) {
    if (o.refused.has(key)) {
      throw new InvalidArgumentError(`${o.who} refuses to change ${key}`, {
        hint: 'edit its config file and restart it',
      });
    }
    const old = config.get(key);
    if (old === undefined) {
      throw new InvalidArgumentError(`${o.who} has no config key ${key}`, {
        hint: suggestKeys(config, key, o.listCommand),
      });
    }
    checkType(key, old, value);
    if (old === value) {
      unchanged.push(key);
      continue;
    }
    const hot = Object.hasOwn(o.hotKeys, key);
    changes.push({ key, old, new: value, appliesAtRunTime: hot, ...(hot ? { readAt: o.hotKeys[key] } : {}) });
  }
  return { changes, unchanged };
}

/** The refused keys: the ones every server of the kind refuses plus its own configBlackList (";"). */
export function refusedKeys(fixed: readonly string[], config: ReadonlyMap<string, string>): Set<string> {
  return new Set([...fixed, ...(config.get('configBlackList') ?? '').split(';').filter((k) => k !== '')]);
}

export interface ConfigDifference {
  key: string;
  /** null where that side does not have the key. */
  a: string | null;
  b: string | null;
}

/** Keys whose values differ (or that one side lacks), sorted; `skip` keys are not compared. */
export function diffConfigs(
  a: ReadonlyMap<string, string>,
  b: ReadonlyMap<string, string>,
  skip: (key: string) => boolean,
): { differences: ConfigDifference[]; compared: number } {
  const keys = [...new Set([...a.keys(), ...b.keys()])].filter((k) => !skip(k)).sort();
  const differences = keys
    .filter((k) => a.get(k) !== b.get(k))
    .map((k) => ({ key: k, a: a.get(k) ?? null, b: b.get(k) ?? null }));
  return { differences, compared: keys.length };
}

/** After an update: each changed key as the server reads it back. */
export function readBack(
  changes: readonly ConfigChange[],
  after: ReadonlyMap<string, string>,
): { key: string; value: string; ok: boolean }[] {
  return changes.map((c) => ({ key: c.key, value: after.get(c.key) ?? '', ok: after.get(c.key) === c.new }));
}
