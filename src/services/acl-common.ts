/**
 * What the `rmq acl` services share: which brokers a command goes to (each broker keeps its own
 * users, policies or accounts, so a change goes to every selected master, as mqadmin's -b / -c),
 * and keeping a password out of error messages.
 */
import type { Admin, MasterBroker } from '../core/client/admin.js';
import { AclAdmin } from '../core/client/acl.js';
import { InvalidArgumentError } from '../core/errors.js';

export interface AclTarget {
  broker?: string | undefined;
  cluster?: string | undefined;
}

/** A change worked out and shown before it is made. */
export interface Planned<R> {
  plan: R;
  apply: () => Promise<R>;
}

export interface AclBroker {
  brokerName: string;
  address: string;
}

export interface AclContext {
  acl: AclAdmin;
  masters: MasterBroker[];
}

/** The selected masters (default: every master the name servers know), in name order. */
export async function aclContext(admin: Admin, target: AclTarget): Promise<AclContext> {
  const masters = (await admin.masters(target)).sort(
    (a, b) => a.brokerName.localeCompare(b.brokerName) || a.address.localeCompare(b.address),
  );
  return { acl: new AclAdmin(admin.client), masters };
}

export const brokerOf = (m: MasterBroker): AclBroker => ({ brokerName: m.brokerName, address: m.address });

/** User names and access keys the brokers take in a subject, a header and a file alike. */
const NAME = /^[%|a-zA-Z0-9_.@-]+$/;

export function validateUsername(name: string, what = 'user name'): void {
  if (!NAME.test(name) || name.length > 255) {
    throw new InvalidArgumentError(`invalid ${what} "${name}"`, {
      hint: 'use letters, digits and _ - . @ % | (at most 255)',
    });
  }
}

export function validatePassword(password: string): void {
  if (password.length === 0) throw new InvalidArgumentError('the password is empty');
  if (/[\r\n]/.test(password)) throw new InvalidArgumentError('the password holds a line break');
}

/**
 * Runs `fn`, and if it fails with a message that quotes `secret` (4.x quotes a refused secret in
 * its remark), masks it: no password reaches the terminal, a --json document or a log.
 */
export async function withSecretMasked<T>(secret: string | undefined, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (secret && err instanceof Error && err.message.includes(secret)) {
      err.message = err.message.split(secret).join('***');
      if (err.stack) err.stack = err.stack.split(secret).join('***');
      const r = err as { remark?: unknown };
      if (typeof r.remark === 'string')
        Object.defineProperty(err, 'remark', { value: r.remark.split(secret).join('***') });
    }
    throw err;
  }
}
