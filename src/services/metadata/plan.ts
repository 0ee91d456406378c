/**
 * The plan of `rmq diff` and `rmq apply`: what it takes for the cluster to hold what the document
 * says. Per broker, since each master keeps its own config of a topic or group; changes that are
 * the same on several brokers are shown once with the brokers named. Pure: no I/O, unit-tested.
 *
 * Fields a broker's version does not have (5.x ones on a 4.x broker) are never compared nor
 * sent: each is reported in `unsupported` instead. They are not drift: a document exported from
 * 5.x then applies to 4.9 and diffs clean there.
 */
import type { SubscriptionGroupConfig, TopicConfig } from '../../core/protocol/admin.js';
import {
  GROUP_FIELDS_5X,
  type GroupSpec,
  type MetadataDocument,
  TOPIC_FIELDS_5X,
  type TopicSpec,
} from './document.js';
import {
  type ClusterState,
  groupValues,
  inSelection,
  type MasterState,
  retryPolicyMatches,
  same,
  type Selection,
  topicValues,
} from './model.js';

/** Topic attributes a broker sets at creation only (TopicAttributes: changeable false). */
export const FIXED_ATTRIBUTES = ['queue.type', 'cleanup.policy'] as const;

/** Queue counts of a topic created from a spec that names none (as `rmq topic create`). */
export const DEFAULT_QUEUES = 8;

export interface PlanChange {
  field: string;
  /** null: the broker has no value (the topic or group is not there yet). */
  old: unknown;
  new: unknown;
  /** The brokers where the field changes so. */
  brokers: string[];
}

export type PlanAction = 'create' | 'update' | 'extra' | 'delete';

export interface PlanItem {
  /** user and policy: ACL 2.0 (`--include acl`). */
  kind: 'topic' | 'group' | 'user' | 'policy';
  name: string;
  /**
   * create: on no broker yet; update: fields differ, or brokers lack it; extra: on the cluster,
   * not in the document (left alone without --prune); delete: extra, and --prune deletes it.
   */
  action: PlanAction;
  /** The brokers the action touches. */
  brokers: string[];
  changes: PlanChange[];
}

export interface UnsupportedField {
  kind: 'topic' | 'group';
  name: string;
  field: string;
  value: unknown;
  /** e.g. 4.9.7 */
  version: string;
  brokers: string[];
}

export interface MetadataPlan {
  items: PlanItem[];
  /** Fields in the document that the brokers' version lacks: left out, reported. */
  unsupported: UnsupportedField[];
  /** Things the plan does not do, one line each (a broker the document names that is not a master here, …). */
  notes: string[];
  /** Topics and groups of the document that are as it says. */
  unchanged: number;
  /** create + update + extra/delete: 0 means no drift. */
  drift: number;
}

export interface PlanOptions extends Selection {
  /** Extras become deletes. */
  prune: boolean;
}

/** Per broker: what to send there, for ./cluster.ts to apply. */
export interface BrokerTopicTarget {
  master: MasterState;
  current: TopicConfig | undefined;
  desired: { readQueues: number; writeQueues: number; perm: TopicSpec['perm'] & string; order: boolean };
  /** Set (5.x only): the full attribute set wanted, message.type included. */
  attributes?: Record<string, string> | undefined;
}

export interface BrokerGroupTarget {
  master: MasterState;
  current: SubscriptionGroupConfig | undefined;
  spec: GroupSpec;
}

/** The plan, and per item what apply sends to each broker. */
export interface PlannedWork {
  plan: MetadataPlan;
  topics: Map<string, BrokerTopicTarget[]>;
  groups: Map<string, BrokerGroupTarget[]>;
}

function addChange(changes: PlanChange[], field: string, old: unknown, value: unknown, broker: string): void {
  const hit = changes.find((c) => c.field === field && same(c.old, old) && same(c.new, value));
  if (hit) hit.brokers.push(broker);
  else changes.push({ field, old, new: value, brokers: [broker] });
}

function addUnsupported(
  list: UnsupportedField[],
  u: Omit<UnsupportedField, 'brokers'>,
  broker: string,
): void {
  const hit = list.find(
    (x) => x.kind === u.kind && x.name === u.name && x.field === u.field && x.version === u.version,
  );
  if (hit) hit.brokers.push(broker);
  else list.push({ ...u, brokers: [broker] });
}

/** The brokers a spec puts its topic or group on: named ones that are masters here, else all. */
function targets(
  named: string[] | undefined,
  state: ClusterState,
  what: string,
  notes: string[],
): MasterState[] {
  if (!named) return state.masters;
  const out: MasterState[] = [];
  for (const b of named) {
    const m = state.masters.find((x) => x.brokerName === b);
    if (m) out.push(m);
    else notes.push(`${what}: broker ${b} is not a master of this cluster: left out`);
  }
  return out;
}

