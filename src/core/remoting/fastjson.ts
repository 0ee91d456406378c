/**
 * A JSON reader tolerant of what fastjson 1.x writes for RocketMQ bodies:
 *   {0:"127.0.0.1:10911"}                                   bare numeric keys (possibly negative)
 *   {{"brokerName":"b","queueId":0,"topic":"t"}:5}           object-valued keys
 * plus everything standard JSON allows. Objects whose keys are all strings or numbers become
 * plain objects (numeric keys as strings); an object with any object-valued key becomes a
 * `PairList` so no key is lost. Numbers beyond 2^53 lose precision; offsets and timestamps in
 * practice stay below it.
 */
import { ProtocolError } from '../errors.js';

export class PairList extends Array<[unknown, unknown]> {}

export type FastjsonValue =
  null | boolean | number | string | FastjsonValue[] | { [k: string]: FastjsonValue } | PairList;

export function parseFastjson(input: string | Buffer): unknown {
  const text = typeof input === 'string' ? input : input.toString('utf8');
  const p = new Parser(text);
  p.ws();
  const v = p.value();
  p.ws();
  if (p.pos !== text.length) p.fail('unexpected trailing characters');
  return v;
}

class Parser {
  pos = 0;
  constructor(private readonly s: string) {}

  fail(msg: string): never {
    throw new ProtocolError(`malformed JSON body at offset ${this.pos}: ${msg}`);
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
        return this.object();
      case '[':
        return this.array();
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
    const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(this.s.slice(this.pos, this.pos + 64));
    if (!m) this.fail('bad number');
    this.pos += m[0].length;
    return Number(m[0]);
  }

  string(): string {
    const s = this.s;
    const start = ++this.pos;
    // Fast path: no escapes.
    const end = s.indexOf('"', start);
    if (end < 0) this.fail('unterminated string');
    const bs = s.indexOf('\\', start);
    if (bs < 0 || bs > end) {
      this.pos = end + 1;
      return s.slice(start, end);
    }
    let out = '';
    let i = start;
    for (;;) {
      if (i >= s.length) this.fail('unterminated string');
      const ch = s[i]!;
      if (ch === '"') break;
      if (ch === '\\') {
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
      } else {
        out += ch;
        i++;
      }
    }
    this.pos = i + 1;
    return out;
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
        const m = /^[A-Za-z_$][\w$]*/.exec(this.s.slice(this.pos, this.pos + 256))!;
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
