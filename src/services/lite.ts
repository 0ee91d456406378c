/**
 * Lite topics (RocketMQ 5.5): a LITE parent topic holds any number of lite topics, each its own
 * ordered queue (an LMQ, "%LMQ%$parent$lite") on the broker it is sharded to, created by the
 * first message sent to it and dropped after the parent's expiration without messages. A group
 * consumes them when bound to the parent (group attribute lite.bind.topic), by subscribing lite
 * topics by name (`rmq consume --lite-topic`).
 *
 * This module: creating a parent topic, binding a group, and the broker's lite admin reads
 * (lite-info.ts), each refused on a broker older than 5.5.
 */
import {
  type Admin,
  type BrokerTarget,
  type MasterBroker,
  validateGroupName,
  validateTopicName,
} from '../core/client/admin.js';
import { InvalidArgumentError, NotFoundError } from '../core/errors.js';
import {
  decodeTopicConfig,
  defaultSubscriptionGroup,
  encodeSubscriptionGroup,
} from '../core/protocol/admin.js';
import { decodeBrokerConfig } from '../core/protocol/get-broker-config.js';
import {
  type BrokerLiteInfo,
  decodeBrokerLiteInfo,
  decodeLiteClientInfo,
  decodeLiteGroupInfo,
  decodeLiteTopicInfo,
  decodeParentTopicInfo,
  getLiteClientInfoHeader,
  getLiteGroupInfoHeader,
  getLiteTopicInfoHeader,
  getParentTopicInfoHeader,
  type LiteClientInfo,
  type LiteGroupInfo,
  type LiteTopicInfo,
  lmqName,
  type ParentTopicInfo,
  validateLiteTopicName,
} from '../core/protocol/lite-info.js';
import { decodeRuntimeInfo } from '../core/protocol/broker-runtime-info.js';
import { GET_TOPIC_CONFIG_ACCEPT, getTopicConfigHeader } from '../core/protocol/get-topic-config.js';
import { masterAddress } from '../core/protocol/route.js';
import type { RemotingClient } from '../core/client/remoting-client.js';
import { RequestCode, ResponseCode } from '../core/remoting/codes.js';
import { parseFastjson } from '../core/remoting/fastjson.js';
import { VERSION_5_5_0 } from '../core/remoting/command.js';

/** The broker's range for lite.topic.expiration, in minutes (TopicAttributes: -1 … 30 days). */
export const MAX_LITE_EXPIRATION_MINUTES = 30 * 24 * 60;

interface LiteBroker {
  brokerName: string;
  address: string;
}

/** Refuses (exit 2) a broker older than 5.5, naming its version. */
export async function requireLiteBroker(remoting: RemotingClient, b: LiteBroker): Promise<void> {
  const res = await remoting.call(b.address, RequestCode.GET_BROKER_RUNTIME_INFO, {});
  if (res.version < VERSION_5_5_0) {
    const desc = decodeRuntimeInfo(res.body).brokerVersionDesc ?? `version ${res.version}`;
    throw new InvalidArgumentError(
      `lite topics need RocketMQ 5.5 or newer; broker ${b.brokerName} runs ${desc}`,
    );
  }
}

/**
 * Before a lite send: every broker the producer may pick is 5.5+ and has the topic as LITE (a
 * lite message to another topic would create a stray LMQ nobody can consume).
 */
export async function requireLiteParent(
  remoting: RemotingClient,
  topic: string,
  brokers: readonly LiteBroker[],
): Promise<void> {
  for (const b of brokers) {
    await requireLiteBroker(remoting, b);
    const res = await remoting.call(b.address, RequestCode.GET_TOPIC_CONFIG, getTopicConfigHeader(topic), {
      accept: GET_TOPIC_CONFIG_ACCEPT,
    });
    const attrs =
      res.code === ResponseCode.SUCCESS && res.body
        ? decodeTopicConfig(parseFastjson(res.body)).attributes
        : {};
    const type = attrs['message.type'] ?? attrs['+message.type'];
    if (type !== 'LITE') {
      throw new InvalidArgumentError(
        `topic ${topic} is not a LITE topic on broker ${b.brokerName} (type ${type ?? 'NORMAL'})`,
        {
          hint: `a lite topic lives under a LITE parent topic: \`rmq lite create ${topic}\` makes one`,
        },
      );
    }
  }
}

