/**
 * Admin facade over the name servers and the master brokers they list: clusters, topics,
 * subscription groups. Methods return plain data; rendering is the caller's business.
 */
import { InvalidArgumentError, NotFoundError } from '../errors.js';
import {
  type ConsumerConnectionInfo,
  type ConsumeStats,
  decodeAllTopicConfig,
  decodeConsumerConnection,
  decodeConsumeStats,
  decodeKvTable,
  decodeSubscriptionGroups,
  decodeTopicConfig,
  decodeTopicStats,
  defaultSubscriptionGroup,
  encodeSubscriptionGroup,
  type QueueOffsets,
  type SubscriptionGroupConfig,
  type TopicConfig,
} from '../protocol/admin.js';
import { CREATE_TOPIC_ACCEPT, createTopicHeader } from '../protocol/create-topic.js';
import {
  DELETE_SUBSCRIPTION_GROUP_ACCEPT,
  deleteSubscriptionGroupHeader,
} from '../protocol/delete-subscription-group.js';
import { DELETE_TOPIC_ACCEPT, deleteTopicInBrokerHeader } from '../protocol/delete-topic.js';
import { GET_CONSUME_STATS_ACCEPT, getConsumeStatsHeader } from '../protocol/get-consume-stats.js';
import {
  GET_CONSUMER_CONNECTION_LIST_ACCEPT,
  getConsumerConnectionListHeader,
} from '../protocol/get-consumer-connection-list.js';
import { GET_TOPIC_CONFIG_ACCEPT, getTopicConfigHeader } from '../protocol/get-topic-config.js';
import { GET_TOPIC_STATS_INFO_ACCEPT, getTopicStatsInfoHeader } from '../protocol/get-topic-stats-info.js';
import {
  ORDER_TOPIC_CONFIG,
  orderTopicConfigValue,
  PUT_KV_CONFIG_ACCEPT,
  putKvConfigHeader,
} from '../protocol/put-kv-config.js';
import { type BrokerData, type ClusterInfo, masterAddress, type TopicRoute } from '../protocol/route.js';
import { RequestCode, ResponseCode } from '../remoting/codes.js';
import { VERSION_5_0_0, VERSION_5_4_0, versionName } from '../remoting/command.js';
import { parseFastjson } from '../remoting/fastjson.js';
import { NameServerClient } from './namesrv.js';
import { type ClientOptions, RemotingClient } from './remoting-client.js';

export interface AdminOptions extends Omit<ClientOptions, 'timeoutMs'> {
  namesrv: string[];
  timeoutMs: number;
}

/** Where an admin change goes: one broker (by name or address), one cluster's masters, or all masters. */
export interface BrokerTarget {
  cluster?: string | undefined;
  broker?: string | undefined;
}

export interface MasterBroker {
  cluster: string;
  brokerName: string;
  address: string;
}

const SYSTEM_TOPICS = new Set([
  'TBW102',
  'SCHEDULE_TOPIC_XXXX',
  'BenchmarkTest',
  'RMQ_SYS_TRANS_HALF_TOPIC',
  'RMQ_SYS_TRACE_TOPIC',
  'RMQ_SYS_TRANS_OP_HALF_TOPIC',
  'TRANS_CHECK_MAX_TIME_TOPIC',
  'SELF_TEST_TOPIC',
  'OFFSET_MOVED_EVENT',
]);

const SYSTEM_GROUPS = new Set([
  'TOOLS_CONSUMER',
  'FILTERSRV_CONSUMER',
  '__MONITOR_CONSUMER',
  'CLIENT_INNER_PRODUCER',
  'SELF_TEST_P_GROUP',
  'SELF_TEST_C_GROUP',
  'CID_ONS-HTTP-PROXY',
  'CID_ONSAPI_PERMISSION',
  'CID_ONSAPI_OWNER',
  'CID_ONSAPI_PULL',
]);

export function isSystemTopic(name: string, clusterAndBrokerNames: ReadonlySet<string> = new Set()): boolean {
  return (
    SYSTEM_TOPICS.has(name) ||
    name.startsWith('rmq_sys_') ||
    name.startsWith('%RETRY%') ||
    name.startsWith('%DLQ%') ||
    name.endsWith('_REPLY_TOPIC') ||
    clusterAndBrokerNames.has(name)
  );
}

