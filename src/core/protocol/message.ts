/**
 * Message encoding: properties, ids, stored-message records, batch bodies. The send request's
 * header is in send-message.ts.
 *
 * Properties string:  repeated  name 0x01 value 0x02
 *
 * Stored message record (bodies of PULL_MESSAGE, QUERY_MESSAGE, VIEW_MESSAGE_BY_ID,
 * CHECK_TRANSACTION_STATE), big-endian, records back to back:
 *   int32 storeSize | int32 magic (V1 0xDAA320A7: 1-byte topic length; V2 0xDAA320AB: 2-byte)
 *   int32 bodyCRC | int32 queueId | int32 flag | int64 queueOffset | int64 physicalOffset
 *   int32 sysFlag | int64 bornTimestamp | bornHost (4+4, or 16+4 if sysFlag&0x10)
 *   int64 storeTimestamp | storeHost (4+4, or 16+4 if sysFlag&0x20) | int32 reconsumeTimes
 *   int64 preparedTransactionOffset | int32 bodyLen + body | topicLen(1|2) + topic
 *   int16 propertiesLen + properties
 *
 * Batch body (SEND_BATCH_MESSAGE), inner records back to back:
 *   int32 totalSize | int32 magic (0) | int32 bodyCRC (0) | int32 flag | int32 bodyLen + body
 *   | int16 propertiesLen + properties
 *
 * Offset message id: hex(storeHost ip (4|16) + port int32 + commitLogOffset int64), uppercase.
 * Unique id (UNIQ_KEY): hex(ip 4 + pid int16 + classloader hash int32 + ms since start of month
 * int32 + counter int16), uppercase; what users call "the message id".
 */
import { randomBytes } from 'node:crypto';
import { constants as bufferConstants } from 'node:buffer';
import { inflateSync } from 'node:zlib';
import { ProtocolError } from '../errors.js';
import { localIp } from '../util/net.js';

export const Prop = {
  KEYS: 'KEYS',
  TAGS: 'TAGS',
  WAIT: 'WAIT',
  DELAY: 'DELAY',
  UNIQ_KEY: 'UNIQ_KEY',
  TIMER_DELAY_MS: 'TIMER_DELAY_MS',
  TIMER_DELIVER_MS: 'TIMER_DELIVER_MS',
  TRAN_MSG: 'TRAN_MSG',
  PGROUP: 'PGROUP',
  RETRY_TOPIC: 'RETRY_TOPIC',
  REAL_TOPIC: 'REAL_TOPIC',
  REAL_QID: 'REAL_QID',
  ORIGIN_MESSAGE_ID: 'ORIGIN_MESSAGE_ID',
  RECONSUME_TIME: 'RECONSUME_TIME',
  MAX_RECONSUME_TIMES: 'MAX_RECONSUME_TIMES',
  SHARDING_KEY: '__SHARDINGKEY',
  /** 5.5: the lite topic of a message sent to a LITE parent topic. */
  LITE_TOPIC: '__LITE_TOPIC',
  /** Set by the broker: the LMQs ("%LMQ%$parent$lite") a message is dispatched to, and its offsets there. */
  INNER_MULTI_DISPATCH: 'INNER_MULTI_DISPATCH',
  INNER_MULTI_QUEUE_OFFSET: 'INNER_MULTI_QUEUE_OFFSET',
  TRANSACTION_ID: '__transactionId__',
  MSG_REGION: 'MSG_REGION',
  TRACE_ON: 'TRACE_ON',
  MIN_OFFSET: 'MIN_OFFSET',
  MAX_OFFSET: 'MAX_OFFSET',
  CHECK_IMMUNITY_TIME_IN_SECONDS: 'CHECK_IMMUNITY_TIME_IN_SECONDS',
  DLQ_ORIGIN_TOPIC: 'DLQ_ORIGIN_TOPIC',
  DLQ_ORIGIN_MESSAGE_ID: 'DLQ_ORIGIN_MESSAGE_ID',
  /** 5.4+: the broker stores the message in queue min(priority, writeQueues - 1). */
  PRIORITY: '_SYS_MSG_PRIORITY_',
} as const;

