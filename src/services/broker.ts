/**
 * Broker operations: runtime stats, configuration read, planned change and diff.
 */
import type { Admin } from '../core/client/admin.js';
import { Ops } from '../core/client/ops.js';
import { InvalidArgumentError, NotFoundError } from '../core/errors.js';
import { type BrokerRuntimeStats, runtimeStats } from '../core/protocol/broker-runtime-info.js';
import { isValidConfigKey } from '../core/protocol/properties-text.js';
import { BROKER_CONFIG_BLACKLIST } from '../core/protocol/update-broker-config.js';
import type { ClusterInfo } from '../core/protocol/route.js';
import { appliesAtRunTime, HOT_BROKER_KEYS, IDENTITY_BROKER_KEYS } from './broker-config-keys.js';

export interface BrokerRef {
  cluster: string;
  brokerName: string;
  brokerId: number;
  role: 'MASTER' | 'SLAVE';
  address: string;
}

export interface BrokerStatusRow extends BrokerRef, Partial<BrokerRuntimeStats> {
  /** Why the broker's stats are missing (it did not answer). */
  error?: string;
}

export interface BrokerListResult {
  brokers: BrokerStatusRow[];
}

export interface BrokerStatusResult {
  brokers: (BrokerStatusRow & { runtime?: Record<string, string> })[];
}

function allBrokers(info: ClusterInfo): BrokerRef[] {
  const out: BrokerRef[] = [];
  for (const b of info.brokers) {
    for (const [id, address] of b.addrs) {
      out.push({
        cluster: b.cluster,
        brokerName: b.brokerName,
        brokerId: id,
        role: id === 0 ? 'MASTER' : 'SLAVE',
        address,
      });
    }
  }
  return out.sort(
    (a, b) =>
      a.cluster.localeCompare(b.cluster) ||
      a.brokerName.localeCompare(b.brokerName) ||
      a.brokerId - b.brokerId,
  );
}

/**
 * One broker by name (its master, else its lowest id) or by address; NotFoundError when the name
 * server does not know it.
 */
export async function resolveBroker(admin: Admin, name: string, info?: ClusterInfo): Promise<BrokerRef> {
  const all = allBrokers(info ?? (await admin.getClusterInfo()));
  const hit = all.find((b) => b.address === name) ?? all.find((b) => b.brokerName === name);
  if (!hit) {
    throw new NotFoundError(`broker "${name}" is not registered with the name server`, {
      hint: `known brokers: ${[...new Set(all.map((b) => b.brokerName))].join(', ') || 'none'} (see \`rmq broker list\`)`,
    });
  }
  return hit;
}

async function withStats(
  ops: Ops,
  b: BrokerRef,
  raw: boolean,
): Promise<BrokerStatusRow & { runtime?: Record<string, string> }> {
  try {
    const { table } = await ops.brokerRuntimeInfo(b.address);
    return { ...b, ...runtimeStats(table), ...(raw ? { runtime: table } : {}) };
  } catch (err) {
    return { ...b, error: (err as Error).message };
  }
}

export async function listBrokers(
  admin: Admin,
  input: { cluster?: string | undefined },
): Promise<BrokerListResult> {
  const info = await admin.getClusterInfo();
  if (input.cluster && !info.clusters.has(input.cluster)) {
    throw new NotFoundError(`cluster "${input.cluster}" is not registered with the name server`, {
      hint: `known clusters: ${[...info.clusters.keys()].join(', ') || 'none'}`,
    });
  }
  const ops = new Ops(admin.client);
  const refs = allBrokers(info).filter((b) => !input.cluster || b.cluster === input.cluster);
  return { brokers: await Promise.all(refs.map((b) => withStats(ops, b, false))) };
}

/** Runtime stats of one broker, or of all; the raw runtime table comes along. */
export async function brokerStatus(
  admin: Admin,
  input: { broker?: string | undefined },
): Promise<BrokerStatusResult> {
  const info = await admin.getClusterInfo();
  const refs = input.broker ? [await resolveBroker(admin, input.broker, info)] : allBrokers(info);
  const ops = new Ops(admin.client);
  const brokers = await Promise.all(refs.map((b) => withStats(ops, b, true)));
  return { brokers };
}

export interface BrokerConfigGetResult {
  broker: BrokerRef;
  /** Keys as the broker lists them (sorted), or only those asked for. */
  config: Record<string, string>;
}

function unknownKeys(config: Map<string, string>, keys: string[]): string[] {
  return keys.filter((k) => !config.has(k));
}

function suggest(config: Map<string, string>, key: string): string {
  const lower = key.toLowerCase();
  const near = [...config.keys()].filter(
    (k) => k.toLowerCase().includes(lower) || lower.includes(k.toLowerCase()),
  );
  return near.length > 0
    ? `did you mean ${near.slice(0, 5).join(', ')}?`
    : 'see `rmq broker config get <broker>` for its keys';
}

export async function getBrokerConfig(
  admin: Admin,
  input: { broker: string; keys: string[] },
): Promise<BrokerConfigGetResult> {
  const broker = await resolveBroker(admin, input.broker);
  const config = await new Ops(admin.client).brokerConfig(broker.address);
  const missing = unknownKeys(config, input.keys);
  if (missing.length > 0) {
    throw new InvalidArgumentError(`broker ${broker.brokerName} has no config key ${missing.join(', ')}`, {
      hint: suggest(config, missing[0]!),
    });
  }
  const keys = input.keys.length > 0 ? input.keys : [...config.keys()].sort();
  return { broker, config: Object.fromEntries(keys.map((k) => [k, config.get(k)!])) };
}

