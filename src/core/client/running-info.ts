/**
 * rmq's consumer answers GET_CONSUMER_RUNNING_INFO (307), which a broker forwards from an admin
 * tool (`rmq group status`, mqadmin consumerStatus, the dashboard): its subscriptions, per-queue
 * offsets and cached counts, and consume RT/TPS over the last minute. Several consumers (groups)
 * can share one client; the request names the group it is about.
 */
import { compareMessageQueue, type MessageQueue } from '../protocol/admin.js';
import {
  type ConsumeStatus,
  type ConsumerRunningInfo,
  encodeConsumerRunningInfo,
  type ProcessQueueInfo,
} from '../protocol/consumer-running-info.js';
import type { MessageModel, SubscriptionData } from '../protocol/heartbeat.js';
import { RequestCode, ResponseCode } from '../remoting/codes.js';
import type { MQClient } from './mq-client.js';

/** What a consumer shows of itself: its own queue states are read as they are. */
export interface RunningSnapshot {
  messageModel: MessageModel;
  orderly: boolean;
  startedAt: number;
  subscriptions: SubscriptionData[];
  queues: Iterable<{
    mq: MessageQueue;
    committed: number;
    nextPullOffset: number;
    /** Pulled messages not yet settled. */
    pending: { length: number };
    dropped: boolean;
    locked: boolean;
  }>;
}

const WINDOW_MS = 60_000;

interface Sample {
  at: number;
  ms: number;
  ok: boolean;
}

/** Consume outcomes of the last minute, per topic, and the last consume time per queue. */
export class ConsumeMeter {
  private readonly samples = new Map<string, Sample[]>();
  private readonly lastConsume = new Map<string, number>();

  record(mq: MessageQueue, topic: string, ms: number, ok: boolean): void {
    const now = Date.now();
    const list = this.samples.get(topic) ?? [];
    list.push({ at: now, ms, ok });
    // Drop the expired head now and then, so a busy consumer holds one minute of samples at most.
    if (list.length > 1024 && now - list[0]!.at > WINDOW_MS) this.prune(list, now);
    this.samples.set(topic, list);
    this.lastConsume.set(`${mq.topic}@${mq.brokerName}@${mq.queueId}`, now);
  }

  private prune(list: Sample[], now: number): void {
    let i = 0;
    while (i < list.length && now - list[i]!.at > WINDOW_MS) i++;
    list.splice(0, i);
  }

  lastConsumeOf(mq: MessageQueue): number {
    return this.lastConsume.get(`${mq.topic}@${mq.brokerName}@${mq.queueId}`) ?? 0;
  }

  status(): ConsumeStatus[] {
    const now = Date.now();
    const out: ConsumeStatus[] = [];
    for (const [topic, list] of this.samples) {
      this.prune(list, now);
      const ok = list.filter((s) => s.ok).length;
      const failed = list.length - ok;
      const rt = list.length === 0 ? 0 : list.reduce((n, s) => n + s.ms, 0) / list.length;
      const perSecond = (n: number) => Math.round((n / (WINDOW_MS / 1000)) * 100) / 100;
      out.push({
        topic,
        pullRT: 0,
        pullTPS: 0,
        consumeRT: Math.round(rt * 100) / 100,
        consumeOKTPS: perSecond(ok),
        consumeFailedTPS: perSecond(failed),
        consumeFailedMsgs: failed,
      });
    }
    return out.sort((a, b) => a.topic.localeCompare(b.topic));
  }
}

export function runningInfo(
  snap: RunningSnapshot,
  meter: ConsumeMeter,
  namesrv: readonly string[],
): ConsumerRunningInfo {
  const queues: ProcessQueueInfo[] = [...snap.queues]
    .map((q) => {
      const cached = q.pending.length;
      return {
        mq: q.mq,
        commitOffset: q.committed,
        cachedMsgCount: cached,
        cachedMsgSizeInMiB: 0,
        cachedMsgMinOffset: cached > 0 ? q.nextPullOffset - cached : 0,
        cachedMsgMaxOffset: cached > 0 ? q.nextPullOffset - 1 : 0,
        // Concurrent consumers hold no broker lock; the flag only means something when orderly.
        locked: snap.orderly && q.locked,
        dropped: q.dropped,
        lastPullTimestamp: 0,
        lastConsumeTimestamp: meter.lastConsumeOf(q.mq),
      };
    })
    .sort((a, b) => compareMessageQueue(a.mq, b.mq));
  return {
    properties: {
      PROP_CONSUME_TYPE: 'CONSUME_PASSIVELY',
      PROP_CONSUMEORDERLY: String(snap.orderly),
      PROP_CONSUMER_START_TIMESTAMP: String(snap.startedAt),
      PROP_NAMESERVER_ADDR: namesrv.join(';'),
      PROP_CLIENT_VERSION: 'V5_3_3',
      PROP_THREADPOOL_CORE_SIZE: '1',
      messageModel: snap.messageModel,
      clientLanguage: 'NODE',
    },
    subscriptions: snap.subscriptions.map((s) => ({
      topic: s.topic,
      expression: s.subString,
      expressionType: s.expressionType,
      subVersion: s.subVersion,
    })),
    queues,
    status: meter.status(),
  };
}

const served = new WeakMap<MQClient, Map<string, () => ConsumerRunningInfo>>();

/** Answers running-info requests for `group` on this client's connections until withdrawn. */
export function serveRunningInfo(
  client: MQClient,
  group: string,
  meter: ConsumeMeter,
  snapshot: () => RunningSnapshot,
): () => void {
  const info = () => runningInfo(snapshot(), meter, client.namesrv.addresses);
  let groups = served.get(client);
  if (!groups) {
    const table = new Map<string, () => ConsumerRunningInfo>();
    groups = table;
    served.set(client, table);
    client.remoting.onRequest(RequestCode.GET_CONSUMER_RUNNING_INFO, (req) => {
      const get = table.get(req.extFields.consumerGroup ?? '');
      if (!get)
        return {
          code: ResponseCode.SYSTEM_ERROR,
          remark: `no consumer of group ${req.extFields.consumerGroup} here`,
        };
      // jstackEnable asks for a Java thread dump; a Node process has none to give.
      return { code: ResponseCode.SUCCESS, body: encodeConsumerRunningInfo(get()) };
    });
  }
  groups.set(group, info);
  return () => {
    if (groups.get(group) === info) groups.delete(group);
  };
}
