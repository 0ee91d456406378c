/**
 * Broker operations: runtime stats, configuration read, planned change and diff.
 */
import type { Admin } from '../core/client/admin.js';
import { Ops } from '../core/client/ops.js';
import { InvalidArgumentError, NotFoundError, ProtocolError } from '../core/errors.js';
import { brokerDefaults } from '../local/defaults.js';
import type { ProgressFn } from '../local/resolve.js';
import { type BrokerRuntimeStats, runtimeStats } from '../core/protocol/broker-runtime-info.js';
import { BROKER_CONFIG_BLACKLIST } from '../core/protocol/update-broker-config.js';
import type { ClusterInfo } from '../core/protocol/route.js';
import { HOT_BROKER_KEYS, IDENTITY_BROKER_KEYS } from './broker-config-keys.js';
import {
  type ConfigChange,
  type ConfigDifference,
  diffConfigs,
  planChanges,
  readBack,
  refusedKeys,
  selectKeys,
} from './config-plan.js';

export type { ConfigChange } from './config-plan.js';
export { parseAssignments } from './config-plan.js';

export interface BrokerRef {
  cluster: string;
  brokerName: string;
  brokerId: number;
  role: 'MASTER' | 'SLAVE';
  /** As the broker advertises it. */
  address: string;
  /** Where rmq dials it, when the broker address map sends it elsewhere. */
  mappedAddress?: string;
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

function allBrokers(info: ClusterInfo, dial: (address: string) => string): BrokerRef[] {
  const out: BrokerRef[] = [];
  for (const b of info.brokers) {
    for (const [id, address] of b.addrs) {
      const dialled = dial(address);
      out.push({
        cluster: b.cluster,
        brokerName: b.brokerName,
        brokerId: id,
        role: id === 0 ? 'MASTER' : 'SLAVE',
        address,
        ...(dialled === address ? {} : { mappedAddress: dialled }),
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

const dialOf =
  (admin: Admin) =>
  (address: string): string =>
    admin.client.dialAddress(address);

/**
 * One broker by name (its master, else its lowest id) or by address; NotFoundError when the name
 * server does not know it.
 */
export async function resolveBroker(admin: Admin, name: string, info?: ClusterInfo): Promise<BrokerRef> {
  const all = allBrokers(info ?? (await admin.getClusterInfo()), dialOf(admin));
  const hit =
    all.find((b) => b.address === name) ??
    all.find((b) => b.mappedAddress === name) ??
    all.find((b) => b.brokerName === name);
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
  const refs = allBrokers(info, dialOf(admin)).filter((b) => !input.cluster || b.cluster === input.cluster);
  return { brokers: await Promise.all(refs.map((b) => withStats(ops, b, false))) };
}

/** Runtime stats of one broker, or of all; the raw runtime table comes along. */
export async function brokerStatus(
  admin: Admin,
  input: { broker?: string | undefined },
): Promise<BrokerStatusResult> {
  const info = await admin.getClusterInfo();
  const refs = input.broker
    ? [await resolveBroker(admin, input.broker, info)]
    : allBrokers(info, dialOf(admin));
  const ops = new Ops(admin.client);
  const brokers = await Promise.all(refs.map((b) => withStats(ops, b, true)));
  return { brokers };
}

export interface BrokerConfigGetResult {
  broker: BrokerRef;
  /** Keys as the broker lists them (sorted), or only those asked for. */
  config: Record<string, string>;
}

const LIST_COMMAND = 'rmq broker config get <broker>';

export async function getBrokerConfig(
  admin: Admin,
  input: { broker: string; keys: string[] },
): Promise<BrokerConfigGetResult> {
  const broker = await resolveBroker(admin, input.broker);
  const config = await new Ops(admin.client).brokerConfig(broker.address);
  const who = `broker ${broker.brokerName}`;
  return { broker, config: selectKeys(config, input.keys, { who, listCommand: LIST_COMMAND }) };
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

export async function planBrokerConfigSet(
  admin: Admin,
  input: { broker: string; assignments: Map<string, string>; dryRun: boolean | undefined },
): Promise<{ plan: BrokerConfigSetResult; apply: () => Promise<BrokerConfigSetResult> }> {
  const broker = await resolveBroker(admin, input.broker);
  const ops = new Ops(admin.client);
  const config = await ops.brokerConfig(broker.address);
  const { changes, unchanged } = planChanges(config, input.assignments, {
    who: `broker ${broker.brokerName}`,
    listCommand: LIST_COMMAND,
    refused: refusedKeys(BROKER_CONFIG_BLACKLIST, config),
    hotKeys: HOT_BROKER_KEYS,
  });
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
    return { ...plan, applied: readBack(changes, await ops.brokerConfig(broker.address)) };
  };
  return { plan, apply };
}

export interface BrokerConfigDiffResult {
  a: BrokerRef;
  /** The second broker; null when the first is compared with its version's defaults. */
  b: BrokerRef | null;
  /**
   * With --defaults: whose defaults; the keys left out because their default depends on the
   * machine; and the broker's keys that the version prints no default for (BrokerStartup -p lists
   * the config classes' own fields, not inherited ones such as brokerClusterName, and a broker also
   * reports keys found only in its config file).
   */
  defaults?: { version: string; source: string; machineDependent: string[]; noDefault: string[] };
  /** Keys whose values differ; null where a side does not have the key. */
  differences: ConfigDifference[];
  /** Keys compared (identity keys, which always differ, are left out unless asked for). */
  compared: number;
  identityKeysIncluded: boolean;
}

/** "V5_3_3" (brokerVersionDesc) → "5.3.3". */
export function versionOfDesc(desc: string | undefined): string | undefined {
  const m = /^V(\d+)_(\d+)_(\d+)/.exec(desc ?? '');
  return m ? `${m[1]}.${m[2]}.${m[3]}` : undefined;
}

export async function diffBrokerConfig(
  admin: Admin,
  input: {
    a: string;
    b?: string | undefined;
    includeIdentity: boolean;
    /** Compare `a` with its version's defaults instead of with `b`. */
    defaults?: { cacheRoot: string; onProgress?: ProgressFn } | undefined;
  },
): Promise<BrokerConfigDiffResult> {
  const info = await admin.getClusterInfo();
  const a = await resolveBroker(admin, input.a, info);
  const ops = new Ops(admin.client);
  const skipIdentity = (k: string) => !input.includeIdentity && IDENTITY_BROKER_KEYS.has(k);
  if (input.defaults) {
    const [ca, { table }] = await Promise.all([
      ops.brokerConfig(a.address),
      ops.brokerRuntimeInfo(a.address),
    ]);
    const version = versionOfDesc(table.brokerVersionDesc);
    if (!version) {
      throw new ProtocolError(
        `broker ${a.brokerName} reports no version rmq can read ("${table.brokerVersionDesc ?? ''}")`,
      );
    }
    const d = await brokerDefaults(version, input.defaults);
    const machine = new Set(d.machineDependent);
    const noDefault = [...ca.keys()]
      .filter((k) => !d.defaults.has(k) && !machine.has(k) && !skipIdentity(k))
      .sort();
    const unprinted = new Set(noDefault);
    // -p prints a null field as "", where the broker's own listing leaves the key out: the same.
    const unset = (k: string) => !ca.has(k) && d.defaults.get(k) === '';
    const r = diffConfigs(
      ca,
      d.defaults,
      (k) => skipIdentity(k) || machine.has(k) || unprinted.has(k) || unset(k),
    );
    return {
      a,
      b: null,
      defaults: {
        version: d.version,
        source: 'BrokerStartup -p',
        machineDependent: d.machineDependent,
        noDefault,
      },
      ...r,
      identityKeysIncluded: input.includeIdentity === true,
    };
  }
  if (!input.b) throw new InvalidArgumentError('name a second broker, or pass --defaults');
  const b = await resolveBroker(admin, input.b, info);
  const [ca, cb] = await Promise.all([ops.brokerConfig(a.address), ops.brokerConfig(b.address)]);
  return { a, b, ...diffConfigs(ca, cb, skipIdentity), identityKeysIncluded: input.includeIdentity === true };
}
