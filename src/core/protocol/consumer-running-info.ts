/**
 * GET_CONSUMER_RUNNING_INFO (307).
 *
 * Admin → broker: extFields `consumerGroup! clientId! jstackEnable?` ("true"/"false"). The broker
 * forwards the request unchanged to that client's channel and waits for its answer (10 s):
 *   SUCCESS (0): the client's body, below.
 *   SYSTEM_ERROR (1): "The Consumer <g> <id> not online", or the client failed.
 *   CONSUME_MSG_TIMEOUT (207): the client did not answer in time.
 *   REQUEST_CODE_NOT_SUPPORTED (3): the client does not implement the request.
 * Broker → client: the same extFields; the client answers SUCCESS with the body.
 *
 * Body ConsumerRunningInfo, fastjson (MessageQueue keys as objects):
 *   {"properties":{"PROP_CONSUME_TYPE":"CONSUME_PASSIVELY","PROP_CONSUMEORDERLY":"false",
 *                  "PROP_CONSUMER_START_TIMESTAMP":"1700000000000","PROP_CLIENT_VERSION":"V5_3_3",…},
 *    "subscriptionSet":[{SubscriptionData}],
 *    "mqTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{"commitOffset":5,"cachedMsgCount":2,
 *               "cachedMsgSizeInMiB":0,"cachedMsgMinOffset":5,"cachedMsgMaxOffset":6,"locked":false,
 *               "droped":false,"lastPullTimestamp":1,"lastConsumeTimestamp":1,…}},
 *    "statusTable":{"T":{"pullRT":1.0,"pullTPS":2.0,"consumeRT":0.5,"consumeOKTPS":2.0,
 *                        "consumeFailedTPS":0.0,"consumeFailedMsgs":0}},
 *    "jstack":"…"}
 */
import { ProtocolError } from '../errors.js';
import { jsonNumber, jsonText, mapEntries, parseFastjson } from '../remoting/fastjson.js';
import { compareMessageQueue, decodeMessageQueue, type MessageQueue } from './admin.js';
import { decodeSubscription, type Subscription } from './connection-list.js';

export const ACCEPTED_RUNNING_INFO_CODES = [
  'SUCCESS',
  'SYSTEM_ERROR',
  'CONSUME_MSG_TIMEOUT',
  'REQUEST_CODE_NOT_SUPPORTED',
] as const;

/** A thread dump of a busy JVM is a few MiB; 16 MiB is the frame limit anyway. */
const MAX_RUNNING_INFO_BODY = 16 * 1024 * 1024;

export interface ProcessQueueInfo {
  mq: MessageQueue;
  commitOffset: number;
  cachedMsgCount: number;
  cachedMsgSizeInMiB: number;
  cachedMsgMinOffset: number;
  cachedMsgMaxOffset: number;
  locked: boolean;
  dropped: boolean;
  lastPullTimestamp: number;
  lastConsumeTimestamp: number;
}

export interface ConsumeStatus {
  topic: string;
  pullRT: number;
  pullTPS: number;
  consumeRT: number;
  consumeOKTPS: number;
  consumeFailedTPS: number;
  consumeFailedMsgs: number;
}

export interface ConsumerRunningInfo {
  properties: Record<string, string>;
  subscriptions: Subscription[];
  queues: ProcessQueueInfo[];
  status: ConsumeStatus[];
  jstack?: string | undefined;
}

const obj = (v: unknown, what: string): Record<string, unknown> => {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new ProtocolError(`${what} is not an object`);
  return v as Record<string, unknown>;
};
const str = jsonText;
const num = (v: unknown): number => jsonNumber(v ?? 0) || 0;

