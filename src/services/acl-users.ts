/**
 * `rmq acl user …`: ACL 2.0 users (RocketMQ 5.3+) on every selected master, planned first. Each
 * broker keeps its own users, so the plan is per broker; a change is read back after it is made.
 * Passwords go to the broker and nowhere else: results say whether one is set, never what it is.
 */
import type { Admin } from '../core/client/admin.js';
import { InvalidArgumentError, NotFoundError } from '../core/errors.js';
import type { AclUser, UserStatus, UserType } from '../core/protocol/acl-user.js';
import {
  type AclBroker,
  aclContext,
  type AclTarget,
  brokerOf,
  type Planned,
  validatePassword,
  validateUsername,
  withSecretMasked,
} from './acl-common.js';

export interface AclUserListResult {
  /** One row per user per broker. */
  users: (AclBroker & AclUser)[];
}

export interface AclUserGetResult {
  username: string;
  /** The user on each selected broker; null where that broker does not have it. */
  brokers: (AclBroker & { user: AclUser | null })[];
}

export interface Change<T> {
  old: T;
  new: T;
}

export interface AclUserChangeBroker extends AclBroker {
  /** null: the broker has no such user (before, or after a delete). */
  userType: Change<string | null>;
  userStatus: Change<string | null>;
  action: 'create' | 'update' | 'delete' | 'unchanged';
  /** After applying: whether the broker reads back as planned. */
  applied?: boolean;
}

export interface AclUserChangeResult {
  action: 'create' | 'update' | 'delete';
  username: string;
  /** Whether the change sets a password (never the password itself). */
  setsPassword: boolean;
  dryRun: boolean;
  brokers: AclUserChangeBroker[];
  /** Brokers that change. */
  changes: number;
}

export interface AclUserChangeInput extends AclTarget {
  username: string;
  password?: string | undefined;
  userType?: UserType | undefined;
  userStatus?: UserStatus | undefined;
  dryRun: boolean;
}

export async function listAclUsers(
  admin: Admin,
  input: AclTarget & { filter?: string | undefined },
): Promise<AclUserListResult> {
  const { acl, masters } = await aclContext(admin, input);
  const users: AclUserListResult['users'] = [];
  for (const m of masters) {
    for (const u of await acl.listUsers(m.address, input.filter)) users.push({ ...brokerOf(m), ...u });
  }
  return { users };
}

export async function getAclUser(
  admin: Admin,
  input: AclTarget & { username: string },
): Promise<AclUserGetResult> {
  validateUsername(input.username);
  const { acl, masters } = await aclContext(admin, input);
  const brokers: AclUserGetResult['brokers'] = [];
  for (const m of masters)
    brokers.push({ ...brokerOf(m), user: (await acl.getUser(m.address, input.username)) ?? null });
  if (brokers.every((b) => b.user === null)) throw unknownUser(input.username, brokers);
  return { username: input.username, brokers };
}

function unknownUser(username: string, brokers: AclBroker[]): NotFoundError {
  return new NotFoundError(
    `user ${username} does not exist on ${brokers.map((b) => b.brokerName).join(', ')}`,
    { hint: 'see `rmq acl user list`' },
  );
}

export async function planAclUserChange(
  admin: Admin,
  action: AclUserChangeResult['action'],
  input: AclUserChangeInput,
): Promise<Planned<AclUserChangeResult>> {
  validateUsername(input.username);
  if (input.password !== undefined) validatePassword(input.password);
  if (action === 'create' && input.password === undefined)
    throw new InvalidArgumentError('a new user needs a password');
  if (action === 'update' && input.password === undefined && !input.userType && !input.userStatus) {
    throw new InvalidArgumentError('nothing to update', {
      hint: 'give a new password (--password-stdin, --password-prompt), --type or --status',
    });
  }
  const { acl, masters } = await aclContext(admin, input);
  const brokers: AclUserChangeBroker[] = [];
  for (const m of masters) {
    const old = await acl.getUser(m.address, input.username);
    if (action === 'create' && old) {
      throw new InvalidArgumentError(`user ${input.username} exists already on ${m.brokerName}`, {
        hint: 'change it with `rmq acl user update`',
      });
    }
    const oldType = old?.userType ?? null;
    const oldStatus = old?.userStatus ?? null;
    let newType: string | null;
    let newStatus: string | null;
    let act: AclUserChangeBroker['action'];
    if (action === 'delete') {
      [newType, newStatus, act] = [null, null, old ? 'delete' : 'unchanged'];
    } else if (action === 'create') {
      [newType, newStatus, act] = [input.userType ?? 'Normal', input.userStatus ?? 'enable', 'create'];
    } else {
      newType = input.userType ?? oldType;
      newStatus = input.userStatus ?? oldStatus;
      const same =
        sameName(newType, oldType) && sameName(newStatus, oldStatus) && input.password === undefined;
      act = !old ? 'unchanged' : same ? 'unchanged' : 'update';
    }
    brokers.push({
      ...brokerOf(m),
      userType: { old: oldType, new: newType },
      userStatus: { old: oldStatus, new: newStatus },
      action: act,
    });
  }
  if (action !== 'create' && brokers.every((b) => b.userType.old === null))
    throw unknownUser(input.username, brokers);
  if (action === 'update') {
    const missing = brokers.filter((b) => b.userType.old === null);
    if (missing.length > 0) {
      throw new NotFoundError(
        `user ${input.username} does not exist on ${missing.map((b) => b.brokerName).join(', ')}`,
        {
          hint: 'create it there with `rmq acl user create --broker …`, or leave that broker out with --broker',
        },
      );
    }
  }
  const plan: AclUserChangeResult = {
    action,
    username: input.username,
    setsPassword: input.password !== undefined,
    dryRun: input.dryRun,
    brokers,
    changes: brokers.filter((b) => b.action !== 'unchanged').length,
  };
  const apply = async (): Promise<AclUserChangeResult> => {
    const done: AclUserChangeBroker[] = [];
    for (const b of plan.brokers) {
      if (b.action === 'unchanged') {
        done.push(b);
        continue;
      }
      const change = {
        username: input.username,
        password: input.password,
        userType: input.userType ?? (action === 'create' ? 'Normal' : undefined),
        userStatus: input.userStatus ?? (action === 'create' ? 'enable' : undefined),
      };
      await withSecretMasked(input.password, async () => {
        if (b.action === 'create') await acl.createUser(b.address, change);
        else if (b.action === 'update') await acl.updateUser(b.address, change);
        else await acl.deleteUser(b.address, input.username);
      });
      const after = await acl.getUser(b.address, input.username);
      const applied =
        b.action === 'delete'
          ? after === undefined
          : after !== undefined &&
            sameName(after.userType, b.userType.new) &&
            sameName(after.userStatus, b.userStatus.new);
      done.push({ ...b, applied });
    }
    return { ...plan, brokers: done };
  };
  return { plan, apply };
}

/** The broker takes type and status names in any case and reports them in its own. */
const sameName = (a: string | null, b: string | null): boolean =>
  (a ?? '').toLowerCase() === (b ?? '').toLowerCase();
