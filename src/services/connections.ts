/**
 * Who is connected: a group's consumers (with their own view of their subscriptions, to catch
 * members that disagree), their running info, and a producer group's producers.
 */
import { type Admin, validateGroupName, validateTopicName } from '../core/client/admin.js';
import { Ops } from '../core/client/ops.js';
import { NotFoundError } from '../core/errors.js';
import type { Subscription } from '../core/protocol/connection-list.js';
import type { ConsumeStatus, ProcessQueueInfo } from '../core/protocol/consumer-running-info.js';

export interface GroupClient {
  clientId: string;
  clientAddr: string;
  language: string;
  /** MQVersion ordinal the client reports (479 = V5_3_3). */
  version: number;
  /** Brokers it is connected to. */
  brokers: string[];
  /** Its subscriptions as it reports them (running info); null when it did not answer. */
  subscriptions: Subscription[] | null;
  /** Why its subscriptions are unknown. */
  subscriptionsError?: string;
}

export interface SubscriptionMismatch {
  topic: string;
  /** Each member's expression for the topic; null where the member does not subscribe to it. */
  members: { clientId: string; expression: string | null }[];
}

export interface GroupClientsResult {
  group: string;
  online: boolean;
  consumeType: string | null;
  messageModel: string | null;
  consumeFromWhere: string | null;
  /** The group's subscriptions as the brokers hold them (the last member's heartbeat wins). */
  subscriptions: Subscription[];
  clients: GroupClient[];
  /** False when members subscribe differently; null when fewer than two members answered. */
  subscriptionsConsistent: boolean | null;
  mismatches: SubscriptionMismatch[];
}

interface Member {
  clientId: string;
  clientAddr: string;
  language: string;
  version: number;
  brokers: { brokerName: string; address: string }[];
}

async function members(admin: Admin, group: string) {
  const brokers = await admin.groupBrokers(group);
  const ops = new Ops(admin.client);
  const byId = new Map<string, Member>();
  let first: Awaited<ReturnType<Ops['consumerConnections']>>;
  const subs = new Map<string, Subscription>();
  const lists = await Promise.all(
    brokers.map(async (b) => ({ b, list: await ops.consumerConnections(b.address, group) })),
  );
  for (const { b, list } of lists) {
    if (!list) continue;
    first ??= list;
    for (const s of list.subscriptions) if (!subs.has(s.topic)) subs.set(s.topic, s);
    for (const c of list.connections) {
      const m = byId.get(c.clientId) ?? { ...c, brokers: [] };
      m.brokers.push({ brokerName: b.brokerName, address: b.address });
      byId.set(c.clientId, m);
    }
  }
  const sorted = [...byId.values()].sort((a, b) => a.clientId.localeCompare(b.clientId));
  return {
    ops,
    first,
    subscriptions: [...subs.values()].sort((a, b) => a.topic.localeCompare(b.topic)),
    members: sorted,
  };
}

const subKey = (s: Subscription) => `${s.expressionType}:${s.expression}`;

/** Topics whose expression is not the same for every member that answered. */
export function findMismatches(
  clients: { clientId: string; subscriptions: Subscription[] | null }[],
): SubscriptionMismatch[] {
  const known = clients.filter(
    (c): c is { clientId: string; subscriptions: Subscription[] } => c.subscriptions !== null,
  );
  if (known.length < 2) return [];
  const topics = [...new Set(known.flatMap((c) => c.subscriptions.map((s) => s.topic)))].sort();
  const out: SubscriptionMismatch[] = [];
  for (const topic of topics) {
    const each = known.map((c) => {
      const s = c.subscriptions.find((x) => x.topic === topic);
      return { clientId: c.clientId, expression: s ? s.expression : null, key: s ? subKey(s) : null };
    });
    if (new Set(each.map((e) => e.key)).size > 1) {
      out.push({ topic, members: each.map(({ clientId, expression }) => ({ clientId, expression })) });
    }
  }
  return out;
}

