/**
 * The I/O of metadata as code: reading what a cluster's masters hold (ClusterState) and carrying
 * out a plan with the admin calls `topic create/update` and `group create/delete` use. The
 * deciding is in ./plan.ts; this file only reads and sends.
 */
import type { Admin } from '../../core/client/admin.js';
import { Ops } from '../../core/client/ops.js';
import { InvalidArgumentError } from '../../core/errors.js';
import type { SubscriptionGroupConfig, TopicConfig } from '../../core/protocol/admin.js';
import { VERSION_5_0_0 } from '../../core/remoting/command.js';
import { type Include, INCLUDES, type MetadataDocument } from './document.js';
import {
  type ClusterState,
  exportDocument,
  groupConfigFields,
  type MasterState,
  permBits,
  topicAttributes,
} from './model.js';
import { type MetadataPlan, namesOutsidePrefix, type PlannedWork, planMetadata } from './plan.js';
import { type AclWork, carryOutAcl, exportAcl, planAcl, readAclState } from './acl.js';

/** `--include` parts rmq cannot do, and why (none at the moment; acl may be unsupported by a broker). */
export const INCLUDE_SUPPORT: Record<Include, string | null> = {
  topics: null,
  groups: null,
  acl: null,
};

export interface IncludeSkipped {
  include: Include;
  reason: string;
}

export function parseIncludes(list: string[] | undefined): {
  topics: boolean;
  groups: boolean;
  acl: boolean;
  skipped: IncludeSkipped[];
} {
  const wanted = new Set<string>();
  for (const part of (list ?? ['topics', 'groups']).flatMap((s) => s.split(','))) {
    const p = part.trim();
    if (p === '') continue;
    if (!(INCLUDES as readonly string[]).includes(p))
      throw new InvalidArgumentError(`--include: unknown part "${p}"`, {
        hint: `use ${INCLUDES.join(', ')}`,
      });
    wanted.add(p);
  }
  const skipped = [...wanted]
    .filter((p) => INCLUDE_SUPPORT[p as Include] !== null)
    .map((p) => ({ include: p as Include, reason: INCLUDE_SUPPORT[p as Include]! }));
  return { topics: wanted.has('topics'), groups: wanted.has('groups'), acl: wanted.has('acl'), skipped };
}

const versionText = (desc: string | undefined, serverVersion: number): string =>
  desc ? desc.replace(/^V/, '').replaceAll('_', '.') : `remoting version ${serverVersion}`;

export async function readClusterState(admin: Admin, cluster: string | undefined): Promise<ClusterState> {
  const info = await admin.getClusterInfo();
  const masters = await admin.masters({ cluster }, info);
  const topics = new Map<string, Map<string, TopicConfig>>();
  const groups = new Map<string, Map<string, SubscriptionGroupConfig>>();
  const states: MasterState[] = [];
  await Promise.all(
    masters.map(async (m) => {
      const [rt, t, g] = await Promise.all([
        admin.brokerRuntimeInfo(m.address),
        admin.brokerTopicConfigs(m.address),
        admin.brokerGroupConfigs(m.address),
      ]);
      states.push({
        ...m,
        version: versionText(rt.table.brokerVersionDesc, rt.serverVersion),
        v5: rt.serverVersion >= VERSION_5_0_0,
      });
      for (const c of t) {
        if (!topics.has(c.topicName)) topics.set(c.topicName, new Map());
        topics.get(c.topicName)!.set(m.brokerName, c);
      }
      for (const c of g) {
        if (!groups.has(c.groupName)) groups.set(c.groupName, new Map());
        groups.get(c.groupName)!.set(m.brokerName, c);
      }
    }),
  );
  states.sort((a, b) => a.brokerName.localeCompare(b.brokerName));
  const clusters = [...new Set(states.map((m) => m.cluster))];
  return {
    cluster: cluster ?? (clusters.length === 1 ? clusters[0]! : null),
    masters: states,
    topics,
    groups,
    reserved: new Set([...info.clusters.keys(), ...info.brokers.map((b) => b.brokerName)]),
  };
}

export interface ExportInput {
  cluster?: string | undefined;
  include?: string[] | undefined;
  system: boolean;
  prefix?: string | undefined;
  namesrv: string;
  /** Export ACL users' passwords (with --include acl). */
  withSecrets?: boolean | undefined;
}

export async function exportMetadata(
  admin: Admin,
  input: ExportInput,
): Promise<{ document: MetadataDocument; topics: number; groups: number; skipped: IncludeSkipped[] }> {
  const inc = parseIncludes(input.include);
  const state = await readClusterState(admin, input.cluster);
  const document = exportDocument(state, {
    ...inc,
    system: input.system,
    prefix: input.prefix,
    namesrv: input.namesrv,
    exportedAt: new Date().toISOString(),
  });
  const skipped = [...inc.skipped];
  if (inc.acl) {
    const acl = await readAclState(admin.client, state.masters, input.withSecrets === true);
    if ('unsupported' in acl) skipped.push({ include: 'acl', reason: acl.unsupported });
    else document.acl = exportAcl(acl);
  }
  return {
    document,
    topics: Object.keys(document.topics ?? {}).length,
    groups: Object.keys(document.groups ?? {}).length,
    skipped,
  };
}

export interface PlanInput {
  document: MetadataDocument;
  cluster?: string | undefined;
  include?: string[] | undefined;
  system: boolean;
  /** --prefix; else the document's scope.prefix. */
  prefix?: string | undefined;
  prune: boolean;
}

