/**
 * The five read-only lite requests of a 5.5 broker (Java: LiteManagerProcessor; headers
 * Get*InfoRequestHeader, bodies Get*InfoResponseBody). One module for the five: one processor
 * serves them, they share the error answers and the body reader, and each is a few lines.
 *
 * GET_BROKER_LITE_INFO (200074): no extFields. Body:
 *   {"storeType":"default","maxLmqNum":20000,"currentLmqNum":3,"liteSubscriptionCount":2,
 *    "orderInfoCount":1,"cqTableSize":12,"offsetTableSize":9,"eventMapSize":0,
 *    "topicMeta":{"<parent>":<ttl minutes>,…},"groupMeta":{"<parent>":["<group>",…],…}}
 * GET_PARENT_TOPIC_INFO (200075): extFields topic. Body:
 *   {"topic":"P","ttl":30,"groups":["G",…],"lmqNum":3,"liteTopicCount":2}
 * GET_LITE_TOPIC_INFO (200076): extFields parentTopic | liteTopic. Body:
 *   {"parentTopic":"P","liteTopic":"L","subscriber":[{"clientId":"…","group":"G"},…],
 *    "topicOffset":{"minOffset":0,"maxOffset":5,"lastUpdateTimestamp":…},"shardingToBroker":true}
 *   (subscriber clientId "*" stands for every client of a wildcard group)
 * GET_LITE_CLIENT_INFO (200077): extFields parentTopic | group | clientId | maxCount int (the
 *   broker caps it at 10000). Body:
 *   {"parentTopic":"P","group":"G","clientId":"…","lastAccessTime":…,"lastConsumeTime":0,
 *    "liteTopicCount":2,"liteTopicSet":["L",…]}   (liteTopicCount -1: the client has none here;
 *    the set holds the LMQ names, "%LMQ%$P$L")
 * GET_LITE_GROUP_INFO (200078): extFields group | liteTopic (optional) | topK int. Body:
 *   {"group":"G","parentTopic":"P","liteTopic":"L","earliestUnconsumedTimestamp":-1,
 *    "totalLagCount":0,"liteTopicOffsetWrapper":{"brokerOffset":5,"consumerOffset":3,
 *    "lastTimestamp":…},"lagCountTopK":[{"liteTopic":"…","lagCount":2,
 *    "earliestUnconsumedTimestamp":…}],"lagTimestampTopK":[…]}
 *   (with liteTopic: that lite topic's offsets; without: the group's top K by lag, collected only
 *    when the broker has liteLagLatencyCollectEnable=true)
 *
 * Errors: TOPIC_NOT_EXIST (17) for an unknown parent topic, SUBSCRIPTION_GROUP_NOT_EXIST (26)
 * for an unknown group, INVALID_PARAMETER (29) for a topic that is not LITE, a group not bound
 * to a LITE topic, or a group bound to another topic. Brokers before 5.5 answer
 * REQUEST_CODE_NOT_SUPPORTED.
 */
import { InvalidArgumentError, ProtocolError } from '../errors.js';
import { mapEntries, parseFastjson } from '../remoting/fastjson.js';

/** Entries read from one list or map of a body: a 5.5 broker returns at most 10000 lite topics. */
export const MAX_LITE_ENTRIES = 100_000;

export const LMQ_PREFIX = '%LMQ%$';

/** "%LMQ%$<parent>$<lite>", the queue a lite topic's messages live in (Java: LiteUtil). */
export function lmqName(parentTopic: string, liteTopic: string): string {
  return `${LMQ_PREFIX}${parentTopic}$${liteTopic}`;
}

/** The lite topic of an LMQ name of `parentTopic`, or undefined when it is not one. */
export function liteTopicOf(lmq: string, parentTopic?: string): string | undefined {
  if (!lmq.startsWith(LMQ_PREFIX)) return undefined;
  const rest = lmq.slice(LMQ_PREFIX.length);
  const i = rest.indexOf('$');
  if (i <= 0 || i === rest.length - 1 || rest.indexOf('$', i + 1) !== -1) return undefined;
  if (parentTopic !== undefined && rest.slice(0, i) !== parentTopic) return undefined;
  return rest.slice(i + 1);
}

export interface BrokerLiteInfo {
  storeType: string;
  maxLmqNum: number;
  currentLmqNum: number;
  liteSubscriptionCount: number;
  orderInfoCount: number;
  cqTableSize: number;
  offsetTableSize: number;
  eventMapSize: number;
  /** LITE parent topic → lite topic expiration in minutes (-1: never). */
  topicMeta: Record<string, number>;
  /** LITE parent topic → the groups bound to it. */
  groupMeta: Record<string, string[]>;
}

