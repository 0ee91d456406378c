/**
 * Checking a metadata document read into plain values, field by field, as
 * schemas/metadata-document.json states it. Hand-written rather than a JSON Schema validator at
 * run time: the rules are few, the messages name the nearest known field, and ./parse.ts turns
 * the path of what is wrong into the file's line and column. test/unit/metadata.test.ts checks
 * that this and the schema agree on the same documents.
 */
import { validateGroupName, validateTopicName } from '../../core/client/admin.js';
import {
  ACTIONS,
  DECISIONS,
  parseResource,
  parseSourceIp,
  parseSubject,
} from '../../core/protocol/acl-policy.js';
import { USER_STATUSES, USER_TYPES } from '../../core/protocol/acl-user.js';
import { validatePassword, validateUsername } from '../acl-common.js';
import {
  type AclPolicyEntrySpec,
  type AclSpec,
  type AclUserSpec,
  API_VERSION,
  DOCUMENT_KIND,
  type GroupSpec,
  MESSAGE_TYPE_RE,
  MESSAGE_TYPES,
  type MetadataDocument,
  PERMS,
  type TopicPlacement,
  type TopicSpec,
} from './document.js';

export type Path = (string | number)[];

export class DocError extends Error {
  constructor(
    message: string,
    readonly path: Path,
    readonly onKey = false,
  ) {
    super(message);
  }
}

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);

const typeName = (v: unknown): string =>
  v === null
    ? 'null'
    : v instanceof Uint8Array
      ? 'binary data'
      : Array.isArray(v)
        ? 'a list'
        : isPlainObject(v)
          ? 'a mapping'
          : typeof v;

/** The known name nearest to a misspelt one (edit distance at most 2), for the message. */
function nearest(name: string, known: readonly string[]): string | undefined {
  const dist = (a: string, b: string): number => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0]![j] = j;
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++)
        d[i]![j] = Math.min(
          d[i - 1]![j]! + 1,
          d[i]![j - 1]! + 1,
          d[i - 1]![j - 1]! + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1),
        );
    return d[a.length]![b.length]!;
  };
  let best: string | undefined;
  let bestD = 3;
  for (const k of known) {
    const dd = dist(name, k);
    if (dd < bestD) [best, bestD] = [k, dd];
  }
  return best;
}

function object(v: unknown, path: Path, known: readonly string[]): Record<string, unknown> {
  if (!isPlainObject(v)) throw new DocError(`must be a mapping, got ${typeName(v)}`, path);
  for (const k of Object.keys(v)) {
    if (!known.includes(k)) {
      const near = nearest(k, known);
      throw new DocError(
        `unknown field "${k}"${near ? ` (did you mean "${near}"?)` : ` (known: ${known.join(', ')})`}`,
        [...path, k],
        true,
      );
    }
  }
  return v;
}

function int(v: unknown, path: Path, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new DocError(
      `must be a whole number from ${min} to ${max === Number.MAX_SAFE_INTEGER ? 'up' : max}, got ${JSON.stringify(v) ?? typeName(v)}`,
      path,
    );
  }
  return v;
}

function bool(v: unknown, path: Path): boolean {
  if (typeof v !== 'boolean') throw new DocError(`must be true or false, got ${typeName(v)}`, path);
  return v;
}

function oneOf<T extends string>(v: unknown, path: Path, choices: readonly T[]): T {
  if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) {
    throw new DocError(`must be one of ${choices.join(', ')}, got ${JSON.stringify(v) ?? typeName(v)}`, path);
  }
  return v as T;
}

function stringMap(v: unknown, path: Path): Record<string, string> {
  if (!isPlainObject(v)) throw new DocError(`must be a mapping of strings, got ${typeName(v)}`, path);
  for (const [k, s] of Object.entries(v)) {
    if (!/^[a-zA-Z0-9._]+$/.test(k)) throw new DocError(`invalid attribute name "${k}"`, [...path, k], true);
    if (typeof s !== 'string')
      throw new DocError(`must be a string (quote it), got ${typeName(s)}`, [...path, k]);
  }
  return v as Record<string, string>;
}

