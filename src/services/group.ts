import { type Admin, type BrokerTarget, isSystemGroup } from '../core/client/admin.js';
import { InvalidArgumentError } from '../core/errors.js';
import type { SubscriptionGroupConfig } from '../core/protocol/admin.js';
import type { ConsumeMode } from '../core/protocol/message-request-mode.js';
import {
  type ConsumeModeRow,
  consumeModeBrokers,
  readConsumeModes,
  setConsumeMode,
} from './group-consume-mode.js';

export interface GroupCreateInput extends BrokerTarget {
  group: string;
  retryMaxTimes?: number | undefined;
  broadcast?: boolean | undefined;
  orderly?: boolean | undefined;
  consumeEnable?: boolean | undefined;
  /** With `topic`: how the group's Java push consumers fetch that topic (5.x). */
  consumeMode?: ConsumeMode | undefined;
  topic?: string | undefined;
}

export interface GroupCreateResult {
  group: string;
  action: 'created' | 'updated';
  brokers: { cluster: string; brokerName: string; address: string }[];
  config: SubscriptionGroupConfig;
  /** The mode set for one topic, on the brokers of the group that hold it. */
  consumeMode?: { topic: string; mode: ConsumeMode; brokers: string[] };
}

export async function createGroup(admin: Admin, input: GroupCreateInput): Promise<GroupCreateResult> {
  if ((input.consumeMode === undefined) !== (input.topic === undefined)) {
    throw new InvalidArgumentError(
      '--consume-mode and --topic go together: the mode is per topic and group',
      {
        hint: 'e.g. rmq group create billing --topic orders --consume-mode pop',
      },
    );
  }
  // Checked before the group is created: a broker that cannot take the mode changes nothing.
  const modeBrokers =
    input.topic !== undefined ? await consumeModeBrokers(admin, input.topic, input) : undefined;
  const existing = await admin.listGroups({ cluster: input.cluster, broker: input.broker });
  const overrides: Partial<SubscriptionGroupConfig> = { ...(existing.get(input.group)?.config ?? {}) };
  if (input.retryMaxTimes !== undefined) overrides.retryMaxTimes = input.retryMaxTimes;
  if (input.broadcast !== undefined) overrides.consumeBroadcastEnable = input.broadcast;
  if (input.orderly !== undefined) overrides.consumeMessageOrderly = input.orderly;
  if (input.consumeEnable !== undefined) overrides.consumeEnable = input.consumeEnable;
  const { brokers, config } = await admin.createGroup(input.group, {
    cluster: input.cluster,
    broker: input.broker,
    ...overrides,
  });
  const result: GroupCreateResult = {
    group: input.group,
    action: existing.has(input.group) ? 'updated' : 'created',
    brokers,
    config,
  };
  if (modeBrokers && input.topic !== undefined && input.consumeMode !== undefined) {
    await setConsumeMode(admin, {
      group: input.group,
      topic: input.topic,
      mode: input.consumeMode,
      brokers: modeBrokers,
    });
    result.consumeMode = {
      topic: input.topic,
      mode: input.consumeMode,
      brokers: modeBrokers.map((b) => b.brokerName),
    };
  }
  return result;
}

export interface GroupListItem {
  name: string;
  brokers: string[];
  retryMaxTimes: number;
  broadcast: boolean;
  orderly: boolean;
  consumeEnable: boolean;
  system: boolean;
}

export async function listGroups(
  admin: Admin,
  input: BrokerTarget & { system: boolean },
): Promise<{ groups: GroupListItem[] }> {
  const all = await admin.listGroups(input);
  const groups: GroupListItem[] = [];
  for (const [name, { config, brokers }] of all) {
    const system = isSystemGroup(name);
    if (system && !input.system) continue;
    groups.push({
      name,
      brokers: brokers.sort(),
      retryMaxTimes: config.retryMaxTimes,
      broadcast: config.consumeBroadcastEnable,
      orderly: config.consumeMessageOrderly === true,
      consumeEnable: config.consumeEnable,
      system,
    });
  }
  groups.sort((a, b) => a.name.localeCompare(b.name));
  return { groups };
}

