/**
 * Between the brokers' configs and the document: what a cluster holds (ClusterState, read by
 * ./cluster.ts), the document `rmq export` makes of it, and the values a spec means on one broker.
 * Pure: no I/O, unit-tested.
 */
import { isSystemGroup, isSystemTopic } from '../../core/client/admin.js';
import { Perm, type SubscriptionGroupConfig, type TopicConfig } from '../../core/protocol/admin.js';
import {
  API_VERSION,
  DOCUMENT_KIND,
  type GroupSpec,
  type MetadataDocument,
  type PermText,
  type RetryPolicy,
  type TopicPlacement,
  type TopicSpec,
} from './document.js';

export interface MasterState {
  cluster: string;
  brokerName: string;
  address: string;
  /** e.g. 5.3.3 (from brokerVersionDesc), or the remoting version number when the broker gives none. */
  version: string;
  /** 5.x: has topic attributes, orderly groups and retry policies. */
  v5: boolean;
}

export interface ClusterState {
  cluster: string | null;
  masters: MasterState[];
  /** topic → broker name → its config there */
  topics: Map<string, Map<string, TopicConfig>>;
  groups: Map<string, Map<string, SubscriptionGroupConfig>>;
  /** Cluster and broker names: a topic of each name is the broker's own (system). */
  reserved: Set<string>;
}

/** Which names the document and the plan look at. */
export interface Selection {
  topics: boolean;
  groups: boolean;
  system: boolean;
  prefix?: string | undefined;
}

export function inSelection(
  kind: 'topic' | 'group',
  name: string,
  state: ClusterState,
  sel: Selection,
): boolean {
  if (!(kind === 'topic' ? sel.topics : sel.groups)) return false;
  if (sel.prefix !== undefined && !name.startsWith(sel.prefix)) return false;
  const system = kind === 'topic' ? isSystemTopic(name, state.reserved) : isSystemGroup(name);
  return sel.system || !system;
}

const PERM_BITS: Record<PermText, number> = {
  rw: Perm.READ | Perm.WRITE,
  r: Perm.READ,
  w: Perm.WRITE,
  '-': 0,
};

export function permText(perm: number): PermText {
  const rw = perm & (Perm.READ | Perm.WRITE);
  return (Object.keys(PERM_BITS) as PermText[]).find((k) => PERM_BITS[k] === rw)!;
}

/** The perm bits to send: the R/W bits of the text, the other bits (inherit, priority) kept. */
export function permBits(text: PermText, current = 0): number {
  return (current & ~(Perm.READ | Perm.WRITE)) | PERM_BITS[text];
}

/** A topic's attributes without the "+" some brokers keep in front of the key. */
export function topicAttributes(config: TopicConfig): Record<string, string> {
  return Object.fromEntries(
    Object.entries(config.attributes).map(([k, v]) => [k.startsWith('+') ? k.slice(1) : k, v]),
  );
}

/** The values a topic has on one broker, as the document says them. */
export function topicValues(
  config: TopicConfig,
  v5: boolean,
): Required<Omit<TopicSpec, 'brokers' | 'messageType'>> & Pick<TopicSpec, 'messageType'> {
  const attributes = topicAttributes(config);
  const messageType = attributes['message.type'];
  delete attributes['message.type'];
  const out: ReturnType<typeof topicValues> = {
    readQueues: config.readQueueNums,
    writeQueues: config.writeQueueNums,
    perm: permText(config.perm),
    order: config.order,
    ...(messageType !== undefined ? { messageType } : {}),
    attributes,
  };
  if (!v5) delete (out as Partial<typeof out>).attributes;
  return out;
}

/** The document's group fields, from a broker's SubscriptionGroupConfig; 5.x fields only where it has them. */
export function groupValues(c: SubscriptionGroupConfig): Omit<GroupSpec, 'brokers'> {
  const g: Omit<GroupSpec, 'brokers'> = {
    retryMaxTimes: c.retryMaxTimes,
    retryQueueNums: c.retryQueueNums,
    broadcast: c.consumeBroadcastEnable,
    consumeEnable: c.consumeEnable,
    consumeFromMinEnable: c.consumeFromMinEnable,
    whichBrokerWhenConsumeSlowly: c.whichBrokerWhenConsumeSlowly,
    notifyConsumerIdsChangedEnable: c.notifyConsumerIdsChangedEnable,
    brokerId: c.brokerId,
  };
  // decodeSubscriptionGroups makes consumeMessageOrderly false where the broker sent none (4.x).
  if ('groupRetryPolicy' in c || 'consumeTimeoutMinute' in c) g.orderly = c.consumeMessageOrderly === true;
  if (typeof c.consumeTimeoutMinute === 'number') g.consumeTimeoutMinute = c.consumeTimeoutMinute;
  const rp = retryPolicyOf(c.groupRetryPolicy);
  if (rp) g.retryPolicy = rp;
  return g;
}

function retryPolicyOf(v: unknown): RetryPolicy | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  const nums = (x: unknown): Record<string, number> =>
    x && typeof x === 'object'
      ? Object.fromEntries(Object.entries(x).filter((e): e is [string, number] => typeof e[1] === 'number'))
      : {};
  if (o.type === 'EXPONENTIAL') {
    const e = nums(o.exponentialRetryPolicy);
    const p: RetryPolicy = { type: 'EXPONENTIAL' };
    if (e.initial !== undefined) p.initial = e.initial;
    if (e.max !== undefined) p.max = e.max;
    if (e.multiplier !== undefined) p.multiplier = e.multiplier;
    return p;
  }
  const c = o.customizedRetryPolicy as { next?: unknown } | undefined;
  const next = Array.isArray(c?.next) ? c.next.filter((n): n is number => typeof n === 'number') : undefined;
  return next ? { type: 'CUSTOMIZED', next } : { type: 'CUSTOMIZED' };
}

