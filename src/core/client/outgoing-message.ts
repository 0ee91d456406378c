/**
 * What a message becomes on the wire before any broker is chosen: its size limit, the checks
 * on every string bound for the properties string, that string itself, its UNIQ_KEY and its
 * compression. Kept apart from the producer's queue choice and retries: the input readers (send,
 * bench) check messages by the same rules before a producer sees them.
 */
import { deflateSync } from 'node:zlib';
import { InvalidArgumentError } from '../errors.js';
import { Prop, SysFlag, type UniqueIdGenerator } from '../protocol/message.js';

export const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface OutgoingMessage {
  topic: string;
  body: Buffer;
  tags?: string | undefined;
  keys?: string[] | undefined;
  properties?: Record<string, string> | undefined;
  /** 4.x delay level 1..18 */
  delayLevel?: number | undefined;
  /** 5.x timer: deliver this many ms from now */
  delayMs?: number | undefined;
  /** 5.x timer: deliver at this epoch ms */
  deliverAtMs?: number | undefined;
  /** FIFO: all messages of a group go to one queue, in order */
  messageGroup?: string | undefined;
  /** 5.5: the lite topic of a message to a LITE parent topic (the producer sends it to that lite topic's queue). */
  liteTopic?: string | undefined;
  /**
   * Chooses the queue by this string's hash (as Java's SelectMessageQueueByHash), so messages with
   * the same one share a queue; nothing of it goes on the wire. A message group wins over it.
   */
  hashKey?: string | undefined;
  /** 5.4+ priority message: 0 and up, higher first (see MAX_PRIORITY). */
  priority?: number | undefined;
  flag?: number | undefined;
}

/**
 * Java's Message.setPriority refuses less than 0 and the broker reads an int; it stores the
 * message in queue min(priority, writeQueues - 1), so a topic of N queues has N levels.
 */
export const MAX_PRIORITY = 2147483647;

/** A message made ready to send: its body, sysFlag, properties string and UNIQ_KEY. */
export interface Prepared {
  body: Buffer;
  sysFlag: number;
  properties: string;
  uniq: string;
}

/** U+0001 ends a property's name and U+0002 its value in the properties string of the wire. */
const PROPERTY_SEPARATORS = /[\u0001\u0002]/;

/**
 * Throws InvalidArgumentError (exit 2) when `value`, bound for the properties string as `field`,
 * holds a separator: a tag like "a\u0002DELAY\u00013" would otherwise add a property of its own.
 * @example checkPropertyText('message key', 'order-1') // fine
 */
export function checkPropertyText(field: string, value: string): void {
  if (PROPERTY_SEPARATORS.test(value)) {
    throw new InvalidArgumentError(
      `${field} ${JSON.stringify(value)} contains \\u0001 or \\u0002, which separate message properties`,
      { hint: 'remove those characters: RocketMQ cannot carry them in keys, tags, groups or properties' },
    );
  }
}

function checkProperties(props: Record<string, string>): void {
  for (const k in props) {
    checkPropertyText('property name', k);
    const v = props[k];
    if (v != null) checkPropertyText(`property ${JSON.stringify(k)}`, v);
  }
}

/**
 * Checks every string of a message that goes into its properties string (user properties,
 * keys, tags, message group, and `extra`). The producer calls it for each message it sends.
 */
export function checkPropertyStrings(
  msg: Pick<OutgoingMessage, 'tags' | 'keys' | 'properties' | 'messageGroup' | 'liteTopic'>,
  extra?: Record<string, string>,
): void {
  if (msg.properties) checkProperties(msg.properties);
  if (extra) checkProperties(extra);
  if (msg.keys) for (const key of msg.keys) checkPropertyText('message key', key);
  if (msg.tags) checkPropertyText('tag', msg.tags);
  if (msg.messageGroup !== undefined) checkPropertyText('message group', msg.messageGroup);
  if (msg.liteTopic !== undefined) checkPropertyText('lite topic', msg.liteTopic);
}

/** Whether `extra` sets k itself (own keys only: "constructor" is not in a plain object). */
function inExtra(extra: Record<string, string> | undefined, k: string): boolean {
  return extra !== undefined && Object.hasOwn(extra, k) && extra[k] != null;
}