export interface ConfigChange {
  key: string;
  old: string;
  new: string;
  /** Whether the broker acts on the new value without a restart (see broker-config-keys.ts). */
  appliesAtRunTime: boolean;
  /** Where the broker reads the key on each use, for a key applied at run time. */
  readAt?: string;
}

export interface BrokerConfigSetResult {
  broker: BrokerRef;
  /** Keys whose value changes, old → new. */
  changes: ConfigChange[];
  /** Keys given with the value they already have. */
  unchanged: string[];
  /**
   * The file the broker rewrites (brokerConfigPath when set; null: the file it was started with,
   * `-c`, else ~/store/config/broker.properties on its host), and how many keys it writes there.
   */
  configFile: string | null;
  keysWritten: number;
  restartNeeded: boolean;
  dryRun: boolean;
  /** Set once applied: each key's value as the broker reports it afterwards. */
  applied?: { key: string; value: string; ok: boolean }[];
}

/** Parses KEY=VALUE arguments; the last one of a key wins. */
export function parseAssignments(args: string[]): Map<string, string> {
  if (args.length === 0) {
    throw new InvalidArgumentError('nothing to set', {
      hint: 'give KEY=VALUE pairs, e.g. fileReservedTime=48',
    });
  }
  const out = new Map<string, string>();
  for (const a of args) {
    const eq = a.indexOf('=');
    const key = eq > 0 ? a.slice(0, eq) : '';
    if (!isValidConfigKey(key)) {
      throw new InvalidArgumentError(`"${a}" is not KEY=VALUE`, { hint: 'e.g. fileReservedTime=48' });
    }
    out.set(key, a.slice(eq + 1));
  }
  return out;
}

/** The value must keep the type the current one shows: the broker ignores what it cannot parse. */
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

export async function planBrokerConfigSet(
  admin: Admin,
  input: { broker: string; assignments: Map<string, string>; dryRun: boolean | undefined },
): Promise<{ plan: BrokerConfigSetResult; apply: () => Promise<BrokerConfigSetResult> }> {
  const broker = await resolveBroker(admin, input.broker);
  const ops = new Ops(admin.client);
  const config = await ops.brokerConfig(broker.address);
  const changes: ConfigChange[] = [];
  const unchanged: string[] = [];
  // The broker's own list (configBlackList, ";"-separated) adds to the keys every broker refuses.
  const refused = new Set<string>([
    ...BROKER_CONFIG_BLACKLIST,
    ...(config.get('configBlackList') ?? '').split(';'),
  ]);
  for (const [key, value] of input.assignments) {
    if (refused.has(key)) {
      throw new InvalidArgumentError(`the broker refuses to change ${key}`, {
        hint: 'edit its config file and restart it',
      });
    }
    const old = config.get(key);
    if (old === undefined) {
      throw new InvalidArgumentError(`broker ${broker.brokerName} has no config key ${key}`, {
        hint: suggest(config, key),
      });
    }
    checkType(key, old, value);
    if (old === value) {
      unchanged.push(key);
      continue;
    }
    const hot = appliesAtRunTime(key);
    changes.push({
      key,
      old,
      new: value,
      appliesAtRunTime: hot,
      ...(hot ? { readAt: HOT_BROKER_KEYS[key] } : {}),
    });
  }
  const plan: BrokerConfigSetResult = {
    broker,
    changes,
    unchanged,
    configFile: config.get('brokerConfigPath') || null,
    keysWritten: config.size,
    restartNeeded: changes.some((c) => !c.appliesAtRunTime),
    dryRun: input.dryRun === true,
  };
  const apply = async (): Promise<BrokerConfigSetResult> => {
    if (changes.length === 0) return { ...plan, applied: [] };
    await ops.updateBrokerConfig(broker.address, new Map(changes.map((c) => [c.key, c.new])));
    const after = await ops.brokerConfig(broker.address);
    return {
      ...plan,
      applied: changes.map((c) => ({
        key: c.key,
        value: after.get(c.key) ?? '',
        ok: after.get(c.key) === c.new,
      })),
    };
  };
  return { plan, apply };
}

export interface BrokerConfigDiffResult {
  a: BrokerRef;
  b: BrokerRef;
  /** Keys whose values differ; null where a broker does not have the key. */
  differences: { key: string; a: string | null; b: string | null }[];
  /** Keys compared (identity keys, which always differ, are left out unless asked for). */
  compared: number;
  identityKeysIncluded: boolean;
}

export async function diffBrokerConfig(
  admin: Admin,
  input: { a: string; b: string; includeIdentity: boolean },
): Promise<BrokerConfigDiffResult> {
  const info = await admin.getClusterInfo();
  const a = await resolveBroker(admin, input.a, info);
  const b = await resolveBroker(admin, input.b, info);
  const ops = new Ops(admin.client);
  const [ca, cb] = await Promise.all([ops.brokerConfig(a.address), ops.brokerConfig(b.address)]);
  const keys = [...new Set([...ca.keys(), ...cb.keys()])]
    .filter((k) => input.includeIdentity || !IDENTITY_BROKER_KEYS.has(k))
    .sort();
  const differences = keys
    .filter((k) => ca.get(k) !== cb.get(k))
    .map((k) => ({ key: k, a: ca.get(k) ?? null, b: cb.get(k) ?? null }));
  return { a, b, differences, compared: keys.length, identityKeysIncluded: input.includeIdentity };
}
