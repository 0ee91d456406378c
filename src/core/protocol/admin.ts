/**
 * Broker admin bodies. All are fastjson; MessageQueue-keyed maps arrive with object keys:
 *
 * TopicConfig (sent in UPDATE_AND_CREATE_TOPIC as header fields, read in GET_ALL_TOPIC_CONFIG 21):
 *   {"attributes":{},"order":false,"perm":6,"readQueueNums":8,"topicFilterType":"SINGLE_TAG",
 *    "topicName":"T","topicSysFlag":0,"writeQueueNums":8}
 * TopicStatsTable (GET_TOPIC_STATS_INFO 202):
 *   {"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{"lastUpdateTimestamp":1,"maxOffset":5,"minOffset":0}}}
 * ConsumeStats (GET_CONSUME_STATS 208):
 *   {"consumeTps":0.0,"offsetTable":{{mq}:{"brokerOffset":5,"consumerOffset":3,"lastTimestamp":1,"pullOffset":3}}}
 * SubscriptionGroupWrapper (GET_ALL_SUBSCRIPTIONGROUP_CONFIG 201):
 *   {"dataVersion":{…},"subscriptionGroupTable":{"G":{SubscriptionGroupConfig}}}
 * ConsumerConnection (GET_CONSUMER_CONNECTION_LIST 203):
 *   {"connectionSet":[{"clientAddr":"…","clientId":"…","language":"JAVA","version":479}],
 *    "consumeFromWhere":"…","consumeType":"…","messageModel":"…","subscriptionTable":{"T":{SubscriptionData}}}
 * KVTable (GET_BROKER_RUNTIME_INFO 28): {"table":{"brokerVersionDesc":"V5_3_3", …}} (string values)
 */
import { ProtocolError } from '../errors.js';
import { jsonNumber, jsonText, mapEntries, parseFastjson } from '../remoting/fastjson.js';

export interface MessageQueue {
  topic: string;
  brokerName: string;
  queueId: number;
}

export interface TopicConfig {
  topicName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicFilterType: string;
  topicSysFlag: number;
  order: boolean;
  attributes: Record<string, string>;
}

export interface QueueOffsets {
  mq: MessageQueue;
  minOffset: number;
  maxOffset: number;
  lastUpdateTimestamp: number;
}

export interface QueueConsumeOffsets {
  mq: MessageQueue;
  brokerOffset: number;
  consumerOffset: number;
  lastTimestamp: number;
  pullOffset: number;
}

export interface ConsumeStats {
  consumeTps: number;
  offsets: QueueConsumeOffsets[];
}

export interface SubscriptionGroupConfig {
  groupName: string;
  consumeEnable: boolean;
  consumeFromMinEnable: boolean;
  consumeBroadcastEnable: boolean;
  consumeMessageOrderly?: boolean;
  retryQueueNums: number;
  retryMaxTimes: number;
  brokerId: number;
  whichBrokerWhenConsumeSlowly: number;
  notifyConsumerIdsChangedEnable: boolean;
  [k: string]: unknown;
}

export interface ConsumerConnectionInfo {
  connections: { clientId: string; clientAddr: string; language: string; version: number }[];
  consumeType: string;
  messageModel: string;
  consumeFromWhere: string;
  subscriptions: { topic: string; expression: string; expressionType: string }[];
}

const asObj = (v: unknown, what: string): Record<string, unknown> => {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new ProtocolError(`${what} is not an object`);
  return v as Record<string, unknown>;
};
const str = jsonText;
const num = (v: unknown): number => jsonNumber(v ?? 0) || 0;

export function decodeMessageQueue(v: unknown): MessageQueue {
  const o = typeof v === 'string' ? asObj(parseFastjson(v), 'message queue') : asObj(v, 'message queue');
  return { topic: str(o.topic), brokerName: str(o.brokerName), queueId: num(o.queueId) };
}

export function compareMessageQueue(a: MessageQueue, b: MessageQueue): number {
  return a.topic.localeCompare(b.topic) || a.brokerName.localeCompare(b.brokerName) || a.queueId - b.queueId;
}

export function decodeTopicStats(body: Buffer | undefined): QueueOffsets[] {
  const root = asObj(parseFastjson(body ?? '{}'), 'topic stats');
  return mapEntries(root.offsetTable)
    .map(([k, v]) => {
      const o = asObj(v, 'topic offset');
      return {
        mq: decodeMessageQueue(k),
        minOffset: num(o.minOffset),
        maxOffset: num(o.maxOffset),
        lastUpdateTimestamp: num(o.lastUpdateTimestamp),
      };
    })
    .sort((a, b) => compareMessageQueue(a.mq, b.mq));
}

