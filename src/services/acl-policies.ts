/**
 * `rmq acl policy …`: ACL 2.0 policies (RocketMQ 5.3+) of a subject, on every selected master,
 * planned first: per broker and resource, the entry before → after. The broker merges by resource
 * (an entry replaces the subject's entry for the same resource), so `create` refuses a resource
 * the subject has an entry for, and `update` one it has none for: the plan says which is which.
 */
import type { Admin } from '../core/client/admin.js';
import type { AclAdmin } from '../core/client/acl.js';
import { InvalidArgumentError, NotFoundError } from '../core/errors.js';
import {
  type AclInfo,
  type AclPolicy,
  type Action,
  type Decision,
  type PolicyEntry,
  parseResource,
  parseSubject,
} from '../core/protocol/acl-policy.js';
import { type AclBroker, aclContext, type AclTarget, brokerOf, type Planned } from './acl-common.js';

export interface AclPolicyListResult {
  acls: (AclBroker & AclInfo)[];
}

export interface AclPolicyGetResult {
  subject: string;
  /** The subject's policies on each selected broker; empty where it has none. */
  brokers: (AclBroker & { policies: AclPolicy[] })[];
}

/** One entry's settings, without its resource. */
export type EntrySettings = Omit<PolicyEntry, 'resource'>;

export interface AclPolicyEntryChange extends AclBroker {
  resource: string;
  old: EntrySettings | null;
  new: EntrySettings | null;
  action: 'add' | 'update' | 'delete' | 'unchanged';
  /** After applying: whether the broker reads back as planned. */
  applied?: boolean;
}

export interface AclPolicyChangeResult {
  action: 'create' | 'update' | 'delete';
  subject: string;
  dryRun: boolean;
  entries: AclPolicyEntryChange[];
  /** Entries that change. */
  changes: number;
}

export interface AclPolicyChangeInput extends AclTarget {
  subject: string;
  /** create/update: at least one; delete: none means the subject's whole ACL. */
  resources: string[];
  actions?: Action[] | undefined;
  decision?: Decision | undefined;
  sourceIps?: string[] | undefined;
  dryRun: boolean;
}

export async function listAclPolicies(
  admin: Admin,
  input: AclTarget & { subject?: string | undefined; resource?: string | undefined },
): Promise<AclPolicyListResult> {
  const { acl, masters } = await aclContext(admin, input);
  const acls: AclPolicyListResult['acls'] = [];
  for (const m of masters) {
    for (const a of await acl.listAcls(m.address, input.subject, input.resource))
      acls.push({ ...brokerOf(m), ...a });
  }
  return { acls };
}

/** The subject's user must exist: the broker answers an unknown one with a permission error. */
async function requireUser(
  acl: AclAdmin,
  brokers: (AclBroker & { address: string })[],
  subject: string,
): Promise<void> {
  const username = subject.slice('User:'.length);
  for (const b of brokers) {
    if (!(await acl.getUser(b.address, username))) {
      throw new NotFoundError(`user ${username} does not exist on ${b.brokerName}`, {
        hint: 'create it with `rmq acl user create`, or see `rmq acl user list`',
      });
    }
  }
}

export async function getAclPolicy(
  admin: Admin,
  input: AclTarget & { subject: string },
): Promise<AclPolicyGetResult> {
  const subject = parseSubject(input.subject);
  const { acl, masters } = await aclContext(admin, input);
  await requireUser(acl, masters, subject);
  const brokers: AclPolicyGetResult['brokers'] = [];
  for (const m of masters)
    brokers.push({ ...brokerOf(m), policies: (await acl.getAcl(m.address, subject))?.policies ?? [] });
  return { subject, brokers };
}

const customEntries = (a: AclInfo | undefined): PolicyEntry[] =>
  (a?.policies ?? []).filter((p) => p.policyType.toLowerCase() === 'custom').flatMap((p) => p.entries);
const allEntries = (a: AclInfo | undefined): PolicyEntry[] => (a?.policies ?? []).flatMap((p) => p.entries);
const settings = (e: PolicyEntry): EntrySettings => ({
  actions: e.actions,
  sourceIps: e.sourceIps,
  decision: e.decision,
});
const norm = (xs: readonly string[]) =>
  [...xs]
    .map((x) => x.toLowerCase())
    .sort()
    .join(',');
