/**
 * `rmq acl account …` and `rmq acl whitelist …`: plain ACL (RocketMQ 4.x) on every selected
 * master, planned first. Each broker keeps its accounts in its own plain_acl.yml. An update sends
 * the whole account (the broker's memory takes it as sent, see plain-acl.ts): the fields not
 * given are the stored ones, the secret too, which is read from the broker and sent back, never
 * shown. Results carry no secret.
 */
import type { Admin } from '../core/client/admin.js';
import { InvalidArgumentError, NotFoundError } from '../core/errors.js';
import { type PlainAccount, validateAccessKey } from '../core/protocol/plain-acl.js';
import {
  type AclBroker,
  aclContext,
  type AclTarget,
  brokerOf,
  type Planned,
  withSecretMasked,
} from './acl-common.js';

export interface AclAccountListResult {
  /** One row per account per broker, without secrets. */
  accounts: (AclBroker & PlainAccount)[];
  /** Each broker's global white list. */
  whitelists: (AclBroker & { addresses: string[] })[];
}

export interface AclAccountChangeBroker extends AclBroker {
  /** null: the broker has no such account (before, or after a delete). */
  old: PlainAccount | null;
  new: PlainAccount | null;
  action: 'create' | 'update' | 'delete' | 'unchanged';
  applied?: boolean;
}

export interface AclAccountChangeResult {
  action: 'create' | 'update' | 'delete';
  accessKey: string;
  /** Whether the change sets a new secret (never the secret itself). */
  setsSecret: boolean;
  dryRun: boolean;
  brokers: AclAccountChangeBroker[];
  changes: number;
}

/** What an account create or update asks for; absent fields keep the stored value (update). */
export interface AclAccountInput extends AclTarget {
  accessKey: string;
  secretKey?: string | undefined;
  whiteRemoteAddress?: string | undefined;
  admin?: boolean | undefined;
  defaultTopicPerm?: string | undefined;
  defaultGroupPerm?: string | undefined;
  /** "name=PERM": replaces the stored entry of that name, adds others. */
  topicPerms?: string[] | undefined;
  groupPerms?: string[] | undefined;
  dryRun: boolean;
}

export interface AclWhitelistResult {
  brokers: (AclBroker & { addresses: string[] })[];
}

export interface AclWhitelistSetResult {
  dryRun: boolean;
  brokers: (AclBroker & { old: string[]; new: string[]; changed: boolean; applied?: boolean })[];
  changes: number;
}

export async function listAclAccounts(admin: Admin, input: AclTarget): Promise<AclAccountListResult> {
  const { acl, masters } = await aclContext(admin, input);
  const out: AclAccountListResult = { accounts: [], whitelists: [] };
  for (const m of masters) {
    const c = await acl.plainAclConfig(m.address);
    for (const a of c.accounts) out.accounts.push({ ...brokerOf(m), ...a });
    out.whitelists.push({ ...brokerOf(m), addresses: c.globalWhiteAddrs });
  }
  return out;
}

/** name=PERM entries merged by name: a new one replaces the stored one of the same name. */
function mergePerms(old: readonly string[], changes: readonly string[] | undefined): string[] {
  if (!changes) return [...old];
  const byName = new Map(old.map((p) => [p.slice(0, p.indexOf('=')), p]));
  for (const p of changes) byName.set(p.slice(0, p.indexOf('=')), p);
  return [...byName.values()];
}

const sameAccount = (a: PlainAccount | null, b: PlainAccount | null): boolean =>
  JSON.stringify(a) === JSON.stringify(b);

