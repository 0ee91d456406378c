/**
 * One multiplexed remoting connection: correlates responses by `opaque`, times requests out,
 * limits requests in flight, answers server-initiated requests, and coalesces small writes.
 *
 * Over ~500 lines on purpose, for now: the pending-request table, the timeout sweep, the write
 * coalescing and the close path share the socket's state and its ordering guarantees (a oneway
 * fence relies on writes leaving in call order); a split is left for a change that needs it.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import {
  ConnectionClosedError,
  ConnectionError,
  type ErrorOptions as RocketMQErrorOptions,
  type ErrorReason,
  RocketMQError,
  TimeoutError,
} from '../errors.js';
import {
  CLIENT_LANGUAGE,
  CLIENT_VERSION,
  encodeFrame,
  FLAG_ONEWAY,
  FLAG_RESPONSE,
  isOneway,
  isResponse,
  type JsonWriter,
  type RemotingCommand,
  SerializeType,
} from './command.js';
import { DEFAULT_MAX_FRAME_LENGTH, FrameDecoder } from './frame-decoder.js';

/** Answers a request the server sent us. Return undefined for oneway requests. */
export type ServerRequestHandler = (
  request: RemotingCommand,
  connection: Connection,
) => Promise<Partial<RemotingCommand> | undefined> | Partial<RemotingCommand> | undefined;

/** Called on every outgoing request before it is encoded (e.g. ACL signing). */
export type RequestHook = (request: RemotingCommand) => void;

export interface ConnectionOptions {
  /** `host:port`: who the peer is (for a broker, the address it advertises). */
  address: string;
  /** `host:port` to open the socket to, when not `address` (a mapped broker address). */
  dialAddress?: string | undefined;
  connectTimeoutMs?: number;
  maxInFlight?: number;
  maxFrameLength?: number;
  serializeType?: SerializeType;
  requestHook?: RequestHook;
  /**
   * Create each request's TimeoutError up front so its stack names the caller (default true).
   * A stack capture costs microseconds per request: rmq bench turns it off.
   */
  callSiteStacks?: boolean;
  /** TLS on the same port (the server sniffs the first byte); off unless given. */
  tls?: TlsOptions | undefined;
  /** Opens the byte stream; defaults to a TCP socket. Tests inject an in-memory duplex. */
  transportFactory?: (host: string, port: number) => Duplex;
}

export interface TlsOptions {
  /** PEM trust roots; the system's when absent. */
  ca?: Buffer | undefined;
  /** Skip certificate verification (brokers in tls.test.mode use a self-signed certificate). */
  insecure?: boolean | undefined;
}

export interface RequestOptions {
  timeoutMs: number;
  body?: Buffer | undefined;
  /** extFields as JSON text (see RemotingCommand.extJson). */
  extJson?: string | JsonWriter | undefined;
}

/** A request's outcome: the error when it failed, else the response (whatever its code). */
export type ResponseCallback = (err: Error | undefined, res: RemotingCommand | undefined) => void;

interface Pending {
  cb: ResponseCallback;
  /** Date.now() after which the request has timed out */
  deadline: number;
  code: number;
  timeoutMs: number;
  atCallSite: TimeoutError | undefined;
}

export function parseAddress(address: string): { host: string; port: number } {
  const idx = address.lastIndexOf(':');
  const port = Number(address.slice(idx + 1));
  let host = idx > 0 ? address.slice(0, idx) : '';
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (idx <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535 || host === '') {
    throw new RocketMQError('invalid-argument', `invalid address "${address}"`, {
      hint: 'use host:port, e.g. 127.0.0.1:9876',
    });
  }
  return { host, port };
}

/** Node's codes for a certificate it does not trust (or that does not name the host). */
const UNTRUSTED_CERT = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** What went wrong in a failed TLS connect, if the error says. */
function tlsFailureReason(err: NodeJS.ErrnoException): ErrorReason | undefined {
  if (err.code && UNTRUSTED_CERT.has(err.code)) return 'tls-untrusted-certificate';
  // A plain-only server (tls.server.mode=disabled) answers the ClientHello with garbage or a close.
  if (
    err.code === 'ECONNRESET' ||
    err.code === 'EPROTO' ||
    /wrong version number|socket disconnected/i.test(err.message)
  ) {
    return 'tls-not-accepted';
  }
  return undefined;
}

