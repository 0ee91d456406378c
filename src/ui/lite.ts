/** Human views of the lite topic results (services/lite.ts); --json prints the results as they are. */
import type {
  BrokerLiteInfoResult,
  LiteClientInfoResult,
  LiteGroupInfoResult,
  LiteTopicInfoResult,
  ParentTopicInfoResult,
} from '../services/lite.js';
import { renderTable } from './table.js';

const time = (ms: number): string | null => (ms > 0 ? new Date(ms).toISOString() : null);
const ttl = (minutes: number): string => (minutes < 0 ? 'never' : `${minutes}m`);

export function renderBrokerLiteInfo(r: BrokerLiteInfoResult): string {
  const table = renderTable(
    ['BROKER', 'STORE', 'LMQS', 'MAX LMQS', 'SUBSCRIPTIONS', 'ORDER INFOS', 'EVENTS', 'PARENT TOPICS'],
    r.brokers.map((b) => [
      b.brokerName,
      b.storeType,
      b.currentLmqNum,
      b.maxLmqNum,
      b.liteSubscriptionCount,
      b.orderInfoCount,
      b.eventMapSize,
      Object.keys(b.topicMeta).length,
    ]),
    { align: ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right'] },
  );
  const parents = r.brokers.flatMap((b) =>
    Object.entries(b.topicMeta).map(([t, m]) => [
      b.brokerName,
      t,
      ttl(m),
      (b.groupMeta[t] ?? []).join(', ') || null,
    ]),
  );
  return parents.length === 0
    ? table
    : `${table}\n\n${renderTable(['BROKER', 'PARENT TOPIC', 'EXPIRATION', 'BOUND GROUPS'], parents)}`;
}

export function renderParentTopicInfo(r: ParentTopicInfoResult): string {
  return renderTable(
    ['BROKER', 'LITE TOPICS', 'EXPIRATION', 'BROKER LMQS', 'BOUND GROUPS'],
    r.brokers.map((b) => [b.brokerName, b.liteTopicCount, ttl(b.ttl), b.lmqNum, b.groups.join(', ') || null]),
    { align: ['left', 'right', 'left', 'right', 'left'] },
  );
}

export function renderLiteTopicInfo(r: LiteTopicInfoResult): string {
  const table = renderTable(
    ['BROKER', 'MIN OFFSET', 'MAX OFFSET', 'LAST MESSAGE', 'SHARDED HERE', 'SUBSCRIBERS'],
    r.brokers.map((b) => [
      b.brokerName,
      b.minOffset,
      b.maxOffset,
      time(b.lastUpdateTimestamp),
      b.shardingToBroker,
      b.subscribers.length,
    ]),
    { align: ['left', 'right', 'right', 'left', 'left', 'right'] },
  );
  const subs = r.brokers.flatMap((b) => b.subscribers.map((s) => [b.brokerName, s.group, s.clientId]));
  return subs.length === 0 ? table : `${table}\n\n${renderTable(['BROKER', 'GROUP', 'CLIENT'], subs)}`;
}

export function renderLiteClientInfo(r: LiteClientInfoResult): string {
  return renderTable(
    ['BROKER', 'LITE TOPICS', 'LAST ACCESS', 'SUBSCRIBED'],
    r.brokers.map((b) => [
      b.brokerName,
      b.liteTopicCount < 0 ? null : b.liteTopicCount,
      time(b.lastAccessTime),
      b.liteTopics.join(', ') || null,
    ]),
    { align: ['left', 'right', 'left', 'left'] },
  );
}

export function renderLiteGroupInfo(r: LiteGroupInfoResult): string {
  const head = `group ${r.group} on ${r.parentTopic}${r.liteTopic ? ` / ${r.liteTopic}` : ''}: ${r.totalLagCount} message${r.totalLagCount === 1 ? '' : 's'} behind${r.earliestUnconsumedTimestamp ? `, oldest unconsumed ${new Date(r.earliestUnconsumedTimestamp).toISOString()}` : ''}`;
  if (r.liteTopic) {
    if (r.brokers.every((b) => b.offsets === null)) {
      return `group ${r.group} has no offset in lite topic ${r.liteTopic} of ${r.parentTopic} yet: it has not consumed it`;
    }
    return `${head}\n${renderTable(
      ['BROKER', 'BROKER OFFSET', 'CONSUMER OFFSET', 'LAG', 'LAST CONSUMED'],
      r.brokers.map((b) => [
        b.brokerName,
        b.offsets?.brokerOffset,
        b.offsets?.consumerOffset,
        b.offsets ? b.offsets.brokerOffset - b.offsets.consumerOffset : null,
        time(b.offsets?.lastTimestamp ?? 0),
      ]),
      { align: ['left', 'right', 'right', 'right', 'left'] },
    )}`;
  }
  const top = r.brokers
    .flatMap((b) => b.lagCountTopK.map((l) => ({ ...l, broker: b.brokerName })))
    .sort((a, b) => b.lagCount - a.lagCount);
  if (top.length === 0) return head;
  return `${head}\n${renderTable(
    ['BROKER', 'LITE TOPIC', 'LAG', 'OLDEST UNCONSUMED'],
    top.map((l) => [l.broker, l.liteTopic, l.lagCount, time(l.earliestUnconsumedTimestamp)]),
    { align: ['left', 'left', 'right', 'left'] },
  )}`;
}
