/**
 * ACL 2.0 policies (RocketMQ 5.3+; Java: CreateAclRequestHeader … ListAclsRequestHeader, AclInfo,
 * AdminBrokerProcessor#createAcl …, AuthorizationMetadataManagerImpl, Resource.of). To a broker.
 *
 * An ACL is a subject ("User:alice") with policies; a policy (type Custom, or Default) holds
 * entries, one per resource:
 *   {"subject":"User:alice","policies":[{"policyType":"Custom","entries":[
 *     {"resource":"Topic:orders","actions":["Pub","Sub"],"sourceIps":["10.0.0.0/8"],"decision":"Allow"}]}]}
 * Resources: "*" (anything), "Type:name" (literal), "Type:*" (every one of the type),
 * "Type:prefix*" (prefixed); types Cluster, Namespace, Topic, Group. Actions: All, Pub, Sub,
 * Create, Update, Delete, Get, List. Decision: Allow, Deny. Names case-insensitive on the broker.
 *
 * AUTH_CREATE_ACL (3006), AUTH_UPDATE_ACL (3007): extFields `subject!`; body AclInfo. Both do the
 * same on the broker: an entry replaces the subject's entry for the same resource, others are
 * added; the subject must be an existing user; an unknown action is dropped silently, an unknown
 * resource type or decision refused ("The resource is null.", "The decision is null or illegal.").
 * AUTH_DELETE_ACL (3008): extFields `subject!` | `policyType` (default Custom) | `resource`
 *   (absent: the subject's whole ACL). Deleting the last entry deletes the ACL.
 * AUTH_GET_ACL (3009): extFields `subject!`. SUCCESS with an AclInfo body, or none when the user
 *   has no ACL; NO_PERMISSION "The subject is not exist." for an unknown user.
 * AUTH_LIST_ACL (3010): extFields `subjectFilter`, `resourceFilter` (substrings). SUCCESS with
 *   [AclInfo, …], or no body when none matches.
 * Failures: NO_PERMISSION (16) with the AuthorizationException text, SYSTEM_ERROR (1). A broker
 * before 5.3: REQUEST_CODE_NOT_SUPPORTED (3).
 */
import { isIP } from 'node:net';
import { InvalidArgumentError, ProtocolError } from '../errors.js';
import { jsonText, parseFastjson } from '../remoting/fastjson.js';

export const ACTIONS = ['All', 'Pub', 'Sub', 'Create', 'Update', 'Delete', 'Get', 'List'] as const;
export type Action = (typeof ACTIONS)[number];
export const DECISIONS = ['Allow', 'Deny'] as const;
export type Decision = (typeof DECISIONS)[number];
const RESOURCE_TYPES = ['Cluster', 'Namespace', 'Topic', 'Group'] as const;

export interface PolicyEntry {
  /** As the broker writes it: "Topic:orders", "Topic:ord*", "Topic:*", "*". */
  resource: string;
  actions: string[];
  sourceIps: string[];
  decision: string;
}

export interface AclPolicy {
  /** "Custom" or "Default". */
  policyType: string;
  entries: PolicyEntry[];
}

export interface AclInfo {
  subject: string;
  policies: AclPolicy[];
}

/** 16 MiB bounds a hostile body; real ACL tables are far smaller. */
const LIMITS = { maxLength: 16 * 1024 * 1024, maxDepth: 10 };

const NAME = /^[%|a-zA-Z0-9_-]+$/;
const USERNAME = /^[%|a-zA-Z0-9_.@-]+$/;

/** "alice" or "User:alice" → "User:alice"; InvalidArgumentError for anything else. */
export function parseSubject(input: string): string {
  const m = /^(?:user:)?(.+)$/i.exec(input.trim());
  const name = m?.[1] ?? '';
  if (!USERNAME.test(name) || name.length > 255) {
    throw new InvalidArgumentError(`invalid subject "${input}"`, {
      hint: 'a user name, or User:<name> (letters, digits, _ - . @ % |)',
    });
  }
  return `User:${name}`;
}

/**
 * A resource in the broker's own spelling: "*", "Type:*", "Type:name" or "Type:prefix*" with the
 * type's canonical case; InvalidArgumentError for what the broker would refuse or misread.
 */