/** Properties the system sets; user properties are everything else. */
export const SYSTEM_PROPERTIES: ReadonlySet<string> = new Set([
  ...Object.values(Prop),
  'CLUSTER',
  'TRAN_PREPARED_QUEUE_OFFSET',
  'TRANSACTION_CHECK_TIMES',
  'TIMER_DELAY_SEC',
  'TIMER_OUT_MS',
  'TIMER_ENQUEUE_MS',
  'TIMER_DEQUEUE_MS',
  'TIMER_ROLL_TIMES',
  'TIMER_DEL_UNIQKEY',
  'CONSUME_START_TIME',
  'INSTANCE_ID',
  'CORRELATION_ID',
  'REPLY_TO_CLIENT',
  'TTL',
  'MSG_TYPE',
  'BORN_TIMESTAMP',
  '__BORNHOST',
  'TRACE_CONTEXT',
  'POP_CK',
  'POP_CK_OFFSET',
  'FIRST_POP_TIME',
  'INNER_NUM',
  'INNER_BASE',
  '__CRC32#',
]);

export const SysFlag = {
  COMPRESSED: 0x1,
  TRANSACTION_PREPARED: 0x4,
  TRANSACTION_COMMIT: 0x8,
  TRANSACTION_ROLLBACK: 0xc,
  BORNHOST_V6: 0x10,
  STOREHOST_V6: 0x20,
  NEED_UNWRAP: 0x40,
  INNER_BATCH: 0x80,
  /** Compression type ZLIB in bits 8–10. */
  COMPRESSION_ZLIB: 0x300,
} as const;

const MAGIC_V1 = -626843481;
const MAGIC_V2 = -626843477;

const NAME_SEP = '\u0001';
const PROP_SEP = '\u0002';

export function encodeProperties(props: Record<string, string | undefined>): string {
  let out = '';
  for (const k in props) {
    const v = props[k];
    if (v === undefined || v === null) continue;
    out += `${k}${NAME_SEP}${v}${PROP_SEP}`;
  }
  return out;
}

export function decodeProperties(s: string): Record<string, string> {
  if (!s) return {};
  const entries: [string, string][] = [];
  for (const entry of s.split(PROP_SEP)) {
    const i = entry.indexOf(NAME_SEP);
    // The Java decoder drops entries with an empty name or value.
    if (i <= 0 || i === entry.length - 1) continue;
    entries.push([entry.slice(0, i), entry.slice(i + 1)]);
  }
  // fromEntries: a property named "__proto__" stays data instead of replacing the prototype.
  return Object.fromEntries(entries);
}

/** Java String.hashCode: the tag code the broker stores in the consume queue. */
export function javaHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

function localIPv4(): Buffer {
  return Buffer.from(localIp().split('.').map(Number));
}

/** Generates UNIQ_KEY ids as MessageClientIDSetter does. */
/** Two upper-case hex digits per byte value. */
const HEX2 = Array.from({ length: 256 }, (_, i) => i.toString(16).toUpperCase().padStart(2, '0'));

export class UniqueIdGenerator {
  private readonly prefix: string;
  private counter = 0;
  private monthStart = 0;
  private nextMonthStart = 0;
  private stampMs = -1;
  private stamped = '';

  constructor(ip: Buffer = localIPv4(), pid = process.pid) {
    const fixed = Buffer.alloc(10);
    ip.copy(fixed, 0, 0, 4);
    fixed.writeUInt16BE(pid & 0xffff, 4);
    randomBytes(4).copy(fixed, 6); // stands in for the Java classloader hash
    this.prefix = fixed.toString('hex').toUpperCase();
  }

