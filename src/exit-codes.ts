/** The one exit-code table. README's table is this one; test/unit/exit-codes.test.ts pins it. */
import { type ErrorKind, RocketMQError } from './core/errors.js';

export const ExitCode = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  CONNECTION: 3,
  TIMEOUT: 4,
  BROKER: 5,
  NOT_FOUND: 6,
  PROTOCOL: 7,
  ENVIRONMENT: 8,
  CHECK_FAILED: 9,
  SLO_FAILED: 99,
  INTERRUPTED: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODE_TABLE: readonly { code: ExitCode; name: keyof typeof ExitCode; meaning: string }[] = [
  { code: 0, name: 'OK', meaning: 'success' },
  { code: 1, name: 'FAILURE', meaning: 'unexpected failure (a bug: rerun with --debug and report it)' },
  { code: 2, name: 'USAGE', meaning: 'bad command line: unknown flag, invalid value, missing argument' },
  {
    code: 3,
    name: 'CONNECTION',
    meaning:
      'a name server or broker could not be reached, or dropped the connection; a bench agent stopped reporting (partial result)',
  },
  { code: 4, name: 'TIMEOUT', meaning: 'a request or wait did not complete within --timeout' },
  { code: 5, name: 'BROKER', meaning: 'the server rejected the request (response code shown)' },
  { code: 6, name: 'NOT_FOUND', meaning: 'topic, group, message or local cluster does not exist' },
  { code: 7, name: 'PROTOCOL', meaning: 'the server sent something that is not valid remoting protocol' },
  {
    code: 8,
    name: 'ENVIRONMENT',
    meaning: 'this machine lacks something: java, mvn, a free port, disk space',
  },
  {
    code: 9,
    name: 'CHECK_FAILED',
    meaning:
      'a verification asked for did not hold (lost/duplicate messages, a `rmq check` warning or critical, drift found by `rmq diff`, …)',
  },
  { code: 99, name: 'SLO_FAILED', meaning: 'an --slo threshold failed' },
  { code: 130, name: 'INTERRUPTED', meaning: 'interrupted by SIGINT' },
];

/**
 * How a run ended: the statuses results carry (smoke's `status`, bench's verdict, an interrupted
 * send), the error kinds of failures, and the two outcomes only the CLI knows (a bad command
 * line, a bug). exitCodeFor is the one place that turns any of them into an exit code.
 */
export type Outcome =
  'ok' | 'passed' | 'interrupted' | 'slo-failed' | 'check-failed' | 'drift' | ErrorKind | 'usage' | 'bug';

const byOutcome: Record<Outcome, ExitCode> = {
  ok: ExitCode.OK,
  passed: ExitCode.OK,
  interrupted: ExitCode.INTERRUPTED,
  'slo-failed': ExitCode.SLO_FAILED,
  'check-failed': ExitCode.CHECK_FAILED,
  // `rmq diff`: the cluster is not as the document says (CI drift detection).
  drift: ExitCode.CHECK_FAILED,
  connection: ExitCode.CONNECTION,
  timeout: ExitCode.TIMEOUT,
  protocol: ExitCode.PROTOCOL,
  broker: ExitCode.BROKER,
  'not-found': ExitCode.NOT_FOUND,
  'invalid-argument': ExitCode.USAGE,
  environment: ExitCode.ENVIRONMENT,
  usage: ExitCode.USAGE,
  bug: ExitCode.FAILURE,
};

export function exitCodeFor(outcome: Outcome): ExitCode {
  return byOutcome[outcome];
}

/**
 * `rmq check --format nagios` exits as a Nagios plugin instead (the plugin guidelines' codes),
 * from the worst status of its checks; a bad command line or a failure there is UNKNOWN (3).
 * Every other format uses the table above (a warning or critical check: CHECK_FAILED).
 */
export type NagiosStatus = 'ok' | 'warning' | 'critical' | 'unknown';

export const NAGIOS_EXIT_CODE_TABLE: readonly { code: number; status: NagiosStatus; meaning: string }[] = [
  { code: 0, status: 'ok', meaning: 'every check passed' },
  { code: 1, status: 'warning', meaning: 'a check is past its warning level, none critical' },
  { code: 2, status: 'critical', meaning: 'a check is past its critical level or failed' },
  {
    code: 3,
    status: 'unknown',
    meaning: 'a check could not measure (nothing worse), or the command line or run failed',
  },
];

export function nagiosExitCode(status: NagiosStatus): number {
  return NAGIOS_EXIT_CODE_TABLE.find((r) => r.status === status)!.code;
}

/** The outcome of a failure: its kind for the core's errors, a bug for anything else. */
export function outcomeOfError(err: unknown): ErrorKind | 'bug' {
  return err instanceof RocketMQError ? err.kind : 'bug';
}