/** The masters that serve `topic`, each checked to be 5.5+. */
async function parentBrokers(admin: Admin, topic: string): Promise<LiteBroker[]> {
  validateTopicName(topic);
  const route = await admin.namesrv.getTopicRoute(topic);
  const out: LiteBroker[] = [];
  for (const b of [...route.brokers].sort((x, y) => x.brokerName.localeCompare(y.brokerName))) {
    const address = masterAddress(b);
    if (address && route.queues.some((q) => q.brokerName === b.brokerName))
      out.push({ brokerName: b.brokerName, address });
  }
  if (out.length === 0) throw new NotFoundError(`topic "${topic}" has no master broker`);
  for (const b of out) await requireLiteBroker(admin.client, b);
  return out;
}

export interface LiteCreateInput extends BrokerTarget {
  topic: string;
  queues: number;
  /** lite.topic.expiration: minutes a lite topic lives without messages; -1 never (the broker's default). */
  expirationMinutes?: number | undefined;
  waitMs: number;
}

export interface LiteCreateResult {
  topic: string;
  action: 'created' | 'updated';
  queues: number;
  /** null: the broker's default (-1, lite topics never expire). */
  expirationMinutes: number | null;
  brokers: { cluster: string; brokerName: string; address: string }[];
  routed: boolean;
}

/** Creates (or updates) a LITE parent topic on the selected masters. */
export async function createLiteTopic(admin: Admin, input: LiteCreateInput): Promise<LiteCreateResult> {
  validateTopicName(input.topic);
  if (!Number.isInteger(input.queues) || input.queues < 1 || input.queues > 1024) {
    throw new InvalidArgumentError(`--queues must be a whole number from 1 to 1024, got ${input.queues}`);
  }
  const exp = input.expirationMinutes;
  if (
    exp !== undefined &&
    exp !== -1 &&
    !(Number.isInteger(exp) && exp >= 1 && exp <= MAX_LITE_EXPIRATION_MINUTES)
  ) {
    throw new InvalidArgumentError(`--expiration must be from 1 minute to 30 days (whole minutes), or never`);
  }
  const masters = await admin.masters(input);
  for (const m of masters) {
    await requireLiteBroker(admin.client, m);
    // Without both, a lite message is stored in the parent only and no consumer ever sees it.
    const config = decodeBrokerConfig(await admin.client.call(m.address, RequestCode.GET_BROKER_CONFIG, {}));
    const off = ['enableLmq', 'enableMultiDispatch'].filter((k) => config.get(k) !== 'true');
    if (off.length > 0) {
      throw new InvalidArgumentError(
        `broker ${m.brokerName} has ${off.map((k) => `${k}=false`).join(' and ')}: it cannot hold lite topics`,
        {
          hint: "set enableLmq=true and enableMultiDispatch=true in the broker's configuration and restart it (`rmq local up` does for 5.5)",
        },
      );
    }
  }
  let existed = true;
  try {
    await admin.namesrv.getTopicRoute(input.topic);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    existed = false;
  }
  const { brokers } = await admin.createTopic(input.topic, {
    cluster: input.cluster,
    broker: input.broker,
    readQueues: input.queues,
    writeQueues: input.queues,
    perm: 6,
    order: false,
    attributes: ['+message.type=LITE', ...(exp !== undefined ? [`+lite.topic.expiration=${exp}`] : [])],
  });
  const route = await admin.waitForRoute(
    input.topic,
    brokers.map((b) => b.brokerName),
    input.waitMs,
  );
  return {
    topic: input.topic,
    action: existed ? 'updated' : 'created',
    queues: input.queues,
    expirationMinutes: exp ?? null,
    brokers,
    routed: route !== undefined,
  };
}

export interface LiteBindResult {
  group: string;
  topic: string;
  action: 'created' | 'updated';
  brokers: { brokerName: string; address: string }[];
}

