/**
 * JSON written straight into a frame's bytes: numbers as digits and strings escaped as
 * JSON.stringify escapes them, as UTF-8. The send path writes its header this way because the
 * strings it used to build first (and flatten, and measure, and copy) were most of a message's
 * garbage, and garbage is young-generation GC pauses in the latencies rmq bench measures.
 */

/**
 * Bytes a string can take at most once written by writeJsonString: 6 per UTF-16 unit
 * (`\u001f`, a lone surrogate's `\ud800`) plus the quotes.
 */
export const jsonStringMaxBytes = (s: string): number => 6 * s.length + 2;

const HEX = '0123456789abcdef';

/**
 * Writes `s` as a JSON string literal (quotes included) at `pos`; returns the position after it.
 * The output equals Buffer.from(JSON.stringify(s)): short escapes for \b \f \n \r \t, `\u00xx`
 * for other control characters, `\"` and `\\`, lone surrogates as `\udxxx` (ES2019), and all else
 * as UTF-8. `buf` must have jsonStringMaxBytes(s) bytes free from `pos`.
 */
export function writeJsonString(buf: Buffer, pos: number, s: string): number {
  buf[pos++] = 0x22;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c < 0x80) {
      if (c === 0x22 || c === 0x5c) {
        buf[pos++] = 0x5c;
      }
      buf[pos++] = c;
    } else if (c < 0x20) {
      buf[pos++] = 0x5c;
      switch (c) {
        case 0x08:
          buf[pos++] = 0x62; // b
          break;
        case 0x09:
          buf[pos++] = 0x74; // t
          break;
        case 0x0a:
          buf[pos++] = 0x6e; // n
          break;
        case 0x0c:
          buf[pos++] = 0x66; // f
          break;
        case 0x0d:
          buf[pos++] = 0x72; // r
          break;
        default:
          buf[pos++] = 0x75; // u00xx
          buf[pos++] = 0x30;
          buf[pos++] = 0x30;
          buf[pos++] = HEX.charCodeAt(c >> 4);
          buf[pos++] = HEX.charCodeAt(c & 15);
      }
    } else if (c < 0x800) {
      buf[pos++] = 0xc0 | (c >> 6);
      buf[pos++] = 0x80 | (c & 0x3f);
    } else if (c < 0xd800 || c > 0xdfff) {
      buf[pos++] = 0xe0 | (c >> 12);
      buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
      buf[pos++] = 0x80 | (c & 0x3f);
    } else {
      const d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        buf[pos++] = 0xf0 | (cp >> 18);
        buf[pos++] = 0x80 | ((cp >> 12) & 0x3f);
        buf[pos++] = 0x80 | ((cp >> 6) & 0x3f);
        buf[pos++] = 0x80 | (cp & 0x3f);
        i++;
      } else {
        buf[pos++] = 0x5c;
        buf[pos++] = 0x75;
        buf[pos++] = HEX.charCodeAt(c >> 12);
        buf[pos++] = HEX.charCodeAt((c >> 8) & 15);
        buf[pos++] = HEX.charCodeAt((c >> 4) & 15);
        buf[pos++] = HEX.charCodeAt(c & 15);
      }
    }
  }
  buf[pos++] = 0x22;
  return pos;
}

/** Bytes writeNumber takes at most: String(n) of a double is at most 25 characters (-0.00000ddddddddddddddddd). */
export const NUMBER_MAX_BYTES = 25;

/** Writes a number as String(n) would (digits for integers); returns the position after it. */
export function writeNumber(buf: Buffer, pos: number, n: number): number {
  if (!Number.isSafeInteger(n)) return pos + buf.write(String(n), pos, 'latin1');
  if (n < 0) {
    buf[pos++] = 0x2d;
    n = -n;
  }
  let digits = 1;
  for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
  let at = pos + digits;
  const end = at;
  do {
    const q = Math.floor(n / 10);
    buf[--at] = 0x30 + (n - q * 10);
    n = q;
  } while (n > 0);
  return end;
}
