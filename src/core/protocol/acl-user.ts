/**
 * ACL 2.0 users (RocketMQ 5.3+; Java: CreateUserRequestHeader … ListUsersRequestHeader, UserInfo,
 * AdminBrokerProcessor#createUser …, AuthenticationMetadataManagerImpl). To a broker, which keeps
 * its users in its own store: a cluster's masters are changed one by one.
 *
 * AUTH_CREATE_USER (3001), AUTH_UPDATE_USER (3002): extFields `username!`; body UserInfo, fastjson:
 *   {"username":"alice","password":"…","userType":"Normal","userStatus":"enable"}
 *   The header's username wins over the body's. userType Super|Normal, userStatus enable|disable
 *   (both case-insensitive; create defaults them to Normal, enable). Create fails when the user
 *   exists; update when it does not, and keeps every field the body leaves out or blank.
 *   Only a Super user may create or change a Super user.
 * AUTH_DELETE_USER (3003): extFields `username!`. Deletes the user's ACL too; an unknown user is
 *   SUCCESS (nothing to delete).
 * AUTH_GET_USER (3004): extFields `username!`. SUCCESS with a UserInfo body, or with no body for
 *   an unknown user.
 * AUTH_LIST_USER (3005): extFields `filter` (a substring of the username; blank: every user).
 *   SUCCESS with [UserInfo, …], or no body when none matches.
 *
 * The broker sends each user's password in clear in get and list bodies: the decoders here drop it,
 * so no password read from a broker goes further than this module, except through
 * decodeUserSecrets, which a caller asks for by name (an export that was told to carry secrets).
 *
 * Failures: NO_PERMISSION (16) with the AuthenticationException text ("The user is existed",
 * "The user is not exist", "… can only be create by super user"), INVALID_PARAMETER (29) for a blank
 * username, SYSTEM_ERROR (1) otherwise. A broker before 5.3: REQUEST_CODE_NOT_SUPPORTED (3).
 */
import { ProtocolError } from '../errors.js';
import { jsonText, parseFastjson } from '../remoting/fastjson.js';
import { ResponseCode } from '../remoting/codes.js';

/** The ACL requests answer these; anything else is an error. */
export const ACL_ADMIN_ACCEPT: readonly number[] = [
  ResponseCode.SUCCESS,
  ResponseCode.REQUEST_CODE_NOT_SUPPORTED,
];

export const USER_TYPES = ['Super', 'Normal'] as const;
export type UserType = (typeof USER_TYPES)[number];
export const USER_STATUSES = ['enable', 'disable'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

/** A user as the broker reports it, without its password. */
export interface AclUser {
  username: string;
  userType: string;
  userStatus: string;
}

export interface UserChange {
  username: string;
  /** Sent only when given: an update without it keeps the stored one. */
  password?: string | undefined;
  userType?: UserType | undefined;
  userStatus?: UserStatus | undefined;
}

/** Thousands of users are a few hundred KiB; 8 MiB bounds a hostile body. */
const LIMITS = { maxLength: 8 * 1024 * 1024, maxDepth: 8 };

export function userHeader(username: string): Record<string, string> {
  return { username };
}

export function listUsersHeader(filter: string | undefined): Record<string, string> {
  return filter ? { filter } : {};
}

/** The UserInfo body of a create or update: absent fields stay out (JSON.stringify drops undefined). */
export function encodeUserInfo(u: UserChange): Buffer {
  return Buffer.from(
    JSON.stringify({
      username: u.username,
      password: u.password,
      userType: u.userType,
      userStatus: u.userStatus,
    }),
  );
}

const str = jsonText;

function decodeUser(v: unknown): AclUser {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new ProtocolError('user info is not an object');
  const o = v as Record<string, unknown>;
  // Named fields only: the password the broker sends is never copied.
  return { username: str(o.username), userType: str(o.userType), userStatus: str(o.userStatus) };
}

/** AUTH_GET_USER's body; undefined when there is none (no such user). */
export function decodeUserInfo(body: Buffer | undefined): AclUser | undefined {
  if (!body || body.length === 0) return undefined;
  return decodeUser(parseFastjson(body, LIMITS));
}

/** AUTH_LIST_USER's body as username → password, for the users that have one. */
export function decodeUserSecrets(body: Buffer | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!body || body.length === 0) return out;
  const v = parseFastjson(body, LIMITS);
  if (!Array.isArray(v)) throw new ProtocolError('user list is not an array');
  for (const u of v) {
    if (!u || typeof u !== 'object' || Array.isArray(u))
      throw new ProtocolError('user info is not an object');
    const o = u as Record<string, unknown>;
    if (typeof o.username === 'string' && typeof o.password === 'string' && o.password !== '')
      out.set(o.username, o.password);
  }
  return out;
}

/** AUTH_LIST_USER's body, sorted by name; empty when there is none. */
export function decodeUserList(body: Buffer | undefined): AclUser[] {
  if (!body || body.length === 0) return [];
  const v = parseFastjson(body, LIMITS);
  if (!Array.isArray(v)) throw new ProtocolError('user list is not an array');
  return v.map(decodeUser).sort((a, b) => a.username.localeCompare(b.username));
}
