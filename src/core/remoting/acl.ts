/**
 * ACL request signing (AclClientRPCHook): every request carries AccessKey (and SecurityToken),
 * and Signature = base64(HMAC-SHA1(secret, values of all extFields sorted by key, then the body)).
 * Keys sort in Java String order (UTF-16 code units), which `<` on JS strings is. Values only,
 * no separators. 4.9 (plain ACL) and 5.x (ACL 2.0, the user's password as secret) agree on it.
 */
import { createHmac } from 'node:crypto';
import type { RemotingCommand } from './command.js';

export interface Credentials {
  accessKey: string;
  secretKey: string;
  securityToken?: string | undefined;
}

/**
 * Left out of what is signed: 4.9.x and 5.0.x brokers always skip it, 5.1+ skip it for
 * request versions ≤ 400 only, so signing it would fail against one side or the other; we
 * never send it signed (callers drop it when credentials are set).
 */
export const UNSIGNED_KEYS: ReadonlySet<string> = new Set(['Signature']);

export function sign(extFields: Record<string, string>, body: Buffer | undefined, secretKey: string): string {
  const keys = Object.keys(extFields)
    .filter((k) => !UNSIGNED_KEYS.has(k) && extFields[k] !== undefined)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const h = createHmac('sha1', Buffer.from(secretKey, 'utf8'));
  for (const k of keys) h.update(extFields[k]!, 'utf8');
  if (body && body.length > 0) h.update(body);
  return h.digest('base64');
}

/** A request hook that signs every outgoing request with the credentials. */
export function aclHook(credentials: Credentials): (cmd: RemotingCommand) => void {
  return (cmd) => {
    // Copy: callers may reuse one extFields object across requests.
    const ext: Record<string, string> = { ...cmd.extFields, AccessKey: credentials.accessKey };
    if (credentials.securityToken) ext.SecurityToken = credentials.securityToken;
    ext.Signature = sign(ext, cmd.body, credentials.secretKey);
    cmd.extFields = ext;
  };
}
