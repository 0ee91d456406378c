/**
 * The NDJSON shape of a message: what `consume --output ndjson` prints and what
 * `send --input ndjson` reads, so `rmq consume … | rmq send other --input ndjson` copies faithfully.
 *
 *   {"topic":"orders","msgId":"…","offsetMsgId":"…","brokerName":"broker-a","queueId":3,"queueOffset":17,
 *    "bornTimestamp":"2026-11-22T00:00:00.000Z","storeTimestamp":"…","bornHost":"…","storeHost":"…",
 *    "reconsumeTimes":0,"tags":"new","keys":["k1"],"messageGroup":null,
 *    "properties":{"user":"props"},"systemProperties":{"UNIQ_KEY":"…"},"body":"text"}
 *
 * `body` holds the body when it is valid UTF-8 text, else `bodyBase64` holds it. Input records
 * may also carry `delay` (duration or ms), `deliverAt` (ISO time or epoch ms), `delayLevel`.
 */

import type { OutgoingMessage } from '../core/client/outgoing-message.js';
import { InvalidArgumentError } from '../core/errors.js';
import {
  type BodyError,
  describeBodyError,
  type MessageExt,
  Prop,
  SYSTEM_PROPERTIES,
} from '../core/protocol/message.js';
import { parseDuration } from '../core/util/units.js';

export interface MessageRecord {
  topic: string;
  msgId: string;
  offsetMsgId: string;
  brokerName: string | null;
  queueId: number;
  queueOffset: number;
  bornTimestamp: string;
  storeTimestamp: string;
  bornHost: string;
  storeHost: string;
  reconsumeTimes: number;
  tags: string | null;
  keys: string[];
  messageGroup: string | null;
  properties: Record<string, string>;
  systemProperties: Record<string, string>;
  body?: string;
  bodyBase64?: string;
  /** Set, instead of body/bodyBase64, when the stored body could not be inflated. */
  bodyError?: RecordBodyError;
}

export interface RecordBodyError {
  /** too-large: it inflates past the --max-body limit; corrupt: it is not valid zlib. */
  reason: BodyError['reason'];
  /** One line: why, and what to do. */
  message: string;
  /** Size of the body as stored (compressed). */
  storedBytes: number;
  /** The limit in force (too-large), else null. */
  limitBytes: number | null;
}

/** Why the body is not shown and what to do, for records, output lines and warnings. */
export function bodyErrorText(e: BodyError): string {
  const text = `${describeBodyError(e)}: not shown`;
  return e.reason === 'too-large' ? `${text}; raise --max-body (or RMQ_MAX_BODY) to read it` : text;
}

/** The stderr warning for a message whose body was not inflated: which message, where, why. */
export function bodyErrorNote(m: MessageExt, brokerName?: string | null): string | undefined {
  if (!m.bodyError) return undefined;
  const where = `${originalTopic(m)}${brokerName ? ` ${brokerName}` : ''} queue ${m.queueId} offset ${m.queueOffset}`;
  return `message ${m.msgId} (${where}): ${bodyErrorText(m.bodyError)}`;
}

/**
 * How a human renderer makes text from the wire safe for where it goes (src/ui/terminal-text.ts
 * has the terminal one): `keepNewlines` when a newline is content, not the end of a record.
 */
export type TextEscape = (text: string, keepNewlines?: boolean) => string;

/** Text as it is: what pipes and files get. */
export const asIs: TextEscape = (text) => text;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The body as text when it is valid UTF-8 (and so round-trips), else undefined. */
export function bodyText(body: Buffer): string | undefined {
  try {
    return utf8.decode(body);
  } catch {
    return undefined;
  }
}

/** The topic a user sent to: retry messages carry the original in RETRY_TOPIC. */
export function originalTopic(m: MessageExt): string {
  return m.properties[Prop.RETRY_TOPIC] ?? m.topic;
}