export function decodeConsumeStats(body: Buffer | undefined): ConsumeStats {
  const root = asObj(parseFastjson(body ?? '{}'), 'consume stats');
  const offsets = mapEntries(root.offsetTable)
    .map(([k, v]) => {
      const o = asObj(v, 'consume offset');
      return {
        mq: decodeMessageQueue(k),
        brokerOffset: num(o.brokerOffset),
        consumerOffset: num(o.consumerOffset),
        lastTimestamp: num(o.lastTimestamp),
        pullOffset: num(o.pullOffset),
      };
    })
    .sort((a, b) => compareMessageQueue(a.mq, b.mq));
  return { consumeTps: num(root.consumeTps), offsets };
}

export function decodeTopicConfig(v: unknown): TopicConfig {
  const o = asObj(v, 'topic config');
  // fromEntries: a key "__proto__" from the wire stays data instead of replacing the prototype.
  const attributes = Object.fromEntries(mapEntries(o.attributes).map(([k, a]) => [str(k), str(a)]));
  return {
    topicName: str(o.topicName),
    readQueueNums: num(o.readQueueNums),
    writeQueueNums: num(o.writeQueueNums),
    perm: num(o.perm),
    topicFilterType: str(o.topicFilterType) || 'SINGLE_TAG',
    topicSysFlag: num(o.topicSysFlag),
    order: o.order === true,
    attributes,
  };
}

export function decodeAllTopicConfig(body: Buffer | undefined): TopicConfig[] {
  const root = asObj(parseFastjson(body ?? '{}'), 'topic config table');
  return mapEntries(root.topicConfigTable).map(([, v]) => decodeTopicConfig(v));
}

export function decodeSubscriptionGroups(body: Buffer | undefined): SubscriptionGroupConfig[] {
  const root = asObj(parseFastjson(body ?? '{}'), 'subscription group table');
  return mapEntries(root.subscriptionGroupTable).map(([, v]) => {
    const o = asObj(v, 'subscription group');
    return {
      ...o,
      groupName: str(o.groupName),
      consumeEnable: o.consumeEnable !== false,
      consumeFromMinEnable: o.consumeFromMinEnable !== false,
      consumeBroadcastEnable: o.consumeBroadcastEnable !== false,
      consumeMessageOrderly: o.consumeMessageOrderly === true,
      retryQueueNums: num(o.retryQueueNums),
      retryMaxTimes: num(o.retryMaxTimes),
      brokerId: num(o.brokerId),
      whichBrokerWhenConsumeSlowly: num(o.whichBrokerWhenConsumeSlowly),
      notifyConsumerIdsChangedEnable: o.notifyConsumerIdsChangedEnable !== false,
    };
  });
}

/** Body of UPDATE_AND_CREATE_SUBSCRIPTIONGROUP; fastjson parses strict JSON leniently. */
export function encodeSubscriptionGroup(cfg: SubscriptionGroupConfig): Buffer {
  return Buffer.from(JSON.stringify(cfg), 'utf8');
}

export function defaultSubscriptionGroup(groupName: string): SubscriptionGroupConfig {
  return {
    groupName,
    consumeEnable: true,
    consumeFromMinEnable: true,
    consumeBroadcastEnable: true,
    consumeMessageOrderly: false,
    retryQueueNums: 1,
    retryMaxTimes: 16,
    brokerId: 0,
    whichBrokerWhenConsumeSlowly: 1,
    notifyConsumerIdsChangedEnable: true,
  };
}

export function decodeConsumerConnection(body: Buffer | undefined): ConsumerConnectionInfo {
  const root = asObj(parseFastjson(body ?? '{}'), 'consumer connection');
  const connections = (Array.isArray(root.connectionSet) ? root.connectionSet : []).map((c) => {
    const o = asObj(c, 'connection');
    return {
      clientId: str(o.clientId),
      clientAddr: str(o.clientAddr),
      language: str(o.language),
      version: num(o.version),
    };
  });
  const subscriptions = mapEntries(root.subscriptionTable).map(([k, v]) => {
    const o = asObj(v, 'subscription');
    return {
      topic: str(o.topic) || str(k),
      expression: str(o.subString),
      expressionType: str(o.expressionType) || 'TAG',
    };
  });
  return {
    connections,
    consumeType: str(root.consumeType),
    messageModel: str(root.messageModel),
    consumeFromWhere: str(root.consumeFromWhere),
    subscriptions,
  };
}

export function decodeKvTable(body: Buffer | undefined): Record<string, string> {
  const root = asObj(parseFastjson(body ?? '{}'), 'kv table');
  // fromEntries: a key "__proto__" from the wire stays data instead of replacing the prototype.
  return Object.fromEntries(mapEntries(root.table).map(([k, v]) => [str(k), str(v)]));
}

/** PermName bits. */
export const Perm = { PRIORITY: 8, READ: 4, WRITE: 2, INHERIT: 1 } as const;

export function permToString(perm: number): string {
  return `${perm & Perm.READ ? 'R' : '-'}${perm & Perm.WRITE ? 'W' : '-'}${perm & Perm.INHERIT ? 'X' : '-'}`;
}
