/**
 * Plain ACL accounts (RocketMQ 4.x and 5.0–5.1 with aclEnable; 5.2 lacks 54, 5.3 all of them). To a broker, which
 * keeps them in $ROCKETMQ_HOME/conf/plain_acl.yml (PlainPermissionManager; Java:
 * CreateAccessConfigRequestHeader, DeleteAccessConfigRequestHeader,
 * GetBrokerClusterAclConfigResponseBody, PlainAccessConfig). Each needs an admin account.
 *
 * UPDATE_AND_CREATE_ACL_CONFIG (50): extFields `accessKey!` | `secretKey` | `whiteRemoteAddress`
 *   | `admin` bool | `defaultTopicPerm` | `defaultGroupPerm` | `topicPerms` "t1=PUB,t2=PUB|SUB"
 *   | `groupPerms` "g1=SUB". No body. Creates the account, or updates the one with that access
 *   key. Keys and secrets longer than 6 characters, the secret always sent (also on update). Perms:
 *   DENY, PUB, SUB, PUB|SUB. The file keeps a field that is not sent, but the broker's memory takes
 *   the account as sent until it reloads the file, and `admin` absent means false: an update sends
 *   every field. An empty topicPerms/groupPerms is refused ("Parse Resource format error"), so a
 *   list cannot be emptied (a resource can be set to DENY).
 *   Failure: UPDATE_AND_CREATE_ACL_CONFIG_FAILED (209) with the AclException text.
 * DELETE_ACL_CONFIG (51): extFields `accessKey!`. An unknown key: DELETE_ACL_CONFIG_FAILED (210).
 * GET_BROKER_CLUSTER_ACL_CONFIG (54): no extFields; SUCCESS with a body read from the files:
 *   {"globalWhiteAddrs":["10.10.*.*"],"plainAccessConfigs":[{"accessKey":"…","secretKey":"…",
 *    "whiteRemoteAddress":"","admin":false,"defaultTopicPerm":"DENY","defaultGroupPerm":"SUB",
 *    "topicPerms":["t=PUB"],"groupPerms":[]}]}
 *   It carries every secret in clear: the decoder keeps them out of the accounts it returns (an
 *   update needs the stored secret, which it gets from secretOf(), never a field of a result).
 * A broker with ACL off (no PlainAccessValidator) fails these with SYSTEM_ERROR (1); a 5.3 broker
 * with REQUEST_CODE_NOT_SUPPORTED (3).
 */
import { InvalidArgumentError, ProtocolError } from '../errors.js';
import { jsonText, parseFastjson } from '../remoting/fastjson.js';

export const PLAIN_PERMS = ['DENY', 'PUB', 'SUB', 'PUB|SUB'] as const;
export type PlainPerm = (typeof PLAIN_PERMS)[number];

/** An account without its secret. */
export interface PlainAccount {
  accessKey: string;
  whiteRemoteAddress: string;
  admin: boolean;
  defaultTopicPerm: string;
  defaultGroupPerm: string;
  /** "name=PERM" */
  topicPerms: string[];
  groupPerms: string[];
}

export interface PlainAclConfig {
  globalWhiteAddrs: string[];
  accounts: PlainAccount[];
  /** The stored secret of an account: for an update to send back, never to show. */
  secretOf(accessKey: string): string | undefined;
}

const LIMITS = { maxLength: 8 * 1024 * 1024, maxDepth: 8 };

/** The broker refuses keys and secrets of 6 characters or fewer. */
export function validateAccessKey(key: string, what = 'access key'): void {
  if (key.length <= 6 || /[\s,=]/.test(key)) {
    throw new InvalidArgumentError(
      `invalid ${what}: it must be longer than 6 characters, without spaces, "," or "="`,
    );
  }
}

/** "DENY", "PUB", "SUB", "PUB|SUB" (or "SUB|PUB"), any case → the broker's spelling. */
export function parsePlainPerm(input: string): PlainPerm {
  const s = input.trim().toUpperCase();
  const p = s === 'SUB|PUB' ? 'PUB|SUB' : PLAIN_PERMS.find((x) => x === s);
  if (!p)
    throw new InvalidArgumentError(`invalid permission "${input}"`, { hint: 'DENY, PUB, SUB or PUB|SUB' });
  return p;
}

/** "name=PERM" for a topic or group permission. */
export function parseResourcePerm(input: string): string {
  const eq = input.indexOf('=');
  const name = input.slice(0, eq).trim();
  if (eq < 1 || !/^[%|a-zA-Z0-9_-]+$/.test(name)) {
    throw new InvalidArgumentError(`invalid resource permission "${input}"`, {
      hint: 'name=PERM, e.g. orders=PUB or g1=SUB (PERM: DENY, PUB, SUB, PUB|SUB)',
    });
  }
  return `${name}=${parsePlainPerm(input.slice(eq + 1))}`;
}

/** The extFields of UPDATE_AND_CREATE_ACL_CONFIG: the whole account, secret included. */
export function accountHeader(a: PlainAccount & { secretKey: string }): Record<string, string> {
  const h: Record<string, string> = {
    accessKey: a.accessKey,
    secretKey: a.secretKey,
    whiteRemoteAddress: a.whiteRemoteAddress,
    admin: String(a.admin),
  };
  if (a.defaultTopicPerm) h.defaultTopicPerm = a.defaultTopicPerm;
  if (a.defaultGroupPerm) h.defaultGroupPerm = a.defaultGroupPerm;
  if (a.topicPerms.length > 0) h.topicPerms = a.topicPerms.join(',');
  if (a.groupPerms.length > 0) h.groupPerms = a.groupPerms.join(',');
  return h;
}

export function deleteAccountHeader(accessKey: string): Record<string, string> {
  return { accessKey };
}

const str = jsonText;
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(str) : []);

export function decodePlainAclConfig(body: Buffer | undefined): PlainAclConfig {
  const v = body && body.length > 0 ? parseFastjson(body, LIMITS) : {};
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new ProtocolError('ACL config is not an object');
  const root = v as Record<string, unknown>;
  const secrets = new Map<string, string>();
  const raw = root.plainAccessConfigs;
  if (raw !== undefined && raw !== null && !Array.isArray(raw))
    throw new ProtocolError('plainAccessConfigs is not an array');
  const accounts = (raw ?? []).map((c: unknown): PlainAccount => {
    if (!c || typeof c !== 'object' || Array.isArray(c))
      throw new ProtocolError('ACL account is not an object');
    const o = c as Record<string, unknown>;
    const accessKey = str(o.accessKey);
    if (typeof o.secretKey === 'string') secrets.set(accessKey, o.secretKey);
    return {
      accessKey,
      whiteRemoteAddress: str(o.whiteRemoteAddress),
      admin: o.admin === true || o.admin === 'true',
      defaultTopicPerm: str(o.defaultTopicPerm),
      defaultGroupPerm: str(o.defaultGroupPerm),
      topicPerms: strings(o.topicPerms),
      groupPerms: strings(o.groupPerms),
    };
  });
  accounts.sort((a, b) => a.accessKey.localeCompare(b.accessKey));
  return {
    globalWhiteAddrs: strings(root.globalWhiteAddrs).filter((a) => a.trim() !== ''),
    accounts,
    secretOf: (k) => secrets.get(k),
  };
}