function named<T>(
  v: unknown,
  path: Path,
  check: (name: string) => void,
  each: (item: unknown, path: Path) => T,
): Record<string, T> {
  if (!isPlainObject(v)) throw new DocError(`must be a mapping of names, got ${typeName(v)}`, path);
  const out: [string, T][] = [];
  for (const [name, item] of Object.entries(v)) {
    try {
      check(name);
    } catch (err) {
      throw new DocError((err as Error).message, [...path, name], true);
    }
    out.push([name, each(item, [...path, name])]);
  }
  return Object.fromEntries(out);
}

const PLACEMENT_FIELDS = ['readQueues', 'writeQueues', 'perm'] as const;

function placement(v: unknown, path: Path): TopicPlacement {
  const o = object(v, path, PLACEMENT_FIELDS);
  const p: TopicPlacement = {};
  if (o.readQueues !== undefined) p.readQueues = int(o.readQueues, [...path, 'readQueues'], 1, 1024);
  if (o.writeQueues !== undefined) p.writeQueues = int(o.writeQueues, [...path, 'writeQueues'], 1, 1024);
  if (o.perm !== undefined) p.perm = oneOf(o.perm, [...path, 'perm'], PERMS);
  return p;
}

const TOPIC_FIELDS = [
  'readQueues',
  'writeQueues',
  'perm',
  'order',
  'messageType',
  'attributes',
  'brokers',
] as const;

function topic(v: unknown, path: Path): TopicSpec {
  const o = object(v, path, TOPIC_FIELDS);
  const t: TopicSpec = placement(
    { readQueues: o.readQueues, writeQueues: o.writeQueues, perm: o.perm },
    path,
  );
  for (const k of PLACEMENT_FIELDS) if (t[k] === undefined) delete t[k];
  if (o.order !== undefined) t.order = bool(o.order, [...path, 'order']);
  if (o.messageType !== undefined) {
    if (typeof o.messageType !== 'string' || !MESSAGE_TYPE_RE.test(o.messageType))
      throw new DocError(
        `must be a message type (${MESSAGE_TYPES.join(', ')}, …), got ${JSON.stringify(o.messageType) ?? typeName(o.messageType)}`,
        [...path, 'messageType'],
      );
    t.messageType = o.messageType;
  }
  if (o.attributes !== undefined) {
    t.attributes = stringMap(o.attributes, [...path, 'attributes']);
    if ('message.type' in t.attributes) {
      throw new DocError('message.type is the field messageType, not an attribute', [
        ...path,
        'attributes',
        'message.type',
      ]);
    }
  }
  if (o.brokers !== undefined) {
    t.brokers = named(o.brokers, [...path, 'brokers'], brokerName, placement);
    if (Object.keys(t.brokers).length === 0)
      throw new DocError('must name at least one broker', [...path, 'brokers']);
  }
  return t;
}

function brokerName(name: string): void {
  if (!/^[a-zA-Z0-9_.:-]{1,127}$/.test(name)) throw new Error(`invalid broker name "${name}"`);
}

const GROUP_FIELDS = [
  'retryMaxTimes',
  'retryQueueNums',
  'broadcast',
  'orderly',
  'consumeEnable',
  'consumeFromMinEnable',
  'whichBrokerWhenConsumeSlowly',
  'notifyConsumerIdsChangedEnable',
  'brokerId',
  'consumeTimeoutMinute',
  'retryPolicy',
  'brokers',
] as const;

const MAX = Number.MAX_SAFE_INTEGER;

