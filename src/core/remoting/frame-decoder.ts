/**
 * Splits a byte stream into remoting frames. Correct under any chunking: bytes are kept as a
 * list of chunks and joined only once a whole frame is present, so a slow drip of bytes does
 * not cost a copy per byte.
 *
 * Stream layout: repeated { int32 length (big-endian, excludes itself), byte[length] frame }.
 */
import { ProtocolError } from '../errors.js';
import { decodeFrame, type RemotingCommand } from './command.js';

export const DEFAULT_MAX_FRAME_LENGTH = 16 * 1024 * 1024;

export class FrameDecoder {
  private chunks: Buffer[] = [];
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
      if (this.buffered < 4 + this.need) break;
      const frame = this.take(4 + this.need).subarray(4);
      this.need = -1;
      out.push(decodeFrame(frame));
    }
    return out;
  }

  private peekInt32(): number {
    const first = this.chunks[0]!;
    if (first.length >= 4) return first.readInt32BE(0);
    const head = Buffer.concat(this.chunks, Math.min(4, this.buffered)).subarray(0, 4);
    return head.readInt32BE(0);
  }

  /** Removes n bytes from the front, joining chunks only when the frame spans several. */
  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let pos = 0;
      let used = 0;
      while (pos < n) {
        const c = this.chunks[used]!;
        const want = n - pos;
        if (c.length <= want) {
          c.copy(out, pos);
          pos += c.length;
          used++;
        } else {
          c.copy(out, pos, 0, want);
          this.chunks[used] = c.subarray(want);
          pos += want;
        }
      }
      // One splice, not a shift per chunk: each shift is O(chunks), so a frame that arrived a
      // byte at a time cost O(n²) (seconds for 64 KiB).
      this.chunks.splice(0, used);
    }
    this.buffered -= n;
    return out;
  }
}