  next(now = Date.now()): string {
    if (now >= this.nextMonthStart) {
      const d = new Date(now);
      this.monthStart = new Date(d.getFullYear(), d.getMonth(), 1).getTime();
      this.nextMonthStart = new Date(d.getFullYear(), d.getMonth() + 1, 1).getTime();
      this.stampMs = -1;
    }
    // int32 ms since the month began (as Java writes it: bits kept past 2^31) and a uint16 counter,
    // as 12 hex digits. This runs for every message sent: the prefix with the ms part is made once
    // per ms, and the counter's digits come from a table.
    if (now !== this.stampMs) {
      this.stampMs = now;
      this.stamped =
        this.prefix + ((now - this.monthStart) >>> 0).toString(16).toUpperCase().padStart(8, '0');
    }
    const n = this.counter;
    this.counter = (n + 1) & 0xffff;
    return this.stamped + (HEX2[n >>> 8]! + HEX2[n & 0xff]!);
  }
}

/** Decodes an offset message id into the storing broker's address and the commit-log offset. */
export function decodeOffsetMsgId(id: string): { address: string; offset: bigint } {
  if (!/^[0-9A-Fa-f]+$/.test(id) || (id.length !== 32 && id.length !== 56)) {
    throw new ProtocolError(`"${id}" is not an offset message id`);
  }
  const b = Buffer.from(id, 'hex');
  const ipLen = id.length === 32 ? 4 : 16;
  const ip = ipLen === 4 ? [...b.subarray(0, 4)].join('.') : ipv6String(b.subarray(0, 16));
  const port = b.readInt32BE(ipLen);
  const offset = b.readBigInt64BE(ipLen + 4);
  return { address: ipLen === 4 ? `${ip}:${port}` : `[${ip}]:${port}`, offset };
}

function ipv6String(b: Buffer): string {
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(b.readUInt16BE(i).toString(16));
  return parts.join(':');
}

export interface MessageExt {
  topic: string;
  queueId: number;
  queueOffset: number;
  commitLogOffset: number;
  flag: number;
  sysFlag: number;
  bornTimestamp: number;
  bornHost: string;
  storeTimestamp: number;
  storeHost: string;
  reconsumeTimes: number;
  preparedTransactionOffset: number;
  body: Buffer;
  /** Body as stored: compressed when sysFlag has bit 0. */
  bodyCompressed: boolean;
  /** Why a compressed body was not inflated (body then holds the stored bytes). */
  bodyError?: BodyError;
  properties: Record<string, string>;
  /** Offset message id (storeHost + commit-log offset). */
  offsetMsgId: string;
  /** UNIQ_KEY, or the offset message id when the producer set none. */
  msgId: string;
}

/**
 * An int64 as a Number, from two int32 reads: readBigInt64BE plus Number() cost several times
 * more, five times per received message. Exact below 2^53, as Number(bigint) is.
 */
function readInt64(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * 2 ** 32 + buf.readUInt32BE(pos + 4);
}

function readHost(buf: Buffer, pos: number, v6: boolean): [string, number, Buffer] {
  const len = v6 ? 16 : 4;
  const ipBytes = buf.subarray(pos, pos + len);
  const ip = v6 ? `[${ipv6String(ipBytes)}]` : `${buf[pos]}.${buf[pos + 1]}.${buf[pos + 2]}.${buf[pos + 3]}`;
  const port = buf.readInt32BE(pos + len);
  return [`${ip}:${port}`, pos + len + 4, buf.subarray(pos, pos + len + 4)];
}

/**
 * Largest inflated body by default. Clients refuse bodies over maxMessageSize (4 MiB) before
 * compressing them, so a compressed body from a well-behaved producer inflates to at most that;
 * a crafted one inflates a thousandfold (1 MiB of zlib holds 1 GiB of zeros), and the broker,
 * which checks only the stored size, keeps it. Far above the first, far below the second.
 */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;