/** `out` with property k=v appended, unless `extra` sets k (then extra's value is appended later). */
function prop(out: string, extra: Record<string, string> | undefined, k: string, v: string): string {
  return inExtra(extra, k) ? out : out + k + '\u0001' + v + '\u0002';
}

const WAIT_TRUE = `${Prop.WAIT}\u0001true\u0002`;

/** Whether one of the message's own fields sets property `k` (and so replaces a user's). */
function setByMessage(msg: OutgoingMessage, k: string): boolean {
  switch (k) {
    case Prop.KEYS:
      return msg.keys !== undefined && msg.keys.length > 0;
    case Prop.TAGS:
      return !!msg.tags;
    case Prop.DELAY:
      return msg.delayLevel !== undefined && msg.delayLevel > 0;
    case Prop.TIMER_DELAY_MS:
      return msg.delayMs !== undefined;
    case Prop.TIMER_DELIVER_MS:
      return msg.deliverAtMs !== undefined;
    case Prop.SHARDING_KEY:
      return msg.messageGroup !== undefined;
    case Prop.LITE_TOPIC:
      return msg.liteTopic !== undefined;
    case Prop.PRIORITY:
      return msg.priority !== undefined;
    default:
      return false;
  }
}

/**
 * Properties string, UNIQ_KEY (made when absent) and sysFlag of one message. The message's own
 * fields (keys, tags, delays, group) replace user properties of the same name, and `extra`
 * replaces both. The string is written directly, without a merged properties object: this
 * runs for every message sent. Every string that goes into it is checked for separators first.
 */
export function prepareMessage(
  msg: OutgoingMessage,
  extra: Record<string, string> | undefined,
  ids: UniqueIdGenerator,
  compressThreshold: number,
): Prepared {
  if (msg.body.length > MAX_BODY_BYTES) {
    throw new InvalidArgumentError(
      `message body is ${msg.body.length} bytes; the limit is ${MAX_BODY_BYTES}`,
    );
  }
  checkPropertyStrings(msg, extra);
  // Written without helper closures and with constant pieces where a value is fixed: this
  // runs for every message sent, and every closure and intermediate string is garbage.
  const user = msg.properties;
  let out = '';
  if (user) {
    for (const k in user) {
      const v = user[k];
      if (v == null || inExtra(extra, k) || setByMessage(msg, k)) continue;
      out += k + '\u0001' + v + '\u0002';
    }
  }
  if (msg.keys && msg.keys.length > 0) out = prop(out, extra, Prop.KEYS, msg.keys.join(' '));
  if (msg.tags) out = prop(out, extra, Prop.TAGS, msg.tags);
  if (msg.delayLevel !== undefined && msg.delayLevel > 0)
    out = prop(out, extra, Prop.DELAY, String(msg.delayLevel));
  if (msg.delayMs !== undefined) out = prop(out, extra, Prop.TIMER_DELAY_MS, String(Math.round(msg.delayMs)));
  if (msg.deliverAtMs !== undefined)
    out = prop(out, extra, Prop.TIMER_DELIVER_MS, String(Math.round(msg.deliverAtMs)));
  if (msg.messageGroup !== undefined) out = prop(out, extra, Prop.SHARDING_KEY, msg.messageGroup);
  if (msg.liteTopic !== undefined) out = prop(out, extra, Prop.LITE_TOPIC, msg.liteTopic);
  if (msg.priority !== undefined) out = prop(out, extra, Prop.PRIORITY, String(msg.priority));
  let uniq = extra?.[Prop.UNIQ_KEY] ?? user?.[Prop.UNIQ_KEY];
  if (uniq == null) {
    uniq = ids.next();
    out = prop(out, extra, Prop.UNIQ_KEY, uniq);
  }
  if (user?.[Prop.WAIT] == null && !inExtra(extra, Prop.WAIT)) out += WAIT_TRUE;
  if (extra) {
    for (const k in extra) {
      const v = extra[k];
      if (v != null) out += k + '\u0001' + v + '\u0002';
    }
  }
  let body = msg.body;
  let sysFlag = 0;
  if (body.length >= compressThreshold) {
    const z = deflateSync(body, { level: 5 });
    if (z.length < body.length) {
      body = z;
      sysFlag |= SysFlag.COMPRESSED | SysFlag.COMPRESSION_ZLIB;
    }
  }
  return { body, sysFlag, properties: out, uniq };
}