export class Connection extends EventEmitter {
  readonly address: string;
  private readonly transport: Duplex;
  private readonly decoder: FrameDecoder;
  private readonly pending = new Map<number, Pending>();
  private readonly handlers = new Map<number, ServerRequestHandler>();
  private readonly waiters: (() => void)[] = [];
  /** Oneway writes waiting for the socket to drain below its high-water mark, in order. */
  private readonly drainWaiters: { write: () => void; reject: (err: Error) => void }[] = [];
  private readonly maxInFlight: number;
  private readonly serializeType: SerializeType;
  private readonly requestHook: RequestHook | undefined;
  private readonly callSiteStacks: boolean;
  private nextOpaque = 1;
  private inFlight = 0;
  /**
   * One timer for the timeouts of all requests, armed for the earliest deadline (sweepTimeouts);
   * a timer per request cost an allocation and a timer-list insert and removal per message.
   * Unref'ed while nothing is pending, so an idle connection keeps no process alive.
   */
  private timeoutTimer: NodeJS.Timeout | undefined;
  private timeoutAt = Infinity;
  private corked = false;
  private closedWith: Error | undefined;
  /** Whether any byte came back: a server that drops us before answering anything hints at TLS. */
  private received = false;
  /** Version the server stamped on its last reply: any reply reveals the server version. */
  serverVersion: number | undefined;

  private constructor(transport: Duplex, options: ConnectionOptions) {
    super();
    this.address = options.address;
    this.transport = transport;
    this.decoder = new FrameDecoder(options.maxFrameLength ?? DEFAULT_MAX_FRAME_LENGTH);
    this.maxInFlight = options.maxInFlight ?? 4096;
    this.serializeType = options.serializeType ?? SerializeType.JSON;
    this.requestHook = options.requestHook;
    this.callSiteStacks = options.callSiteStacks ?? true;
    transport.on('data', (chunk: Buffer) => this.onData(chunk));
    transport.on('drain', () => this.onDrain());
    // A server in TLS `enforcing` mode accepts the TCP connection, reads the first byte of our
    // plain request and closes: all the client ever sees is a close before any reply.
    const closedEarly = (): boolean => !this.received && !options.tls && this.pending.size > 0;
    const earlyReason = (): RocketMQErrorOptions => (closedEarly() ? { reason: 'tls-required' } : {});
    transport.on('error', (err: Error) =>
      this.shutdown(
        new ConnectionClosedError(this.address, `connection to ${this.address} failed: ${err.message}`, {
          cause: err,
          ...earlyReason(),
        }),
      ),
    );
    transport.on('close', () =>
      this.shutdown(
        new ConnectionClosedError(
          this.address,
          closedEarly()
            ? `connection to ${this.address} closed by the server before any reply`
            : `connection to ${this.address} closed`,
          earlyReason(),
        ),
      ),
    );
  }

  /** Opens a connection; rejects with ConnectionError on refusal or after connectTimeoutMs. */
  static connect(options: ConnectionOptions): Promise<Connection> {
    const dial = options.dialAddress ?? options.address;
    const { host, port } = parseAddress(dial);
    const timeoutMs = options.connectTimeoutMs ?? 3000;
    // What the messages name: the socket's address, and whose address it stands for.
    const shown = dial === options.address ? dial : `${dial} (mapped from ${options.address})`;
    // Created here so a failure's stack points at the caller, not at a socket callback.
    const failure = new ConnectionError(options.address, `could not connect to ${shown}`);
    return new Promise((resolve, reject) => {
      const transport = options.transportFactory
        ? options.transportFactory(host, port)
        : options.tls
          ? tls.connect({
              host,
              port,
              ca: options.tls.ca,
              rejectUnauthorized: !options.tls.insecure,
              // An IP address is not a valid SNI name.
              servername: net.isIP(host) ? undefined : host,
            })
          : net.connect({ host, port, noDelay: true });
      let done = false;
      const finish = (err?: Error) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        transport.off('error', onError);
        if (err) {
          transport.destroy();
          reject(err);
        } else {
          resolve(new Connection(transport, options));
        }
      };
      // Judged after this loop turn's I/O, as request timeouts are (timeoutsDue): a connect that
      // completed while the process was busy is not failed by a timer that came due meanwhile.
      const timer = setTimeout(
        () =>
          setImmediate(() => {
            failure.message = `could not connect to ${shown} within ${timeoutMs} ms`;
            finish(failure);
          }),
        timeoutMs,
      );
      const onError = (err: NodeJS.ErrnoException) => {
        failure.message =
          err.code === 'ECONNREFUSED'
            ? `connection refused by ${shown}`
            : `could not connect to ${shown}: ${err.message}`;
        (failure as { cause?: unknown }).cause = err;
        const reason = options.tls ? tlsFailureReason(err) : undefined;
        if (reason) {
          failure.message = `TLS handshake with ${shown} failed: ${err.message}`;
          (failure as { reason?: ErrorReason }).reason = reason;
        }
        finish(failure);
      };
      transport.once('error', onError);
      if (transport instanceof tls.TLSSocket) transport.once('secureConnect', () => finish());
      else if (transport instanceof net.Socket && transport.connecting)
        transport.once('connect', () => finish());
      else queueMicrotask(() => finish());
    });
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  get requestsInFlight(): number {
    return this.inFlight;
  }

