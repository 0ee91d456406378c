/** `rmq send`'s flags become a plan: where bodies come from, their attributes, how they are sent. */
import { validateLiteTopicName } from '../../core/protocol/lite-info.js';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { validateGroupName, validateTopicName } from '../../core/client/admin.js';
import { parseNamesrvList } from '../../core/client/namesrv.js';
import { type TransactionAction } from '../../core/client/producer.js';
import { checkPropertyStrings, MAX_BODY_BYTES, MAX_PRIORITY } from '../../core/client/outgoing-message.js';
import type { ClientSecurity } from '../../core/client/remoting-client.js';
import { InvalidArgumentError } from '../../core/errors.js';
import { parseSize } from '../../core/util/units.js';
import {
  type BodySource,
  checkDelayLevel,
  type MessageTemplate,
  parseProperties,
  parseTime,
  readBodyFile,
} from '../input.js';
import { parseDelimiter } from '../escapes.js';
import type { LoopOptions, SendMode } from './loop.js';
import type { CheckResult } from './transaction.js';

/** Results kept for --json; beyond this only the counts grow (a 1M-message run stays small). */
export const MAX_JSON_RESULTS = 10_000;

/** The flags of `rmq send`, as parsed by oclif; validated by planSend. */
export interface SendRequest {
  topic: string;
  namesrv: string;
  timeoutMs: number;
  security?: ClientSecurity | undefined;
  group: string;
  body?: string | undefined;
  file?: string | undefined;
  size?: string | undefined;
  count?: number | undefined;
  input: 'lines' | 'ndjson';
  delimiter?: string | undefined;
  keys?: string[] | undefined;
  tag?: string | undefined;
  properties?: string[] | undefined;
  delayMs?: number | undefined;
  deliverAt?: string | undefined;
  delayLevel?: number | undefined;
  messageGroup?: string | undefined;
  /** --lite-topic: the lite topic of a LITE parent topic (5.5+). */
  liteTopic?: string | undefined;
  /** --priority: a priority message (5.4+). */
  priority?: number | undefined;
  mode: SendMode;
  concurrency: number;
  batch?: number | undefined;
  transaction?: TransactionAction | undefined;
  checkResult: CheckResult;
  waitCheckMs: number;
  retries: number;
  compress: boolean;
  failFast: boolean;
  /** --trace: write Pub (and EndTransaction) records to the trace topic. */
  trace?: boolean | undefined;
  /** --trace-topic (default RMQ_SYS_TRACE_TOPIC); implies --trace. */
  traceTopic?: string | undefined;
  /** Standard input: read only when no other body source is given. */
  stdin: AsyncIterable<Buffer | string> & { isTTY?: boolean | undefined };
}

export interface SendPlan {
  topic: string;
  namesrv: string[];
  timeoutMs: number;
  security?: ClientSecurity | undefined;
  group: string;
  retries: number;
  compressThreshold: number;
  source: BodySource;
  template: MessageTemplate;
  loop: LoopOptions;
  checkResult: CheckResult;
  waitCheckMs: number;
  /** Message tracing, when asked for. */
  trace?: { topic?: string | undefined } | undefined;
}

/** --lite-topic: a name the proxy would take, on its own (no batch, transaction, delay or priority). */
function checkLiteTopicFlag(
  liteTopic: string,
  with_: { batch: number; transaction: TransactionAction | undefined; delays: number; priority: boolean },
): void {
  validateLiteTopicName(liteTopic, '--lite-topic');
  const clash = [
    with_.batch > 0 && '--batch',
    with_.transaction && '--transaction',
    with_.delays > 0 && 'a delay',
    // A LITE topic is no PRIORITY topic: the broker would drop the priority.
    with_.priority && '--priority',
  ].filter(Boolean);
  if (clash.length > 0) {
    throw new InvalidArgumentError(`--lite-topic does not go with ${clash.join(', ')}`, {
      hint: 'a lite message is sent on its own, at once',
    });
  }
}

const positive = (v: number | undefined, name: string): void => {
  if (v !== undefined && (!Number.isInteger(v) || v < 1)) {
    throw new InvalidArgumentError(`${name} must be a whole number of at least 1, got ${v}`);
  }
};

