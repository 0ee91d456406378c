/**
 * Where `rmq send` gets its messages: a literal body, a file, generated payloads, delimited
 * standard input, or NDJSON records. Readers are async generators that pull one chunk at a time,
 * so a huge standard input is never held in memory, and they stop at the first bad record.
 */
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { checkPropertyText, MAX_BODY_BYTES, type OutgoingMessage } from '../core/client/outgoing-message.js';
import { InvalidArgumentError } from '../core/errors.js';
import { fromRecord } from './message-record.js';

/** Attributes given by flags; NDJSON records override them field by field. */
export interface MessageTemplate {
  tags?: string | undefined;
  keys?: string[] | undefined;
  properties?: Record<string, string> | undefined;
  delayLevel?: number | undefined;
  delayMs?: number | undefined;
  deliverAtMs?: number | undefined;
  messageGroup?: string | undefined;
  liteTopic?: string | undefined;
  priority?: number | undefined;
}

export type BodySource =
  | { kind: 'body'; body: Buffer; count: number }
  | { kind: 'generated'; size: number; count: number }
  | { kind: 'lines'; stream: AsyncIterable<Buffer | string>; delimiter: Buffer; limit?: number | undefined }
  | { kind: 'ndjson'; stream: AsyncIterable<Buffer | string>; limit?: number | undefined };

/** One message to send and its 1-based position in the input. */
export interface InputMessage {
  index: number;
  msg: OutgoingMessage;
}

export const MIN_DELAY_LEVEL = 1;
export const MAX_DELAY_LEVEL = 18;

/**
 * Splits a byte stream on `delimiter`, carrying partial records across chunk boundaries.
 * Yields every record, empty ones included, numbered from 1; a final record without a trailing
 * delimiter is yielded too. A record longer than maxBytes stops the stream with an error rather
 * than buffering without bound (a binary file with no delimiter, say).
 */
export async function* splitRecords(
  stream: AsyncIterable<Buffer | string>,
  delimiter: Buffer,
  maxBytes: number = MAX_BODY_BYTES,
): AsyncGenerator<{ data: Buffer; line: number }> {
  let pending: Buffer = Buffer.alloc(0);
  let line = 0;
  for await (const raw of stream) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
    if (chunk.length === 0) continue;
    const buf = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    // Only the seam can hold a delimiter not seen before: the old part was searched already.
    let from = Math.max(0, pending.length - delimiter.length + 1);
    let start = 0;
    for (;;) {
      const at = buf.indexOf(delimiter, from);
      if (at < 0) break;
      line++;
      if (at - start > maxBytes) throw tooLong(line, maxBytes);
      yield { data: buf.subarray(start, at), line };
      start = at + delimiter.length;
      from = start;
    }
    pending = buf.subarray(start);
    if (pending.length > maxBytes) throw tooLong(line + 1, maxBytes);
  }
  if (pending.length > 0) yield { data: pending, line: line + 1 };
}

function tooLong(line: number, maxBytes: number): InvalidArgumentError {
  return new InvalidArgumentError(`line ${line} is longer than ${maxBytes} bytes`, {
    hint: 'a message body is at most 4 MiB; check --delimiter',
  });
}

/** Lines of delimited input as message bodies; empty lines are skipped (a body cannot be empty). */
export async function* readLines(
  stream: AsyncIterable<Buffer | string>,
  delimiter: Buffer,
): AsyncGenerator<{ body: Buffer; line: number }> {
  const crlf = delimiter.length === 1 && delimiter[0] === 0x0a;
  for await (const { data, line } of splitRecords(stream, delimiter)) {
    // Text from Windows tools ends lines with CRLF; the CR is not part of the message.
    const body = crlf && data.length > 0 && data[data.length - 1] === 0x0d ? data.subarray(0, -1) : data;
    if (body.length > 0) yield { body, line };
  }
}

/** NDJSON records (the shape of `consume --output ndjson`) as messages for `topic`. */
export async function* readNdjson(
  stream: AsyncIterable<Buffer | string>,
  topic: string,
): AsyncGenerator<{ msg: OutgoingMessage; line: number }> {
  // A base64 body is 4/3 of its bytes, plus the record around it.
  const maxBytes = Math.ceil((MAX_BODY_BYTES * 4) / 3) + 64 * 1024;
  for await (const { data, line } of splitRecords(stream, Buffer.from('\n'), maxBytes)) {
    const text = data.toString('utf8').trim();
    if (text === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new InvalidArgumentError(`line ${line}: not a JSON record (${(err as Error).message})`, {
        hint: 'each line of --input ndjson must be one JSON object, e.g. {"body":"hello","tags":"t"}',
      });
    }
    const msg = fromRecord(value, topic, `line ${line}`);
    if (msg.body.length === 0) throw new InvalidArgumentError(`line ${line}: the message body is empty`);
    if (msg.delayLevel !== undefined) checkDelayLevel(msg.delayLevel, `line ${line}: delayLevel`);
    yield { msg, line };
  }
}

export function checkDelayLevel(level: number, what = '--delay-level'): void {
  if (!Number.isInteger(level) || level < MIN_DELAY_LEVEL || level > MAX_DELAY_LEVEL) {
    throw new InvalidArgumentError(
      `${what} must be a whole number from ${MIN_DELAY_LEVEL} to ${MAX_DELAY_LEVEL}, got ${level}`,
      { hint: 'levels are 1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h' },
    );
  }
}