  /** Routes server-initiated requests with this code to `handler`. */
  onRequest(code: number, handler: ServerRequestHandler): void {
    this.handlers.set(code, handler);
  }

  /**
   * Sends a request and resolves with the response, whatever its response code.
   * @example conn.request(106, {}, { timeoutMs: 3000 })
   */
  request(
    code: number,
    extFields: Record<string, string>,
    options: RequestOptions,
  ): Promise<RemotingCommand> {
    // Created at the call site so the stack names the caller, not a timer callback.
    const atCallSite = this.callSiteStacks ? this.timeoutError(code, options.timeoutMs) : undefined;
    return new Promise((resolve, reject) => {
      this.begin(code, extFields, options, atCallSite, (err, res) => (err ? reject(err) : resolve(res!)));
    });
  }

  /**
   * request()'s callback form, for a hot path where a promise per request counts: `cb` is called
   * once, never before requestCb returns (a failure found at once is reported on the next tick),
   * and must not throw.
   */
  requestCb(
    code: number,
    extFields: Record<string, string>,
    options: RequestOptions,
    cb: ResponseCallback,
  ): void {
    const atCallSite = this.callSiteStacks ? this.timeoutError(code, options.timeoutMs) : undefined;
    this.begin(code, extFields, options, atCallSite, cb);
  }

  private timeoutError(code: number, timeoutMs: number): TimeoutError {
    return new TimeoutError(`request ${code} to ${this.address} timed out after ${timeoutMs} ms`, timeoutMs);
  }

  private begin(
    code: number,
    extFields: Record<string, string>,
    options: RequestOptions,
    atCallSite: TimeoutError | undefined,
    cb: ResponseCallback,
  ): void {
    const deadline = Date.now() + options.timeoutMs;
    if (this.closedWith) {
      process.nextTick(cb, this.closedWith, undefined);
      return;
    }
    // release() hands a freed slot straight to the next waiter, so no request issued in between
    // (e.g. from a server-request handler) can take it and push us past maxInFlight.
    if (this.inFlight < this.maxInFlight) {
      this.inFlight++;
      this.issue(code, extFields, options, deadline, atCallSite, cb);
      return;
    }
    this.waitForSlot(deadline, () => atCallSite ?? this.timeoutError(code, options.timeoutMs)).then(
      () => this.issue(code, extFields, options, deadline, atCallSite, cb),
      (err: Error) => cb(err, undefined),
    );
  }

  /** Writes a request that holds an in-flight slot; its reply, failure or timeout calls cb. */
  private issue(
    code: number,
    extFields: Record<string, string>,
    options: RequestOptions,
    deadline: number,
    atCallSite: TimeoutError | undefined,
    cb: ResponseCallback,
  ): void {
    if (this.closedWith) {
      process.nextTick(cb, this.closedWith, undefined);
      return;
    }
    const opaque = this.takeOpaque();
    let cmd: RemotingCommand;
    try {
      cmd = this.build(code, extFields, options.body, opaque, 0, options.extJson);
    } catch (err) {
      this.release();
      process.nextTick(cb, err as Error, undefined);
      return;
    }
    this.pending.set(opaque, { cb, deadline, code, timeoutMs: options.timeoutMs, atCallSite });
    if (deadline < this.timeoutAt) this.armTimeouts(deadline);
    else if (this.pending.size === 1) this.timeoutTimer?.ref();
    this.write(cmd);
  }