export interface GroupQueueRow {
  topic: string;
  brokerName: string;
  queueId: number;
  brokerOffset: number;
  consumerOffset: number;
  lag: number;
  lastConsumeTime: string | null;
}

export interface GroupDescribeResult {
  group: string;
  online: boolean;
  messageModel: string | null;
  consumeType: string | null;
  consumers: { clientId: string; clientAddr: string; language: string; version: number }[];
  subscriptions: { topic: string; expression: string; expressionType: string }[];
  consumeTps: number;
  totalLag: number;
  queues: GroupQueueRow[];
  /**
   * How each broker tells the group's Java push consumers to fetch each topic (5.x: PULL, or
   * POP after `group create --consume-mode pop`); for --topic, else the topics subscribed.
   */
  consumeModes: ConsumeModeRow[];
}

export async function describeGroup(
  admin: Admin,
  input: BrokerTarget & { group: string; topic?: string | undefined },
): Promise<GroupDescribeResult> {
  const brokers = await admin.groupBrokers(input.group, input);
  const result: GroupDescribeResult = {
    group: input.group,
    online: false,
    messageModel: null,
    consumeType: null,
    consumers: [],
    subscriptions: [],
    consumeTps: 0,
    totalLag: 0,
    queues: [],
    consumeModes: [],
  };
  const seenClients = new Set<string>();
  const seenSubs = new Set<string>();
  await Promise.all(
    brokers.map(async (b) => {
      const [stats, conns] = await Promise.all([
        admin.consumeStats(b.address, input.group, input.topic),
        admin.consumerConnections(b.address, input.group),
      ]);
      result.consumeTps += stats.consumeTps;
      for (const o of stats.offsets) {
        // A never-committed queue reports consumerOffset -1 on some versions: count all of it as lag.
        const consumed = Math.max(0, o.consumerOffset);
        result.queues.push({
          topic: o.mq.topic,
          brokerName: o.mq.brokerName,
          queueId: o.mq.queueId,
          brokerOffset: o.brokerOffset,
          consumerOffset: o.consumerOffset,
          lag: Math.max(0, o.brokerOffset - consumed),
          lastConsumeTime: o.lastTimestamp > 0 ? new Date(o.lastTimestamp).toISOString() : null,
        });
      }
      if (conns) {
        result.online ||= conns.connections.length > 0;
        result.messageModel ??= conns.messageModel || null;
        result.consumeType ??= conns.consumeType || null;
        for (const c of conns.connections) {
          if (!seenClients.has(c.clientId)) {
            seenClients.add(c.clientId);
            result.consumers.push(c);
          }
        }
        for (const s of conns.subscriptions) {
          if (!seenSubs.has(s.topic)) {
            seenSubs.add(s.topic);
            result.subscriptions.push(s);
          }
        }
      }
    }),
  );
  result.queues.sort(
    (a, b) =>
      a.topic.localeCompare(b.topic) || a.brokerName.localeCompare(b.brokerName) || a.queueId - b.queueId,
  );
  result.consumers.sort((a, b) => a.clientId.localeCompare(b.clientId));
  const topics =
    input.topic !== undefined
      ? [input.topic]
      : [...new Set([...seenSubs, ...result.queues.map((q) => q.topic)])].sort();
  for (const topic of topics.filter((t) => !t.startsWith('%RETRY%'))) {
    result.consumeModes.push(...(await readConsumeModes(admin, input.group, topic, brokers)));
  }
  result.totalLag = result.queues.reduce((n, q) => n + q.lag, 0);
  result.consumeTps = Math.round(result.consumeTps * 100) / 100;
  return result;
}

export async function deleteGroup(
  admin: Admin,
  group: string,
  target: BrokerTarget,
): Promise<{
  group: string;
  deleted: true;
  brokers: { cluster: string; brokerName: string; address: string }[];
}> {
  const { brokers } = await admin.deleteGroup(group, target);
  return { group, deleted: true, brokers };
}
