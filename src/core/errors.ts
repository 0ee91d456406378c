import { responseCodeInfo } from './remoting/codes.js';

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

export class ProtocolError extends RocketMQError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('protocol', message, options);
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
    const text = remark?.trim() ? remark.trim() : info.message;
    super(responseCode === 17 ? 'not-found' : 'broker', `${info.name} (${responseCode}): ${text}`, {
      retriable: info.retriable,
      ...options,
    });
    this.responseCode = responseCode;
    this.codeName = info.name;
    this.remark = remark;
    this.address = address;
  }
}
