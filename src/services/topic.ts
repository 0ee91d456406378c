import { type Admin, type BrokerTarget, isSystemTopic } from '../core/client/admin.js';
import { InvalidArgumentError, NotFoundError } from '../core/errors.js';
import { permToString } from '../core/protocol/admin.js';
import { masterAddress } from '../core/protocol/route.js';

export const TOPIC_TYPES = ['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION', 'PRIORITY'] as const;
export type TopicType = (typeof TOPIC_TYPES)[number];

export interface TopicCreateInput extends BrokerTarget {
  topic: string;
  queues: number;
  readQueues?: number | undefined;
  writeQueues?: number | undefined;
  perm: number;
  order: boolean;
  type?: TopicType | undefined;
  waitMs: number;
}

export interface TopicCreateResult {
  topic: string;
  action: 'created' | 'updated';
  readQueues: number;
  writeQueues: number;
  perm: string;
  order: boolean;
  type: TopicType | null;
  brokers: { cluster: string; brokerName: string; address: string }[];
  /** False when the name server did not route the topic within the wait. */
  routed: boolean;
}

export async function createTopic(admin: Admin, input: TopicCreateInput): Promise<TopicCreateResult> {
  const readQueues = input.readQueues ?? input.queues;
  const writeQueues = input.writeQueues ?? input.queues;
  for (const [name, v] of [
    ['--queues', input.queues],
    ['--read-queues', readQueues],
    ['--write-queues', writeQueues],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 1024) {
      throw new InvalidArgumentError(`${name} must be a whole number from 1 to 1024, got ${v}`);
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
    readQueues,
    writeQueues,
    perm: input.perm,
    order: input.order,
    messageType: input.type,
  });
  const route = await admin.waitForRoute(
    input.topic,
    brokers.map((b) => b.brokerName),
    input.waitMs,
  );
  return {
    topic: input.topic,
    action: existed ? 'updated' : 'created',
    readQueues,
    writeQueues,
    perm: permToString(input.perm),
    order: input.order,
    type: input.type ?? null,
    brokers,
    routed: route !== undefined,
  };
}

export interface TopicListItem {
  name: string;
  readQueues: number;
  writeQueues: number;
  perm: string;
  type: string | null;
  order: boolean;
  system: boolean;
  brokers: string[];
}

export async function listTopics(
  admin: Admin,
  input: BrokerTarget & { system: boolean },
): Promise<{ topics: TopicListItem[] }> {
  const { info, configs } = await admin.listTopics(input);
  const reserved = new Set<string>([...info.clusters.keys(), ...info.brokers.map((b) => b.brokerName)]);
  const topics: TopicListItem[] = [];
  for (const [name, { config, brokers }] of configs) {
    const system = isSystemTopic(name, reserved);
    if (system && !input.system) continue;
    topics.push({
      name,
      readQueues: config.readQueueNums,
      writeQueues: config.writeQueueNums,
      perm: permToString(config.perm),
      type: config.attributes['+message.type'] ?? config.attributes['message.type'] ?? null,
      order: config.order,
      system,
      brokers: brokers.sort(),
    });
  }
  topics.sort((a, b) => a.name.localeCompare(b.name));
  return { topics };
}

export interface TopicQueueRow {
  brokerName: string;
  queueId: number;
  minOffset: number;
  maxOffset: number;
  messages: number;
  lastStoreTime: string | null;
}

export interface TopicDescribeResult {
  topic: string;
  type: string | null;
  brokers: {
    cluster: string;
    brokerName: string;
    address: string | null;
    readQueues: number;
    writeQueues: number;
    perm: string;
  }[];
  queues: TopicQueueRow[];
  totalMessages: number;
  lastStoreTime: string | null;
}

export async function describeTopic(admin: Admin, topic: string): Promise<TopicDescribeResult> {
  const route = await admin.namesrv.getTopicRoute(topic);
  const brokers = route.queues.map((q) => {
    const b = route.brokers.find((x) => x.brokerName === q.brokerName);
    return {
      cluster: b?.cluster ?? '',
      brokerName: q.brokerName,
      address: b ? (masterAddress(b) ?? null) : null,
      readQueues: q.readQueueNums,
      writeQueues: q.writeQueueNums,
      perm: permToString(q.perm),
    };
  });
  brokers.sort((a, b) => a.brokerName.localeCompare(b.brokerName));
  const queues: TopicQueueRow[] = [];
  let type: string | null = null;
  await Promise.all(
    brokers.map(async (b) => {
      if (!b.address) return;
      const [stats, config] = await Promise.all([
        admin.topicStats(b.address, topic),
        admin.topicConfig(b.address, topic),
      ]);
      type ??= config?.attributes['+message.type'] ?? config?.attributes['message.type'] ?? null;
      for (const s of stats) {
        queues.push({
          brokerName: s.mq.brokerName,
          queueId: s.mq.queueId,
          minOffset: s.minOffset,
          maxOffset: s.maxOffset,
          messages: s.maxOffset - s.minOffset,
          lastStoreTime: s.lastUpdateTimestamp > 0 ? new Date(s.lastUpdateTimestamp).toISOString() : null,
        });
      }
    }),
  );
  queues.sort((a, b) => a.brokerName.localeCompare(b.brokerName) || a.queueId - b.queueId);
  const last = queues.reduce<string | null>(
    (acc, q) => (q.lastStoreTime && (!acc || q.lastStoreTime > acc) ? q.lastStoreTime : acc),
    null,
  );
  return {
    topic,
    type,
    brokers,
    queues,
    totalMessages: queues.reduce((n, q) => n + q.messages, 0),
    lastStoreTime: last,
  };
}

export interface TopicDeleteResult {
  topic: string;
  deleted: true;
  brokers: { cluster: string; brokerName: string; address: string }[];
}

export async function deleteTopic(
  admin: Admin,
  topic: string,
  target: BrokerTarget,
): Promise<TopicDeleteResult> {
  const { brokers } = await admin.deleteTopic(topic, target);
  return { topic, deleted: true, brokers };
}
