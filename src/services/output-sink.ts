/**
 * Where consumed messages are written, and when a written message counts as "out" so its
 * offset may be committed.
 *
 * A file or terminal takes a write synchronously: the message is out when write() returns.
 * A pipe is different: a write only reaches the kernel's pipe buffer, and a reader such as
 * `head -n 3` may read a block, print three lines and exit, dropping the rest. So a message
 * written to a pipe counts as out only once a further PIPE_WINDOW bytes were accepted after it
 * (the reader must then have consumed past it), or when we end normally with the pipe still
 * open. When the reader goes away (EPIPE), everything not yet out is reported lost and its
 * offset is not committed: those messages are delivered again, never skipped.
 */
import { fstatSync } from 'node:fs';
import { anonymousPipeOf, pipeHasReader } from './pipe-reader.js';

/** Pipe buffer (64 KiB by default on Linux) plus a reader's own read buffer. */
export const PIPE_WINDOW = 128 * 1024;

export type SinkKind = 'file' | 'pipe';

export function sinkKindOf(fd: number): SinkKind {
  try {
    const st = fstatSync(fd);
    return st.isFIFO() || st.isSocket() ? 'pipe' : 'file';
  } catch {
    return 'file';
  }
}

interface Waiter {
  end: number;
  resolve: (ok: boolean) => void;
}

export class OutputSink {
  private written = 0;
  private accepted = 0;
  private waiters: Waiter[] = [];
  private closedErr: Error | undefined;
  private watch: NodeJS.Timeout | undefined;
  private lastWriteAt = 0;
  private readonly onClose: ((err: Error) => void)[] = [];

  constructor(
    private readonly stream: NodeJS.WritableStream,
    readonly kind: SinkKind,
    private readonly pipeWindow = PIPE_WINDOW,
  ) {
    stream.on('error', (err: Error) => this.close(err));
  }

  get closed(): boolean {
    return this.closedErr !== undefined;
  }

  onClosed(cb: (err: Error) => void): void {
    this.onClose.push(cb);
  }

  /**
   * For an anonymous pipe on `fd`: checks every intervalMs, while nothing is being written,
   * that a reader is still there, and closes the sink as EPIPE would once it is gone.
   */
  watchReader(fd: number, intervalMs = 1000): void {
    const pipe = this.kind === 'pipe' ? anonymousPipeOf(fd) : undefined;
    if (!pipe) return;
    this.watch = setInterval(() => {
      if (Date.now() - this.lastWriteAt < intervalMs) return;
      if (!pipeHasReader(pipe)) {
        this.close(Object.assign(new Error('stdout reader has gone'), { code: 'EPIPE' }));
      }
    }, intervalMs);
    this.watch.unref();
  }

  stopWatching(): void {
    if (this.watch) clearInterval(this.watch);
  }

  private close(err: Error): void {
    if (this.closedErr) return;
    this.closedErr = err;
    this.stopWatching();
    for (const w of this.waiters.splice(0)) w.resolve(false);
    for (const cb of this.onClose) cb(err);
  }

  /**
   * Writes text; resolves when the stream can take more (backpressure). The returned
   * `durable` says whether the text is out: undefined when it is out already.
   */
  async write(text: string | Buffer): Promise<{ durable?: Promise<boolean> }> {
    if (this.closedErr) return { durable: Promise.resolve(false) };
    const bytes = typeof text === 'string' ? Buffer.byteLength(text) : text.length;
    this.lastWriteAt = Date.now();
    this.written += bytes;
    const end = this.written;
    if (this.kind === 'file') {
      const ok = this.stream.write(text);
      if (!ok) await new Promise<void>((r) => this.stream.once('drain', () => r()));
      return {};
    }
    const durable = new Promise<boolean>((resolve) => this.waiters.push({ end, resolve }));
    const ok = this.stream.write(text, (err) => {
      if (err) return this.close(err);
      this.accepted += bytes;
      this.release(this.accepted - this.pipeWindow);
    });
    if (!ok && !this.closedErr) {
      await new Promise<void>((r) => {
        const done = () => {
          this.stream.off('drain', done);
          r();
        };
        this.stream.once('drain', done);
        this.onClosed(done);
      });
    }
    return { durable };
  }

  private release(upTo: number): void {
    while (this.waiters.length > 0 && this.waiters[0]!.end <= upTo) this.waiters.shift()!.resolve(true);
  }

  /** Normal end with the stream still open: everything written will be read. */
  async flush(): Promise<void> {
    if (this.closedErr) return;
    if (this.kind === 'pipe') {
      await new Promise<void>((r) => this.stream.write('', () => r()));
      if (this.closedErr) return;
    }
    this.release(Number.POSITIVE_INFINITY);
  }
}