export function isSystemGroup(name: string): boolean {
  return SYSTEM_GROUPS.has(name) || name.startsWith('CID_RMQ_SYS_') || name.startsWith('CID_SYS_RMQ_');
}

const TOPIC_RE = /^[%|a-zA-Z0-9_-]+$/;

export function validateTopicName(topic: string): void {
  if (!topic || topic.length > 127 || !TOPIC_RE.test(topic)) {
    throw new InvalidArgumentError(`invalid topic name "${topic}"`, {
      hint: 'use at most 127 characters from a-z A-Z 0-9 _ - % |',
    });
  }
}

export function validateGroupName(group: string): void {
  if (!group || group.length > 120 || !TOPIC_RE.test(group)) {
    throw new InvalidArgumentError(`invalid group name "${group}"`, {
      hint: 'use at most 120 characters from a-z A-Z 0-9 _ - % |',
    });
  }
}

export interface CreateTopicOptions extends BrokerTarget {
  readQueues: number;
  writeQueues: number;
  perm: number;
  order: boolean;
  /** 5.x topic attribute message.type */
  messageType?: 'NORMAL' | 'FIFO' | 'DELAY' | 'TRANSACTION' | 'PRIORITY' | 'MIXED' | undefined;
  /** Other 5.x attributes, "+key=value" each (see createTopicHeader). */
  attributes?: readonly string[] | undefined;
}

export class Admin {
  readonly client: RemotingClient;
  readonly namesrv: NameServerClient;

  constructor(options: AdminOptions) {
    this.client = new RemotingClient(options);
    this.namesrv = new NameServerClient(this.client, options.namesrv);
  }

  close(): void {
    this.client.close();
  }

  getClusterInfo(): Promise<ClusterInfo> {
    return this.namesrv.getClusterInfo();
  }

  /** Master brokers selected by a target; throws NotFoundError for an unknown cluster or broker. */
  async masters(target: BrokerTarget = {}, info?: ClusterInfo): Promise<MasterBroker[]> {
    info ??= await this.getClusterInfo();
    const all: MasterBroker[] = [];
    for (const b of info.brokers) {
      const address = masterAddress(b);
      if (address) all.push({ cluster: b.cluster, brokerName: b.brokerName, address });
    }
    if (target.broker) {
      // By name, advertised address, or the address it is mapped to (what the user may see work).
      const hit = all.filter(
        (m) =>
          m.brokerName === target.broker ||
          m.address === target.broker ||
          this.client.dialAddress(m.address) === target.broker,
      );
      if (hit.length === 0) {
        throw new NotFoundError(`broker "${target.broker}" is not registered with the name server`, {
          reason: 'unknown-broker',
        });
      }
      return hit;
    }
    if (target.cluster) {
      if (!info.clusters.has(target.cluster)) {
        throw new NotFoundError(`cluster "${target.cluster}" is not registered with the name server`, {
          hint: `known clusters: ${[...info.clusters.keys()].join(', ') || 'none'}`,
        });
      }
      return all.filter((m) => m.cluster === target.cluster);
    }
    if (all.length === 0) {
      throw new NotFoundError('no master broker is registered with the name server', {
        reason: 'no-master',
      });
    }
    return all;
  }

  async brokerRuntimeInfo(
    address: string,
  ): Promise<{ table: Record<string, string>; serverVersion: number }> {
    const res = await this.client.call(address, RequestCode.GET_BROKER_RUNTIME_INFO, {});
    return { table: decodeKvTable(res.body), serverVersion: res.version };
  }

