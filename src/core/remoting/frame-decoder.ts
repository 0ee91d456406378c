/**
 * Splits a byte stream into remoting frames. Correct under any chunking: bytes are kept as a
 * list of chunks and joined only once a whole frame is present, so a slow drip of bytes does
 * not cost a copy per byte.
 *
 * Stream layout: repeated { int32 length (big-endian, excludes itself), byte[length] frame }.
 */
import { ProtocolError } from '../errors.js';
import { decodeFrameAt, type RemotingCommand } from './command.js';

export const DEFAULT_MAX_FRAME_LENGTH = 16 * 1024 * 1024;

export class FrameDecoder {
  private chunks: Buffer[] = [];
  /** Bytes of chunks[0] already consumed: a frame read from a chunk does not cut the chunk. */
  private offset = 0;
  private buffered = 0;
  private need = -1; // length of the frame being assembled, -1 while its prefix is incomplete

  constructor(private readonly maxFrameLength = DEFAULT_MAX_FRAME_LENGTH) {}

  /** Bytes held that do not yet form a whole frame. */
  get pendingBytes(): number {
    return this.buffered;
  }

  /** Feeds bytes; returns every frame they complete. Throws ProtocolError on a bad stream. */
  push(chunk: Buffer): RemotingCommand[] {
    if (chunk.length === 0) return [];
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: RemotingCommand[] = [];
    for (;;) {
      if (this.need < 0) {
        if (this.buffered < 4) break;
        const len = this.peekInt32();
        if (len < 4) throw new ProtocolError(`invalid frame length ${len}`);
        if (len > this.maxFrameLength) {
          throw new ProtocolError(`frame length ${len} exceeds the limit of ${this.maxFrameLength} bytes`);
        }
        this.need = len;
      }
      const n = 4 + this.need;
      if (this.buffered < n) break;
      const first = this.chunks[0]!;
      if (first.length - this.offset >= n) {
        // The whole frame lies in the first chunk (the usual case): decode it where it is.
        const start = this.offset;
        this.offset += n;
        if (this.offset === first.length) {
          this.chunks.shift();
          this.offset = 0;
        }
        this.buffered -= n;
        this.need = -1;
        out.push(decodeFrameAt(first, start + 4, start + n));
      } else {
        const frame = this.take(n);
        this.need = -1;
        out.push(decodeFrameAt(frame, 4, n));
      }
    }
    return out;
  }

  private peekInt32(): number {
    const first = this.chunks[0]!;
    if (first.length - this.offset >= 4) return first.readInt32BE(this.offset);
    const head = Buffer.concat(this.chunks, this.offset + 4).subarray(this.offset, this.offset + 4);
    return head.readInt32BE(0);
  }

  /** Removes n bytes from the front, joined into one buffer (a frame that spans chunks). */
  private take(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    let pos = 0;
    let used = 0;
    while (pos < n) {
      const c = this.chunks[used]!;
      const from = used === 0 ? this.offset : 0;
      const want = n - pos;
      if (c.length - from <= want) {
        c.copy(out, pos, from);
        pos += c.length - from;
        used++;
      } else {
        c.copy(out, pos, from, from + want);
        this.chunks[used] = c.subarray(from + want);
        pos += want;
      }
    }
    // One splice, not a shift per chunk: each shift is O(chunks), so a frame that arrived a
    // byte at a time cost O(n²) (seconds for 64 KiB).
    this.chunks.splice(0, used);
    this.offset = 0;
    this.buffered -= n;
    return out;
  }
}
