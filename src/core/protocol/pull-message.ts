/**
 * PULL_MESSAGE (11): read a queue from an offset, optionally long-polling (Java:
 * PullMessageRequestHeader, PullMessageResponseHeader, PullSysFlag; 4.9 and 5.x alike).
 *
 * Request extFields: consumerGroup string | topic string | queueId int | queueOffset int64
 *   | maxMsgNums int | sysFlag int (PullSysFlag bits) | commitOffset int64 ("0": offsets are
 *   committed with UPDATE_CONSUMER_OFFSET, not on the pull) | suspendTimeoutMillis int64
 *   | subscription string | subVersion int64 | expressionType "TAG" | "SQL92"
 *   | bname string (the queue's broker; 5.x RPC header field. A broker ignores it; a 5.x proxy's
 *   remoting port routes by it and answers VERSION_NOT_SUPPORTED (15) to a request without it)
 *
 * Response codes (PULL_ACCEPT): SUCCESS, messages in the body (stored records, message.ts);
 * PULL_NOT_FOUND, nothing new at this offset; PULL_RETRY_IMMEDIATELY, everything scanned was
 * filtered out; PULL_OFFSET_MOVED, the offset is out of range (or was reset). Response
 * extFields: nextBeginOffset int64 | minOffset int64 | maxOffset int64 | suggestWhichBrokerId
 * int64 (the broker id of the group to pull this queue from next; see client/pull-target.ts).
 */
import { ResponseCode } from '../remoting/codes.js';
import type { RemotingCommand } from '../remoting/command.js';

/** PullSysFlag bits. */
export const PullSysFlag = {
  /** Commit `commitOffset` for the group (rmq never sets it). */
  COMMIT_OFFSET: 0x1,
  /** The broker may hold the request until a message arrives. */
  SUSPEND: 0x2,
  /** The subscription is in the header: the broker filters without a heartbeat first. */
  SUBSCRIPTION: 0x4,
} as const;

/** Pull replies that are not errors: FOUND, NOT_FOUND, RETRY_IMMEDIATELY, OFFSET_MOVED. */
export const PULL_ACCEPT: readonly number[] = [
  ResponseCode.SUCCESS,
  ResponseCode.PULL_NOT_FOUND,
  ResponseCode.PULL_RETRY_IMMEDIATELY,
  ResponseCode.PULL_OFFSET_MOVED,
];

export interface PullRequest {
  consumerGroup: string;
  topic: string;
  queueId: number;
  queueOffset: number;
  maxMsgNums: number;
  /** Long-poll for this long (sets SUSPEND); undefined: answer at once. */
  suspendMs?: number | undefined;
  subscription: string;
  subVersion: number;
  expressionType: string;
  /** The queue's broker name (bname): what a 5.x proxy forwards the request by. */
  brokerName?: string | undefined;
}

/** The request's extFields; the subscription always travels in the header. */
export function pullMessageHeader(r: PullRequest): Record<string, string> {
  const suspend = r.suspendMs !== undefined;
  const ext: Record<string, string> = {
    consumerGroup: r.consumerGroup,
    topic: r.topic,
    queueId: String(r.queueId),
    queueOffset: String(r.queueOffset),
    maxMsgNums: String(r.maxMsgNums),
    sysFlag: String((suspend ? PullSysFlag.SUSPEND : 0) | PullSysFlag.SUBSCRIPTION),
    commitOffset: '0',
    suspendTimeoutMillis: String(suspend ? r.suspendMs : 0),
    subscription: r.subscription,
    subVersion: String(r.subVersion),
    expressionType: r.expressionType,
  };
  if (r.brokerName) ext.bname = r.brokerName;
  return ext;
}

/** The response header's offsets, as sent (absent fields undefined). */
export interface PullResponseHeader {
  nextBeginOffset: number | undefined;
  minOffset: number | undefined;
  maxOffset: number | undefined;
  suggestWhichBrokerId: number | undefined;
}

const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));

export function readPullResponse(res: RemotingCommand): PullResponseHeader {
  const ext = res.extFields;
  return {
    nextBeginOffset: num(ext.nextBeginOffset),
    minOffset: num(ext.minOffset),
    maxOffset: num(ext.maxOffset),
    suggestWhichBrokerId: num(ext.suggestWhichBrokerId),
  };
}
