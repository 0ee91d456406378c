/**
 * A JSON reader tolerant of what fastjson 1.x writes for RocketMQ bodies:
 *   {0:"127.0.0.1:10911"}                                   bare numeric keys (possibly negative)
 *   {{"brokerName":"b","queueId":0,"topic":"t"}:5}           object-valued keys
 * plus everything standard JSON allows. Objects whose keys are all strings or numbers become
 * plain objects (numeric keys as strings); an object with any object-valued key becomes a
 * `PairList` so no key is lost. Numbers beyond 2^53 lose precision; offsets and timestamps in
 * practice stay below it.
 */
import { ProtocolError, type ProtocolErrorReason } from '../errors.js';

export class PairList extends Array<[unknown, unknown]> {}

export type FastjsonValue =
  null | boolean | number | string | FastjsonValue[] | { [k: string]: FastjsonValue } | PairList;

/**
 * Deepest nesting of objects and arrays read. fastjson 1.x itself refuses more than 512 levels
 * ("array level > 512"), and RocketMQ bodies nest five or six deep; the limit also bounds the
 * parser's recursion, so a hostile body ends as a ProtocolError, not a stack overflow.
 */
export const DEFAULT_MAX_JSON_DEPTH = 512;

/**
 * Longest body read, in bytes (characters for a string): the largest frame a connection accepts
 * (DEFAULT_MAX_FRAME_LENGTH), so no body off the wire is refused and nothing bigger is parsed.
 * The reader is linear: 16 MiB costs a second or two.
 */
export const DEFAULT_MAX_JSON_LENGTH = 16 * 1024 * 1024;

export interface FastjsonLimits {
  /** Deepest nesting of objects and arrays (default DEFAULT_MAX_JSON_DEPTH). */
  maxDepth?: number;
  /** Longest input, bytes of a Buffer or characters of a string (default DEFAULT_MAX_JSON_LENGTH). */
  maxLength?: number;
}

/** Parses a body; ProtocolError (with a reason) for what is not JSON or past a limit. */
export function parseFastjson(input: string | Buffer, limits: FastjsonLimits = {}): unknown {
  const maxLength = limits.maxLength ?? DEFAULT_MAX_JSON_LENGTH;
  if (input.length > maxLength) {
    throw new ProtocolError(`JSON body of ${input.length} bytes exceeds the limit of ${maxLength}`, {
      reason: 'json-too-large',
      limit: maxLength,
    });
  }
  const text = typeof input === 'string' ? input : input.toString('utf8');
  const p = new Parser(text, limits.maxDepth ?? DEFAULT_MAX_JSON_DEPTH);
  p.ws();
  const v = p.value();
  p.ws();
  if (p.pos !== text.length) p.fail('unexpected trailing characters');
  return v;
}

// Sticky: matched at lastIndex without slicing the text.
const NUMBER = /-?\d+(\.\d+)?([eE][+-]?\d+)?/y;
const IDENTIFIER = /[A-Za-z_$][\w$]*/y;

/**
 * Recursive descent, linear in the text: every scan moves forward, and the index of the next
 * backslash is remembered, not searched for again from every string (which read the rest of the
 * text once per string: minutes for a 14 MB topic table).
 */
class Parser {
  pos = 0;
  private depth = 0;
  /** Index of the first backslash at or after the last search; s.length when there is none. */
  private backslash = -1;

  constructor(
    private readonly s: string,
    private readonly maxDepth: number,
  ) {}

  fail(msg: string, reason: ProtocolErrorReason = 'malformed-json', limit?: number): never {
    const what = reason === 'malformed-json' ? 'malformed JSON body' : 'JSON body';
    throw new ProtocolError(`${what} at offset ${this.pos}: ${msg}`, {
      reason,
      offset: this.pos,
      ...(limit === undefined ? {} : { limit }),
    });
  }

