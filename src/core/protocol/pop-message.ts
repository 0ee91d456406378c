/**
 * POP_MESSAGE (200050, brokers 5.0+): the broker picks the queue and the messages and hides them
 * from other poppers for invisibleTime; the client acks each one (ack-message.ts) or changes its
 * invisible time (change-invisible-time.ts), else it is delivered again when the time is up
 * (Java: PopMessageRequestHeader, PopMessageResponseHeader, PopMessageProcessor,
 * MQClientAPIImpl#processPopResponse, ExtraInfoUtil).
 *
 * Request extFields: consumerGroup string | topic string | queueId int (-1: any queue of this
 *   broker) | maxMsgNums int (≤ 32) | invisibleTime int64 ms | pollTime int64 ms (long poll;
 *   0 answers at once) | bornTime int64 ms | initMode int (a group without an offset starts at
 *   0 MIN or 1 MAX) | expType "TAG" | "SQL92" | exp string | order bool | bname string.
 * Response: SUCCESS, the messages in the body (stored records, as a pull's; message.ts);
 *   POLLING_FULL (too many held polls), POLLING_TIMEOUT or PULL_NOT_FOUND (none). extFields:
 *   popTime int64 | invisibleTime int64 | reviveQid int | restNum int64 (messages left)
 *   | startOffsetInfo "R Q O;…" | msgOffsetInfo "R Q o1,o2;…" | orderCountInfo (order only),
 *   where R is 0 for the topic, 1 or 2 for the group's POP retry topic (V1 "%RETRY%group_topic",
 *   V2 "%RETRY%group+topic"), Q the queue id, O the batch's first offset, o… the messages'.
 *
 * A message's ack handle ("extraInfo", Java's POP_CK property), built by the client:
 *   "<startOffset> <popTime> <invisibleTime> <reviveQid> <R> <brokerName> <queueId> <queueOffset>"
 */
import { ProtocolError } from '../errors.js';
import { ResponseCode } from '../remoting/codes.js';
import type { RemotingCommand } from '../remoting/command.js';

export const POP_ACCEPT: readonly number[] = [
  ResponseCode.SUCCESS,
  ResponseCode.POLLING_FULL,
  ResponseCode.POLLING_TIMEOUT,
  ResponseCode.PULL_NOT_FOUND,
];

/** The broker refuses more per pop. */
export const POP_MAX_MESSAGES = 32;

export interface PopRequest {
  consumerGroup: string;
  topic: string;
  brokerName: string;
  maxMsgNums: number;
  invisibleTimeMs: number;
  pollTimeMs: number;
  /** Where a group without an offset starts. */
  initMode: 'first' | 'last';
  expressionType: 'TAG' | 'SQL92';
  expression: string;
}

export function popMessageHeader(r: PopRequest, now = Date.now()): Record<string, string> {
  return {
    consumerGroup: r.consumerGroup,
    topic: r.topic,
    queueId: '-1',
    maxMsgNums: String(r.maxMsgNums),
    invisibleTime: String(r.invisibleTimeMs),
    pollTime: String(r.pollTimeMs),
    bornTime: String(now),
    initMode: r.initMode === 'first' ? '0' : '1',
    expType: r.expressionType,
    exp: r.expression,
    order: 'false',
    bname: r.brokerName,
  };
}

export interface PopResponseHeader {
  popTime: number;
  invisibleTime: number;
  reviveQid: number;
  restNum: number;
  /** "R@Q" → the batch's first offset in that queue. */
  startOffsets: Map<string, number>;
  /** "R@Q" → the popped messages' offsets in that queue, in order. */
  msgOffsets: Map<string, number[]>;
}

/** Limits on what a hostile broker can make the client build from one reply's headers. */
const MAX_INFO_ENTRIES = 1024;
const MAX_OFFSETS = 4096;

const int = (v: string | undefined, what: string): number => {
  const n = Number(v);
  if (v === undefined || !/^-?\d{1,19}$/.test(v) || !Number.isSafeInteger(n)) {
    throw new ProtocolError(`POP reply: ${what} is not an integer (${String(v).slice(0, 40)})`);
  }
  return n;
};

