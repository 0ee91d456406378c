/**
 * A pool of connections keyed by address, with one place that turns a non-success response
 * code into a typed BrokerResponseError.
 */
import { BrokerResponseError, ConnectionError, type ErrorReason } from '../errors.js';
import type { JsonWriter, RemotingCommand, SerializeType } from '../remoting/command.js';
import { aclHook, type Credentials } from '../remoting/acl.js';
import { ResponseCode } from '../remoting/codes.js';
import {
  Connection,
  type ConnectionOptions,
  type ServerRequestHandler,
  type TlsOptions,
} from '../remoting/connection.js';
import { type BrokerAddressMap, mapAddress } from './address-map.js';

export interface ClientOptions {
  /** Default per-request timeout. */
  timeoutMs: number;
  connectTimeoutMs?: number;
  serializeType?: SerializeType;
  maxInFlight?: number;
  requestHook?: ConnectionOptions['requestHook'];
  /** Sign every request (ACL). */
  credentials?: Credentials | undefined;
  tls?: TlsOptions | undefined;
  callSiteStacks?: ConnectionOptions['callSiteStacks'];
  transportFactory?: ConnectionOptions['transportFactory'];
  /**
   * Where to dial brokers that advertise addresses this machine cannot reach. Applied to every
   * address but the name servers' (dialAsGiven); callers keep using the advertised address.
   */
  addressMap?: BrokerAddressMap | undefined;
}

/**
 * Who we are and how we connect: ACL credentials, TLS and the broker address map, passed
 * through to every connection.
 */
export type ClientSecurity = Pick<ClientOptions, 'credentials' | 'tls' | 'addressMap'>;

export interface CallOptions {
  body?: Buffer | undefined;
  timeoutMs?: number;
  /** Response codes that are not errors for this call (default: only 0). */
  accept?: readonly number[];
  /** extFields as JSON text (see RemotingCommand.extJson). */
  extJson?: string | JsonWriter | undefined;
}

const ACCEPT_SUCCESS: readonly number[] = [ResponseCode.SUCCESS];

/** Where a oneway request went: an answer to it (a drop) comes on that connection, with that opaque. */
export interface OnewaySent {
  connection: Connection;
  opaque: number;
}

export class RemotingClient {
  private readonly conns = new Map<string, Promise<Connection>>();
  /** The open ones, so a request on an established connection does not wait a tick for it. */
  private readonly open = new Map<string, Connection>();
  private readonly handlers = new Map<number, ServerRequestHandler>();
  /** Name servers: given by the user, dialled as given, never mapped. */
  private readonly asGiven = new Set<string>();
  private closed = false;

  private readonly hook: ConnectionOptions['requestHook'];

  constructor(readonly options: ClientOptions) {
    const sign = options.credentials ? aclHook(options.credentials) : undefined;
    const extra = options.requestHook;
    this.hook = sign && extra ? (cmd) => (extra(cmd), sign(cmd)) : (sign ?? extra);
  }

  get timeoutMs(): number {
    return this.options.timeoutMs;
  }

  /** Handler for a server-initiated request code, on every present and future connection. */
  onRequest(code: number, handler: ServerRequestHandler): void {
    this.handlers.set(code, handler);
    for (const p of this.conns.values()) void p.then((c) => c.onRequest(code, handler)).catch(() => {});
  }

  /** Marks name-server addresses: the broker address map does not apply to them. */
  dialAsGiven(addresses: readonly string[]): void {
    for (const a of addresses) this.asGiven.add(a);
  }

  /** The address a connection to `address` goes to: the mapped one for a mapped broker. */
  dialAddress(address: string): string {
    return this.asGiven.has(address) ? address : mapAddress(this.options.addressMap, address);
  }

  connection(address: string): Promise<Connection> {
    if (this.closed) return Promise.reject(new ConnectionError(address, 'client is closed'));
    let p = this.conns.get(address);
    if (!p) {
      const dialAddress = this.dialAddress(address);
      const asGiven = this.asGiven.has(address);
      p = Connection.connect({
        address,
        dialAddress,
        connectTimeoutMs: Math.min(this.options.connectTimeoutMs ?? 3000, this.options.timeoutMs),
        serializeType: this.options.serializeType,
        maxInFlight: this.options.maxInFlight,
        requestHook: this.hook,
        tls: this.options.tls,
        callSiteStacks: this.options.callSiteStacks,
        transportFactory: this.options.transportFactory,
      }).then((c) => {
        for (const [code, h] of this.handlers) c.onRequest(code, h);
        c.once('close', () => {
          if (this.conns.get(address) === p) this.conns.delete(address);
          if (this.open.get(address) === c) this.open.delete(address);
        });
        if (!this.closed) this.open.set(address, c);
        return c;
      });
      p.catch((err: unknown) => {
        if (this.conns.get(address) === p) this.conns.delete(address);
        // A broker (its address came from a name server or a message id) that cannot be
        // reached: it may advertise an address only its own network reaches.
        if (!asGiven && err instanceof ConnectionError && !err.reason) {
          const reason: ErrorReason =
            dialAddress === address ? 'broker-unreachable' : 'mapped-broker-unreachable';
          (err as { reason?: ErrorReason }).reason = reason;
        }
      });
      this.conns.set(address, p);
    }
    return p;
  }

  /** The connection to `address` if it is open now (a hot path's way around a promise). */
  openConnection(address: string): Connection | undefined {
    return this.open.get(address);
  }

  /** Sends a request; throws BrokerResponseError unless the response code is accepted. */
  call(
    address: string,
    code: number,
    extFields: Record<string, string>,
    options: CallOptions = {},
  ): Promise<RemotingCommand> {
    // Not an async function: a request on an open connection costs one promise fewer.
    const open = this.open.get(address);
    if (open) return this.callOn(open, address, code, extFields, options);
    return this.connection(address).then((c) => this.callOn(c, address, code, extFields, options));
  }

  private callOn(
    conn: Connection,
    address: string,
    code: number,
    extFields: Record<string, string>,
    options: CallOptions,
  ): Promise<RemotingCommand> {
    const accept = options.accept ?? ACCEPT_SUCCESS;
    return conn
      .request(code, extFields, {
        timeoutMs: options.timeoutMs ?? this.options.timeoutMs,
        body: options.body,
        extJson: options.extJson,
      })
      .then((res) => {
        if (!accept.includes(res.code)) throw new BrokerResponseError(res.code, res.remark, address);
        return res;
      });
  }

  /** Sends a request with no reply; resolves, once it reached the kernel, with the connection that carried it and its opaque. */
  async oneway(
    address: string,
    code: number,
    extFields: Record<string, string>,
    body?: Buffer,
    extJson?: string,
  ): Promise<OnewaySent> {
    const connection = this.open.get(address) ?? (await this.connection(address));
    // Resolved once the frame reached the kernel (onewayFlushed); a broker's answer to a dropped
    // oneway request needs a round trip through its send queue, so it cannot beat the caller's
    // OnewayFence.track() of this opaque.
    return { connection, opaque: await connection.onewayFlushed(code, extFields, body, extJson) };
  }

  close(): void {
    this.closed = true;
    for (const p of this.conns.values()) void p.then((c) => c.close()).catch(() => {});
    this.conns.clear();
    this.open.clear();
  }
}