function group(v: unknown, path: Path): GroupSpec {
  const o = object(v, path, GROUP_FIELDS);
  const g: GroupSpec = {};
  const at = (k: string): Path => [...path, k];
  if (o.retryMaxTimes !== undefined) g.retryMaxTimes = int(o.retryMaxTimes, at('retryMaxTimes'), 0, 1000);
  if (o.retryQueueNums !== undefined) g.retryQueueNums = int(o.retryQueueNums, at('retryQueueNums'), 0, 1024);
  for (const k of [
    'broadcast',
    'orderly',
    'consumeEnable',
    'consumeFromMinEnable',
    'notifyConsumerIdsChangedEnable',
  ] as const) {
    if (o[k] !== undefined) g[k] = bool(o[k], at(k));
  }
  for (const k of ['whichBrokerWhenConsumeSlowly', 'brokerId', 'consumeTimeoutMinute'] as const) {
    if (o[k] !== undefined) g[k] = int(o[k], at(k), 0, MAX);
  }
  if (o.retryPolicy !== undefined) {
    const rp = o.retryPolicy;
    const type = isPlainObject(rp)
      ? oneOf(rp.type, [...at('retryPolicy'), 'type'], ['CUSTOMIZED', 'EXPONENTIAL'])
      : undefined;
    if (type === 'EXPONENTIAL') {
      const e = object(rp, at('retryPolicy'), ['type', 'initial', 'max', 'multiplier']);
      g.retryPolicy = { type };
      if (e.initial !== undefined)
        g.retryPolicy.initial = int(e.initial, [...at('retryPolicy'), 'initial'], 0, MAX);
      if (e.max !== undefined) g.retryPolicy.max = int(e.max, [...at('retryPolicy'), 'max'], 0, MAX);
      if (e.multiplier !== undefined)
        g.retryPolicy.multiplier = int(e.multiplier, [...at('retryPolicy'), 'multiplier'], 1, MAX);
    } else {
      const c = object(rp, at('retryPolicy'), ['type', 'next']);
      g.retryPolicy = { type: 'CUSTOMIZED' };
      if (c.next !== undefined) {
        if (!Array.isArray(c.next))
          throw new DocError(`must be a list of milliseconds, got ${typeName(c.next)}`, [
            ...at('retryPolicy'),
            'next',
          ]);
        g.retryPolicy.next = c.next.map((n, i) => int(n, [...at('retryPolicy'), 'next', i], 0, MAX));
      }
    }
  }
  if (o.brokers !== undefined) {
    if (!Array.isArray(o.brokers) || o.brokers.length === 0)
      throw new DocError(`must be a list of broker names, got ${typeName(o.brokers)}`, at('brokers'));
    g.brokers = o.brokers.map((b, i) => {
      if (typeof b !== 'string')
        throw new DocError(`must be a broker name, got ${typeName(b)}`, [...at('brokers'), i]);
      try {
        brokerName(b);
      } catch (err) {
        throw new DocError((err as Error).message, [...at('brokers'), i]);
      }
      return b;
    });
  }
  return g;
}

/** Checks a document already read into plain values; DocError names the path of what is wrong. */
export function checkDocument(v: unknown): MetadataDocument {
  const o = object(v, [], ['apiVersion', 'kind', 'metadata', 'scope', 'topics', 'groups', 'acl']);
  if (o.apiVersion !== API_VERSION)
    throw new DocError(
      `must be "${API_VERSION}", got ${JSON.stringify(o.apiVersion) ?? 'none'}`,
      o.apiVersion === undefined ? [] : ['apiVersion'],
    );
  if (o.kind !== DOCUMENT_KIND)
    throw new DocError(
      `must be "${DOCUMENT_KIND}", got ${JSON.stringify(o.kind) ?? 'none'}`,
      o.kind === undefined ? [] : ['kind'],
    );
  const doc: MetadataDocument = { apiVersion: API_VERSION, kind: DOCUMENT_KIND };
  if (o.metadata !== undefined) {
    // Informational: checked for shape only, never read by diff or apply.
    const m = object(o.metadata, ['metadata'], ['source', 'exportedAt']);
    if (m.source !== undefined) {
      const s = object(m.source, ['metadata', 'source'], ['cluster', 'namesrv', 'brokerVersion']);
      for (const k of ['cluster', 'namesrv', 'brokerVersion'] as const) {
        if (s[k] !== undefined && s[k] !== null && typeof s[k] !== 'string')
          throw new DocError(`must be a string, got ${typeName(s[k])}`, ['metadata', 'source', k]);
      }
    }
    if (m.exportedAt !== undefined && typeof m.exportedAt !== 'string')
      throw new DocError(`must be a string, got ${typeName(m.exportedAt)}`, ['metadata', 'exportedAt']);
    doc.metadata = m as MetadataDocument['metadata'];
  }
  if (o.scope !== undefined) {
    const s = object(o.scope, ['scope'], ['prefix']);
    if (s.prefix !== undefined) {
      if (typeof s.prefix !== 'string' || !/^[%|a-zA-Z0-9_-]+$/.test(s.prefix))
        throw new DocError('must be the start of a topic or group name (a-z A-Z 0-9 _ - % |)', [
          'scope',
          'prefix',
        ]);
      doc.scope = { prefix: s.prefix };
    }
  }
  if (o.topics !== undefined) doc.topics = named(o.topics, ['topics'], validateTopicName, topic);
  if (o.groups !== undefined) doc.groups = named(o.groups, ['groups'], validateGroupName, group);
  if (o.acl !== undefined) doc.acl = acl(o.acl, ['acl']);
  return doc;
}

