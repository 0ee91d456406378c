/**
 * The --acl accounts of a local cluster: generated once, stored 0600 in the state dir, reused by
 * the next `up` so its password stays the same.
 */
import { randomBytes } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { InvalidArgumentError } from '../core/errors.js';
import { type AclAccount, type AclAccounts, isLegacy, validateAclAccount } from './config.js';
import type { LocalLayout } from './paths.js';
import { exists } from './process.js';

/** --acl as asked for: the fields override the stored account. */
export interface AclWish {
  user?: string | undefined;
  password?: string | undefined;
}

export const DEFAULT_ACL_USER = 'rmq-admin';
const READ_ONLY_USER = 'rmq-readonly';

export interface StoredAccounts {
  schema: 1;
  admin: AclAccount;
  readOnly: AclAccount;
}

/**
 * 24 letters and digits (~143 bits): no "-" that a shell user would have to keep from being read
 * as a flag (`--secret-key -x…`), nothing that needs quoting anywhere.
 */
function randomSecret(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let out = '';
  while (out.length < 24) {
    for (const byte of randomBytes(32)) {
      // 62 × 4 = 248: dropping bytes ≥ 248 keeps every character equally likely.
      if (byte < 248 && out.length < 24) out += alphabet[byte % 62];
    }
  }
  return out;
}

export async function readAccounts(layout: LocalLayout): Promise<StoredAccounts | undefined> {
  try {
    const s = JSON.parse(await readFile(layout.aclFile, 'utf8')) as StoredAccounts;
    return s?.schema === 1 && s.admin?.accessKey && s.readOnly?.accessKey ? s : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The --acl accounts: flags first, else what an earlier `up` of this dir stored, else generated
 * (a random password at the first `up`). Stored 0600 so the next `up` keeps the same password.
 */
export async function resolveAccounts(
  layout: LocalLayout,
  wanted: AclWish,
  version: string,
): Promise<AclAccounts> {
  const stored = await readAccounts(layout);
  const accessKey = wanted.user ?? stored?.admin.accessKey ?? DEFAULT_ACL_USER;
  const same = stored?.admin.accessKey === accessKey;
  const admin: AclAccount = {
    accessKey,
    secretKey: wanted.password ?? (same ? stored!.admin.secretKey : randomSecret()),
  };
  validateAclAccount(admin, { user: '--acl-user', password: '--acl-password' });
  const readOnly = stored?.readOnly ?? { accessKey: READ_ONLY_USER, secretKey: randomSecret() };
  if (readOnly.accessKey === admin.accessKey) {
    throw new InvalidArgumentError(`--acl-user ${admin.accessKey} is reserved for the read-only account`, {
      hint: `pick another name (default ${DEFAULT_ACL_USER})`,
    });
  }
  // 5.x creates the initial user only if the store has none of that name, so a new password
  // would be written to the config and silently ignored by the broker.
  if (
    !isLegacy(version) &&
    same &&
    stored.admin.secretKey !== admin.secretKey &&
    (await exists(`${layout.storeDir}/config/users`))
  ) {
    throw new InvalidArgumentError(
      `ACL user ${accessKey} already exists in this cluster's store with another password`,
      {
        hint: `omit --acl-password to keep the stored one, or start afresh with \`rmq local down --purge --dir ${layout.dir}\``,
      },
    );
  }
  return { admin, readOnly };
}

export async function writeSecretFile(path: string, content: string): Promise<void> {
  await writeFile(path, content, { mode: 0o600 });
  // The mode only applies to a new file; an older one keeps its own.
  await chmod(path, 0o600);
}