export interface ParentTopicInfo {
  topic: string;
  /** Lite topic expiration in minutes (-1: never). */
  ttl: number;
  groups: string[];
  /** LMQs of the whole broker, not of this topic alone. */
  lmqNum: number;
  liteTopicCount: number;
}

export interface LiteTopicInfo {
  parentTopic: string;
  liteTopic: string;
  subscribers: { clientId: string; group: string }[];
  minOffset: number;
  maxOffset: number;
  /** Store time of the last message, 0 when there is none. */
  lastUpdateTimestamp: number;
  /** Whether this broker is the one the lite topic is sharded to. */
  shardingToBroker: boolean;
}

export interface LiteClientInfo {
  parentTopic: string;
  group: string;
  clientId: string;
  lastAccessTime: number;
  lastConsumeTime: number;
  /** -1: the broker holds no lite subscription of this client. */
  liteTopicCount: number;
  liteTopics: string[];
}

export interface LiteLag {
  liteTopic: string;
  lagCount: number;
  earliestUnconsumedTimestamp: number;
}

export interface LiteGroupInfo {
  group: string;
  parentTopic: string;
  liteTopic: string | null;
  earliestUnconsumedTimestamp: number;
  totalLagCount: number;
  offsets: { brokerOffset: number; consumerOffset: number; lastTimestamp: number } | null;
  lagCountTopK: LiteLag[];
  lagTimestampTopK: LiteLag[];
}

const asObj = (v: unknown, what: string): Record<string, unknown> => {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new ProtocolError(`${what} is not an object`);
  return v as Record<string, unknown>;
};
const str = (v: unknown): string => (typeof v === 'string' ? v : v == null ? '' : String(v));
const num = (v: unknown, dflt = 0): number => {
  const n = typeof v === 'number' ? v : Number(v ?? dflt);
  return Number.isFinite(n) ? n : dflt;
};

function list(v: unknown, what: string): unknown[] {
  if (v == null) return [];
  if (!Array.isArray(v)) throw new ProtocolError(`${what} is not a list`);
  if (v.length > MAX_LITE_ENTRIES) throw new ProtocolError(`${what} has over ${MAX_LITE_ENTRIES} entries`);
  return v;
}

function entries(v: unknown, what: string): [unknown, unknown][] {
  const e = mapEntries(v);
  if (e.length > MAX_LITE_ENTRIES) throw new ProtocolError(`${what} has over ${MAX_LITE_ENTRIES} entries`);
  return e;
}

const body = (b: Buffer | undefined, what: string): Record<string, unknown> =>
  asObj(parseFastjson(b ?? '{}'), what);

export function getParentTopicInfoHeader(topic: string): Record<string, string> {
  return { topic };
}

export function getLiteTopicInfoHeader(parentTopic: string, liteTopic: string): Record<string, string> {
  return { parentTopic, liteTopic };
}

export function getLiteClientInfoHeader(
  parentTopic: string,
  group: string,
  clientId: string,
  maxCount: number,
): Record<string, string> {
  return { parentTopic, group, clientId, maxCount: String(maxCount) };
}

export function getLiteGroupInfoHeader(
  group: string,
  liteTopic: string | undefined,
  topK: number,
): Record<string, string> {
  const ext: Record<string, string> = { group, topK: String(topK) };
  if (liteTopic !== undefined) ext.liteTopic = liteTopic;
  return ext;
}

export function decodeBrokerLiteInfo(b: Buffer | undefined): BrokerLiteInfo {
  const o = body(b, 'broker lite info');
  const topicMeta: Record<string, number> = {};
  for (const [k, v] of entries(o.topicMeta, 'topicMeta')) {
    Object.defineProperty(topicMeta, str(k), { value: num(v), enumerable: true, writable: true });
  }
  const groupMeta: Record<string, string[]> = {};
  for (const [k, v] of entries(o.groupMeta, 'groupMeta')) {
    const groups = list(v, 'groupMeta groups').map(str).sort();
    Object.defineProperty(groupMeta, str(k), { value: groups, enumerable: true, writable: true });
  }
  return {
    storeType: str(o.storeType),
    maxLmqNum: num(o.maxLmqNum),
    currentLmqNum: num(o.currentLmqNum),
    liteSubscriptionCount: num(o.liteSubscriptionCount),
    orderInfoCount: num(o.orderInfoCount),
    cqTableSize: num(o.cqTableSize),
    offsetTableSize: num(o.offsetTableSize),
    eventMapSize: num(o.eventMapSize),
    topicMeta,
    groupMeta,
  };
}