/**
 * Creates the group, or updates it keeping its settings, bound to the LITE parent topic
 * (attribute lite.bind.topic) on every broker of the topic: only a bound group may pop its lite
 * topics.
 */
export async function bindLiteGroup(
  admin: Admin,
  input: { group: string; topic: string },
): Promise<LiteBindResult> {
  validateGroupName(input.group);
  const brokers = await parentBrokers(admin, input.topic);
  let existed = false;
  for (const b of brokers) {
    const config = await admin.topicConfig(b.address, input.topic);
    const type = config?.attributes['message.type'] ?? config?.attributes['+message.type'];
    if (type !== 'LITE') {
      throw new InvalidArgumentError(
        `topic ${input.topic} is not a LITE topic on broker ${b.brokerName} (type ${type ?? 'NORMAL'})`,
        {
          hint: `create it with \`rmq lite create ${input.topic}\``,
        },
      );
    }
  }
  for (const b of brokers) {
    const current = (await admin.brokerGroupConfigs(b.address)).find((g) => g.groupName === input.group);
    existed ||= current !== undefined;
    // Attributes go as changes ("+key": value); the broker keeps the ones not named.
    const settings = { ...(current ?? defaultSubscriptionGroup(input.group)) };
    delete settings.attributes;
    const body = encodeSubscriptionGroup({
      ...settings,
      groupName: input.group,
      attributes: { '+lite.bind.topic': input.topic },
    });
    await admin.client.call(b.address, RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, {}, { body });
  }
  return { group: input.group, topic: input.topic, action: existed ? 'updated' : 'created', brokers };
}

export interface BrokerLiteInfoResult {
  brokers: ({ brokerName: string; address: string } & BrokerLiteInfo)[];
}

export async function brokerLiteInfo(admin: Admin, target: BrokerTarget): Promise<BrokerLiteInfoResult> {
  const masters: MasterBroker[] = await admin.masters(target);
  const brokers: BrokerLiteInfoResult['brokers'] = [];
  for (const m of masters.sort((a, b) => a.brokerName.localeCompare(b.brokerName))) {
    await requireLiteBroker(admin.client, m);
    const res = await admin.client.call(m.address, RequestCode.GET_BROKER_LITE_INFO, {});
    brokers.push({ brokerName: m.brokerName, address: m.address, ...decodeBrokerLiteInfo(res.body) });
  }
  return { brokers };
}

export interface ParentTopicInfoResult {
  topic: string;
  /** Lite topics over all brokers. */
  liteTopicCount: number;
  brokers: ({ brokerName: string; address: string } & ParentTopicInfo)[];
}

export async function parentTopicInfo(admin: Admin, topic: string): Promise<ParentTopicInfoResult> {
  const brokers: ParentTopicInfoResult['brokers'] = [];
  for (const b of await parentBrokers(admin, topic)) {
    const res = await admin.client.call(
      b.address,
      RequestCode.GET_PARENT_TOPIC_INFO,
      getParentTopicInfoHeader(topic),
    );
    brokers.push({ ...b, ...decodeParentTopicInfo(res.body) });
  }
  return { topic, liteTopicCount: brokers.reduce((n, b) => n + b.liteTopicCount, 0), brokers };
}

export interface LiteTopicInfoResult {
  parentTopic: string;
  liteTopic: string;
  /** The queue the broker keeps it in. */
  lmq: string;
  /** The broker the lite topic is sharded to, when one says so. */
  shardedTo: string | null;
  /** Messages over all brokers (max − min offsets). */
  messages: number;
  brokers: ({ brokerName: string; address: string } & LiteTopicInfo)[];
}