export function parseResource(input: string): string {
  const s = input.trim();
  if (s === '*') return '*';
  const colon = s.indexOf(':');
  const type = RESOURCE_TYPES.find((t) => t.toLowerCase() === s.slice(0, colon).toLowerCase());
  const name = s.slice(colon + 1);
  const literal = name.endsWith('*') ? name.slice(0, -1) : name;
  if (colon < 0 || !type || name === '' || (name !== '*' && (!NAME.test(literal) || literal.length > 255))) {
    throw new InvalidArgumentError(`invalid resource "${input}"`, {
      hint: `one of *, Type:*, Type:name, Type:prefix* with Type ${RESOURCE_TYPES.join(', ')} (e.g. Topic:orders, Group:g1)`,
    });
  }
  return `${type}:${name}`;
}

export function parseActions(input: readonly string[]): Action[] {
  const out = new Set<Action>();
  for (const raw of input.flatMap((a) => a.split(','))) {
    const a = ACTIONS.find((x) => x.toLowerCase() === raw.trim().toLowerCase());
    if (!a) {
      throw new InvalidArgumentError(`invalid action "${raw}"`, { hint: `one of ${ACTIONS.join(', ')}` });
    }
    out.add(a);
  }
  if (out.size === 0)
    throw new InvalidArgumentError('no action given', { hint: `one of ${ACTIONS.join(', ')}` });
  return [...out];
}

export function parseDecision(input: string): Decision {
  const d = DECISIONS.find((x) => x.toLowerCase() === input.trim().toLowerCase());
  if (!d) throw new InvalidArgumentError(`invalid decision "${input}"`, { hint: 'Allow or Deny' });
  return d;
}

/** An IPv4/IPv6 address or CIDR block, as the broker's IPAddressUtils.isValidIPOrCidr takes. */
export function parseSourceIp(input: string): string {
  const s = input.trim();
  const [addr = '', bits, extra] = s.split('/');
  const family = isIP(addr);
  const maxBits = family === 6 ? 128 : 32;
  const okBits = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= maxBits);
  if (family === 0 || !okBits || extra !== undefined) {
    throw new InvalidArgumentError(`invalid source IP "${input}"`, {
      hint: 'an IP address or a CIDR block (10.0.0.5, 10.0.0.0/8, ::1)',
    });
  }
  return s;
}

export function subjectHeader(subject: string): Record<string, string> {
  return { subject };
}

export function deleteAclHeader(subject: string, resource: string | undefined): Record<string, string> {
  return resource === undefined ? { subject } : { subject, policyType: 'Custom', resource };
}

export function listAclsHeader(subjectFilter?: string, resourceFilter?: string): Record<string, string> {
  const h: Record<string, string> = {};
  if (subjectFilter) h.subjectFilter = subjectFilter;
  if (resourceFilter) h.resourceFilter = resourceFilter;
  return h;
}

/** The AclInfo body of a create or update: Custom entries for one subject. */
export function encodeAclInfo(subject: string, entries: readonly PolicyEntry[]): Buffer {
  const body = {
    subject,
    policies: [
      {
        policyType: 'Custom',
        entries: entries.map((e) => ({
          resource: e.resource,
          actions: e.actions,
          ...(e.sourceIps.length > 0 ? { sourceIps: e.sourceIps } : {}),
          decision: e.decision,
        })),
      },
    ],
  };
  return Buffer.from(JSON.stringify(body));
}

const obj = (v: unknown, what: string): Record<string, unknown> => {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new ProtocolError(`${what} is not an object`);
  return v as Record<string, unknown>;
};
const str = jsonText;
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(str) : []);
const list = (v: unknown, what: string): unknown[] => {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ProtocolError(`${what} is not an array`);
  return v;
};

function decodeAcl(v: unknown): AclInfo {
  const o = obj(v, 'ACL');
  return {
    subject: str(o.subject),
    policies: list(o.policies, 'policies').map((p) => {
      const po = obj(p, 'policy');
      return {
        policyType: str(po.policyType) || 'Custom',
        entries: list(po.entries, 'policy entries').map((e) => {
          const eo = obj(e, 'policy entry');
          return {
            resource: str(eo.resource),
            actions: strings(eo.actions),
            sourceIps: strings(eo.sourceIps),
            decision: str(eo.decision),
          };
        }),
      };
    }),
  };
}

/** AUTH_GET_ACL's body; undefined when there is none (the user has no ACL). */
export function decodeAclInfo(body: Buffer | undefined): AclInfo | undefined {
  if (!body || body.length === 0) return undefined;
  return decodeAcl(parseFastjson(body, LIMITS));
}

/** AUTH_LIST_ACL's body, sorted by subject; empty when there is none. */
export function decodeAclList(body: Buffer | undefined): AclInfo[] {
  if (!body || body.length === 0) return [];
  return list(parseFastjson(body, LIMITS), 'ACL list')
    .map(decodeAcl)
    .sort((a, b) => a.subject.localeCompare(b.subject));
}