  async createTopic(topic: string, options: CreateTopicOptions): Promise<{ brokers: MasterBroker[] }> {
    validateTopicName(topic);
    const info = await this.getClusterInfo();
    const masters = await this.masters(options, info);
    const ext = createTopicHeader({
      topic,
      readQueues: options.readQueues,
      writeQueues: options.writeQueues,
      perm: options.perm,
      order: options.order,
      messageType: options.messageType,
      attributes: options.attributes,
    });
    for (const m of masters) {
      if (options.messageType || options.attributes?.length) {
        const { serverVersion } = await this.brokerRuntimeInfo(m.address);
        if (serverVersion < VERSION_5_0_0) {
          throw new InvalidArgumentError(
            `broker ${m.brokerName} runs RocketMQ 4.x, which has no topic types`,
            { reason: 'topic-types-unsupported' },
          );
        }
        // Older brokers refuse the value with a bare "value is not in set" (or take a raw attribute).
        if (options.messageType === 'PRIORITY' && serverVersion < VERSION_5_4_0) {
          throw new InvalidArgumentError(
            `PRIORITY topics need RocketMQ 5.4 or newer; broker ${m.brokerName} runs ${versionName(serverVersion)}`,
            { reason: 'priority-unsupported' },
          );
        }
      }
      await this.client.call(m.address, RequestCode.UPDATE_AND_CREATE_TOPIC, ext, {
        accept: CREATE_TOPIC_ACCEPT,
      });
    }
    if (options.order) {
      await this.putOrderConfig(
        topic,
        masters.map((m) => ({ brokerName: m.brokerName, queues: options.writeQueues })),
      );
    }
    return { brokers: masters };
  }

  /**
   * What mqadmin updateTopic -o true does: an ordered topic's brokers and queue counts go to the
   * name servers' ORDER_TOPIC_CONFIG, where clients look for them.
   */
  async putOrderConfig(topic: string, brokers: { brokerName: string; queues: number }[]): Promise<void> {
    const value = orderTopicConfigValue(brokers);
    for (const addr of this.namesrv.addresses) {
      await this.client.call(
        addr,
        RequestCode.PUT_KV_CONFIG,
        putKvConfigHeader(ORDER_TOPIC_CONFIG, topic, value),
        { accept: PUT_KV_CONFIG_ACCEPT },
      );
    }
  }

  /** Waits until the name server routes the topic to all the given brokers. */
  async waitForRoute(
    topic: string,
    brokerNames: string[],
    timeoutMs: number,
  ): Promise<TopicRoute | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const route = await this.namesrv.getTopicRoute(topic);
        if (brokerNames.every((b) => route.queues.some((q) => q.brokerName === b))) return route;
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
      if (Date.now() >= deadline) return undefined;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Every topic config one broker holds. */
  async brokerTopicConfigs(address: string): Promise<TopicConfig[]> {
    const res = await this.client.call(address, RequestCode.GET_ALL_TOPIC_CONFIG, {});
    return decodeAllTopicConfig(res.body);
  }

  /** Every subscription group config one broker holds. */
  async brokerGroupConfigs(address: string): Promise<SubscriptionGroupConfig[]> {
    const res = await this.client.call(address, RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG, {});
    return decodeSubscriptionGroups(res.body);
  }

  async listTopics(
    target: BrokerTarget = {},
  ): Promise<{ info: ClusterInfo; configs: Map<string, { config: TopicConfig; brokers: string[] }> }> {
    const info = await this.getClusterInfo();
    const masters = await this.masters(target, info);
    const configs = new Map<string, { config: TopicConfig; brokers: string[] }>();
    const results = await Promise.all(
      masters.map(async (m) => ({ m, topics: await this.brokerTopicConfigs(m.address) })),
    );
    for (const { m, topics } of results) {
      for (const t of topics) {
        const entry = configs.get(t.topicName);
        if (entry) entry.brokers.push(m.brokerName);
        else configs.set(t.topicName, { config: t, brokers: [m.brokerName] });
      }
    }
    return { info, configs };
  }

  /** Per-queue offsets of a topic on one broker. */
  async topicStats(address: string, topic: string): Promise<QueueOffsets[]> {
    const res = await this.client.call(
      address,
      RequestCode.GET_TOPIC_STATS_INFO,
      getTopicStatsInfoHeader(topic),
      { accept: GET_TOPIC_STATS_INFO_ACCEPT },
    );
    return decodeTopicStats(res.body);
  }

  /** The broker's topic config (5.x); undefined where the broker does not support the request. */
  async topicConfig(address: string, topic: string): Promise<TopicConfig | undefined> {
    const res = await this.client.call(address, RequestCode.GET_TOPIC_CONFIG, getTopicConfigHeader(topic), {
      accept: GET_TOPIC_CONFIG_ACCEPT,
    });
    if (res.code !== ResponseCode.SUCCESS || !res.body) return undefined;
    // TopicConfigAndQueueMapping: a TopicConfig with an optional mappingDetail beside its fields.
    return decodeTopicConfig(parseFastjson(res.body));
  }

