/**
 * ACL 2.0 users and policies (RocketMQ 5.3+) in the metadata document: read from every master
 * (each keeps its own store), exported, planned and applied. Passwords are never compared (rmq
 * does not read an existing user's): one in the document is used to create the user, and written
 * by an export only with --with-secrets. ACL is never pruned: an extra user or policy is reported,
 * not deleted (a prune could delete the account doing the apply).
 */
import { AclAdmin, AclKindError } from '../../core/client/acl.js';
import type { RemotingClient } from '../../core/client/remoting-client.js';
import { BrokerResponseError, InvalidArgumentError } from '../../core/errors.js';
import { ResponseCode } from '../../core/remoting/codes.js';
import type { AclInfo, PolicyEntry } from '../../core/protocol/acl-policy.js';
import type { AclUser, UserStatus, UserType } from '../../core/protocol/acl-user.js';
import { withSecretMasked } from '../acl-common.js';
import type { AclPolicyEntrySpec, AclSpec, AclUserSpec } from './document.js';
import type { MasterState } from './model.js';
import type { PlanChange, PlanItem } from './plan.js';

export interface AclMasterState {
  master: MasterState;
  users: Map<string, AclUser>;
  /** subject → its custom entries, normalised (entrySpec). */
  policies: Map<string, AclPolicyEntrySpec[]>;
  /** Only when asked for (export --with-secrets). */
  secrets?: Map<string, string> | undefined;
}

/** What the cluster's masters hold, or why ACL is left out (a broker without ACL 2.0). */
export type AclState = { masters: AclMasterState[] } | { unsupported: string };

/** An entry as the document writes it: actions and source IPs sorted, no empty list. */
export function entrySpec(e: PolicyEntry | AclPolicyEntrySpec): AclPolicyEntrySpec {
  const out: AclPolicyEntrySpec = {
    resource: e.resource,
    actions: [...e.actions].sort() as AclPolicyEntrySpec['actions'],
    decision: e.decision as AclPolicyEntrySpec['decision'],
  };
  if (e.sourceIps && e.sourceIps.length > 0) out.sourceIps = [...e.sourceIps].sort();
  return out;
}

const sameEntry = (a: AclPolicyEntrySpec, b: AclPolicyEntrySpec): boolean =>
  JSON.stringify(entrySpec(a)) === JSON.stringify(entrySpec(b));

function customEntries(info: AclInfo): AclPolicyEntrySpec[] {
  return info.policies
    .filter((p) => p.policyType.toLowerCase() === 'custom')
    .flatMap((p) => p.entries.map(entrySpec))
    .sort((a, b) => a.resource.localeCompare(b.resource));
}

export async function readAclState(
  client: RemotingClient,
  masters: MasterState[],
  withSecrets = false,
): Promise<AclState> {
  const acl = new AclAdmin(client);
  try {
    const out = await Promise.all(
      masters.map(async (m): Promise<AclMasterState> => {
        const [users, acls, secrets] = await Promise.all([
          acl.listUsers(m.address),
          acl.listAcls(m.address),
          withSecrets ? acl.userSecrets(m.address) : undefined,
        ]);
        return {
          master: m,
          users: new Map(users.map((u) => [u.username, u])),
          policies: new Map(acls.map((a) => [a.subject, customEntries(a)])),
          secrets,
        };
      }),
    );
    return { masters: out.sort((a, b) => a.master.brokerName.localeCompare(b.master.brokerName)) };
  } catch (err) {
    if (err instanceof AclKindError) {
      return {
        unsupported: `not supported by ${err.address} (${err.message.replace(/^broker \S+ runs /, '')}); plain ACL accounts are not exported`,
      };
    }
    // A 5.3+ broker without authentication has no user store: it answers SYSTEM_ERROR
    // ("The authenticationMetadataProvider is not configured", in its log only).
    if (err instanceof BrokerResponseError && err.responseCode === ResponseCode.SYSTEM_ERROR) {
      return {
        unsupported: `${err.address ?? 'a broker'} has no ACL 2.0 store (authentication is off): nothing to export or compare`,
      };
    }
    throw err;
  }
}