/**
 * The SubscriptionGroupConfig fields a group spec sets (5.x ones only for a 5.x broker). A retry
 * policy's fields left out keep the broker's (`current`): the broker fills a policy object it gets
 * with its defaults, so sending an empty one would change what the document leaves alone.
 */
export function groupConfigFields(
  g: GroupSpec,
  v5: boolean,
  current?: SubscriptionGroupConfig,
): Partial<SubscriptionGroupConfig> {
  const c: Partial<SubscriptionGroupConfig> = {};
  if (g.retryMaxTimes !== undefined) c.retryMaxTimes = g.retryMaxTimes;
  if (g.retryQueueNums !== undefined) c.retryQueueNums = g.retryQueueNums;
  if (g.broadcast !== undefined) c.consumeBroadcastEnable = g.broadcast;
  if (g.consumeEnable !== undefined) c.consumeEnable = g.consumeEnable;
  if (g.consumeFromMinEnable !== undefined) c.consumeFromMinEnable = g.consumeFromMinEnable;
  if (g.whichBrokerWhenConsumeSlowly !== undefined)
    c.whichBrokerWhenConsumeSlowly = g.whichBrokerWhenConsumeSlowly;
  if (g.notifyConsumerIdsChangedEnable !== undefined)
    c.notifyConsumerIdsChangedEnable = g.notifyConsumerIdsChangedEnable;
  if (g.brokerId !== undefined) c.brokerId = g.brokerId;
  if (!v5) return c;
  if (g.orderly !== undefined) c.consumeMessageOrderly = g.orderly;
  if (g.consumeTimeoutMinute !== undefined) c.consumeTimeoutMinute = g.consumeTimeoutMinute;
  if (g.retryPolicy !== undefined) {
    const { type, ...rest } = g.retryPolicy;
    const key = type === 'EXPONENTIAL' ? 'exponentialRetryPolicy' : 'customizedRetryPolicy';
    const cur = current?.groupRetryPolicy as Record<string, unknown> | undefined;
    const kept = cur?.type === type && cur[key] && typeof cur[key] === 'object' ? (cur[key] as object) : {};
    const merged = { ...kept, ...rest };
    c.groupRetryPolicy = Object.keys(merged).length > 0 ? { type, [key]: merged } : { type };
  }
  return c;
}

/** Whether a broker's retry policy is as a spec's: its type, and the fields the spec names. */
export function retryPolicyMatches(have: RetryPolicy | undefined, want: RetryPolicy): boolean {
  if (!have || have.type !== want.type) return false;
  return Object.entries(want).every(([k, v]) => same((have as unknown as Record<string, unknown>)[k], v));
}

export const same = (a: unknown, b: unknown): boolean =>
  JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  return v;
}

export interface ExportOptions extends Selection {
  namesrv: string;
  exportedAt: string;
}

/** The document of what the cluster holds, for the selected names. */
export function exportDocument(state: ClusterState, o: ExportOptions): MetadataDocument {
  const versions = [...new Set(state.masters.map((m) => m.version))].sort();
  const doc: MetadataDocument = {
    apiVersion: API_VERSION,
    kind: DOCUMENT_KIND,
    metadata: {
      source: { cluster: state.cluster, namesrv: o.namesrv, brokerVersion: versions.join(', ') || null },
      exportedAt: o.exportedAt,
    },
  };
  if (o.prefix !== undefined) doc.scope = { prefix: o.prefix };
  const masterNames = state.masters.map((m) => m.brokerName).sort();
  const v5 = (broker: string) => state.masters.find((m) => m.brokerName === broker)?.v5 ?? false;
  if (o.topics) {
    doc.topics = {};
    for (const name of [...state.topics.keys()].sort()) {
      if (!inSelection('topic', name, state, o)) continue;
      const byBroker = [...state.topics.get(name)!.entries()].sort(([a], [b]) => a.localeCompare(b));
      const values = byBroker.map(([b, c]) => [b, topicValues(c, v5(b))] as const);
      const [, first] = values[0]!;
      const spec: TopicSpec = { ...first };
      // No attributes but the message type: left out (unmanaged) rather than written as {}.
      if (spec.attributes && Object.keys(spec.attributes).length === 0) delete spec.attributes;
      const everywhere = same(
        byBroker.map(([b]) => b),
        masterNames,
      );
      const alike = values.every(
        ([, v]) =>
          v.readQueues === first.readQueues && v.writeQueues === first.writeQueues && v.perm === first.perm,
      );
      if (!everywhere || !alike) {
        spec.brokers = Object.fromEntries(
          values.map(([b, v]) => {
            const p: TopicPlacement = {};
            if (v.readQueues !== first.readQueues) p.readQueues = v.readQueues;
            if (v.writeQueues !== first.writeQueues) p.writeQueues = v.writeQueues;
            if (v.perm !== first.perm) p.perm = v.perm;
            return [b, p];
          }),
        );
      }
      doc.topics[name] = spec;
    }
  }
  if (o.groups) {
    doc.groups = {};
    for (const name of [...state.groups.keys()].sort()) {
      if (!inSelection('group', name, state, o)) continue;
      const byBroker = [...state.groups.get(name)!.entries()].sort(([a], [b]) => a.localeCompare(b));
      const spec: GroupSpec = groupValues(byBroker[0]![1]);
      const brokers = byBroker.map(([b]) => b);
      if (!same(brokers, masterNames)) spec.brokers = brokers;
      doc.groups[name] = spec;
    }
  }
  return doc;
}