function parseInfo(text: string | undefined, what: string): [string, string][] {
  if (!text) return [];
  const parts = text.split(';');
  if (parts.length > MAX_INFO_ENTRIES)
    throw new ProtocolError(`POP reply: ${what} has over ${MAX_INFO_ENTRIES} entries`);
  return parts.map((one) => {
    const f = one.split(' ');
    if (f.length !== 3 || !/^[012]$/.test(f[0]!))
      throw new ProtocolError(`POP reply: malformed ${what} entry "${one.slice(0, 60)}"`);
    return [`${f[0]}@${int(f[1], `${what} queue id`)}`, f[2]!];
  });
}

export function readPopResponse(res: RemotingCommand): PopResponseHeader {
  const ext = res.extFields;
  const startOffsets = new Map<string, number>();
  for (const [k, v] of parseInfo(ext.startOffsetInfo, 'startOffsetInfo'))
    startOffsets.set(k, int(v, 'start offset'));
  const msgOffsets = new Map<string, number[]>();
  let total = 0;
  for (const [k, v] of parseInfo(ext.msgOffsetInfo, 'msgOffsetInfo')) {
    const list = v.split(',');
    total += list.length;
    if (total > MAX_OFFSETS)
      throw new ProtocolError(`POP reply: msgOffsetInfo lists over ${MAX_OFFSETS} offsets`);
    msgOffsets.set(
      k,
      list.map((o) => int(o, 'message offset')),
    );
  }
  const success = res.code === ResponseCode.SUCCESS;
  return {
    popTime: success ? int(ext.popTime, 'popTime') : 0,
    invisibleTime: success ? int(ext.invisibleTime, 'invisibleTime') : 0,
    reviveQid: success ? int(ext.reviveQid, 'reviveQid') : 0,
    restNum: ext.restNum === undefined ? 0 : int(ext.restNum, 'restNum'),
    startOffsets,
    msgOffsets,
  };
}

/** R of a topic name: 0 the topic itself, 1 or 2 the group's POP retry topic (V1, V2). */
export function retryFlag(topic: string): '0' | '1' | '2' {
  if (!topic.startsWith('%RETRY%')) return '0';
  return topic.includes('+') ? '2' : '1';
}

/** The ack handle of one popped message (see the top of this file). */
export function buildExtraInfo(
  h: PopResponseHeader,
  m: { topic: string; queueId: number; queueOffset: number },
  brokerName: string,
  indexInQueue: number,
): string {
  const r = retryFlag(m.topic);
  const key = `${r}@${m.queueId}`;
  const start = h.startOffsets.get(key) ?? m.queueOffset;
  const offset = h.msgOffsets.get(key)?.[indexInQueue] ?? m.queueOffset;
  return [start, h.popTime, h.invisibleTime, h.reviveQid, r, brokerName, m.queueId, offset].join(' ');
}

/** The parts of an ack handle the ack request names again. */
export function parseExtraInfo(extraInfo: string): {
  retry: '0' | '1' | '2';
  brokerName: string;
  queueId: number;
  queueOffset: number;
} {
  const f = extraInfo.split(' ');
  if (f.length < 8 || !/^[012]$/.test(f[4]!))
    throw new ProtocolError(`malformed POP ack handle "${extraInfo.slice(0, 80)}"`);
  return {
    retry: f[4] as '0' | '1' | '2',
    brokerName: f[5]!,
    queueId: int(f[6], 'queue id'),
    queueOffset: int(f[7], 'queue offset'),
  };
}

/** The topic an ack names: the popped message's own (the topic, or the group's POP retry topic). */
export function ackTopic(topic: string, group: string, retry: '0' | '1' | '2'): string {
  if (retry === '1') return `%RETRY%${group}_${topic}`;
  if (retry === '2') return `%RETRY%${group}+${topic}`;
  return topic;
}
