/**
 * The bench header every message carries, in the user property `rmqb`:
 *
 *   <runId>.<producer>.<sequence>.<sendUs>
 *
 * runId     6 base-36 characters; receipts with another runId belong to another run and are ignored
 * producer  producer index (0-based, unique across workers)
 * sequence  per-producer send order, 0-based; FIFO message group = sequence mod --fifo-groups
 * sendUs    the moment the request was issued, integer µs since the epoch from
 *           performance.timeOrigin + performance.now() of the sending process
 *
 * A property rather than a body prefix: the body stays exactly --size bytes (or the file given
 * with --payload-file), and one body Buffer serves every message.
 */

export const HEADER_PROPERTY = 'rmqb';

export interface BenchHeader {
  runId: string;
  producer: number;
  seq: number;
  sendUs: number;
}

export function encodeHeader(runId: string, producer: number, seq: number, sendUs: number): string {
  return `${runId}.${producer}.${seq}.${Math.round(sendUs)}`;
}

/** undefined for a missing or malformed header. */
export function decodeHeader(s: string | undefined): BenchHeader | undefined {
  if (!s) return undefined;
  const a = s.indexOf('.');
  const b = s.indexOf('.', a + 1);
  const c = s.indexOf('.', b + 1);
  if (a <= 0 || b < 0 || c < 0) return undefined;
  const producer = Number(s.slice(a + 1, b));
  const seq = Number(s.slice(b + 1, c));
  const sendUs = Number(s.slice(c + 1));
  if (!Number.isInteger(producer) || !Number.isInteger(seq) || !Number.isFinite(sendUs)) return undefined;
  return { runId: s.slice(0, a), producer, seq, sendUs };
}

/** A fresh run id: 6 base-36 characters. */
export function newRunId(): string {
  return Math.floor(Math.random() * 36 ** 6)
    .toString(36)
    .padStart(6, '0');
}

/**
 * Whether --tx-rollback-ratio rolls this transaction back: a hash of (producer, sequence), so
 * rollbacks spread evenly and the check-back handler reaches the same answer from the header.
 */
export function rollsBack(producer: number, seq: number, ratio: number): boolean {
  if (ratio <= 0) return false;
  if (ratio >= 1) return true;
  let h = Math.imul(seq ^ Math.imul(producer + 1, 0x9e3779b9), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32 < ratio;
}
