import { ResponseCode, responseCodeInfo } from './remoting/codes.js';

/**
 * The one error taxonomy of the client core. The CLI maps `kind` to an exit code
 * (src/exit-codes.ts); the core itself knows nothing about processes or terminals.
 */
export type ErrorKind =
  | 'connection' // could not reach, or lost, a server
  | 'timeout' // a request or a wait did not finish in time
  | 'protocol' // the peer sent bytes we cannot make sense of
  | 'broker' // the server answered with a non-success response code
  | 'not-found' // topic, group, message … does not exist
  | 'invalid-argument' // the caller asked for something malformed
  | 'environment' // the local machine lacks something (java, mvn, a free port, disk)
  | 'check-failed'; // a verification the user asked for did not hold

/**
 * What went wrong, where a caller may branch on it or a front end may turn it into advice
 * (the CLI's src/hints.ts does): the core names the situation, never a flag, a command or an
 * environment variable of some front end. Details, when a reason needs them, are in `details`.
 */
export type ErrorReason =
  | ProtocolErrorReason
  | 'namesrv-missing' // no name server address was given
  | 'namesrv-unreachable' // no given name server answered; details.addresses: how many were tried
  | 'no-master' // the name server knows no master broker
  | 'unknown-broker' // a broker name or address the name server does not know
  | 'broker-unreachable' // no connection to a broker at the address it advertises
  | 'mapped-broker-unreachable' // no connection to a broker at the address it was mapped to
  | 'topic-not-found'
  | 'topic-not-writable' // the topic's route has no writable queue on a reachable master
  | 'group-not-found'
  | 'topic-types-unsupported' // a topic type asked of a 4.x broker
  | 'timer-unsupported' // a delay or delivery time asked of a 4.x broker, which would ignore it
  | 'priority-unsupported' // a priority message or PRIORITY topic asked of a broker before 5.4
  | 'tls-untrusted-certificate' // the server's certificate did not verify
  | 'tls-not-accepted' // a TLS handshake the server answered as a plain-only server does
  | 'tls-required' // a plain connection dropped before any reply, as a TLS-only server does
  | 'acl-no-credentials' // the broker's ACL wants credentials and the request carried none
  | 'acl-wrong-secret'
  | 'acl-unknown-access-key'
  | 'acl-denied' // authenticated, but the account lacks the permission
  | 'acl2-unsupported' // users and policies asked of a broker before 5.3; details.serverVersion
  | 'plain-acl-unsupported' // plain ACL accounts asked of a 5.2+ broker; details.serverVersion
  | 'request-unsupported' // the server answered REQUEST_CODE_NOT_SUPPORTED: it has no handler for the request
  | 'not-a-namesrv' // a name server request answered REQUEST_CODE_NOT_SUPPORTED; details.address
  | 'pop-through-proxy'; // POP asked of a server that is no broker (a 5.x proxy's remoting port); details.address

export type ErrorDetails = Readonly<Record<string, string | number | boolean>>;

export interface ErrorOptions {
  cause?: unknown;
  retriable?: boolean;
  reason?: ErrorReason;
  details?: ErrorDetails;
  /**
   * One line telling the user what to do next, for advice that needs no words of a front end
   * (RocketMQ's own files and tools, value formats). Advice that names a flag or a command is
   * the front end's, keyed by `reason`.
   */
  hint?: string;
}

export class RocketMQError extends Error {
  readonly kind: ErrorKind;
  readonly retriable: boolean;
  readonly reason: ErrorReason | undefined;
  readonly details: ErrorDetails | undefined;
  readonly hint: string | undefined;
  /** A send's error: the broker its last attempt went to, for per-broker accounting. */
  brokerName: string | undefined;
  /** A send's error: how many attempts were made before it was given up. */
  attempts: number | undefined;

  constructor(kind: ErrorKind, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.kind = kind;
    this.retriable = options.retriable ?? false;
    this.reason = options.reason;
    this.details = options.details;
    this.hint = options.hint;
  }
}

export class ConnectionError extends RocketMQError {
  readonly address: string;
  constructor(address: string, message: string, options: ErrorOptions = {}) {
    super('connection', message, { retriable: true, ...options });
    this.address = address;
  }
}

/** A closed connection rejects everything still in flight with this. */
export class ConnectionClosedError extends ConnectionError {}

export class TimeoutError extends RocketMQError {
  readonly timeoutMs: number;
  constructor(message: string, timeoutMs: number, options: ErrorOptions = {}) {
    super('timeout', message, { retriable: true, ...options });
    this.timeoutMs = timeoutMs;
  }
}

/**
 * What was wrong with what the peer sent, where callers may branch on it: `json-too-deep` and
 * `json-too-large` are bodies past the reader's budgets (`limit` says which), `malformed-json`
 * a body that is not JSON fastjson could have written. Unset for the other protocol errors.
 */
export type ProtocolErrorReason = 'json-too-deep' | 'json-too-large' | 'malformed-json';

export interface ProtocolErrorOptions extends ErrorOptions {
  reason?: ProtocolErrorReason;
  /** The budget that was exceeded: levels of nesting, or characters. */
  limit?: number;
  /** Where in the body (characters from its start). */
  offset?: number;
}

export class ProtocolError extends RocketMQError {
  declare readonly reason: ProtocolErrorReason | undefined;
  readonly limit: number | undefined;
  readonly offset: number | undefined;