  private armTimeouts(at: number): void {
    if (this.timeoutTimer) clearTimeout(this.timeoutTimer);
    this.timeoutAt = at;
    this.timeoutTimer = setTimeout(this.timeoutsDue, Math.max(1, at - Date.now()));
  }

  /**
   * The timer of the earliest deadline fired. A process that was descheduled or busy past that
   * deadline wakes with the timer due *and* the replies that came meanwhile still unread, and a
   * loop turn runs timers before I/O: judged at once, requests whose answers sit in the socket
   * would fail (seen on a loaded 2-core box). setImmediate runs after this turn's I/O.
   */
  private readonly timeoutsDue = (): void => {
    this.timeoutTimer = undefined;
    setImmediate(this.sweepTimeouts);
  };

  /** Fails every request past its deadline, and arms the timer for the earliest one left. */
  private readonly sweepTimeouts = (): void => {
    // A request with an earlier deadline may have armed a timer since: this sweep covers it.
    if (this.timeoutTimer) clearTimeout(this.timeoutTimer);
    this.timeoutTimer = undefined;
    this.timeoutAt = Infinity;
    const now = Date.now();
    let next = Infinity;
    for (const [opaque, p] of this.pending) {
      if (p.deadline <= now) {
        this.pending.delete(opaque);
        this.release();
        this.settle(p, p.atCallSite ?? this.timeoutError(p.code, p.timeoutMs), undefined);
      } else if (p.deadline < next) {
        next = p.deadline;
      }
    }
    if (next < this.timeoutAt && !this.closedWith) this.armTimeouts(next);
  };

  /** Calls a request's callback; one that throws must not keep the other replies of a chunk waiting. */
  private settle(p: Pending, err: Error | undefined, res: RemotingCommand | undefined): void {
    try {
      p.cb(err, res);
    } catch (thrown) {
      queueMicrotask(() => {
        throw thrown;
      });
    }
  }

  /**
   * Sends a request that the server does not answer when it takes it, and returns its opaque: a
   * broker that drops it answers after all (see the 'stray' event).
   */
  oneway(code: number, extFields: Record<string, string>, body?: Buffer, extJson?: string): number {
    if (this.closedWith) throw this.closedWith;
    const opaque = this.takeOpaque();
    this.write(this.build(code, extFields, body, opaque, FLAG_ONEWAY, extJson));
    return opaque;
  }