/** A compressed body that was kept as stored: it would inflate past the limit, or does not inflate. */
export type BodyError =
  | { reason: 'too-large'; storedBytes: number; limitBytes: number }
  | { reason: 'corrupt'; storedBytes: number; detail: string };

export interface DecodeOptions {
  /** Inflate compressed bodies (default true); false keeps them as stored, for inflateBody later. */
  inflate?: boolean;
  /** Largest inflated body, bytes (default DEFAULT_MAX_BODY_BYTES). */
  maxBodyBytes?: number;
}

/** "64 MiB", "512 KiB" or "1000 bytes": a limit as a user would have written it. */
export function formatLimit(bytes: number): string {
  if (bytes >= 1 << 30 && bytes % (1 << 30) === 0) return `${bytes / (1 << 30)} GiB`;
  if (bytes >= 1 << 20 && bytes % (1 << 20) === 0) return `${bytes / (1 << 20)} MiB`;
  if (bytes >= 1 << 10 && bytes % (1 << 10) === 0) return `${bytes / (1 << 10)} KiB`;
  return `${bytes} bytes`;
}

/** One line saying why a body was not inflated (no advice: that belongs to the caller). */
export function describeBodyError(e: BodyError): string {
  return e.reason === 'too-large'
    ? `its compressed body (${e.storedBytes} bytes stored) inflates to more than ${formatLimit(e.limitBytes)}`
    : `its compressed body (${e.storedBytes} bytes stored) does not inflate: ${e.detail}`;
}

/**
 * Inflates a message's body in place when it is ZLIB-compressed (type 0, which Java reads as
 * ZLIB, or 3), to at most `maxBodyBytes`. zlib stops at the limit (maxOutputLength), so a bomb
 * costs the limit in memory and time, not what it would inflate to. A body over the limit, or
 * one that is not valid zlib, stays as stored with `bodyError` saying why: one hostile message
 * must not take down the read of the others. LZ4/ZSTD bodies stay as stored and flagged.
 */