  ws(): void {
    const s = this.s;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c === 32 || c === 9 || c === 10 || c === 13) this.pos++;
      else break;
    }
  }

  value(): unknown {
    const c = this.s[this.pos];
    switch (c) {
      case '{':
      case '[': {
        if (++this.depth > this.maxDepth) {
          this.fail(`nested deeper than ${this.maxDepth} levels`, 'json-too-deep', this.maxDepth);
        }
        const v = c === '{' ? this.object() : this.array();
        this.depth--;
        return v;
      }
      case '"':
        return this.string();
      case 't':
        return this.literal('true', true);
      case 'f':
        return this.literal('false', false);
      case 'n':
        return this.literal('null', null);
      default:
        if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
        return this.fail(c === undefined ? 'unexpected end' : `unexpected character ${JSON.stringify(c)}`);
    }
  }

  literal<T>(word: string, v: T): T {
    if (!this.s.startsWith(word, this.pos)) this.fail(`expected ${word}`);
    this.pos += word.length;
    return v;
  }

  number(): number {
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.s);
    if (!m) this.fail('bad number');
    this.pos += m[0].length;
    return Number(m[0]);
  }

  string(): string {
    const s = this.s;
    const start = ++this.pos;
    // Fast path: no escapes before the closing quote.
    const end = s.indexOf('"', start);
    if (end < 0) this.fail('unterminated string');
    if (this.backslash < start) {
      const b = s.indexOf('\\', start);
      this.backslash = b < 0 ? s.length : b;
    }
    if (this.backslash > end) {
      this.pos = end + 1;
      return s.slice(start, end);
    }
    // Escapes: copy the runs between them whole.
    let out = '';
    let run = start;
    let i = start;
    for (;;) {
      if (i >= s.length) {
        this.pos = i;
        this.fail('unterminated string');
      }
      const ch = s.charCodeAt(i);
      if (ch === 34) break; // "
      if (ch !== 92) {
        i++;
        continue;
      }
      out += s.slice(run, i);
      const e = s[i + 1];
      i += 2;
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          const hex = s.slice(i, i + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('bad \\u escape');
          out += String.fromCharCode(Number.parseInt(hex, 16));
          i += 4;
          break;
        }
        default:
          this.fail('bad escape');
      }
      run = i;
    }
    this.pos = i + 1;
    return out + s.slice(run, i);
  }

  array(): unknown[] {
    this.pos++;
    const out: unknown[] = [];
    this.ws();
    if (this.s[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.ws();
      out.push(this.value());
      this.ws();
      const c = this.s[this.pos++];
      if (c === ']') return out;
      if (c !== ',') this.fail('expected , or ]');
    }
  }

  object(): Record<string, unknown> | PairList {
    this.pos++;
    const pairs: [unknown, unknown][] = [];
    let complexKey = false;
    this.ws();
    if (this.s[this.pos] === '}') {
      this.pos++;
      return {};
    }
    for (;;) {
      this.ws();
      const c = this.s[this.pos];
      let key: unknown;
      if (c === '"') key = this.string();
      else if (c === '{' || c === '[') {
        key = this.value();
        complexKey = true;
      } else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) key = String(this.number());
      else if (c !== undefined && /[A-Za-z_$]/.test(c)) {
        // fastjson also accepts unquoted identifiers as keys.
        IDENTIFIER.lastIndex = this.pos;
        const m = IDENTIFIER.exec(this.s)!;
        key = m[0];
        this.pos += m[0].length;
      } else this.fail('expected object key');
      this.ws();
      if (this.s[this.pos++] !== ':') this.fail('expected :');
      this.ws();
      pairs.push([key, this.value()]);
      this.ws();
      const d = this.s[this.pos++];
      if (d === '}') break;
      if (d !== ',') this.fail('expected , or }');
    }
    if (complexKey) {
      const list = new PairList();
      for (const p of pairs) list.push(p);
      return list;
    }
    const obj: Record<string, unknown> = {};
    for (const [k, v] of pairs) {
      // "__proto__" is a valid topic/group name; assigning it would replace the prototype instead.
      const own = { value: v, enumerable: true, writable: true, configurable: true };
      if (k === '__proto__') Object.defineProperty(obj, k, own);
      else obj[k as string] = v;
    }
    return obj;
  }
}

/** Entries of a map that may have been decoded as a plain object or as a PairList. */
export function mapEntries(v: unknown): [unknown, unknown][] {
  if (v instanceof PairList) return [...v];
  if (Array.isArray(v)) {
    // Strict form some encoders use: [[key, value], …]
    return v.filter((e): e is [unknown, unknown] => Array.isArray(e) && e.length === 2);
  }
  if (v && typeof v === 'object') return Object.entries(v);
  return [];
}

/**
 * Text of a decoded value: strings as they are, numbers and booleans printed, anything else ''.
 * String() of a hostile object (a "toString" or "valueOf" key that is not a function) throws a
 * TypeError, which would surface as a bug instead of a ProtocolError.
 */
export function jsonText(v: unknown): string {
  if (typeof v === 'string') return v;
  return typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
}

/** Number of a decoded value: numbers, and strings of digits; anything else NaN (see jsonText). */
export function jsonNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  return typeof v === 'string' ? Number(v) : NaN;
}
