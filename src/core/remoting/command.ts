/**
 * RemotingCommand and its frame codec.
 *
 * Frame (all integers big-endian):
 *   int32 length          = 4 + headerLen + bodyLen   (does not count itself)
 *   int32 headerLenWord   = (serializeType << 24) | (headerLen & 0xFFFFFF)
 *   byte[headerLen]       header, JSON (type 0) or ROCKETMQ binary (type 1)
 *   byte[bodyLen]         body, opaque bytes
 *
 * JSON header: {"code":105,"extFields":{"topic":"T"},"flag":0,"language":"JAVA","opaque":1,
 *               "remark":"…","serializeTypeCurrentRPC":"JSON","version":479}
 *
 * ROCKETMQ binary header:
 *   int16 code | int8 language | int16 version | int32 opaque | int32 flag
 *   int32 remarkLen (0 = null) | remark UTF-8
 *   int32 extLen (bytes of the map section) | repeated { int16 keyLen, key, int32 valLen, val }
 *
 * flag bit 0 = response, bit 1 = oneway. Servers may answer in either header type whatever we
 * sent (4.9.0–4.9.3 and 5.x answer in their default), so the decoder accepts both per frame.
 */
import { ProtocolError } from '../errors.js';
import { jsonStringMaxBytes, NUMBER_MAX_BYTES, writeJsonString, writeNumber } from './json-bytes.js';

export const SerializeType = { JSON: 0, ROCKETMQ: 1 } as const;
export type SerializeType = (typeof SerializeType)[keyof typeof SerializeType];

export const LanguageCode = {
  JAVA: 0,
  CPP: 1,
  DOTNET: 2,
  PYTHON: 3,
  DELPHI: 4,
  ERLANG: 5,
  RUBY: 6,
  OTHER: 7,
  HTTP: 8,
  GO: 9,
  PHP: 10,
  OMS: 11,
  RUST: 12,
  NODE_JS: 13,
} as const;
const languageNames = Object.keys(LanguageCode) as (keyof typeof LanguageCode)[];

/** MQVersion.Version ordinal of 5.3.3, what the current Java client sends; never send < 401. */
export const CLIENT_VERSION = 479;
/** MQVersion ordinal of V5_0_0: servers below it have no topic types, timers or GET_TOPIC_CONFIG. */
export const VERSION_5_0_0 = 413;
/** MQVersion ordinal of V5_2_0: plain ACL without GET_BROKER_CLUSTER_ACL_CONFIG (no account can be read). */
export const VERSION_5_2_0 = 453;
/** MQVersion ordinal of V5_3_0: ACL 2.0 (users and policies), and no plain ACL. */
export const VERSION_5_3_0 = 473;
/** RECALL_MESSAGE and the recall handle of a timer message arrived in 5.3.2 (MQVersion ordinal). */
export const VERSION_5_3_2 = 477;
/** MQVersion ordinal of V5_4_0: priority messages (a PRIORITY topic, popped highest queue first). */
export const VERSION_5_4_0 = 493;
/** MQVersion ordinal of V5_5_0: lite topics. */
export const VERSION_5_5_0 = 513;

/**
 * The release an MQVersion ordinal names, for messages: 5.x ordinals run two a release (a
 * SNAPSHOT before each), ten releases a minor line, from V5_0_0 = 413.
 * @example versionName(479) === '5.3.3'; versionName(400) === '4.x'
 */
export function versionName(ordinal: number): string {
  if (ordinal < VERSION_5_0_0) return '4.x';
  const n = Math.floor((ordinal - VERSION_5_0_0) / 2);
  return `5.${Math.floor(n / 10)}.${n % 10}`;
}
/**
 * JAVA, not NODE_JS: servers before 5.3.2 decode an unknown language to null and NPE on some
 * admin paths (docs/protocol.md §2.5).
 */
export const CLIENT_LANGUAGE = LanguageCode.JAVA;

export const FLAG_RESPONSE = 1;
export const FLAG_ONEWAY = 2;

export interface RemotingCommand {
  code: number;
  language: number;
  version: number;
  opaque: number;
  flag: number;
  remark?: string | undefined;
  extFields: Record<string, string>;
  /**
   * extFields as JSON text, when the sender already has it (the send path keeps most of it per
   * queue), or as a JsonWriter that writes it into the frame; must equal
   * JSON.stringify(extFields). Only the JSON header uses it.
   */
  extJson?: string | JsonWriter | undefined;
  body?: Buffer | undefined;
  /** Header type this command arrived in, or is to be sent in. */
  serializeType: SerializeType;
}