export function toRecord(m: MessageExt, brokerName: string | null = null): MessageRecord {
  // Entries, then fromEntries: a property named "__proto__" (any name goes on the wire) would
  // replace the prototype if assigned, and vanish from the record.
  const user: [string, string][] = [];
  const system: [string, string][] = [];
  for (const e of Object.entries(m.properties)) (SYSTEM_PROPERTIES.has(e[0]) ? system : user).push(e);
  const properties = Object.fromEntries(user);
  const systemProperties = Object.fromEntries(system);
  const rec: MessageRecord = {
    topic: originalTopic(m),
    msgId: m.msgId,
    offsetMsgId: m.offsetMsgId,
    brokerName,
    queueId: m.queueId,
    queueOffset: m.queueOffset,
    bornTimestamp: new Date(m.bornTimestamp).toISOString(),
    storeTimestamp: new Date(m.storeTimestamp).toISOString(),
    bornHost: m.bornHost,
    storeHost: m.storeHost,
    reconsumeTimes: m.reconsumeTimes,
    tags: m.properties[Prop.TAGS] ?? null,
    keys: (m.properties[Prop.KEYS] ?? '').split(' ').filter((k) => k.length > 0),
    messageGroup: m.properties[Prop.SHARDING_KEY] ?? null,
    properties,
    systemProperties,
  };
  if (m.bodyError) {
    // The stored bytes are compressed: as body they would read as garbage, or be sent on as such.
    rec.bodyError = {
      reason: m.bodyError.reason,
      message: bodyErrorText(m.bodyError),
      storedBytes: m.bodyError.storedBytes,
      limitBytes: m.bodyError.reason === 'too-large' ? m.bodyError.limitBytes : null,
    };
    return rec;
  }
  const text = bodyText(m.body);
  if (text !== undefined) rec.body = text;
  else rec.bodyBase64 = m.body.toString('base64');
  return rec;
}

function parseTime(v: unknown, field: string): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string') {
    if (/^\d+$/.test(v)) return Number(v);
    const t = Date.parse(v);
    if (!Number.isNaN(t)) return t;
  }
  throw new InvalidArgumentError(`invalid ${field} ${JSON.stringify(v)}`, {
    hint: 'use an ISO time or epoch ms',
  });
}

/**
 * Turns one parsed NDJSON record into a message for `topic`. Unknown fields (ids, offsets,
 * timestamps of the source message) are ignored: they belong to the copy's source.
 */
export function fromRecord(value: unknown, topic: string, where: string): OutgoingMessage {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidArgumentError(`${where}: a record must be a JSON object`);
  }
  const r = value as Record<string, unknown>;
  let body: Buffer;
  if (r.bodyError && typeof r.bodyError === 'object') {
    const why = (r.bodyError as { message?: unknown }).message;
    throw new InvalidArgumentError(
      `${where}: the record has no body (it was not read${typeof why === 'string' ? `: ${why}` : ''})`,
    );
  }
  if (typeof r.bodyBase64 === 'string') body = Buffer.from(r.bodyBase64, 'base64');
  else if (typeof r.body === 'string') body = Buffer.from(r.body, 'utf8');
  else if (r.body !== undefined && r.body !== null) body = Buffer.from(JSON.stringify(r.body), 'utf8');
  else throw new InvalidArgumentError(`${where}: the record has no "body" or "bodyBase64"`);
  const keys =
    typeof r.keys === 'string'
      ? r.keys.split(' ').filter(Boolean)
      : Array.isArray(r.keys)
        ? r.keys.map(String)
        : undefined;
  // fromEntries keeps a "__proto__" property (JSON.parse made it an own one) as a property.
  const properties: Record<string, string> =
    r.properties && typeof r.properties === 'object'
      ? Object.fromEntries(
          Object.entries(r.properties as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
        )
      : {};
  const msg: OutgoingMessage = {
    topic,
    body,
    tags: typeof r.tags === 'string' && r.tags ? r.tags : undefined,
    keys,
    properties,
    messageGroup: typeof r.messageGroup === 'string' && r.messageGroup ? r.messageGroup : undefined,
  };
  if (r.delayLevel !== undefined && r.delayLevel !== null) msg.delayLevel = Number(r.delayLevel);
  if (r.delay !== undefined && r.delay !== null) {
    msg.delayMs = typeof r.delay === 'number' ? r.delay : parseDuration(String(r.delay), `${where}: delay`);
  }
  if (r.deliverAt !== undefined && r.deliverAt !== null)
    msg.deliverAtMs = parseTime(r.deliverAt, `${where}: deliverAt`);
  return msg;
}