export interface Planned {
  plan: MetadataPlan;
  prefix: string | null;
  skipped: IncludeSkipped[];
  /** Carries the plan out; then reads the cluster again and plans anew: `after` is what is left. */
  apply: () => Promise<{ errors: string[]; after: MetadataPlan }>;
}

export async function planAgainstCluster(admin: Admin, input: PlanInput): Promise<Planned> {
  const inc = parseIncludes(input.include);
  const prefix = input.prefix ?? input.document.scope?.prefix;
  const outside = namesOutsidePrefix(input.document, prefix);
  if (outside.length > 0) {
    throw new InvalidArgumentError(
      `${outside[0]} does not start with the prefix "${prefix}"${outside.length > 1 ? ` (and ${outside.length - 1} more)` : ''}`,
      { hint: 'a scoped document manages only names that start with its prefix' },
    );
  }
  const options = { ...inc, system: input.system, prefix, prune: input.prune };
  const skipped = [...inc.skipped];
  // ACL joins the plan of topics and groups: users and policies after them, never pruned.
  const planAll = async (prune: boolean): Promise<{ work: PlannedWork; acl: AclWork | undefined }> => {
    const state = await readClusterState(admin, input.cluster);
    const work = planMetadata(input.document, state, { ...options, prune });
    if (!inc.acl) return { work, acl: undefined };
    const aclState = await readAclState(admin.client, state.masters);
    if ('unsupported' in aclState) {
      if (!skipped.some((s) => s.include === 'acl'))
        skipped.push({ include: 'acl', reason: aclState.unsupported });
      return { work, acl: undefined };
    }
    const acl = planAcl(input.document.acl ?? {}, aclState);
    const plan = work.plan;
    plan.items.push(...acl.items);
    plan.unchanged += acl.unchanged;
    plan.notes.push(...acl.notes);
    plan.drift = plan.items.length;
    return { work, acl: acl.work };
  };
  const first = await planAll(input.prune);
  return {
    plan: first.work.plan,
    prefix: prefix ?? null,
    skipped,
    apply: async () => {
      const errors = await carryOut(admin, first.work, input.cluster);
      if (first.acl) errors.push(...(await carryOutAcl(admin.client, first.acl)));
      const after = await planAll(false);
      return { errors, after: after.work.plan };
    },
  };
}

/** Sends the plan's changes, item by item; a failed item is reported and the rest go on. */
async function carryOut(admin: Admin, work: PlannedWork, cluster: string | undefined): Promise<string[]> {
  const ops = new Ops(admin.client);
  const errors: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (err) {
      errors.push(`${what}: ${(err as Error).message}`);
    }
  };
  for (const item of work.plan.items) {
    if (item.kind === 'user' || item.kind === 'policy') continue; // carryOutAcl's
    const what = `${item.action} ${item.kind} ${item.name}`;
    if (item.action === 'delete') {
      await attempt(what, () =>
        item.kind === 'topic'
          ? admin.deleteTopic(item.name, { cluster })
          : admin.deleteGroup(item.name, { cluster }),
      );
      continue;
    }
    if (item.action === 'extra') continue;
    if (item.kind === 'topic') {
      const targets = work.topics.get(item.name) ?? [];
      for (const t of targets) {
        const attrs = t.attributes
          ? attributeChanges(t.current ? topicAttributes(t.current) : {}, t.attributes)
          : [];
        if (!t.current) {
          // Create as `topic create` does: the name servers' order config comes with it.
          await attempt(`${what} on ${t.master.brokerName}`, () =>
            admin.createTopic(item.name, {
              broker: t.master.brokerName,
              readQueues: t.desired.readQueues,
              writeQueues: t.desired.writeQueues,
              perm: permBits(t.desired.perm),
              order: t.desired.order,
              attributes: attrs,
            }),
          );
        } else {
          const cur = t.current;
          await attempt(`${what} on ${t.master.brokerName}`, () =>
            ops.updateTopic(t.master.address, {
              topic: item.name,
              readQueues: t.desired.readQueues,
              writeQueues: t.desired.writeQueues,
              perm: permBits(t.desired.perm, cur.perm),
              order: t.desired.order,
              topicSysFlag: cur.topicSysFlag,
              attributes: attrs,
            }),
          );
        }
      }
      // An existing topic made ordered: the name servers learn it as `topic create --order` tells them.
      const ordered = targets.filter((t) => t.current && !t.current.order && t.desired.order);
      if (ordered.length > 0) {
        await attempt(`${what}: order config on the name servers`, () =>
          admin.putOrderConfig(
            item.name,
            targets.map((t) => ({ brokerName: t.master.brokerName, queues: t.desired.writeQueues })),
          ),
        );
      }
    } else {
      for (const g of work.groups.get(item.name) ?? []) {
        await attempt(`${what} on ${g.master.brokerName}`, () =>
          admin.createGroup(item.name, {
            broker: g.master.brokerName,
            // The broker's own fields (unknown to rmq included) stay; the document's replace theirs.
            ...(g.current ?? {}),
            ...groupConfigFields(g.spec, g.master.v5, g.current),
          }),
        );
      }
    }
  }
  return errors;
}

/** "+k=v" for each attribute added or changed, "-k" for each removed. */
export function attributeChanges(current: Record<string, string>, wanted: Record<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(wanted)) if (current[k] !== v) out.push(`+${k}=${v}`);
  for (const k of Object.keys(current)) if (!(k in wanted)) out.push(`-${k}`);
  return out;
}