/**
 * JSON text that writes itself into the frame, so text made per message (the send header) need
 * not be a string first. It is written when the frame is encoded, which may be after a wait for
 * an in-flight slot: it must not change after it is handed over.
 */
export interface JsonWriter {
  /** an upper bound of the bytes writeTo writes */
  readonly maxBytes: number;
  /** writes the text at `pos`; returns the position after it */
  writeTo(buf: Buffer, pos: number): number;
}

export const isResponse = (cmd: RemotingCommand): boolean => (cmd.flag & FLAG_RESPONSE) !== 0;
export const isOneway = (cmd: RemotingCommand): boolean => (cmd.flag & FLAG_ONEWAY) !== 0;

export function languageName(code: number): string {
  return languageNames[code] ?? 'OTHER';
}

const ascii = (t: string): Buffer => Buffer.from(t, 'latin1');
const J_CODE = ascii('{"code":');
const J_EXT = ascii(',"extFields":');
const J_FLAG = ascii(',"flag":');
const J_LANGUAGE = ascii(',"language":"');
const J_OPAQUE = ascii('","opaque":');
const J_REMARK = ascii(',"remark":');
const J_TAIL = ascii(',"serializeTypeCurrentRPC":"JSON","version":');
const J_FIXED =
  J_CODE.length + J_EXT.length + J_FLAG.length + J_LANGUAGE.length + J_OPAQUE.length + J_TAIL.length + 1;

/**
 * Writes the JSON header at `pos` — keys in fastjson order (sorted), nulls omitted, enums by
 * name — and returns the position after it. Written piece by piece rather than built as a string:
 * that string (and its flattening, measuring and copying) was most of a request's encoding cost
 * and garbage. `buf` must have jsonHeaderMaxBytes(cmd) bytes free from `pos`.
 */
function writeJsonHeader(cmd: RemotingCommand, ext: string | JsonWriter, buf: Buffer, pos: number): number {
  buf.set(J_CODE, pos);
  pos = writeNumber(buf, pos + J_CODE.length, cmd.code);
  buf.set(J_EXT, pos);
  pos += J_EXT.length;
  pos = typeof ext === 'string' ? pos + buf.write(ext, pos, 'utf8') : ext.writeTo(buf, pos);
  buf.set(J_FLAG, pos);
  pos = writeNumber(buf, pos + J_FLAG.length, cmd.flag);
  buf.set(J_LANGUAGE, pos);
  pos += J_LANGUAGE.length;
  pos += buf.write(languageName(cmd.language), pos, 'latin1');
  buf.set(J_OPAQUE, pos);
  pos = writeNumber(buf, pos + J_OPAQUE.length, cmd.opaque);
  if (cmd.remark !== undefined) {
    buf.set(J_REMARK, pos);
    pos = writeJsonString(buf, pos + J_REMARK.length, cmd.remark);
  }
  buf.set(J_TAIL, pos);
  pos = writeNumber(buf, pos + J_TAIL.length, cmd.version);
  buf[pos++] = 0x7d; // }
  return pos;
}

function jsonHeaderMaxBytes(cmd: RemotingCommand, ext: string | JsonWriter): number {
  return (
    J_FIXED +
    4 * NUMBER_MAX_BYTES +
    12 + // the language name
    (typeof ext === 'string' ? 3 * ext.length : ext.maxBytes) +
    (cmd.remark === undefined ? 0 : J_REMARK.length + jsonStringMaxBytes(cmd.remark))
  );
}

/**
 * Frames are cut from slabs of this size (bump allocation, never reused: a slab is freed when its
 * last frame is): one allocation per ~90 sends of 1 KiB instead of Buffer's 8 KiB pool per ~5.
 */
const SLAB_BYTES = 128 * 1024;
let slab = Buffer.allocUnsafe(0);
let slabPos = 0;