/** The document's acl section from the first master (brokers normally agree; diff shows where not). */
export function exportAcl(state: { masters: AclMasterState[] }): AclSpec {
  const first = state.masters[0];
  if (!first) return {};
  const users: Record<string, AclUserSpec> = {};
  for (const name of [...first.users.keys()].sort()) {
    const u = first.users.get(name)!;
    const spec: AclUserSpec = {};
    if (u.userType === 'Super' || u.userType === 'Normal') spec.type = u.userType;
    const status = u.userStatus.toLowerCase();
    if (status === 'enable' || status === 'disable') spec.status = status;
    const secret = first.secrets?.get(name);
    if (secret !== undefined) spec.password = secret;
    users[name] = spec;
  }
  const policies: Record<string, AclPolicyEntrySpec[]> = {};
  for (const subject of [...first.policies.keys()].sort()) {
    const entries = first.policies.get(subject)!;
    if (entries.length > 0) policies[subject] = entries;
  }
  return { users, policies };
}

/** Per broker, what apply sends. */
export interface AclWork {
  users: { master: MasterState; create: boolean; username: string; spec: AclUserSpec }[];
  policies: {
    master: MasterState;
    subject: string;
    /** Whether the subject has an ACL there already (update rather than create). */
    exists: boolean;
    put: AclPolicyEntrySpec[];
    remove: string[];
  }[];
}

function add(
  items: Map<string, PlanItem>,
  item: Omit<PlanItem, 'brokers' | 'changes'>,
  broker: string,
  changes: Omit<PlanChange, 'brokers'>[],
): void {
  const key = `${item.kind} ${item.name} ${item.action}`;
  let it = items.get(key);
  if (!it) {
    it = { ...item, brokers: [], changes: [] };
    items.set(key, it);
  }
  it.brokers.push(broker);
  for (const c of changes) {
    const hit = it.changes.find(
      (x) =>
        x.field === c.field &&
        JSON.stringify(x.old) === JSON.stringify(c.old) &&
        JSON.stringify(x.new) === JSON.stringify(c.new),
    );
    if (hit) hit.brokers.push(broker);
    else it.changes.push({ ...c, brokers: [broker] });
  }
}

/**
 * The plan for the document's acl section. A user to create without a password in the document
 * is refused here, before anything is sent.
 */