function planTopic(
  name: string,
  spec: TopicSpec,
  state: ClusterState,
  plan: MetadataPlan,
): { item: PlanItem | undefined; work: BrokerTopicTarget[] } {
  const current = state.topics.get(name) ?? new Map<string, TopicConfig>();
  const masters = targets(spec.brokers && Object.keys(spec.brokers), state, `topic ${name}`, plan.notes);
  const changes: PlanChange[] = [];
  const work: BrokerTopicTarget[] = [];
  for (const m of masters) {
    const cur = current.get(m.brokerName);
    const have = cur ? topicValues(cur, m.v5) : undefined;
    const place = spec.brokers?.[m.brokerName] ?? {};
    const desired = {
      readQueues: place.readQueues ?? spec.readQueues ?? have?.readQueues ?? DEFAULT_QUEUES,
      writeQueues: place.writeQueues ?? spec.writeQueues ?? have?.writeQueues ?? DEFAULT_QUEUES,
      perm: place.perm ?? spec.perm ?? have?.perm ?? 'rw',
      order: spec.order ?? have?.order ?? false,
    };
    let attributes: Record<string, string> | undefined;
    for (const f of TOPIC_FIELDS_5X) {
      if (spec[f] === undefined || m.v5) continue;
      addUnsupported(
        plan.unsupported,
        { kind: 'topic', name, field: f, value: spec[f], version: m.version },
        m.brokerName,
      );
    }
    if (m.v5 && (spec.messageType !== undefined || spec.attributes !== undefined)) {
      const curAttrs = { ...(have?.attributes ?? {}) };
      if (have?.messageType) curAttrs['message.type'] = have.messageType;
      attributes = { ...(spec.attributes ?? have?.attributes ?? {}) };
      const type = spec.messageType ?? have?.messageType;
      if (type) attributes['message.type'] = type;
      if (spec.messageType !== undefined && have && spec.messageType !== have.messageType)
        addChange(changes, 'messageType', have.messageType ?? null, spec.messageType, m.brokerName);
      if (spec.attributes !== undefined && have && !same(spec.attributes, have.attributes)) {
        addChange(changes, 'attributes', have.attributes, spec.attributes, m.brokerName);
        const fixed = FIXED_ATTRIBUTES.filter(
          (k) => (spec.attributes![k] ?? null) !== (have.attributes?.[k] ?? null),
        );
        const note = `topic ${name}: ${fixed.join(', ')} cannot change once a topic exists: the broker will refuse it`;
        if (fixed.length > 0 && !plan.notes.includes(note)) plan.notes.push(note);
      }
      if (same(attributes, curAttrs)) attributes = undefined;
    }
    if (!have) {
      addChange(changes, 'brokers', null, m.brokerName, m.brokerName);
      work.push({ master: m, current: undefined, desired, attributes });
      continue;
    }
    let changed = attributes !== undefined;
    for (const f of ['readQueues', 'writeQueues', 'perm', 'order'] as const) {
      if (desired[f] !== have[f]) {
        addChange(changes, f, have[f], desired[f], m.brokerName);
        changed = true;
      }
    }
    if (changed) work.push({ master: m, current: cur, desired, attributes });
  }
  const extraOn = [...current.keys()].filter((b) => !masters.some((m) => m.brokerName === b));
  if (spec.brokers && extraOn.length > 0) {
    plan.notes.push(
      `topic ${name} is also on ${extraOn.sort().join(', ')}, which the document does not name: left there`,
    );
  }
  if (work.length === 0) return { item: undefined, work };
  const created = current.size === 0;
  return {
    item: {
      kind: 'topic',
      name,
      action: created ? 'create' : 'update',
      brokers: work.map((w) => w.master.brokerName),
      changes: created ? createdFields(spec, work) : changes,
    },
    work,
  };
}

/** What a create sets, as changes from nothing, for the plan to show. */
function createdFields(spec: TopicSpec, work: BrokerTopicTarget[]): PlanChange[] {
  const changes: PlanChange[] = [];
  for (const w of work) {
    for (const f of ['readQueues', 'writeQueues', 'perm', 'order'] as const) {
      addChange(changes, f, null, w.desired[f], w.master.brokerName);
    }
    if (w.master.v5 && spec.messageType !== undefined)
      addChange(changes, 'messageType', null, spec.messageType, w.master.brokerName);
    if (w.master.v5 && spec.attributes !== undefined && Object.keys(spec.attributes).length > 0)
      addChange(changes, 'attributes', null, spec.attributes, w.master.brokerName);
  }
  return changes;
}