function encodeBinaryHeader(cmd: RemotingCommand): Buffer {
  const remark = cmd.remark === undefined ? undefined : Buffer.from(cmd.remark, 'utf8');
  const entries: [Buffer, Buffer][] = [];
  let extLen = 0;
  for (const [k, v] of Object.entries(cmd.extFields)) {
    if (v === undefined || v === null) continue;
    const kb = Buffer.from(k, 'utf8');
    const vb = Buffer.from(String(v), 'utf8');
    entries.push([kb, vb]);
    extLen += 2 + kb.length + 4 + vb.length;
  }
  const remarkLen = remark?.length ?? 0;
  const out = Buffer.allocUnsafe(21 + remarkLen + extLen);
  out.writeInt16BE(cmd.code, 0);
  out.writeUInt8(cmd.language & 0xff, 2);
  out.writeInt16BE(cmd.version, 3);
  out.writeInt32BE(cmd.opaque, 5);
  out.writeInt32BE(cmd.flag, 9);
  out.writeInt32BE(remarkLen, 13);
  let pos = 17;
  if (remark) pos += remark.copy(out, pos);
  out.writeInt32BE(extLen, pos);
  pos += 4;
  for (const [kb, vb] of entries) {
    out.writeInt16BE(kb.length, pos);
    pos += 2;
    pos += kb.copy(out, pos);
    out.writeInt32BE(vb.length, pos);
    pos += 4;
    pos += vb.copy(out, pos);
  }
  return out;
}

/** Encodes a whole frame, length prefix included. */
export function encodeFrame(cmd: RemotingCommand): Buffer {
  // Codes beyond int16 (5.x POP family) cannot travel in the binary header.
  const type = cmd.serializeType === SerializeType.ROCKETMQ && cmd.code <= 32767 ? 1 : 0;
  const bodyLen = cmd.body?.length ?? 0;
  let out: Buffer;
  let headerLen: number;
  if (type === 1) {
    const header = encodeBinaryHeader(cmd);
    headerLen = header.length;
    out = Buffer.allocUnsafe(8 + headerLen + bodyLen);
    header.copy(out, 8);
  } else {
    // The header goes straight into the slab; the frame is cut from it when the body fits too.
    const ext = cmd.extJson ?? JSON.stringify(cmd.extFields);
    const max = 8 + jsonHeaderMaxBytes(cmd, ext);
    if (slabPos + max > slab.length) {
      slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, max));
      slabPos = 0;
    }
    const start = slabPos;
    headerLen = writeJsonHeader(cmd, ext, slab, start + 8) - start - 8;
    const total = 8 + headerLen + bodyLen;
    if (start + total <= slab.length) {
      out = slab.subarray(start, start + total);
      // 8-byte steps keep every frame's integers aligned.
      slabPos = (start + total + 7) & ~7;
    } else {
      out = Buffer.allocUnsafe(total);
      slab.copy(out, 8, start + 8, start + 8 + headerLen);
    }
  }
  out.writeInt32BE(4 + headerLen + bodyLen, 0);
  out.writeUInt32BE(((type << 24) | (headerLen & 0xffffff)) >>> 0, 4);
  if (cmd.body && bodyLen > 0) cmd.body.copy(out, 8 + headerLen);
  return out;
}

function headerNumber(v: unknown, field: string): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (v === undefined || v === null) return 0;
  throw new ProtocolError(`JSON header field "${field}" is not a number`);
}

/**
 * extFields as string → string. JSON.parse already made every key an own data property (even
 * "__proto__"), so an object whose values are all strings — every answer a broker sends — is kept
 * as it is; anything else is rebuilt with fromEntries, which also keeps such keys as data.
 */
function extFieldsOf(raw: unknown): Record<string, string> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ProtocolError('JSON header field "extFields" is not an object');
  }
  const ext = raw as Record<string, unknown>;
  for (const k in ext) {
    if (typeof ext[k] !== 'string') {
      return Object.fromEntries(
        Object.entries(ext)
          .filter(([, v]) => v !== null && v !== undefined)
          .map(([k2, v]) => [k2, typeof v === 'string' ? v : String(v)]),
      );
    }
  }
  return ext as Record<string, string>;
}