export function planAcl(
  spec: AclSpec,
  state: { masters: AclMasterState[] },
): { items: PlanItem[]; unchanged: number; notes: string[]; work: AclWork } {
  const items = new Map<string, PlanItem>();
  const work: AclWork = { users: [], policies: [] };
  const notes: string[] = [];
  const touched = new Set<string>();
  for (const [name, u] of Object.entries(spec.users ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    for (const m of state.masters) {
      const cur = m.users.get(name);
      if (!cur) {
        if (u.password === undefined) {
          throw new InvalidArgumentError(
            `acl user ${name} does not exist on ${m.master.brokerName} and the document gives no password to create it with`,
            { hint: 'add acl.users.<name>.password (or create the user first with `rmq acl user create`)' },
          );
        }
        const changes = [
          { field: 'type', old: null, new: u.type ?? 'Normal' },
          { field: 'status', old: null, new: u.status ?? 'enable' },
          { field: 'password', old: null, new: '********' },
        ];
        add(items, { kind: 'user', name, action: 'create' }, m.master.brokerName, changes);
        work.users.push({ master: m.master, create: true, username: name, spec: u });
        touched.add(`user ${name}`);
        continue;
      }
      const changes: Omit<PlanChange, 'brokers'>[] = [];
      if (u.type !== undefined && u.type !== cur.userType)
        changes.push({ field: 'type', old: cur.userType, new: u.type });
      if (u.status !== undefined && u.status !== cur.userStatus.toLowerCase())
        changes.push({ field: 'status', old: cur.userStatus, new: u.status });
      if (changes.length > 0) {
        add(items, { kind: 'user', name, action: 'update' }, m.master.brokerName, changes);
        work.users.push({ master: m.master, create: false, username: name, spec: u });
        touched.add(`user ${name}`);
      }
    }
  }
  for (const [subject, entries] of Object.entries(spec.policies ?? {}).sort(([a], [b]) =>
    a.localeCompare(b),
  )) {
    const wanted = entries.map(entrySpec);
    for (const m of state.masters) {
      const have = m.policies.get(subject) ?? [];
      const put = wanted.filter((w) => !have.some((h) => sameEntry(h, w)));
      const remove = have
        .filter((h) => !wanted.some((w) => w.resource === h.resource))
        .map((h) => h.resource);
      if (put.length === 0 && remove.length === 0) continue;
      const changes: Omit<PlanChange, 'brokers'>[] = [
        ...put.map((p) => ({
          field: p.resource,
          old: have.find((h) => h.resource === p.resource) ?? null,
          new: p,
        })),
        ...remove.map((r) => ({ field: r, old: have.find((h) => h.resource === r)!, new: null })),
      ];
      add(
        items,
        { kind: 'policy', name: subject, action: have.length === 0 ? 'create' : 'update' },
        m.master.brokerName,
        changes,
      );
      work.policies.push({ master: m.master, subject, exists: have.length > 0, put, remove });
      touched.add(`policy ${subject}`);
    }
  }
  for (const [kind, want, have] of [
    ['user', spec.users ?? {}, (m: AclMasterState) => [...m.users.keys()]],
    [
      'policy',
      spec.policies ?? {},
      (m: AclMasterState) => [...m.policies.entries()].filter(([, e]) => e.length > 0).map(([s]) => s),
    ],
  ] as const) {
    for (const m of state.masters) {
      for (const name of have(m).sort()) {
        if (!Object.hasOwn(want, name)) add(items, { kind, name, action: 'extra' }, m.master.brokerName, []);
      }
    }
  }
  if ([...items.values()].some((i) => i.action === 'extra'))
    notes.push('ACL users and policies are never pruned: extras are left for `rmq acl user|policy delete`');
  const documented = Object.keys(spec.users ?? {}).length + Object.keys(spec.policies ?? {}).length;
  const users = Object.entries(spec.users ?? {});
  if (users.some(([n, u]) => u.password !== undefined && state.masters.some((m) => m.users.has(n))))
    notes.push("passwords are used to create users only: an existing user's is not compared nor changed");
  return { items: [...items.values()], unchanged: documented - touched.size, notes, work };
}

/** Users first (a policy needs its user), then policies; a failure is reported and the rest go on. */
export async function carryOutAcl(client: RemotingClient, work: AclWork): Promise<string[]> {
  const acl = new AclAdmin(client);
  const errors: string[] = [];
  for (const u of work.users) {
    try {
      const change = {
        username: u.username,
        userType: u.spec.type as UserType | undefined,
        userStatus: u.spec.status as UserStatus | undefined,
      };
      if (u.create) {
        await withSecretMasked(u.spec.password, () =>
          acl.createUser(u.master.address, { ...change, password: u.spec.password }),
        );
      } else await acl.updateUser(u.master.address, change);
    } catch (err) {
      errors.push(
        `${u.create ? 'create' : 'update'} user ${u.username} on ${u.master.brokerName}: ${(err as Error).message}`,
      );
    }
  }
  for (const p of work.policies) {
    try {
      if (p.put.length > 0) {
        await acl.putAcl(
          p.master.address,
          p.subject,
          p.put.map((e) => ({ ...e, sourceIps: e.sourceIps ?? [] })),
          p.exists,
        );
      }
      for (const r of p.remove) await acl.deleteAcl(p.master.address, p.subject, r);
    } catch (err) {
      errors.push(`policy ${p.subject} on ${p.master.brokerName}: ${(err as Error).message}`);
    }
  }
  return errors;
}