  constructor(message: string, options: ProtocolErrorOptions = {}) {
    const { limit, offset, ...rest } = options;
    super('protocol', message, rest);
    this.limit = limit;
    this.offset = offset;
  }
}

export class NotFoundError extends RocketMQError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('not-found', message, options);
  }
}

export class InvalidArgumentError extends RocketMQError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('invalid-argument', message, options);
  }
}

export class EnvironmentError extends RocketMQError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('environment', message, options);
  }
}

export class CheckFailedError extends RocketMQError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('check-failed', message, options);
  }
}

/** The server answered with a response code other than success. */
export class BrokerResponseError extends RocketMQError {
  readonly responseCode: number;
  readonly codeName: string;
  readonly remark: string | undefined;
  readonly address: string | undefined;

  constructor(
    responseCode: number,
    remark: string | undefined,
    address?: string,
    options: ErrorOptions = {},
  ) {
    const info = responseCodeInfo(responseCode);
    const acl = aclFailure(responseCode, remark);
    const text = acl?.text ?? (remark?.trim() ? remark.trim() : info.message);
    super(
      responseCode === ResponseCode.TOPIC_NOT_EXIST ? 'not-found' : 'broker',
      `${info.name} (${responseCode}): ${text}`,
      {
        retriable: acl ? false : info.retriable,
        ...(acl ? { reason: acl.reason, ...(acl.hint ? { hint: acl.hint } : {}) } : {}),
        ...(responseCode === ResponseCode.REQUEST_CODE_NOT_SUPPORTED
          ? { reason: 'request-unsupported' }
          : {}),
        ...options,
      },
    );
    this.responseCode = responseCode;
    this.codeName = info.name;
    this.remark = remark;
    this.address = address;
  }
}

/**
 * A name server request (cluster info, a route, the topic list) answered REQUEST_CODE_NOT_SUPPORTED:
 * every name server serves those, so the address is something else. A RocketMQ 5.x proxy is the
 * usual one: its remoting port serves routes, sending and consuming and nothing else (5.3.3
 * RemotingProtocolServer registers no admin request), so a tool pointed at it for administration
 * gets this. Reason `not-a-namesrv`, details.address.
 */
export class NotANameServerError extends BrokerResponseError {
  constructor(address: string, request: string, remark: string | undefined) {
    super(ResponseCode.REQUEST_CODE_NOT_SUPPORTED, remark, address, {
      reason: 'not-a-namesrv',
      details: { address },
    });
    this.message = `${address} does not serve ${request} (REQUEST_CODE_NOT_SUPPORTED): it is no name server (a RocketMQ 5.x proxy serves sending and consuming, no administration)`;
  }
}

/**
 * A rejection by the broker's ACL, in words a user can act on; undefined for anything else.
 * 5.x answers NO_PERMISSION (16) with the AuthenticationException / AuthorizationException text
 * (broker AuthenticationPipeline, AuthorizationPipeline); 4.9 answers SYSTEM_ERROR (1) with
 * "org.apache.rocketmq.acl.common.AclException: <text>, <first stack frame>"
 * (NettyRemotingAbstract via RemotingHelper.exceptionSimpleDesc). None of them carries a secret.
 */
export function aclFailure(
  responseCode: number,
  remark: string | undefined,
): { text: string; reason: ErrorReason; hint?: string } | undefined {
  const r = remark?.trim() ?? '';
  if (responseCode === ResponseCode.SYSTEM_ERROR) {
    const m = /AclException: (.*?)(?:, [\w$.]+\([\w$.]*(?::\d+)?\))?$/s.exec(r);
    if (!m) return undefined;
    const why = m[1]!.trim();
    const text = `access denied by the broker's ACL: ${why}`;
    if (/^No accessKey is configured/i.test(why)) {
      return {
        text: 'the broker requires ACL credentials and the request carried none',
        reason: 'acl-no-credentials',
      };
    }
    if (/^Check signature failed/i.test(why)) {
      return {
        text: `${text} (wrong secret key)`,
        reason: 'acl-wrong-secret',
      };
    }
    if (/^No acl config for/i.test(why)) {
      return {
        text: `${text} (unknown access key)`,
        reason: 'acl-unknown-access-key',
      };
    }
    return {
      text,
      reason: 'acl-denied',
      // RocketMQ's own words: 4.x keeps its accounts in plain_acl.yml.
      hint: 'this account lacks the permission: use an admin account, or have one grant it (plain_acl.yml)',
    };
  }
  if (responseCode !== 16) return undefined;
  if (/username cannot be null/i.test(r)) {
    return {
      text: 'the broker requires ACL credentials and the request carried none',
      reason: 'acl-no-credentials',
    };
  }
  if (/check signature failed/i.test(r)) {
    return {
      text: `authentication failed: ${r} (wrong secret key)`,
      reason: 'acl-wrong-secret',
    };
  }
  const unknown = /^User:(.*) is not found\.?$/i.exec(r);
  if (unknown) {
    return {
      text: `authentication failed: unknown access key ${unknown[1]}`,
      reason: 'acl-unknown-access-key',
    };
  }
  if (/has no permission to access|^User:.* (is disabled|not found)/i.test(r)) {
    return {
      text: `access denied by the broker's ACL: ${r}`,
      reason: 'acl-denied',
      // RocketMQ's own tool: 5.x grants with mqadmin createAcl.
      hint: 'this user lacks the permission: use an admin account, or have one grant it (mqadmin createAcl)',
    };
  }
  return undefined;
}