export function decodeParentTopicInfo(b: Buffer | undefined): ParentTopicInfo {
  const o = body(b, 'parent topic info');
  return {
    topic: str(o.topic),
    ttl: num(o.ttl),
    groups: list(o.groups, 'groups').map(str).sort(),
    lmqNum: num(o.lmqNum),
    liteTopicCount: num(o.liteTopicCount),
  };
}

export function decodeLiteTopicInfo(b: Buffer | undefined): LiteTopicInfo {
  const o = body(b, 'lite topic info');
  const offset = o.topicOffset == null ? {} : asObj(o.topicOffset, 'topicOffset');
  return {
    parentTopic: str(o.parentTopic),
    liteTopic: str(o.liteTopic),
    subscribers: list(o.subscriber, 'subscriber')
      .map((s) => {
        const c = asObj(s, 'subscriber');
        return { clientId: str(c.clientId), group: str(c.group) };
      })
      .sort((x, y) => x.group.localeCompare(y.group) || x.clientId.localeCompare(y.clientId)),
    minOffset: num(offset.minOffset),
    maxOffset: num(offset.maxOffset),
    lastUpdateTimestamp: num(offset.lastUpdateTimestamp),
    shardingToBroker: o.shardingToBroker === true,
  };
}

export function decodeLiteClientInfo(b: Buffer | undefined): LiteClientInfo {
  const o = body(b, 'lite client info');
  const parentTopic = str(o.parentTopic);
  return {
    parentTopic,
    group: str(o.group),
    clientId: str(o.clientId),
    lastAccessTime: num(o.lastAccessTime),
    lastConsumeTime: num(o.lastConsumeTime),
    liteTopicCount: num(o.liteTopicCount, -1),
    // The broker keeps LMQ names; users name lite topics.
    liteTopics: list(o.liteTopicSet, 'liteTopicSet')
      .map((l) => liteTopicOf(str(l), parentTopic) ?? str(l))
      .sort(),
  };
}

function lags(v: unknown, what: string): LiteLag[] {
  return list(v, what).map((e) => {
    const o = asObj(e, what);
    return {
      liteTopic: liteTopicOf(str(o.liteTopic)) ?? str(o.liteTopic),
      lagCount: num(o.lagCount),
      earliestUnconsumedTimestamp: num(o.earliestUnconsumedTimestamp, -1),
    };
  });
}

export function decodeLiteGroupInfo(b: Buffer | undefined): LiteGroupInfo {
  const o = body(b, 'lite group info');
  const w = o.liteTopicOffsetWrapper == null ? undefined : asObj(o.liteTopicOffsetWrapper, 'offsets');
  const liteTopic = str(o.liteTopic);
  return {
    group: str(o.group),
    parentTopic: str(o.parentTopic),
    liteTopic: liteTopic || null,
    earliestUnconsumedTimestamp: num(o.earliestUnconsumedTimestamp, -1),
    totalLagCount: num(o.totalLagCount),
    offsets: w
      ? {
          brokerOffset: num(w.brokerOffset),
          consumerOffset: num(w.consumerOffset),
          lastTimestamp: num(w.lastTimestamp),
        }
      : null,
    lagCountTopK: lags(o.lagCountTopK, 'lagCountTopK'),
    lagTimestampTopK: lags(o.lagTimestampTopK, 'lagTimestampTopK'),
  };
}

/** The proxy's limits on a lite topic name (GrpcValidator; maxLiteTopicSize 64 by default). */
export const MAX_LITE_TOPIC_BYTES = 64;

/**
 * Throws InvalidArgumentError for a lite topic name the 5.5 proxy refuses: empty, over 64 bytes,
 * or other than letters, digits, '-' and '_'. The broker itself checks nothing, but a '$' would
 * make an LMQ name it cannot split back, and gRPC clients could never reach such a lite topic.
 */
export function validateLiteTopicName(liteTopic: string, what = 'lite topic'): void {
  if (!/^[A-Za-z0-9_-]+$/.test(liteTopic)) {
    throw new InvalidArgumentError(
      `${what} ${JSON.stringify(liteTopic.slice(0, 80))} may contain only letters, digits, '-' and '_'`,
    );
  }
  if (liteTopic.length > MAX_LITE_TOPIC_BYTES) {
    throw new InvalidArgumentError(
      `${what} is ${liteTopic.length} characters; the limit is ${MAX_LITE_TOPIC_BYTES}`,
    );
  }
}