export function decodeConsumerRunningInfo(body: Buffer | undefined): ConsumerRunningInfo {
  const root = obj(
    parseFastjson(body ?? '{}', { maxLength: MAX_RUNNING_INFO_BODY, maxDepth: 16 }),
    'consumer running info',
  );
  const properties = Object.fromEntries(mapEntries(root.properties).map(([k, v]) => [str(k), str(v)]));
  const queues = mapEntries(root.mqTable)
    .map(([k, v]) => {
      const o = obj(v, 'process queue');
      return {
        mq: decodeMessageQueue(k),
        commitOffset: num(o.commitOffset),
        cachedMsgCount: num(o.cachedMsgCount),
        cachedMsgSizeInMiB: num(o.cachedMsgSizeInMiB),
        cachedMsgMinOffset: num(o.cachedMsgMinOffset),
        cachedMsgMaxOffset: num(o.cachedMsgMaxOffset),
        locked: o.locked === true,
        dropped: o.droped === true,
        lastPullTimestamp: num(o.lastPullTimestamp),
        lastConsumeTimestamp: num(o.lastConsumeTimestamp),
      };
    })
    .sort((a, b) => compareMessageQueue(a.mq, b.mq));
  const status = mapEntries(root.statusTable)
    .map(([k, v]) => {
      const o = obj(v, 'consume status');
      return {
        topic: str(k),
        pullRT: num(o.pullRT),
        pullTPS: num(o.pullTPS),
        consumeRT: num(o.consumeRT),
        consumeOKTPS: num(o.consumeOKTPS),
        consumeFailedTPS: num(o.consumeFailedTPS),
        consumeFailedMsgs: num(o.consumeFailedMsgs),
      };
    })
    .sort((a, b) => a.topic.localeCompare(b.topic));
  const subscriptions = (Array.isArray(root.subscriptionSet) ? root.subscriptionSet : [])
    .map((s) => decodeSubscription(s))
    .sort((a, b) => a.topic.localeCompare(b.topic));
  return {
    properties,
    subscriptions,
    queues,
    status,
    jstack: typeof root.jstack === 'string' ? root.jstack : undefined,
  };
}

/** What rmq's consumer answers with: the same shape, written as strict JSON (fastjson reads it). */
export function encodeConsumerRunningInfo(info: ConsumerRunningInfo): Buffer {
  const mqTable = info.queues.map((q) => ({
    key: q.mq,
    value: {
      commitOffset: q.commitOffset,
      cachedMsgCount: q.cachedMsgCount,
      cachedMsgSizeInMiB: q.cachedMsgSizeInMiB,
      cachedMsgMinOffset: q.cachedMsgMinOffset,
      cachedMsgMaxOffset: q.cachedMsgMaxOffset,
      locked: q.locked,
      droped: q.dropped,
      lastPullTimestamp: q.lastPullTimestamp,
      lastConsumeTimestamp: q.lastConsumeTimestamp,
      lastLockTimestamp: 0,
      tryUnlockTimes: 0,
      transactionMsgCount: 0,
      transactionMsgMinOffset: 0,
      transactionMsgMaxOffset: 0,
    },
  }));
  // fastjson's own form for MessageQueue keys: the key object written in place of a string.
  const mq = (m: MessageQueue) =>
    JSON.stringify({ brokerName: m.brokerName, queueId: m.queueId, topic: m.topic });
  const mqText = `{${mqTable.map((e) => `${mq(e.key)}:${JSON.stringify(e.value)}`).join(',')}}`;
  const status = Object.fromEntries(
    info.status.map((s) => [
      s.topic,
      {
        pullRT: s.pullRT,
        pullTPS: s.pullTPS,
        consumeRT: s.consumeRT,
        consumeOKTPS: s.consumeOKTPS,
        consumeFailedTPS: s.consumeFailedTPS,
        consumeFailedMsgs: s.consumeFailedMsgs,
      },
    ]),
  );
  const subs = info.subscriptions.map((s) => ({
    topic: s.topic,
    subString: s.expression,
    expressionType: s.expressionType,
    subVersion: s.subVersion,
    classFilterMode: false,
    tagsSet: [],
    codeSet: [],
  }));
  const head = JSON.stringify({ properties: info.properties, subscriptionSet: subs, statusTable: status });
  const jstack = info.jstack === undefined ? '' : `,"jstack":${JSON.stringify(info.jstack)}`;
  return Buffer.from(`${head.slice(0, -1)},"mqTable":${mqText}${jstack}}`, 'utf8');
}
