/**
 * Name-server configuration: read, planned change and diff, against every name server of the
 * connection (`--namesrv a;b` or the profile's). Name servers know nothing of each other, so each
 * is read and changed on its own and reported in its own row. The server side is RocketMQ's
 * Configuration class, as on a broker: the shared part lives in config-plan.ts.
 */
import type { Admin } from '../core/client/admin.js';
import { Ops } from '../core/client/ops.js';
import { RocketMQError } from '../core/errors.js';
import { NAMESRV_CONFIG_BLACKLIST } from '../core/protocol/update-namesrv-config.js';
import {
  type ConfigChange,
  type ConfigDifference,
  diffConfigs,
  planChanges,
  readBack,
  refusedKeys,
  selectKeys,
} from './config-plan.js';

/**
 * Keys a running name server acts on without a restart: where RocketMQ 5.3's namesrv reads them
 * on each use. Every other key is reported as needing a restart (thread pools, ports and the
 * scan interval are read once at startup).
 */
export const HOT_NAMESRV_KEYS: Readonly<Record<string, string>> = {
  orderMessageEnable: 'ClientRequestProcessor#getRouteInfoByTopic, per route request',
  needWaitForService: 'ClientRequestProcessor#getRouteInfoByTopic, per route request',
  waitSecondsForService: 'ClientRequestProcessor#getRouteInfoByTopic, per route request',
  returnOrderTopicConfigToBroker: 'DefaultRequestProcessor#registerBroker, per registration',
  enableAllTopicList: 'DefaultRequestProcessor#getAllTopicListFromNameserver, per request',
  enableTopicList: 'DefaultRequestProcessor, per topic-list request',
  notifyMinBrokerIdChanged: 'RouteInfoManager, per registration',
  deleteTopicWithBrokerRegistration: 'RouteInfoManager#registerBroker, per registration',
  supportActingMaster: 'RouteInfoManager, per route request',
};

/** Keys that differ from one name server to the next by nature: left out of a diff unless asked. */
export const IDENTITY_NAMESRV_KEYS: ReadonlySet<string> = new Set([
  'listenPort',
  'bindAddress',
  'kvConfigPath',
  'configStorePath',
  'rocketmqHome',
  'controllerDLegerSelfId',
  'controllerStorePath',
]);

const LIST_COMMAND = 'rmq namesrv config get';

export interface NamesrvConfigRow {
  address: string;
  /** Keys as the name server lists them (sorted), or only those asked for. */
  config?: Record<string, string>;
  /** Why this name server's config is missing (it did not answer). */
  error?: string;
}

export interface NamesrvConfigGetResult {
  namesrvs: NamesrvConfigRow[];
}

function addressesOf(admin: Admin): string[] {
  return [...admin.namesrv.addresses];
}

/**
 * Each name server's configuration. One that does not answer gets a row with its error (the
 * others are still shown); a key none of them has is bad input.
 */
export async function getNamesrvConfig(
  admin: Admin,
  input: { keys: string[] },
): Promise<NamesrvConfigGetResult> {
  const ops = new Ops(admin.client);
  const read = await Promise.all(
    addressesOf(admin).map(async (address) => {
      try {
        return { address, config: await ops.namesrvConfig(address) };
      } catch (err) {
        if (!(err instanceof RocketMQError)) throw err;
        return { address, error: err };
      }
    }),
  );
  // None answered: that is the command's failure, with the first one's error and exit code.
  if (read.every((r) => r.error)) throw read[0]!.error;
  return {
    namesrvs: read.map((r) =>
      r.config
        ? {
            address: r.address,
            config: selectKeys(r.config, input.keys, {
              who: `name server ${r.address}`,
              listCommand: LIST_COMMAND,
            }),
          }
        : { address: r.address, error: r.error!.message },
    ),
  };
}

export interface NamesrvConfigPlanRow {
  address: string;
  /** Keys whose value changes on this name server, old → new. */
  changes: ConfigChange[];
  /** Keys given with the value they already have here. */
  unchanged: string[];
  /** The file this name server rewrites with all its keys (configStorePath), and how many. */
  configFile: string | null;
  keysWritten: number;
  /** Set once applied: each changed key as the name server reports it afterwards. */
  applied?: { key: string; value: string; ok: boolean }[];
}

export interface NamesrvConfigSetResult {
  namesrvs: NamesrvConfigPlanRow[];
  /** Changes over all name servers. */
  changes: number;
  restartNeeded: boolean;
  dryRun: boolean;
}

/** The plan for every name server (each must answer: the plan shows its current values). */
export async function planNamesrvConfigSet(
  admin: Admin,
  input: { assignments: Map<string, string>; dryRun: boolean | undefined },
): Promise<{ plan: NamesrvConfigSetResult; apply: () => Promise<NamesrvConfigSetResult> }> {
  const ops = new Ops(admin.client);
  const rows = await Promise.all(
    addressesOf(admin).map(async (address): Promise<NamesrvConfigPlanRow> => {
      const config = await ops.namesrvConfig(address);
      const { changes, unchanged } = planChanges(config, input.assignments, {
        who: `name server ${address}`,
        listCommand: LIST_COMMAND,
        refused: refusedKeys(NAMESRV_CONFIG_BLACKLIST, config),
        hotKeys: HOT_NAMESRV_KEYS,
      });
      return {
        address,
        changes,
        unchanged,
        configFile: config.get('configStorePath') || null,
        keysWritten: config.size,
      };
    }),
  );
  const plan: NamesrvConfigSetResult = {
    namesrvs: rows,
    changes: rows.reduce((n, r) => n + r.changes.length, 0),
    restartNeeded: rows.some((r) => r.changes.some((c) => !c.appliesAtRunTime)),
    dryRun: input.dryRun === true,
  };
  const apply = async (): Promise<NamesrvConfigSetResult> => {
    const applied: NamesrvConfigPlanRow[] = [];
    // One after the other: a failure leaves the ones before it changed, and the error says where.
    for (const r of rows) {
      if (r.changes.length === 0) {
        applied.push({ ...r, applied: [] });
        continue;
      }
      await ops.updateNamesrvConfig(r.address, new Map(r.changes.map((c) => [c.key, c.new])));
      applied.push({ ...r, applied: readBack(r.changes, await ops.namesrvConfig(r.address)) });
    }
    return { ...plan, namesrvs: applied };
  };
  return { plan, apply };
}

export interface NamesrvConfigDiffResult {
  a: string;
  b: string;
  differences: ConfigDifference[];
  compared: number;
  identityKeysIncluded: boolean;
}

export async function diffNamesrvConfig(
  admin: Admin,
  input: { a: string; b: string; includeIdentity: boolean },
): Promise<NamesrvConfigDiffResult> {
  const ops = new Ops(admin.client);
  const [ca, cb] = await Promise.all([ops.namesrvConfig(input.a), ops.namesrvConfig(input.b)]);
  const skip = (k: string) => !input.includeIdentity && IDENTITY_NAMESRV_KEYS.has(k);
  return {
    a: input.a,
    b: input.b,
    ...diffConfigs(ca, cb, skip),
    identityKeysIncluded: input.includeIdentity === true,
  };
}