function planGroup(
  name: string,
  spec: GroupSpec,
  state: ClusterState,
  plan: MetadataPlan,
): { item: PlanItem | undefined; work: BrokerGroupTarget[] } {
  const current = state.groups.get(name) ?? new Map<string, SubscriptionGroupConfig>();
  const masters = targets(spec.brokers, state, `group ${name}`, plan.notes);
  const changes: PlanChange[] = [];
  const work: BrokerGroupTarget[] = [];
  const fields = (Object.keys(spec) as (keyof GroupSpec)[]).filter(
    (f): f is Exclude<keyof GroupSpec, 'brokers'> => f !== 'brokers',
  );
  for (const m of masters) {
    const cur = current.get(m.brokerName);
    for (const f of GROUP_FIELDS_5X) {
      if (spec[f] === undefined || m.v5) continue;
      addUnsupported(
        plan.unsupported,
        { kind: 'group', name, field: f, value: spec[f], version: m.version },
        m.brokerName,
      );
    }
    if (!cur) {
      addChange(changes, 'brokers', null, m.brokerName, m.brokerName);
      work.push({ master: m, current: undefined, spec });
      continue;
    }
    const have = groupValues(cur);
    let changed = false;
    for (const f of fields) {
      if (!m.v5 && (GROUP_FIELDS_5X as readonly string[]).includes(f)) continue;
      const equal =
        f === 'retryPolicy'
          ? retryPolicyMatches(have.retryPolicy, spec.retryPolicy!)
          : same(have[f] ?? null, spec[f]);
      if (!equal) {
        addChange(changes, f, have[f] ?? null, spec[f], m.brokerName);
        changed = true;
      }
    }
    if (changed) work.push({ master: m, current: cur, spec });
  }
  const extraOn = [...current.keys()].filter((b) => !masters.some((m) => m.brokerName === b));
  if (spec.brokers && extraOn.length > 0) {
    plan.notes.push(
      `group ${name} is also on ${extraOn.sort().join(', ')}, which the document does not name: left there`,
    );
  }
  if (work.length === 0) return { item: undefined, work };
  const created = current.size === 0;
  const shown = created
    ? fields
        .filter((f) => masters.some((m) => m.v5) || !(GROUP_FIELDS_5X as readonly string[]).includes(f))
        .map((f) => ({ field: f, old: null, new: spec[f], brokers: work.map((w) => w.master.brokerName) }))
    : changes;
  return {
    item: {
      kind: 'group',
      name,
      action: created ? 'create' : 'update',
      brokers: work.map((w) => w.master.brokerName),
      changes: shown,
    },
    work,
  };
}

/**
 * The plan for `doc` against `state`. Names outside the selection (its prefix, topics/groups
 * included, system names) are not looked at, on either side; a document entry outside the
 * prefix is an error the caller reports (see namesOutsidePrefix).
 */
export function planMetadata(doc: MetadataDocument, state: ClusterState, o: PlanOptions): PlannedWork {
  const plan: MetadataPlan = { items: [], unsupported: [], notes: [], unchanged: 0, drift: 0 };
  const topics = new Map<string, BrokerTopicTarget[]>();
  const groups = new Map<string, BrokerGroupTarget[]>();
  if (o.topics) {
    for (const [name, spec] of Object.entries(doc.topics ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
      const { item, work } = planTopic(name, spec, state, plan);
      if (item) {
        plan.items.push(item);
        topics.set(name, work);
      } else plan.unchanged++;
    }
  }
  if (o.groups) {
    for (const [name, spec] of Object.entries(doc.groups ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
      const { item, work } = planGroup(name, spec, state, plan);
      if (item) {
        plan.items.push(item);
        groups.set(name, work);
      } else plan.unchanged++;
    }
  }
  const extras = (
    kind: 'topic' | 'group',
    have: Map<string, Map<string, unknown>>,
    want: Record<string, unknown>,
  ) => {
    for (const name of [...have.keys()].sort()) {
      if (Object.hasOwn(want, name) || !inSelection(kind, name, state, o)) continue;
      plan.items.push({
        kind,
        name,
        action: o.prune ? 'delete' : 'extra',
        brokers: [...have.get(name)!.keys()].sort(),
        changes: [],
      });
    }
  };
  if (o.topics) extras('topic', state.topics, doc.topics ?? {});
  if (o.groups) extras('group', state.groups, doc.groups ?? {});
  plan.drift = plan.items.length;
  return { plan, topics, groups };
}

/** Document entries whose names do not start with the prefix (a scoped plan must not touch them). */
export function namesOutsidePrefix(doc: MetadataDocument, prefix: string | undefined): string[] {
  if (prefix === undefined) return [];
  return [
    ...Object.keys(doc.topics ?? {}).map((n) => `topic ${n}`),
    ...Object.keys(doc.groups ?? {}).map((n) => `group ${n}`),
  ].filter((n) => !n.slice(n.indexOf(' ') + 1).startsWith(prefix));
}