export function inflateBody(m: MessageExt, maxBodyBytes = DEFAULT_MAX_BODY_BYTES): MessageExt {
  if (!m.bodyCompressed || m.bodyError) return m;
  const type = (m.sysFlag >> 8) & 7;
  if (type !== 0 && type !== 3) return m;
  // zlib refuses a maxOutputLength beyond the largest Buffer: that is the real limit then.
  const limit = Math.max(1, Math.min(Math.floor(maxBodyBytes), bufferConstants.MAX_LENGTH));
  try {
    m.body = inflateSync(m.body, { maxOutputLength: limit });
    m.bodyCompressed = false;
  } catch (err) {
    const storedBytes = m.body.length;
    m.bodyError =
      (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE'
        ? { reason: 'too-large', storedBytes, limitBytes: limit }
        : { reason: 'corrupt', storedBytes, detail: (err as Error).message };
  }
  return m;
}

/**
 * Decodes the stored-message records of a body; compressed bodies are inflated as inflateBody
 * does (so a message may come back with `bodyError`), unless `inflate` is false.
 */
export function decodeMessages(body: Buffer | undefined, options: DecodeOptions = {}): MessageExt[] {
  const out: MessageExt[] = [];
  if (!body) return out;
  let pos = 0;
  while (pos < body.length) {
    if (pos + 8 > body.length) throw new ProtocolError('truncated stored message');
    const storeSize = body.readInt32BE(pos);
    if (storeSize < 4 || pos + storeSize > body.length) {
      throw new ProtocolError(`stored message size ${storeSize} out of bounds`);
    }
    const m = decodeOne(body.subarray(pos, pos + storeSize));
    out.push(options.inflate === false ? m : inflateBody(m, options.maxBodyBytes));
    pos += storeSize;
  }
  return out;
}

function decodeOne(rec: Buffer): MessageExt {
  try {
    const magic = rec.readInt32BE(4);
    if (magic !== MAGIC_V1 && magic !== MAGIC_V2) {
      throw new ProtocolError(`unknown stored message magic 0x${(magic >>> 0).toString(16)}`);
    }
    const queueId = rec.readInt32BE(12);
    const flag = rec.readInt32BE(16);
    const queueOffset = readInt64(rec, 20);
    const commitLogOffset = readInt64(rec, 28);
    const sysFlag = rec.readInt32BE(36);
    const bornTimestamp = readInt64(rec, 40);
    let pos = 48;
    const [bornHost, p1] = readHost(rec, pos, (sysFlag & SysFlag.BORNHOST_V6) !== 0);
    pos = p1;
    const storeTimestamp = readInt64(rec, pos);
    pos += 8;
    const [storeHost, p2, storeHostBytes] = readHost(rec, pos, (sysFlag & SysFlag.STOREHOST_V6) !== 0);
    pos = p2;
    const reconsumeTimes = rec.readInt32BE(pos);
    pos += 4;
    const preparedTransactionOffset = readInt64(rec, pos);
    pos += 8;
    const bodyLen = rec.readInt32BE(pos);
    pos += 4;
    if (bodyLen < 0 || pos + bodyLen > rec.length)
      throw new ProtocolError(`message body length ${bodyLen} out of bounds`);
    const msgBody: Buffer = rec.subarray(pos, pos + bodyLen);
    pos += bodyLen;
    let topicLen: number;
    if (magic === MAGIC_V2) {
      topicLen = rec.readInt16BE(pos);
      pos += 2;
    } else {
      topicLen = rec.readUInt8(pos);
      pos += 1;
    }
    const topic = rec.toString('utf8', pos, pos + topicLen);
    pos += topicLen;
    const propLen = rec.readInt16BE(pos);
    pos += 2;
    if (propLen < 0 || pos + propLen > rec.length)
      throw new ProtocolError('message properties out of bounds');
    const properties = decodeProperties(rec.toString('utf8', pos, pos + propLen));
    const idBuf = Buffer.allocUnsafe(storeHostBytes.length + 8);
    storeHostBytes.copy(idBuf, 0);
    // The stored bytes themselves: no round trip through a Number, exact at any offset.
    rec.copy(idBuf, storeHostBytes.length, 28, 36);
    const offsetMsgId = idBuf.toString('hex').toUpperCase();
    return {
      topic,
      queueId,
      queueOffset,
      commitLogOffset,
      flag,
      sysFlag,
      bornTimestamp,
      bornHost,
      storeTimestamp,
      storeHost,
      reconsumeTimes,
      preparedTransactionOffset,
      body: msgBody,
      bodyCompressed: (sysFlag & SysFlag.COMPRESSED) !== 0,
      properties,
      offsetMsgId,
      msgId: properties[Prop.UNIQ_KEY] ?? offsetMsgId,
    };
  } catch (err) {
    if (err instanceof ProtocolError) throw err;
    throw new ProtocolError(`malformed stored message: ${(err as Error).message}`, { cause: err });
  }
}

export interface BatchItem {
  body: Buffer;
  flag: number;
  properties: string;
}

export function encodeBatchBody(items: BatchItem[]): Buffer {
  const parts: Buffer[] = [];
  for (const it of items) {
    const props = Buffer.from(it.properties, 'utf8');
    const total = 4 + 4 + 4 + 4 + 4 + it.body.length + 2 + props.length;
    const head = Buffer.allocUnsafe(20);
    head.writeInt32BE(total, 0);
    head.writeInt32BE(0, 4);
    head.writeInt32BE(0, 8);
    head.writeInt32BE(it.flag, 12);
    head.writeInt32BE(it.body.length, 16);
    const tail = Buffer.allocUnsafe(2);
    tail.writeInt16BE(props.length, 0);
    parts.push(head, it.body, tail, props);
  }
  return Buffer.concat(parts);
}