/** Validates the flags and decides where bodies come from; throws InvalidArgumentError (exit 2). */
export async function planSend(req: SendRequest): Promise<SendPlan> {
  positive(req.count, '--count');
  positive(req.concurrency, '--concurrency');
  positive(req.batch, '--batch');
  if (!Number.isInteger(req.retries) || req.retries < 0) {
    throw new InvalidArgumentError(`--retries must be a whole number of at least 0, got ${req.retries}`);
  }
  if (req.delayLevel !== undefined) checkDelayLevel(req.delayLevel);
  if (req.delayMs !== undefined && !(req.delayMs > 0)) {
    throw new InvalidArgumentError('--delay must be more than 0', { hint: 'e.g. --delay 10s' });
  }
  const deliverAtMs = req.deliverAt === undefined ? undefined : parseTime(req.deliverAt);
  const delays = [req.delayMs, deliverAtMs, req.delayLevel].filter((v) => v !== undefined).length;
  if (delays > 1) {
    throw new InvalidArgumentError('use only one of --delay, --deliver-at and --delay-level');
  }
  const batch = req.batch !== undefined && req.batch > 1 ? req.batch : 0;
  if (req.transaction && req.mode === 'oneway') {
    throw new InvalidArgumentError('--transaction needs the broker to answer: it cannot be --mode oneway');
  }
  if (batch && req.transaction) {
    throw new InvalidArgumentError('--batch cannot be combined with --transaction');
  }
  if (batch && req.mode === 'oneway') {
    throw new InvalidArgumentError('--batch cannot be combined with --mode oneway');
  }
  if (batch && delays > 0) {
    throw new InvalidArgumentError('a batch cannot hold delayed messages: drop --batch or the delay');
  }
  if (req.transaction && delays > 0) {
    throw new InvalidArgumentError('a transaction message cannot be delayed');
  }
  if (req.priority !== undefined) checkPriority(req, delays > 0, batch > 0);
  if (req.input === 'ndjson' && (req.body !== undefined || req.size !== undefined)) {
    throw new InvalidArgumentError('--input ndjson reads records from standard input or --file', {
      hint: 'drop --body/--size, or drop --input ndjson',
    });
  }
  if (req.delimiter !== undefined && (req.input === 'ndjson' || !usesStdinLines(req))) {
    throw new InvalidArgumentError('--delimiter applies only to messages read from standard input');
  }
  const sources = [req.body, req.file, req.size].filter((v) => v !== undefined).length;
  if (sources > 1) throw new InvalidArgumentError('use only one of --body, --file and --size');
  if (req.body === '') throw new InvalidArgumentError('--body is empty; a message body cannot be');
  if (req.messageGroup === '') throw new InvalidArgumentError('--message-group must not be empty');
  if (req.liteTopic !== undefined)
    checkLiteTopicFlag(req.liteTopic, {
      batch,
      transaction: req.transaction,
      delays,
      priority: req.priority !== undefined,
    });
  // As the Java client does (Validators.checkTopic): a clear exit 2 instead of one broker error per message.
  validateTopicName(req.topic);
  validateGroupName(req.group.trim());

  let source: BodySource;
  if (req.input === 'ndjson') {
    const stream = req.file !== undefined ? await openFile(req.file) : stdinOrFail(req);
    source = { kind: 'ndjson', stream, limit: req.count };
  } else if (req.body !== undefined) {
    source = { kind: 'body', body: Buffer.from(req.body, 'utf8'), count: req.count ?? 1 };
  } else if (req.file !== undefined) {
    source = { kind: 'body', body: await readBodyFile(req.file), count: req.count ?? 1 };
  } else if (req.size !== undefined) {
    const size = parseSize(req.size, '--size');
    if (size < 1 || size > MAX_BODY_BYTES) {
      throw new InvalidArgumentError(`--size must be from 1 byte to 4 MiB, got ${size}`);
    }
    source = { kind: 'generated', size, count: req.count ?? 1 };
  } else {
    source = {
      kind: 'lines',
      stream: stdinOrFail(req),
      delimiter: parseDelimiter(req.delimiter ?? '\\n'),
      limit: req.count,
    };
  }
  const properties = parseProperties(req.properties ?? []);
  const keys = (req.keys ?? []).flatMap((k) => k.split(' ')).filter((k) => k.length > 0);
  const template: MessageTemplate = {
    tags: req.tag || undefined,
    keys: keys.length > 0 ? keys : undefined,
    properties: Object.keys(properties).length > 0 ? properties : undefined,
    delayLevel: req.delayLevel,
    delayMs: req.delayMs,
    deliverAtMs,
    messageGroup: req.messageGroup,
    liteTopic: req.liteTopic,
    priority: req.priority,
  };
  // The producer's own check, once for the flags: a bad --key fails before anything connects,
  // not once per message.
  checkPropertyStrings(template);
  return {
    topic: req.topic,
    namesrv: parseNamesrvList(req.namesrv),
    timeoutMs: req.timeoutMs,
    security: req.security,
    group: req.group.trim(),
    retries: req.retries,
    compressThreshold: req.compress ? 4096 : Number.POSITIVE_INFINITY,
    source,
    template,
    loop: {
      mode: req.mode,
      concurrency: req.mode === 'sync' ? 1 : req.concurrency,
      batch,
      transaction: req.transaction,
      failFast: req.failFast,
      maxResults: MAX_JSON_RESULTS,
    },
    checkResult: req.checkResult,
    waitCheckMs: req.waitCheckMs,
    trace: req.trace || req.traceTopic ? { topic: req.traceTopic } : undefined,
  };
}

/**
 * The broker gives a message its priority only when nothing else types it: a delayed, FIFO or
 * transaction message loses the property, and a batch is stored without looking at it.
 */
function checkPriority(req: SendRequest, delayed: boolean, batched: boolean): void {
  const p = req.priority!;
  if (!Number.isInteger(p) || p < 0 || p > MAX_PRIORITY) {
    throw new InvalidArgumentError(`--priority must be a whole number from 0 to ${MAX_PRIORITY}, got ${p}`, {
      hint: 'higher is delivered first; a topic of N queues has the levels 0 to N-1',
    });
  }
  const other = delayed
    ? 'a delayed message'
    : req.transaction
      ? 'a transaction message'
      : req.messageGroup !== undefined
        ? 'a FIFO message (--message-group)'
        : batched
          ? '--batch'
          : undefined;
  if (other) {
    throw new InvalidArgumentError(`--priority cannot be combined with ${other}: the broker would drop it`);
  }
}

function usesStdinLines(req: SendRequest): boolean {
  return req.body === undefined && req.file === undefined && req.size === undefined;
}

function stdinOrFail(req: SendRequest): AsyncIterable<Buffer | string> {
  if (req.stdin.isTTY) {
    throw new InvalidArgumentError('no message to send: give a body source', {
      hint: 'use --body TEXT, --file F, --size N, or pipe messages in (one per line)',
    });
  }
  return req.stdin;
}

async function openFile(path: string): Promise<AsyncIterable<Buffer>> {
  try {
    await stat(path);
  } catch (err) {
    throw new InvalidArgumentError(`cannot read --file ${path}: ${(err as Error).message}`, { cause: err });
  }
  return createReadStream(path);
}