export async function planAclAccountChange(
  admin: Admin,
  action: AclAccountChangeResult['action'],
  input: AclAccountInput,
): Promise<Planned<AclAccountChangeResult>> {
  validateAccessKey(input.accessKey);
  if (input.secretKey !== undefined) validateAccessKey(input.secretKey, 'secret key');
  if (action === 'create' && input.secretKey === undefined)
    throw new InvalidArgumentError('a new account needs a secret key');
  const { acl, masters } = await aclContext(admin, input);
  const brokers: AclAccountChangeBroker[] = [];
  const secrets = new Map<string, string>();
  for (const m of masters) {
    const config = await acl.plainAclConfig(m.address);
    const old = config.accounts.find((a) => a.accessKey === input.accessKey) ?? null;
    if (action === 'create' && old) {
      throw new InvalidArgumentError(`account ${input.accessKey} exists already on ${m.brokerName}`, {
        hint: 'change it with `rmq acl account update`',
      });
    }
    if (action !== 'create' && !old) {
      throw new NotFoundError(`account ${input.accessKey} does not exist on ${m.brokerName}`, {
        hint: 'see `rmq acl account list`',
      });
    }
    const secret = input.secretKey ?? config.secretOf(input.accessKey);
    if (action !== 'delete' && !secret) {
      throw new InvalidArgumentError(
        `the broker ${m.brokerName} reports no secret for ${input.accessKey}: give one`,
      );
    }
    if (secret) secrets.set(m.address, secret);
    const next: PlainAccount | null =
      action === 'delete'
        ? null
        : {
            accessKey: input.accessKey,
            whiteRemoteAddress: input.whiteRemoteAddress ?? old?.whiteRemoteAddress ?? '',
            admin: input.admin ?? old?.admin ?? false,
            defaultTopicPerm: input.defaultTopicPerm ?? old?.defaultTopicPerm ?? 'DENY',
            defaultGroupPerm: input.defaultGroupPerm ?? old?.defaultGroupPerm ?? 'DENY',
            topicPerms: mergePerms(old?.topicPerms ?? [], input.topicPerms),
            groupPerms: mergePerms(old?.groupPerms ?? [], input.groupPerms),
          };
    const unchanged = action === 'update' && input.secretKey === undefined && sameAccount(old, next);
    brokers.push({ ...brokerOf(m), old, new: next, action: unchanged ? 'unchanged' : action });
  }
  const plan: AclAccountChangeResult = {
    action,
    accessKey: input.accessKey,
    setsSecret: input.secretKey !== undefined,
    dryRun: input.dryRun,
    brokers,
    changes: brokers.filter((b) => b.action !== 'unchanged').length,
  };
  const apply = async (): Promise<AclAccountChangeResult> => {
    const done: AclAccountChangeBroker[] = [];
    for (const b of plan.brokers) {
      if (b.action === 'unchanged') {
        done.push(b);
        continue;
      }
      const secretKey = secrets.get(b.address) ?? '';
      await withSecretMasked(secretKey, async () => {
        if (b.action === 'delete') await acl.deleteAccount(b.address, input.accessKey);
        else await acl.putAccount(b.address, { ...b.new!, secretKey });
      });
      const after =
        (await acl.plainAclConfig(b.address)).accounts.find((a) => a.accessKey === input.accessKey) ?? null;
      done.push({ ...b, applied: sameAccount(after, b.new) });
    }
    return { ...plan, brokers: done };
  };
  return { plan, apply };
}

export async function getAclWhitelist(admin: Admin, input: AclTarget): Promise<AclWhitelistResult> {
  const { acl, masters } = await aclContext(admin, input);
  const brokers: AclWhitelistResult['brokers'] = [];
  for (const m of masters)
    brokers.push({ ...brokerOf(m), addresses: (await acl.plainAclConfig(m.address)).globalWhiteAddrs });
  return { brokers };
}

export async function planAclWhitelist(
  admin: Admin,
  input: AclTarget & { addresses: string[]; dryRun: boolean },
): Promise<Planned<AclWhitelistSetResult>> {
  const wanted = [...new Set(input.addresses)];
  const { acl, masters } = await aclContext(admin, input);
  const brokers: AclWhitelistSetResult['brokers'] = [];
  for (const m of masters) {
    const old = (await acl.plainAclConfig(m.address)).globalWhiteAddrs;
    brokers.push({ ...brokerOf(m), old, new: wanted, changed: old.join(',') !== wanted.join(',') });
  }
  const plan: AclWhitelistSetResult = {
    dryRun: input.dryRun,
    brokers,
    changes: brokers.filter((b) => b.changed).length,
  };
  const apply = async (): Promise<AclWhitelistSetResult> => {
    const done: AclWhitelistSetResult['brokers'] = [];
    for (const b of plan.brokers) {
      if (!b.changed) {
        done.push(b);
        continue;
      }
      await acl.setWhiteAddrs(b.address, wanted);
      const now = (await acl.plainAclConfig(b.address)).globalWhiteAddrs;
      done.push({ ...b, applied: now.join(',') === wanted.join(',') });
    }
    return { ...plan, brokers: done };
  };
  return { plan, apply };
}