  /**
   * Sends a request that the server never answers, and resolves with its opaque once its bytes
   * were handed to the kernel. With no reply, that is the only sign a oneway send happened: resolving at write()
   * would count what sits in our buffer as sent. While the socket is over its high-water mark
   * (write() returned false) the frame is not even written, but waits for 'drain': so a server
   * that stops reading holds our buffer to a high-water mark and a frame, not to whatever the
   * caller queued.
   */
  onewayFlushed(
    code: number,
    extFields: Record<string, string>,
    body?: Buffer,
    extJson?: string,
  ): Promise<number> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    return new Promise<number>((resolve, reject) => {
      const write = () => {
        let frame: Buffer;
        const opaque = this.takeOpaque();
        try {
          frame = encodeFrame(this.build(code, extFields, body, opaque, FLAG_ONEWAY, extJson));
        } catch (err) {
          reject(err as Error);
          return;
        }
        // The callback runs once the bytes left our buffer for the kernel, or with the error that
        // kept them from it (a destroyed socket calls back every buffered write).
        this.writeFrame(frame, (err) => (err ? reject(this.closedWith ?? err) : resolve(opaque)));
      };
      // Behind others already waiting, whatever the buffer says now: the order is the caller's.
      if (this.transport.writableNeedDrain || this.drainWaiters.length > 0) {
        this.drainWaiters.push({ write, reject });
      } else {
        write();
      }
    });
  }

  /** Closes the connection; everything in flight is rejected with ConnectionClosedError. */
  close(): void {
    this.shutdown(new ConnectionClosedError(this.address, `connection to ${this.address} was closed`));
  }

  private takeOpaque(): number {
    const opaque = this.nextOpaque;
    this.nextOpaque = this.nextOpaque >= 0x7fffffff ? 1 : this.nextOpaque + 1;
    return opaque;
  }

  private build(
    code: number,
    extFields: Record<string, string>,
    body: Buffer | undefined,
    opaque: number,
    flag: number,
    extJson?: string | JsonWriter,
  ): RemotingCommand {
    const cmd: RemotingCommand = {
      code,
      language: CLIENT_LANGUAGE,
      version: CLIENT_VERSION,
      opaque,
      flag,
      extFields,
      // A hook (ACL signing) may change extFields: then the text is made from them afresh.
      extJson: this.requestHook ? undefined : extJson,
      body,
      serializeType: this.serializeType,
    };
    this.requestHook?.(cmd);
    return cmd;
  }

  private waitForSlot(deadline: number, timeoutError: () => TimeoutError): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiter = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(
        () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(timeoutError());
        },
        Math.max(1, deadline - Date.now()),
      );
      this.waiters.push(waiter);
    });
  }

  private release(): void {
    const next = this.waiters.shift();
    // The slot passes to the waiter as is; only an unclaimed slot is freed.
    if (next) next();
    else this.inFlight--;
  }

  /** Small writes within one tick leave in one syscall. */
  private write(cmd: RemotingCommand): void {
    this.writeFrame(encodeFrame(cmd));
  }

  private writeFrame(frame: Buffer, flushed?: (err?: Error | null) => void): void {
    if (!this.corked) {
      this.corked = true;
      this.transport.cork();
      process.nextTick(() => {
        this.corked = false;
        this.transport.uncork();
      });
    }
    this.transport.write(frame, flushed);
  }

  /** The socket drained: oneway writes go out, one by one, until it is full again. */
  private onDrain(): void {
    while (this.drainWaiters.length > 0 && !this.transport.writableNeedDrain && !this.closedWith) {
      this.drainWaiters.shift()!.write();
    }
  }

  private onData(chunk: Buffer): void {
    this.received = true;
    let frames: RemotingCommand[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      // The stream cannot be resynchronised after a bad frame.
      this.shutdown(err as Error);
      this.transport.destroy();
      return;
    }
    for (const frame of frames) {
      if (isResponse(frame)) this.onResponse(frame);
      else void this.onServerRequest(frame);
    }
  }

  private onResponse(frame: RemotingCommand): void {
    this.serverVersion = frame.version;
    const p = this.pending.get(frame.opaque);
    if (!p) {
      // A late reply to a request that already timed out, or a broker's answer to a oneway
      // request it dropped (it answers those when it throws them out of a full queue).
      this.emit('stray', frame);
      return;
    }
    this.pending.delete(frame.opaque);
    if (this.pending.size === 0) this.timeoutTimer?.unref();
    this.release();
    this.settle(p, undefined, frame);
  }

  private async onServerRequest(req: RemotingCommand): Promise<void> {
    const handler = this.handlers.get(req.code);
    let reply: Partial<RemotingCommand> | undefined;
    if (!handler) {
      reply = { code: 3, remark: ` request type ${req.code} not supported` };
    } else {
      try {
        reply = await handler(req, this);
      } catch (err) {
        reply = { code: 1, remark: (err as Error).message };
      }
    }
    // Oneway requests are never answered; everything else always is, or the broker stalls.
    if (isOneway(req) || this.closedWith) return;
    const response: RemotingCommand = {
      code: reply?.code ?? 0,
      language: CLIENT_LANGUAGE,
      version: CLIENT_VERSION,
      opaque: req.opaque,
      flag: FLAG_RESPONSE,
      remark: reply?.remark,
      extFields: reply?.extFields ?? {},
      body: reply?.body,
      serializeType: this.serializeType,
    };
    this.write(response);
  }

  private shutdown(reason: Error): void {
    if (this.closedWith) return;
    this.closedWith = reason;
    if (this.timeoutTimer) clearTimeout(this.timeoutTimer);
    this.timeoutTimer = undefined;
    for (const [opaque, p] of this.pending) {
      this.pending.delete(opaque);
      this.settle(p, reason, undefined);
    }
    this.inFlight = 0;
    for (const w of this.waiters.splice(0)) w();
    for (const w of this.drainWaiters.splice(0)) w.reject(reason);
    if (!this.transport.destroyed) this.transport.destroy();
    this.emit('close', reason);
  }
}
