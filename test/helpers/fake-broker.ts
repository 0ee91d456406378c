/**
 * A scripted RocketMQ server for unit tests, built on our own codec (FrameDecoder/encodeFrame):
 * it answers what it is told to, and can hang, cut a frame in half, send garbage, drip bytes
 * slowly, or send requests of its own to the client. Listens on 127.0.0.1, port 0.
 *
 * By default every request is answered like a real server answers an unknown code: 3,
 * " request type N not supported". `respondWith` replaces that per request code.
 */
import net from 'node:net';
import {
  encodeFrame,
  FLAG_RESPONSE,
  isOneway,
  isResponse,
  LanguageCode,
  type RemotingCommand,
  SerializeType,
} from '../../src/core/remoting/command.js';
import { FrameDecoder } from '../../src/core/remoting/frame-decoder.js';

/** Builds the reply to one request; return undefined to leave it unanswered. */
export type Responder = (
  req: RemotingCommand,
) => Partial<RemotingCommand> | undefined | Promise<Partial<RemotingCommand> | undefined>;

/** The version a 5.3.3 server stamps on its replies. */
export const SERVER_VERSION = 479;

export class FakeBroker {
  /** Every request received, in arrival order. */
  readonly requests: RemotingCommand[] = [];
  /** Sizes of the 'data' chunks received, across connections. */
  readonly chunks: number[] = [];
  /** Responses the client sent to our own requests (sendRequest), in arrival order. */
  readonly clientResponses: RemotingCommand[] = [];
  /** Responses written (a cut one included). */
  responsesSent = 0;
  /** Number of connections accepted so far. */
  accepted = 0;

  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly responders = new Map<number, Responder>();
  private readonly awaitingClient = new Map<number, (cmd: RemotingCommand) => void>();
  private readonly watchers: (() => void)[] = [];
  private hanging = false;
  private paused = false;
  private cutNext = false;
  private nextOpaque = 1;

  private constructor(server: net.Server) {
    this.server = server;
    server.on('connection', (socket) => this.onConnection(socket));
  }

  static async start(): Promise<FakeBroker> {
    const server = net.createServer();
    const broker = new FakeBroker(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return broker;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** `127.0.0.1:<port>` */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Open client connections. */
  get connections(): number {
    return this.sockets.size;
  }

  /** Answers requests with this code through `responder` (opaque and flag are filled in). */
  respondWith(code: number, responder: Responder): this {
    this.responders.set(code, responder);
    return this;
  }

  /** From now on, requests are recorded but never answered. */
  hang(): this {
    this.hanging = true;
    return this;
  }

  /**
   * Stops reading from every connection (and from new ones), as a broker too slow to keep up
   * would: the client's bytes pile up in the kernel's socket buffers, then in its own.
   */
  pause(): this {
    this.paused = true;
    for (const s of this.sockets) s.pause();
    return this;
  }

  /** Reads again what pause() left in the socket buffers. */
  resume(): this {
    this.paused = false;
    for (const s of this.sockets) s.resume();
    return this;
  }

  /** The next request's response is cut in half: half a frame is written, then the socket destroyed. */
  disconnectMidFrame(): this {
    this.cutNext = true;
    return this;
  }

  /** Writes bytes as they are to every connected client. */
  async sendRaw(bytes: Buffer): Promise<void> {
    await Promise.all(
      [...this.sockets].map((s) => new Promise<void>((resolve) => s.write(bytes, () => resolve()))),
    );
  }

  /** Writes bytes that are not a valid frame stream (an alias of sendRaw, named for what tests mean). */
  sendGarbage(bytes: Buffer): Promise<void> {
    return this.sendRaw(bytes);
  }

  /** Writes bytes one at a time, `delayMs` apart, to every connected client. */
  async slowDrip(bytes: Buffer, delayMs: number): Promise<void> {
    for (let i = 0; i < bytes.length; i++) {
      await this.sendRaw(bytes.subarray(i, i + 1));
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }

  /**
   * Sends a server-initiated request to the most recent client and resolves with its response,
   * or with undefined if none arrives within `timeoutMs` (what a oneway request should get).
   */
  sendRequest(
    cmd: Partial<RemotingCommand> & { code: number },
    timeoutMs = 2000,
  ): Promise<RemotingCommand | undefined> {
    const socket = [...this.sockets].at(-1);
    if (!socket) return Promise.reject(new Error('fake broker: no client connected'));
    const request: RemotingCommand = {
      language: LanguageCode.JAVA,
      version: SERVER_VERSION,
      opaque: this.nextOpaque++,
      flag: 0,
      extFields: {},
      serializeType: SerializeType.JSON,
      ...cmd,
    };
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.awaitingClient.delete(request.opaque);
        resolve(undefined);
      }, timeoutMs);
      this.awaitingClient.set(request.opaque, (res) => {
        clearTimeout(timer);
        resolve(res);
      });
      socket.write(encodeFrame(request));
    });
  }

  /** Resolves once at least `n` requests have arrived. */
  async waitForRequests(n: number, timeoutMs = 2000): Promise<void> {
    await this.waitFor(() => this.requests.length >= n, timeoutMs, `${n} requests`);
  }

  /** Resolves once `predicate` holds; checked after every event the broker sees. */
  waitFor(predicate: () => boolean, timeoutMs = 2000, what = 'condition'): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const unwatch = () => {
        const i = this.watchers.indexOf(check);
        if (i >= 0) this.watchers.splice(i, 1);
      };
      const timer = setTimeout(() => {
        unwatch();
        reject(new Error(`fake broker: timed out waiting for ${what}`));
      }, timeoutMs);
      const check = () => {
        if (!predicate()) return;
        clearTimeout(timer);
        unwatch();
        resolve();
      };
      this.watchers.push(check);
    });
  }

  /** Destroys every connection and stops listening. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private notify(): void {
    for (const w of [...this.watchers]) w();
  }

  private onConnection(socket: net.Socket): void {
    this.accepted++;
    this.sockets.add(socket);
    const decoder = new FrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk.length);
      let frames: RemotingCommand[];
      try {
        frames = decoder.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const frame of frames) {
        if (isResponse(frame)) {
          this.clientResponses.push(frame);
          this.awaitingClient.get(frame.opaque)?.(frame);
          this.awaitingClient.delete(frame.opaque);
        } else {
          this.requests.push(frame);
          void this.answer(socket, frame);
        }
      }
      this.notify();
    });
    socket.on('error', () => {});
    // After the 'data' listener, which would otherwise set the socket flowing again.
    if (this.paused) socket.pause();
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.notify();
    });
  }

  private async answer(socket: net.Socket, req: RemotingCommand): Promise<void> {
    if (this.hanging || isOneway(req)) return;
    const responder = this.responders.get(req.code);
    const reply: Partial<RemotingCommand> | undefined = responder
      ? await responder(req)
      : { code: 3, remark: ` request type ${req.code} not supported` };
    if (!reply || socket.destroyed) return;
    const frame = encodeFrame({
      code: 0,
      language: LanguageCode.JAVA,
      version: SERVER_VERSION,
      extFields: {},
      serializeType: SerializeType.JSON,
      ...reply,
      opaque: reply.opaque ?? req.opaque,
      flag: (reply.flag ?? 0) | FLAG_RESPONSE,
    });
    if (this.cutNext) {
      this.cutNext = false;
      socket.write(frame.subarray(0, Math.floor(frame.length / 2)), () => socket.destroy());
    } else {
      socket.write(frame);
    }
    this.responsesSent++;
    this.notify();
  }
}