/** A check that throws InvalidArgumentError, as a DocError at `path`. */
function at<T>(path: Path, fn: () => T, onKey = false): T {
  try {
    return fn();
  } catch (err) {
    throw new DocError((err as Error).message, path, onKey);
  }
}

function aclUser(v: unknown, path: Path): AclUserSpec {
  const o = object(v ?? {}, path, ['type', 'status', 'password']);
  const u: AclUserSpec = {};
  if (o.type !== undefined) u.type = oneOf(o.type, [...path, 'type'], USER_TYPES);
  if (o.status !== undefined) u.status = oneOf(o.status, [...path, 'status'], USER_STATUSES);
  if (o.password !== undefined) {
    if (typeof o.password !== 'string')
      throw new DocError(`must be a string (quote it), got ${typeName(o.password)}`, [...path, 'password']);
    const password = o.password;
    at([...path, 'password'], () => validatePassword(password));
    u.password = password;
  }
  return u;
}

function policyEntry(v: unknown, path: Path): AclPolicyEntrySpec {
  const o = object(v, path, ['resource', 'actions', 'decision', 'sourceIps']);
  if (typeof o.resource !== 'string')
    throw new DocError(`must be a string, got ${typeName(o.resource)}`, [...path, 'resource']);
  const resource = o.resource;
  const e: AclPolicyEntrySpec = {
    resource: at([...path, 'resource'], () => parseResource(resource)),
    actions: [],
    decision: oneOf(o.decision, [...path, 'decision'], DECISIONS),
  };
  if (!Array.isArray(o.actions) || o.actions.length === 0)
    throw new DocError(`must be a list of ${ACTIONS.join(', ')}, got ${typeName(o.actions)}`, [
      ...path,
      'actions',
    ]);
  e.actions = o.actions.map((a, i) => oneOf(a, [...path, 'actions', i], ACTIONS));
  if (o.sourceIps !== undefined) {
    if (!Array.isArray(o.sourceIps))
      throw new DocError(`must be a list, got ${typeName(o.sourceIps)}`, [...path, 'sourceIps']);
    e.sourceIps = o.sourceIps.map((ip, i) => {
      if (typeof ip !== 'string')
        throw new DocError(`must be a string, got ${typeName(ip)}`, [...path, 'sourceIps', i]);
      return at([...path, 'sourceIps', i], () => parseSourceIp(ip));
    });
  }
  return e;
}

function acl(v: unknown, path: Path): AclSpec {
  const o = object(v, path, ['users', 'policies']);
  const out: AclSpec = {};
  if (o.users !== undefined)
    out.users = named(o.users, [...path, 'users'], (n) => validateUsername(n), aclUser);
  if (o.policies !== undefined) {
    out.policies = named(
      o.policies,
      [...path, 'policies'],
      (subject) => {
        if (parseSubject(subject) !== subject)
          throw new DocError(
            `subject "${subject}" must be written User:<name>`,
            [...path, 'policies', subject],
            true,
          );
      },
      (entries, p) => {
        if (!Array.isArray(entries))
          throw new DocError(`must be a list of entries, got ${typeName(entries)}`, p);
        return entries.map((e, i) => policyEntry(e, [...p, i]));
      },
    );
  }
  return out;
}
