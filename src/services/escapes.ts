/**
 * Backslash escapes in flag text: the one meaning of `--delimiter` (send and consume alike,
 * `message get|query|print` too) and of `--template`. Shells make these bytes awkward to pass
 * literally, so they are typed as escapes.
 */
import { InvalidArgumentError } from '../core/errors.js';

const SINGLE: Record<string, number> = { n: 0x0a, t: 0x09, r: 0x0d, '0': 0x00, '\\': 0x5c };

/**
 * `raw` with its escapes decoded: \n \t \r \0, \xHH (that one byte), \uHHHH (that character, as
 * UTF-8) and \\ (a backslash). Anything else, a lone backslash included, is kept as typed.
 * @example unescapeBytes('a\\x1eb') → <Buffer 61 1e 62>
 */
export function unescapeBytes(raw: string): Buffer {
  const parts: Buffer[] = [];
  let literal = '';
  const flush = () => {
    if (literal) parts.push(Buffer.from(literal, 'utf8'));
    literal = '';
  };
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    const n = raw[i + 1];
    if (c === '\\' && n === 'x' && /^[0-9a-fA-F]{2}$/.test(raw.slice(i + 2, i + 4))) {
      flush();
      parts.push(Buffer.from([Number.parseInt(raw.slice(i + 2, i + 4), 16)]));
      i += 3;
    } else if (c === '\\' && n === 'u' && /^[0-9a-fA-F]{4}$/.test(raw.slice(i + 2, i + 6))) {
      literal += String.fromCharCode(Number.parseInt(raw.slice(i + 2, i + 6), 16));
      i += 5;
    } else if (c === '\\' && n !== undefined && SINGLE[n] !== undefined) {
      flush();
      parts.push(Buffer.from([SINGLE[n]!]));
      i += 1;
    } else {
      literal += c;
    }
  }
  flush();
  return Buffer.concat(parts);
}

/**
 * A `--delimiter` as bytes (unescapeBytes). Input must be split on something; output may run
 * records together (`allowEmpty`).
 * @example parseDelimiter('\\0') → <Buffer 00>
 */
export function parseDelimiter(raw: string, options: { allowEmpty?: boolean } = {}): Buffer {
  const out = unescapeBytes(raw);
  if (out.length === 0 && !options.allowEmpty) {
    throw new InvalidArgumentError('--delimiter must not be empty', { hint: 'e.g. --delimiter "\\0"' });
  }
  return out;
}