export async function liteTopicInfo(
  admin: Admin,
  parentTopic: string,
  liteTopic: string,
): Promise<LiteTopicInfoResult> {
  validateLiteTopicName(liteTopic);
  const brokers: LiteTopicInfoResult['brokers'] = [];
  for (const b of await parentBrokers(admin, parentTopic)) {
    const res = await admin.client.call(
      b.address,
      RequestCode.GET_LITE_TOPIC_INFO,
      getLiteTopicInfoHeader(parentTopic, liteTopic),
    );
    brokers.push({ ...b, ...decodeLiteTopicInfo(res.body) });
  }
  return {
    parentTopic,
    liteTopic,
    lmq: lmqName(parentTopic, liteTopic),
    shardedTo: brokers.find((b) => b.shardingToBroker)?.brokerName ?? null,
    messages: brokers.reduce((n, b) => n + Math.max(0, b.maxOffset - b.minOffset), 0),
    brokers,
  };
}

export interface LiteClientInfoResult {
  parentTopic: string;
  group: string;
  clientId: string;
  brokers: ({ brokerName: string; address: string } & LiteClientInfo)[];
}

/** The broker returns at most this many of a client's lite topics. */
export const MAX_LITE_CLIENT_TOPICS = 10_000;

export async function liteClientInfo(
  admin: Admin,
  input: { topic: string; group: string; clientId: string; max: number },
): Promise<LiteClientInfoResult> {
  validateGroupName(input.group);
  if (!input.clientId.trim()) throw new InvalidArgumentError('--client-id must not be empty');
  if (!Number.isInteger(input.max) || input.max < 1 || input.max > MAX_LITE_CLIENT_TOPICS) {
    throw new InvalidArgumentError(`--max must be from 1 to ${MAX_LITE_CLIENT_TOPICS}, got ${input.max}`);
  }
  const brokers: LiteClientInfoResult['brokers'] = [];
  for (const b of await parentBrokers(admin, input.topic)) {
    const res = await admin.client.call(
      b.address,
      RequestCode.GET_LITE_CLIENT_INFO,
      getLiteClientInfoHeader(input.topic, input.group, input.clientId, input.max),
    );
    brokers.push({ ...b, ...decodeLiteClientInfo(res.body) });
  }
  return { parentTopic: input.topic, group: input.group, clientId: input.clientId, brokers };
}

export interface LiteGroupInfoResult {
  group: string;
  parentTopic: string;
  liteTopic: string | null;
  /**
   * Messages not yet consumed, over all brokers (-1 counts as 0: the lite topic has none there).
   * With --lite-topic, only where the group has an offset (brokers[].offsets not null).
   */
  totalLagCount: number;
  /** Store time of the oldest message not consumed, null when none. */
  earliestUnconsumedTimestamp: number | null;
  brokers: ({ brokerName: string; address: string } & LiteGroupInfo)[];
}

export async function liteGroupInfo(
  admin: Admin,
  input: { group: string; topic: string; liteTopic?: string | undefined; top: number },
): Promise<LiteGroupInfoResult> {
  validateGroupName(input.group);
  if (input.liteTopic !== undefined) validateLiteTopicName(input.liteTopic, '--lite-topic');
  if (!Number.isInteger(input.top) || input.top < 1 || input.top > 1000) {
    throw new InvalidArgumentError(`--top must be from 1 to 1000, got ${input.top}`);
  }
  const brokers: LiteGroupInfoResult['brokers'] = [];
  for (const b of await parentBrokers(admin, input.topic)) {
    const res = await admin.client.call(
      b.address,
      RequestCode.GET_LITE_GROUP_INFO,
      getLiteGroupInfoHeader(input.group, input.liteTopic, input.top),
    );
    const info = decodeLiteGroupInfo(res.body);
    if (info.parentTopic && info.parentTopic !== input.topic) {
      throw new InvalidArgumentError(
        `group ${input.group} is bound to ${info.parentTopic}, not ${input.topic}`,
      );
    }
    brokers.push({ ...b, ...info });
  }
  const earliest = brokers.map((b) => b.earliestUnconsumedTimestamp).filter((t) => t > 0);
  return {
    group: input.group,
    parentTopic: input.topic,
    liteTopic: input.liteTopic ?? null,
    totalLagCount: brokers.reduce((n, b) => n + Math.max(0, b.totalLagCount), 0),
    earliestUnconsumedTimestamp: earliest.length > 0 ? Math.min(...earliest) : null,
    brokers,
  };
}
