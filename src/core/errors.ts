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

export interface ErrorOptions {
  cause?: unknown;
  retriable?: boolean;
  /** One line telling the user what to do next. */
  hint?: string;
}

export class RocketMQError extends Error {
  readonly kind: ErrorKind;
  readonly retriable: boolean;
  readonly hint: string | undefined;

  constructor(kind: ErrorKind, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.kind = kind;
    this.retriable = options.retriable ?? false;
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
  readonly reason: ProtocolErrorReason | undefined;
  readonly limit: number | undefined;
  readonly offset: number | undefined;

  constructor(message: string, options: ProtocolErrorOptions = {}) {
    const { reason, limit, offset, ...rest } = options;
    super('protocol', message, rest);
    this.reason = reason;
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
        ...(acl ? { hint: acl.hint } : {}),
        ...options,
      },
    );
    this.responseCode = responseCode;
    this.codeName = info.name;
    this.remark = remark;
    this.address = address;
  }
}

const CREDENTIALS_HINT =
  'set RMQ_ACCESS_KEY and RMQ_SECRET_KEY (or --access-key/--secret-key, or a --profile that has them)';

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
): { text: string; hint: string } | undefined {
  const r = remark?.trim() ?? '';
  if (responseCode === ResponseCode.SYSTEM_ERROR) {
    const m = /AclException: (.*?)(?:, [\w$.]+\([\w$.]*(?::\d+)?\))?$/s.exec(r);
    if (!m) return undefined;
    const why = m[1]!.trim();
    const text = `access denied by the broker's ACL: ${why}`;
    if (/^No accessKey is configured/i.test(why)) {
      return {
        text: 'the broker requires ACL credentials and the request carried none',
        hint: CREDENTIALS_HINT,
      };
    }
    if (/^Check signature failed/i.test(why)) {
      return {
        text: `${text} (wrong secret key)`,
        hint: 'check the secret key (RMQ_SECRET_KEY, --secret-key or the profile)',
      };
    }
    if (/^No acl config for/i.test(why)) {
      return {
        text: `${text} (unknown access key)`,
        hint: 'check the access key (RMQ_ACCESS_KEY, --access-key or the profile)',
      };
    }
    return {
      text,
      hint: 'this account lacks the permission: use an admin account, or have one grant it (plain_acl.yml)',
    };
  }
  if (responseCode !== 16) return undefined;
  if (/username cannot be null/i.test(r)) {
    return {
      text: 'the broker requires ACL credentials and the request carried none',
      hint: CREDENTIALS_HINT,
    };
  }
  if (/check signature failed/i.test(r)) {
    return {
      text: `authentication failed: ${r} (wrong secret key)`,
      hint: 'check the secret key (RMQ_SECRET_KEY, --secret-key or the profile)',
    };
  }
  const unknown = /^User:(.*) is not found\.?$/i.exec(r);
  if (unknown) {
    return {
      text: `authentication failed: unknown access key ${unknown[1]}`,
      hint: 'check the access key (RMQ_ACCESS_KEY, --access-key or the profile)',
    };
  }
  if (/has no permission to access|^User:.* (is disabled|not found)/i.test(r)) {
    return {
      text: `access denied by the broker's ACL: ${r}`,
      hint: 'this user lacks the permission: use an admin account, or have one grant it (mqadmin createAcl)',
    };
  }
  return undefined;
}