export async function groupClients(admin: Admin, input: { group: string }): Promise<GroupClientsResult> {
  validateGroupName(input.group);
  const { ops, first, subscriptions, members: list } = await members(admin, input.group);
  const clients: GroupClient[] = await Promise.all(
    list.map(async (m) => {
      const { brokers, ...rest } = m;
      const base = { ...rest, brokers: brokers.map((b) => b.brokerName).sort() };
      try {
        const r = await ops.consumerRunningInfo(brokers[0]!.address, input.group, m.clientId, false);
        if (r.ok) return { ...base, subscriptions: r.info.subscriptions };
        return { ...base, subscriptions: null, subscriptionsError: r.reason };
      } catch (err) {
        return { ...base, subscriptions: null, subscriptionsError: (err as Error).message };
      }
    }),
  );
  const answered = clients.filter((c) => c.subscriptions !== null).length;
  const mismatches = findMismatches(clients);
  return {
    group: input.group,
    online: clients.length > 0,
    consumeType: first?.consumeType || null,
    messageModel: first?.messageModel || null,
    consumeFromWhere: first?.consumeFromWhere || null,
    subscriptions,
    clients,
    subscriptionsConsistent: answered < 2 ? null : mismatches.length === 0,
    mismatches,
  };
}

export interface ClientRunningStatus {
  clientId: string;
  clientAddr: string;
  /** Through which broker it was asked. */
  broker: string;
  ok: boolean;
  error?: string;
  properties?: Record<string, string>;
  subscriptions?: Subscription[];
  queues?: (Omit<ProcessQueueInfo, 'mq'> & { topic: string; brokerName: string; queueId: number })[];
  status?: ConsumeStatus[];
  jstack?: string;
}

export interface GroupStatusResult {
  group: string;
  clients: ClientRunningStatus[];
  subscriptionsConsistent: boolean | null;
  mismatches: SubscriptionMismatch[];
}

export async function groupStatus(
  admin: Admin,
  input: { group: string; client?: string | undefined; jstack: boolean },
): Promise<GroupStatusResult> {
  validateGroupName(input.group);
  const { ops, members: list } = await members(admin, input.group);
  const chosen = input.client ? list.filter((m) => m.clientId === input.client) : list;
  if (input.client && chosen.length === 0) {
    throw new NotFoundError(`client "${input.client}" of group ${input.group} is not connected`, {
      hint: `see \`rmq group clients ${input.group}\``,
    });
  }
  const clients = await Promise.all(
    chosen.map(async (m): Promise<ClientRunningStatus> => {
      const via = m.brokers[0]!;
      const base = { clientId: m.clientId, clientAddr: m.clientAddr, broker: via.brokerName };
      try {
        const r = await ops.consumerRunningInfo(via.address, input.group, m.clientId, input.jstack);
        if (!r.ok) return { ...base, ok: false, error: r.reason };
        const { info } = r;
        return {
          ...base,
          ok: true,
          properties: info.properties,
          subscriptions: info.subscriptions,
          queues: info.queues.map(({ mq, ...q }) => ({
            topic: mq.topic,
            brokerName: mq.brokerName,
            queueId: mq.queueId,
            ...q,
          })),
          status: info.status,
          ...(info.jstack !== undefined ? { jstack: info.jstack } : {}),
        };
      } catch (err) {
        return { ...base, ok: false, error: (err as Error).message };
      }
    }),
  );
  const mismatches = findMismatches(
    clients.map((c) => ({ clientId: c.clientId, subscriptions: c.subscriptions ?? null })),
  );
  const answered = clients.filter((c) => c.ok).length;
  return {
    group: input.group,
    clients,
    subscriptionsConsistent: answered < 2 ? null : mismatches.length === 0,
    mismatches,
  };
}

export interface TopicProducersResult {
  topic: string;
  group: string;
  producers: { clientId: string; clientAddr: string; language: string; version: number; brokers: string[] }[];
}

/**
 * Producers of a group connected to the brokers that serve the topic. The broker keeps
 * producers by group, not by topic: the topic only picks the brokers asked.
 */
export async function topicProducers(
  admin: Admin,
  input: { topic: string; group: string },
): Promise<TopicProducersResult> {
  validateTopicName(input.topic);
  validateGroupName(input.group);
  const route = await admin.namesrv.getTopicRoute(input.topic);
  const masters = await admin.masters();
  const inRoute = new Set(route.brokers.map((b) => b.brokerName));
  const ops = new Ops(admin.client);
  const byId = new Map<string, TopicProducersResult['producers'][number]>();
  const lists = await Promise.all(
    masters
      .filter((m) => inRoute.has(m.brokerName))
      .map(async (m) => ({ m, list: await ops.producerConnections(m.address, input.group) })),
  );
  for (const { m, list } of lists) {
    for (const c of list) {
      const p = byId.get(c.clientId) ?? { ...c, brokers: [] };
      p.brokers.push(m.brokerName);
      byId.set(c.clientId, p);
    }
  }
  const producers = [...byId.values()].sort((a, b) => a.clientId.localeCompare(b.clientId));
  for (const p of producers) p.brokers.sort();
  return { topic: input.topic, group: input.group, producers };
}