/**
 * `--property k=v` values as a map. The first `=` splits, so values may contain `=`.
 * @example parseProperties(['a=1', 'b=x=y']) → { a: '1', b: 'x=y' }
 */
export function parseProperties(items: readonly string[]): Record<string, string> {
  const entries: [string, string][] = [];
  for (const item of items) {
    const i = item.indexOf('=');
    const key = i > 0 ? item.slice(0, i).trim() : '';
    const value = i > 0 ? item.slice(i + 1) : '';
    if (key === '' || value === '') {
      throw new InvalidArgumentError(`invalid --property "${item}"`, {
        hint: 'use --property name=value with a non-empty name and value (RocketMQ drops empty values)',
      });
    }
    // The producer checks every message again; this names the flag before anything connects.
    checkPropertyText('--property name', key);
    checkPropertyText(`--property ${key}`, value);
    entries.push([key, value]);
  }
  // fromEntries, not out[key] = value: a property named "__proto__" must stay a property.
  return Object.fromEntries(entries);
}

/**
 * `--deliver-at`: an ISO 8601 time or epoch milliseconds.
 * @example parseTime('2030-01-01T00:00:00Z') === 1893456000000
 */
export function parseTime(input: string, what = '--deliver-at'): number {
  const s = input.trim();
  if (/^\d+$/.test(s)) return Number(s);
  const t = Date.parse(s);
  if (Number.isNaN(t)) {
    throw new InvalidArgumentError(`invalid ${what} "${input}"`, {
      hint: 'use an ISO time such as 2030-01-01T12:00:00Z, or epoch milliseconds',
    });
  }
  return t;
}

/** `--file`: the whole file is one message body. */
export async function readBodyFile(path: string): Promise<Buffer> {
  let size: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new InvalidArgumentError(`--file ${path} is not a regular file`);
    size = st.size;
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw err;
    throw new InvalidArgumentError(`cannot read --file ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (size > MAX_BODY_BYTES) {
    throw new InvalidArgumentError(
      `--file ${path} is ${size} bytes; a message body is at most ${MAX_BODY_BYTES}`,
      {
        hint: 'to send one message per line, pipe the file to standard input instead',
      },
    );
  }
  const body = await readFile(path);
  if (body.length === 0) throw new InvalidArgumentError(`--file ${path} is empty; a message body cannot be`);
  return body;
}

/** Printable random bytes: realistic for compression, and safe to print as a body. */
export function generatedBody(size: number): Buffer {
  const alphabet = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789');
  const out = randomBytes(size);
  for (let i = 0; i < size; i++) out[i] = alphabet[out[i]! % alphabet.length]!;
  return out;
}

/** A record's own attributes win; flags fill in what it lacks. Delay fields count as one. */
export function applyTemplate(msg: OutgoingMessage, t: MessageTemplate): OutgoingMessage {
  const recordDelays =
    msg.delayLevel !== undefined || msg.delayMs !== undefined || msg.deliverAtMs !== undefined;
  const properties = { ...(t.properties ?? {}), ...(msg.properties ?? {}) };
  return {
    ...msg,
    tags: msg.tags ?? t.tags,
    keys: msg.keys && msg.keys.length > 0 ? msg.keys : t.keys,
    properties: Object.keys(properties).length > 0 ? properties : undefined,
    delayLevel: recordDelays ? msg.delayLevel : t.delayLevel,
    delayMs: recordDelays ? msg.delayMs : t.delayMs,
    deliverAtMs: recordDelays ? msg.deliverAtMs : t.deliverAtMs,
    messageGroup: msg.messageGroup ?? t.messageGroup,
    liteTopic: msg.liteTopic ?? t.liteTopic,
    priority: msg.priority ?? t.priority,
  };
}

/** The messages of a body source, with the flag attributes applied, numbered from 1. */
export async function* messageSource(
  topic: string,
  source: BodySource,
  template: MessageTemplate,
): AsyncGenerator<InputMessage> {
  const t = template;
  // One object literal of a fixed shape per message: this runs 100k times a second in a bench.
  const make = (body: Buffer): OutgoingMessage => ({
    topic,
    body,
    tags: t.tags,
    keys: t.keys,
    properties: t.properties ? { ...t.properties } : undefined,
    delayLevel: t.delayLevel,
    delayMs: t.delayMs,
    deliverAtMs: t.deliverAtMs,
    messageGroup: t.messageGroup,
    liteTopic: t.liteTopic,
    priority: t.priority,
  });
  switch (source.kind) {
    case 'body':
    case 'generated': {
      const body = source.kind === 'body' ? source.body : generatedBody(source.size);
      for (let i = 1; i <= source.count; i++) yield { index: i, msg: make(body) };
      return;
    }
    case 'lines': {
      let index = 0;
      for await (const { body } of readLines(source.stream, source.delimiter)) {
        yield { index: ++index, msg: make(body) };
        if (source.limit !== undefined && index >= source.limit) return;
      }
      return;
    }
    case 'ndjson': {
      let index = 0;
      for await (const { msg } of readNdjson(source.stream, topic)) {
        yield { index: ++index, msg: applyTemplate(msg, template) };
        if (source.limit !== undefined && index >= source.limit) return;
      }
      return;
    }
  }
}