const sameSettings = (a: EntrySettings | null, b: EntrySettings | null): boolean =>
  a === null || b === null
    ? a === b
    : norm(a.actions) === norm(b.actions) &&
      norm(a.sourceIps) === norm(b.sourceIps) &&
      a.decision.toLowerCase() === b.decision.toLowerCase();

export async function planAclPolicyChange(
  admin: Admin,
  action: AclPolicyChangeResult['action'],
  input: AclPolicyChangeInput,
): Promise<Planned<AclPolicyChangeResult>> {
  const subject = parseSubject(input.subject);
  const resources = [...new Set(input.resources.map(parseResource))];
  if (action !== 'delete' && resources.length === 0) throw new InvalidArgumentError('no resource given');
  if (action === 'create' && !input.actions)
    throw new InvalidArgumentError('a new policy entry needs --actions');
  if (action === 'update' && !input.actions && !input.decision && !input.sourceIps) {
    throw new InvalidArgumentError('nothing to update', {
      hint: 'give --actions, --decision or --source-ip',
    });
  }
  const { acl, masters } = await aclContext(admin, input);
  await requireUser(acl, masters, subject);
  const entries: AclPolicyEntryChange[] = [];
  for (const m of masters) {
    const current = await acl.getAcl(m.address, subject);
    const mine = action === 'delete' ? allEntries(current) : customEntries(current);
    const wanted =
      action === 'delete' && resources.length === 0 ? [...new Set(mine.map((e) => e.resource))] : resources;
    for (const resource of wanted) {
      const found = mine.find((e) => e.resource === resource);
      const old = found ? settings(found) : null;
      if (action === 'create' && old) {
        throw new InvalidArgumentError(`${subject} has an entry for ${resource} on ${m.brokerName} already`, {
          hint: 'change it with `rmq acl policy update`',
        });
      }
      if (action !== 'create' && !old) {
        throw new NotFoundError(`${subject} has no entry for ${resource} on ${m.brokerName}`, {
          hint: `see \`rmq acl policy get ${subject}\``,
        });
      }
      const next: EntrySettings | null =
        action === 'delete'
          ? null
          : {
              actions: input.actions ?? old?.actions ?? [],
              sourceIps: input.sourceIps ?? old?.sourceIps ?? [],
              decision: input.decision ?? old?.decision ?? 'Allow',
            };
      const act = action === 'create' ? 'add' : sameSettings(old, next) ? 'unchanged' : action;
      entries.push({ ...brokerOf(m), resource, old, new: next, action: act });
    }
  }
  if (action === 'delete' && entries.length === 0) {
    throw new NotFoundError(`${subject} has no ACL on ${masters.map((m) => m.brokerName).join(', ')}`);
  }
  const plan: AclPolicyChangeResult = {
    action,
    subject,
    dryRun: input.dryRun,
    entries,
    changes: entries.filter((e) => e.action !== 'unchanged').length,
  };
  const apply = async (): Promise<AclPolicyChangeResult> => {
    const byBroker = new Map<string, AclPolicyEntryChange[]>();
    for (const e of plan.entries)
      if (e.action !== 'unchanged') byBroker.set(e.address, [...(byBroker.get(e.address) ?? []), e]);
    for (const [address, es] of byBroker) {
      if (action === 'delete') {
        if (resources.length === 0) await acl.deleteAcl(address, subject, undefined);
        else for (const e of es) await acl.deleteAcl(address, subject, e.resource);
      } else {
        await acl.putAcl(
          address,
          subject,
          es.map((e) => ({ resource: e.resource, ...e.new! })),
          action === 'update',
        );
      }
    }
    const after = new Map<string, PolicyEntry[]>();
    for (const address of byBroker.keys()) after.set(address, allEntries(await acl.getAcl(address, subject)));
    return {
      ...plan,
      entries: plan.entries.map((e) => {
        if (e.action === 'unchanged') return e;
        const now = after.get(e.address)?.find((x) => x.resource === e.resource);
        return { ...e, applied: sameSettings(now ? settings(now) : null, e.new) };
      }),
    };
  };
  return { plan, apply };
}
