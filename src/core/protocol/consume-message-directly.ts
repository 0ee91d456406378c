/**
 * CONSUME_MESSAGE_DIRECTLY (309): deliver one stored message to one consumer client, through
 * the broker that stores it (Java: ConsumeMessageDirectlyResultRequestHeader,
 * AdminBrokerProcessor.consumeMessageDirectly, ClientRemotingProcessor.consumeMessageDirectly;
 * what the dashboard's "resend" and mqadmin consumeMessage use).
 *
 * Admin → broker: extFields `consumerGroup! clientId msgId topic?`; msgId is the OFFSET message
 *   id (the broker reads its own commit log at the id's offset, whatever host the id names, so
 *   the request goes to the store host). The broker adds `brokerName`, `topicSysFlag` and
 *   `groupSysFlag`, sets the body to the stored record at that offset and forwards the request
 *   to the client's channel, waiting 10 s. Response codes:
 *     SUCCESS (0): the client's body, below.
 *     SYSTEM_ERROR (1): "The Consumer <g> <id> not online", a client too old, or the client failed.
 *     CONSUME_MSG_TIMEOUT (207): the client did not answer in time.
 *     REQUEST_CODE_NOT_SUPPORTED (3): the client does not implement the request.
 * Broker → client: the same extFields plus the body: one stored-message record (message.ts).
 *   The client runs its listener on it (no retry, no offset) and answers SUCCESS with:
 *
 * Body ConsumeMessageDirectlyResult, JSON:
 *   {"order":false,"autoCommit":true,"consumeResult":"CR_SUCCESS","remark":"…","spentTimeMills":3}
 *   consumeResult (CMResult): CR_SUCCESS | CR_LATER | CR_ROLLBACK | CR_COMMIT
 *   | CR_THROW_EXCEPTION | CR_RETURN_NULL.
 */
import { ProtocolError } from '../errors.js';
import { ResponseCode } from '../remoting/codes.js';
import { jsonNumber, parseFastjson } from '../remoting/fastjson.js';

export const CONSUME_MESSAGE_DIRECTLY_ACCEPT: readonly number[] = [
  ResponseCode.SUCCESS,
  ResponseCode.SYSTEM_ERROR,
  ResponseCode.CONSUME_MSG_TIMEOUT,
  ResponseCode.REQUEST_CODE_NOT_SUPPORTED,
];

export const CM_RESULTS = [
  'CR_SUCCESS',
  'CR_LATER',
  'CR_ROLLBACK',
  'CR_COMMIT',
  'CR_THROW_EXCEPTION',
  'CR_RETURN_NULL',
] as const;
export type CMResult = (typeof CM_RESULTS)[number];

export interface ConsumeMessageDirectlyResult {
  order: boolean;
  autoCommit: boolean;
  consumeResult: CMResult | null;
  remark: string | null;
  spentTimeMills: number;
}

export interface ConsumeMessageDirectly {
  consumerGroup: string;
  clientId: string;
  /** The offset message id of the stored message. */
  msgId: string;
  topic?: string | undefined;
}

export function consumeMessageDirectlyHeader(r: ConsumeMessageDirectly): Record<string, string> {
  const ext: Record<string, string> = {
    consumerGroup: r.consumerGroup,
    clientId: r.clientId,
    msgId: r.msgId,
  };
  if (r.topic) ext.topic = r.topic;
  return ext;
}

/** A remark is a client's text (an exception's stack in Java): a few KiB is plenty. */
const MAX_RESULT_BODY = 256 * 1024;
const MAX_REMARK = 4096;

export function decodeConsumeMessageDirectlyResult(body: Buffer | undefined): ConsumeMessageDirectlyResult {
  if (!body || body.length === 0) throw new ProtocolError('empty consume-directly result');
  const root = parseFastjson(body, { maxLength: MAX_RESULT_BODY, maxDepth: 4 });
  if (!root || typeof root !== 'object' || Array.isArray(root)) {
    throw new ProtocolError('consume-directly result is not an object');
  }
  const o = root as Record<string, unknown>;
  const result = typeof o.consumeResult === 'string' ? o.consumeResult : null;
  if (result !== null && !(CM_RESULTS as readonly string[]).includes(result)) {
    throw new ProtocolError(`unknown consume result ${JSON.stringify(result.slice(0, 40))}`);
  }
  const spent = jsonNumber(o.spentTimeMills ?? 0);
  return {
    order: o.order === true,
    autoCommit: o.autoCommit !== false,
    consumeResult: result as CMResult | null,
    remark: typeof o.remark === 'string' ? o.remark.slice(0, MAX_REMARK) : null,
    spentTimeMills: Number.isFinite(spent) ? spent : 0,
  };
}

/** What rmq's consumer answers with (strict JSON; fastjson reads it). */
export function encodeConsumeMessageDirectlyResult(r: ConsumeMessageDirectlyResult): Buffer {
  return Buffer.from(
    JSON.stringify({
      order: r.order,
      autoCommit: r.autoCommit,
      consumeResult: r.consumeResult,
      remark: r.remark,
      spentTimeMills: r.spentTimeMills,
    }),
  );
}