/** The JSON header in buf[start, end). */
function decodeJsonHeader(
  buf: Buffer,
  start: number,
  end: number,
): Omit<RemotingCommand, 'body' | 'serializeType'> {
  let raw: unknown;
  try {
    raw = JSON.parse(buf.toString('utf8', start, end));
  } catch (err) {
    throw new ProtocolError('malformed JSON header in remoting frame', { cause: err });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ProtocolError('JSON header of remoting frame is not an object');
  }
  const h = raw as Record<string, unknown>;
  const lang = h.language;
  const language =
    typeof lang === 'number'
      ? lang
      : typeof lang === 'string' && Object.hasOwn(LanguageCode, lang)
        ? LanguageCode[lang as keyof typeof LanguageCode]
        : LanguageCode.OTHER;
  return {
    code: headerNumber(h.code, 'code'),
    language,
    version: headerNumber(h.version, 'version'),
    opaque: headerNumber(h.opaque, 'opaque'),
    flag: headerNumber(h.flag, 'flag'),
    remark: typeof h.remark === 'string' ? h.remark : undefined,
    extFields: extFieldsOf(h.extFields),
  };
}

function decodeBinaryHeader(buf: Buffer): Omit<RemotingCommand, 'body' | 'serializeType'> {
  if (buf.length < 21) throw new ProtocolError(`binary header too short (${buf.length} bytes)`);
  const code = buf.readInt16BE(0);
  const language = buf.readUInt8(2);
  const version = buf.readInt16BE(3);
  const opaque = buf.readInt32BE(5);
  const flag = buf.readInt32BE(9);
  const remarkLen = buf.readInt32BE(13);
  let pos = 17;
  if (remarkLen < 0 || pos + remarkLen + 4 > buf.length) {
    throw new ProtocolError(`binary header remark length ${remarkLen} out of bounds`);
  }
  const remark = remarkLen > 0 ? buf.toString('utf8', pos, pos + remarkLen) : undefined;
  pos += remarkLen;
  const extLen = buf.readInt32BE(pos);
  pos += 4;
  if (extLen < 0 || pos + extLen > buf.length) {
    throw new ProtocolError(`binary header extFields length ${extLen} out of bounds`);
  }
  const end = pos + extLen;
  const entries: [string, string][] = [];
  while (pos < end) {
    if (pos + 2 > end) throw new ProtocolError('truncated extFields key length');
    const kl = buf.readInt16BE(pos);
    pos += 2;
    if (kl < 0 || pos + kl + 4 > end) throw new ProtocolError('extFields key out of bounds');
    const key = buf.toString('utf8', pos, pos + kl);
    pos += kl;
    const vl = buf.readInt32BE(pos);
    pos += 4;
    if (vl < 0 || pos + vl > end) throw new ProtocolError('extFields value out of bounds');
    entries.push([key, buf.toString('utf8', pos, pos + vl)]);
    pos += vl;
  }
  return { code, language, version, opaque, flag, remark, extFields: Object.fromEntries(entries) };
}

/** Decodes one frame given without its 4-byte length prefix. */
export function decodeFrame(frame: Buffer): RemotingCommand {
  return decodeFrameAt(frame, 0, frame.length);
}

/**
 * Decodes the frame in buf[start, end) (without its length prefix) where it lies: the stream
 * decoder reads frames out of a received chunk without cutting a Buffer for each, or for its header.
 */
export function decodeFrameAt(buf: Buffer, start: number, end: number): RemotingCommand {
  const length = end - start;
  if (length < 4) throw new ProtocolError(`remoting frame too short (${length} bytes)`);
  const word = buf.readUInt32BE(start);
  const type = word >>> 24;
  const headerLen = word & 0xffffff;
  if (headerLen > length - 4) {
    throw new ProtocolError(`header length ${headerLen} exceeds frame length ${length}`);
  }
  const headerEnd = start + 4 + headerLen;
  let header: Omit<RemotingCommand, 'body' | 'serializeType'>;
  if (type === SerializeType.JSON) header = decodeJsonHeader(buf, start + 4, headerEnd);
  else if (type === SerializeType.ROCKETMQ) header = decodeBinaryHeader(buf.subarray(start + 4, headerEnd));
  else throw new ProtocolError(`unknown header serialize type ${type}`);
  const body = end > headerEnd ? buf.subarray(headerEnd, end) : undefined;
  // Spelled out rather than spread: this runs for every frame received.
  return {
    code: header.code,
    language: header.language,
    version: header.version,
    opaque: header.opaque,
    flag: header.flag,
    remark: header.remark,
    extFields: header.extFields,
    body,
    serializeType: type,
  };
}