  async deleteTopic(topic: string, target: BrokerTarget = {}): Promise<{ brokers: MasterBroker[] }> {
    validateTopicName(topic);
    const route = await this.namesrv.getTopicRoute(topic);
    const info = await this.getClusterInfo();
    const selected = await this.masters(target, info);
    const inRoute = new Set(route.brokers.map((b: BrokerData) => b.brokerName));
    const targets = selected.filter((m) => inRoute.has(m.brokerName));
    for (const m of targets) {
      await this.client.call(
        m.address,
        RequestCode.DELETE_TOPIC_IN_BROKER,
        deleteTopicInBrokerHeader(topic),
        {
          accept: DELETE_TOPIC_ACCEPT,
        },
      );
    }
    await this.namesrv.deleteTopic(topic, target.cluster);
    return { brokers: targets };
  }

  async createGroup(
    group: string,
    options: BrokerTarget & Partial<SubscriptionGroupConfig>,
  ): Promise<{ brokers: MasterBroker[]; config: SubscriptionGroupConfig }> {
    validateGroupName(group);
    const { cluster, broker, ...overrides } = options;
    const masters = await this.masters({ cluster, broker });
    const config: SubscriptionGroupConfig = {
      ...defaultSubscriptionGroup(group),
      ...overrides,
      groupName: group,
    };
    for (const m of masters) {
      await this.client.call(
        m.address,
        RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP,
        {},
        {
          body: encodeSubscriptionGroup(config),
        },
      );
    }
    return { brokers: masters, config };
  }

  async listGroups(
    target: BrokerTarget = {},
  ): Promise<Map<string, { config: SubscriptionGroupConfig; brokers: string[] }>> {
    const masters = await this.masters(target);
    const out = new Map<string, { config: SubscriptionGroupConfig; brokers: string[] }>();
    const results = await Promise.all(
      masters.map(async (m) => ({ m, groups: await this.brokerGroupConfigs(m.address) })),
    );
    for (const { m, groups } of results) {
      for (const g of groups) {
        const entry = out.get(g.groupName);
        if (entry) entry.brokers.push(m.brokerName);
        else out.set(g.groupName, { config: g, brokers: [m.brokerName] });
      }
    }
    return out;
  }

  /** Masters on which the group's subscription config exists; NotFoundError if none. */
  async groupBrokers(group: string, target: BrokerTarget = {}): Promise<MasterBroker[]> {
    validateGroupName(group);
    const masters = await this.masters(target);
    const groups = await this.listGroups(target);
    const entry = groups.get(group);
    if (!entry) {
      throw new NotFoundError(`consumer group "${group}" does not exist`, {
        reason: 'group-not-found',
      });
    }
    return masters.filter((m) => entry.brokers.includes(m.brokerName));
  }

  async deleteGroup(group: string, target: BrokerTarget = {}): Promise<{ brokers: MasterBroker[] }> {
    const brokers = await this.groupBrokers(group, target);
    for (const m of brokers) {
      await this.client.call(
        m.address,
        RequestCode.DELETE_SUBSCRIPTIONGROUP,
        deleteSubscriptionGroupHeader(group),
        { accept: DELETE_SUBSCRIPTION_GROUP_ACCEPT },
      );
    }
    return { brokers };
  }

  /** Consume stats of a group on one broker; an empty result when the group has no offsets there. */
  async consumeStats(address: string, group: string, topic?: string): Promise<ConsumeStats> {
    const res = await this.client.call(
      address,
      RequestCode.GET_CONSUME_STATS,
      getConsumeStatsHeader(group, topic),
      { accept: GET_CONSUME_STATS_ACCEPT },
    );
    if (res.code !== ResponseCode.SUCCESS) return { consumeTps: 0, offsets: [] };
    return decodeConsumeStats(res.body);
  }

  /** Online consumers of a group, as seen by one broker; undefined when none is online. */
  async consumerConnections(address: string, group: string): Promise<ConsumerConnectionInfo | undefined> {
    const res = await this.client.call(
      address,
      RequestCode.GET_CONSUMER_CONNECTION_LIST,
      getConsumerConnectionListHeader(group),
      { accept: GET_CONSUMER_CONNECTION_LIST_ACCEPT },
    );
    if (res.code !== ResponseCode.SUCCESS) return undefined;
    return decodeConsumerConnection(res.body);
  }
}
