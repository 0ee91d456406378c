/**
 * Push-style consumer over long-polling pulls: clustering (average allocation, rebalance on
 * heartbeat changes and periodically) or broadcasting (every queue, local offsets), tag and
 * SQL92 filters, retry via send-back and DLQ, and orderly consumption under broker queue locks.
 *
 * Offsets: a queue's committable offset only moves past a message once the handler has
 * processed it and its `durable` promise resolved true (for the CLI: the message was written
 * out). Nothing is committed past a message that was not.
 *
 * Rebalance inputs (rebalance.ts), the broker-side offset store (offset-store.ts), where a
 * queue starts (start-offset.ts), how its committable offset settles (settle.ts), queue locks
 * (queue-locks.ts) and which broker of a group a queue is pulled from (pull-target.ts: a slave
 * when the broker suggests one or the master is gone) live in their own modules. What stays is
 * one state machine: the pull loop, delivery and the lifecycle all read and write the same
 * per-queue state and stopping flag, and splitting them would pass that state around.
 */
import { EventEmitter } from 'node:events';
import {
  BrokerResponseError,
  ConnectionError,
  InvalidArgumentError,
  NotFoundError,
  RocketMQError,
} from '../errors.js';
import { compareMessageQueue, type MessageQueue } from '../protocol/admin.js';
import {
  buildSubscription,
  type ConsumeFromWhere,
  type ConsumerData,
  type ExpressionType,
  type MessageModel,
  type SubscriptionData,
  tagMatches,
} from '../protocol/heartbeat.js';
import {
  CONSUMER_SEND_BACK_ACCEPT,
  consumerSendBackHeader,
  DELAY_LEVEL_DLQ,
} from '../protocol/consumer-send-back.js';
import { decodeMessages, inflateBody, type MessageExt, Prop } from '../protocol/message.js';
import { PULL_ACCEPT, pullMessageHeader, readPullResponse } from '../protocol/pull-message.js';
import { decodeResetOffsetBody } from '../protocol/reset-offset.js';
import { RequestCode, ResponseCode } from '../remoting/codes.js';
import type { MQClient } from './mq-client.js';
import { type LocalOffsetStore, mqKey, RemoteOffsetStore } from './offset-store.js';
import { MASTER_ID, type PulledFrom, PullTargets } from './pull-target.js';
import { QueueLocks } from './queue-locks.js';
import { allocateAveragely, groupMembers, readableQueues } from './rebalance.js';
import { serveConsumeDirectly } from './consume-directly.js';
import { committableOnceOut, type Pending, settle } from './settle.js';
import { type StartFrom, startOffset } from './start-offset.js';
import { ConsumeMeter, serveRunningInfo } from './running-info.js';

export type { StartFrom } from './start-offset.js';

export interface ConsumerOptions {
  group: string;
  topic: string;
  expression?: string;
  expressionType?: ExpressionType;
  model?: MessageModel;
  /** Where a queue without a committed offset starts. */
  from?: StartFrom;
  /** Start every queue at this time, whatever was committed (moves the group deliberately). */
  resetToMs?: number | undefined;
  orderly?: boolean;
  /** Deliveries before a nacked message goes to the DLQ. */
  maxReconsumeTimes?: number;
  /** Delay level of a send-back (0: the broker's 3 + reconsumeTimes schedule). */
  retryDelayLevel?: number;
  pullBatchSize?: number;
  /** Long-poll suspend time. */
  pullSuspendMs?: number;
  rebalanceIntervalMs?: number;
  commitIntervalMs?: number;
  /** Stop delivering after this many messages. */
  maxMessages?: number;
  /** Required for broadcasting. */
  localOffsets?: LocalOffsetStore;
  /** Largest inflated body; a larger one is delivered as stored, with bodyError (see inflateBody). */
  maxBodyBytes?: number | undefined;
}

export interface Delivery {
  message: MessageExt;
  /** The topic the message was sent to (retry messages carry it in RETRY_TOPIC). */
  topic: string;
  brokerName: string;
  /** 1 for the first delivery of this message to this process. */
  attempt: number;
}

export interface HandlerResult {
  status: 'ack' | 'nack';
  /** Resolves true once the message is safely out (commit allowed), false if it never will be. */
  durable?: Promise<boolean>;
}

export type Handler = (d: Delivery) => Promise<HandlerResult> | HandlerResult;

interface QueueState {
  mq: MessageQueue;
  /** Where the group's offsets of the queue live (the master, or a slave while it is down). */
  address: string;
  /** Where `committed` was committed: a commit goes again when the offsets move to another broker. */
  committedAt?: string | undefined;
  retry: boolean;
  nextPullOffset: number;
  committable: number;
  committed: number;
  pending: Pending[];
  dropped: boolean;
  caughtUp: boolean;
  locked: boolean;
  loop?: Promise<void>;
  /** Set while a pulled batch is being handled. */
  handling?: Promise<void> | undefined;
  poisoned: boolean;
  /** Set by a broker's reset (RESET_CONSUMER_CLIENT_OFFSET) until the pull loop has moved there. */
  resetTo?: number | undefined;
}

/** A slave does not hold a pull: a reader caught up on one waits this long before the next. */
const SLAVE_IDLE_MS = 500;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref?.());

export const retryTopic = (group: string): string => `%RETRY%${group}`;
export const dlqTopic = (group: string): string => `%DLQ%${group}`;

export class PushConsumer extends EventEmitter {
  readonly group: string;
  readonly topic: string;
  readonly model: MessageModel;
  private readonly subscription: SubscriptionData;
  private readonly retrySubscription: SubscriptionData;
  private readonly opts: Required<
    Pick<
      ConsumerOptions,
      | 'maxReconsumeTimes'
      | 'retryDelayLevel'
      | 'pullBatchSize'
      | 'pullSuspendMs'
      | 'rebalanceIntervalMs'
      | 'commitIntervalMs'
    >
  > &
    ConsumerOptions;
  private readonly queues = new Map<string, QueueState>();
  private readonly remoteOffsets: RemoteOffsetStore;
  private readonly locks: QueueLocks;
  private readonly targets: PullTargets;
  private handler: Handler | undefined;
  private stopping = false;
  private commitChain: Promise<void> = Promise.resolve();
  private delivered = 0;
  private timers: NodeJS.Timeout[] = [];
  private rebalanceChain: Promise<void> = Promise.resolve();
  private rebalanceQueued = false;
  private lastFailoverRebalance = 0;
  private startedAt = 0;
  /** Long polls are skipped while waiting to be caught up: the caller wants to stop at the end. */
  private noSuspend = false;
  private firstRebalanceDone = false;
  private halted: Promise<void> | undefined;
  private readonly meter = new ConsumeMeter();
  /** Withdraws the answers to running-info and direct-consume requests. */
  private stopServing: (() => void)[] = [];

  constructor(
    readonly client: MQClient,
    options: ConsumerOptions,
  ) {
    super();
    this.opts = {
      maxReconsumeTimes: 16,
      retryDelayLevel: 0,
      pullBatchSize: 32,
      pullSuspendMs: 15_000,
      rebalanceIntervalMs: 20_000,
      commitIntervalMs: 1000,
      ...options,
    };
    this.group = options.group;
    this.topic = options.topic;
    this.model = options.model ?? 'CLUSTERING';
    if (this.model === 'BROADCASTING' && !options.localOffsets) {
      throw new InvalidArgumentError('a broadcasting consumer needs a local offset store');
    }
    this.subscription = buildSubscription(
      options.topic,
      options.expression ?? '*',
      options.expressionType ?? 'TAG',
    );
    this.retrySubscription = buildSubscription(retryTopic(options.group), '*', 'TAG');
    this.remoteOffsets = new RemoteOffsetStore(client, this.group);
    this.locks = new QueueLocks(client, this.group, (err) => this.emit('warning', err));
    this.targets = new PullTargets(client, (change) => this.emit('pull-target', change));
  }

  get deliveredCount(): number {
    return this.delivered;
  }

  /** Assigned queues (not retry queues), for display. */
  assignedQueues(): MessageQueue[] {
    return [...this.queues.values()]
      .filter((q) => !q.retry && !q.dropped)
      .map((q) => q.mq)
      .sort(compareMessageQueue);
  }

  private consumerData(): ConsumerData {
    const fromWhere: ConsumeFromWhere =
      this.opts.from?.kind === 'first'
        ? 'CONSUME_FROM_FIRST_OFFSET'
        : this.opts.from?.kind === 'timestamp'
          ? 'CONSUME_FROM_TIMESTAMP'
          : 'CONSUME_FROM_LAST_OFFSET';
    const subs = [this.subscription];
    if (this.model === 'CLUSTERING') subs.push(this.retrySubscription);
    return {
      groupName: this.group,
      consumeType: 'CONSUME_PASSIVELY',
      messageModel: this.model,
      consumeFromWhere: fromWhere,
      subscriptionDataSet: subs,
      unitMode: false,
    };
  }

  /** Starts consuming; resolves once the first rebalance has assigned queues. */
  async start(handler: Handler): Promise<void> {
    this.handler = handler;
    this.startedAt = Date.now();
    await this.client.route(this.topic);
    this.client.registerConsumer(this.group, () => this.consumerData());
    this.stopServing.push(
      serveRunningInfo(this.client, this.group, this.meter, () => ({
        messageModel: this.model,
        orderly: this.opts.orderly === true,
        startedAt: this.startedAt,
        subscriptions:
          this.model === 'CLUSTERING' ? [this.subscription, this.retrySubscription] : [this.subscription],
        queues: this.queues.values(),
      })),
      // A direct delivery (rmq message resend, the dashboard): the handler once, nothing committed.
      serveConsumeDirectly(
        this.client,
        this.group,
        async (message, brokerName) => {
          if (this.stopping) throw new Error('the consumer is stopping');
          const topic = message.properties[Prop.RETRY_TOPIC] ?? message.topic;
          return { status: (await handler({ message, topic, brokerName, attempt: 1 })).status };
        },
        { maxBodyBytes: this.opts.maxBodyBytes },
      ),
    );
    this.client.remoting.onRequest(RequestCode.NOTIFY_CONSUMER_IDS_CHANGED, (req) => {
      if (req.extFields.consumerGroup === this.group) void this.requestRebalance();
      return undefined;
    });
    this.client.remoting.onRequest(RequestCode.RESET_CONSUMER_CLIENT_OFFSET, (req) => {
      if (req.extFields.group === this.group) this.resetFromBroker(req.body);
      return undefined;
    });
    this.client.start();
    const targets = this.client.heartbeatTargets();
    const failed = await this.client.heartbeat(targets);
    if (failed.length > 0 && failed.length === targets.length) {
      // A broker that answered and refused (e.g. ACL) says more than "could not register".
      const refusal = failed.find((f) => f.error instanceof BrokerResponseError)?.error;
      if (refusal) throw refusal;
      const where = failed.map((f) => f.address).join(', ');
      // Why, in the broker's words or the socket's (each names its address): "refused" and
      // "timed out" call for different fixes.
      const why = [...new Set(failed.map((f) => (f.error as Error)?.message ?? String(f.error)))].join('; ');
      throw new ConnectionError(where, `could not register with any broker: ${why}`, {
        cause: failed[0]!.error,
      });
    }
    await this.enqueueRebalance(true);
    this.firstRebalanceDone = true;
    const rb = setInterval(() => void this.requestRebalance(), this.opts.rebalanceIntervalMs);
    const cm = setInterval(
      () => void this.commitAll().catch((e) => this.emit('warning', e)),
      this.opts.commitIntervalMs,
    );
    rb.unref();
    cm.unref();
    this.timers.push(rb, cm);
    if (this.opts.orderly && this.model === 'CLUSTERING') {
      const lk = setInterval(() => void this.lockAll().catch(() => {}), 20_000);
      lk.unref();
      this.timers.push(lk);
    }
  }

  /** Pull without long-polling from now on, so a caught-up queue is noticed at once. */
  disableLongPolling(): void {
    this.noSuspend = true;
  }

  /** True when every assigned (non-retry) queue has been read to its end and handled. */
  isCaughtUp(): boolean {
    if (!this.firstRebalanceDone) return false;
    for (const q of this.queues.values()) {
      if (q.retry || q.dropped) continue;
      if (!q.caughtUp || q.pending.some((p) => p.state === 'handling')) return false;
    }
    return true;
  }

  /** A rebalance after a pull failed to connect: one a second at most, for every queue's loop. */
  private rebalanceSoon(): void {
    const now = Date.now();
    if (now - this.lastFailoverRebalance < 1000) return;
    this.lastFailoverRebalance = now;
    void this.requestRebalance();
  }

  /** Queues a rebalance; rebalances run one at a time and requests made meanwhile coalesce. */
  requestRebalance(): Promise<void> {
    return this.enqueueRebalance(false);
  }

  private enqueueRebalance(propagate: boolean): Promise<void> {
    if (this.stopping || (this.rebalanceQueued && !propagate)) return this.rebalanceChain;
    this.rebalanceQueued = true;
    const run = this.rebalanceChain.then(async () => {
      this.rebalanceQueued = false;
      await this.rebalance();
    });
    this.rebalanceChain = run.catch((err: unknown) => {
      this.emit('warning', err);
    });
    return propagate ? run : this.rebalanceChain;
  }

  /**
   * A broker without server-side reset (4.9; 5.0/5.1 by default) moves a running group by sending
   * each client the new offsets (oneway). Each listed queue of ours moves there: the batch being
   * handled stops, a poll in flight is discarded when it returns, and the new offset is committed
   * at once, as the Java client does. A body that does not decode is ignored (oneway: no answer).
   */
  private resetFromBroker(body: Buffer | undefined): void {
    let offsets: { mq: MessageQueue; offset: number }[];
    try {
      offsets = decodeResetOffsetBody(body);
    } catch (err) {
      this.emit('warning', err);
      return;
    }
    const moved: QueueState[] = [];
    for (const { mq, offset } of offsets) {
      const q = this.queues.get(mqKey(mq));
      if (!q || q.retry || q.dropped || offset < 0) continue;
      q.resetTo = offset;
      this.moveTo(q, offset);
      moved.push(q);
    }
    if (moved.length > 0) {
      this.emit(
        'reset',
        moved.map((q) => ({ mq: q.mq, offset: q.committable })),
      );
      void this.commit(moved).catch((e: unknown) => this.emit('warning', e));
    }
  }

  /**
   * Starts the queue over at `offset`: what was pulled before it is forgotten, nothing settles
   * past it, and the offset is committed at the next tick even when it is behind the last commit
   * (committed only rises, so it is forgotten too).
   */
  private moveTo(q: QueueState, offset: number): void {
    q.pending = [];
    q.poisoned = false;
    q.committable = offset;
    q.committed = -1;
    q.nextPullOffset = offset;
  }

  private async rebalance(): Promise<void> {
    if (this.stopping) return;
    const wanted: { mq: MessageQueue; address: string; retry: boolean }[] = [];
    /** topic + "\n" + brokerName of groups electing a master: their queues stay as they are. */
    const electing = new Set<string>();
    const topics: [string, boolean][] = [[this.topic, false]];
    if (this.model === 'CLUSTERING') topics.push([retryTopic(this.group), true]);
    for (const [topic, retry] of topics) {
      let all: { mq: MessageQueue; address: string }[];
      try {
        const readable = await readableQueues(this.client, topic);
        all = readable.queues;
        for (const b of readable.masterless) electing.add(`${topic}\n${b}`);
      } catch (err) {
        if (retry && err instanceof NotFoundError) continue; // no retry topic until the first nack
        throw err;
      }
      if (this.model === 'BROADCASTING') {
        for (const a of all) wanted.push({ ...a, retry });
        continue;
      }
      const cids = await groupMembers(this.client, this.group, [...new Set(all.map((a) => a.address))]);
      const mine = allocateAveragely(all, cids, this.client.clientId);
      for (const a of mine) wanted.push({ ...a, retry });
    }
    const wantedKeys = new Set(wanted.map((w) => mqKey(w.mq)));
    const removed: QueueState[] = [];
    for (const [key, q] of this.queues) {
      if (!wantedKeys.has(key) && !electing.has(`${q.mq.topic}\n${q.mq.brokerName}`)) {
        q.dropped = true;
        this.queues.delete(key);
        removed.push(q);
      }
    }
    if (removed.length > 0) {
      // Wait for handlers in progress, not for the loop: a loop may sit in a 15 s long poll, and
      // the queue's new owner must not wait for that. The poll's late reply is discarded.
      await Promise.all(removed.map((q) => q.handling));
      await this.commit(removed);
      if (this.opts.orderly) await this.locks.unlock(removed);
    }
    const added: QueueState[] = [];
    for (const w of wanted) {
      const key = mqKey(w.mq);
      const held = this.queues.get(key);
      if (held) {
        // A new master of the group (after a failover), or the master back after its slave served
        // the queue, has the same queue: the loop pulls, commits and locks there from now on.
        if (held.address !== w.address) {
          held.address = w.address;
          if (this.opts.orderly && this.model === 'CLUSTERING') held.locked = false;
        }
        continue;
      }
      const { offset: start, fromCommitted } = await startOffset(
        {
          client: this.client,
          model: this.model,
          remote: this.remoteOffsets,
          local: this.opts.localOffsets,
          from: this.opts.from,
          resetToMs: this.opts.resetToMs,
        },
        w.mq,
        w.address,
        w.retry,
      );
      const q: QueueState = {
        mq: w.mq,
        address: w.address,
        retry: w.retry,
        nextPullOffset: start,
        committable: start,
        // A position not read from the group's own offsets is committed at the next tick, so a
        // run that ends before any message is safely out still pins where the group starts:
        // the next run must not jump to "--from last".
        committed: fromCommitted ? start : -1,
        committedAt: fromCommitted ? w.address : undefined,
        pending: [],
        dropped: false,
        caughtUp: false,
        locked: !this.opts.orderly || this.model === 'BROADCASTING',
        poisoned: false,
      };
      this.queues.set(key, q);
      added.push(q);
    }
    if (this.opts.orderly && this.model === 'CLUSTERING') await this.locks.lock(added);
    for (const q of added) q.loop = this.run(q);
    if (removed.length > 0 || added.length > 0) {
      this.emit('rebalance', {
        assigned: this.assignedQueues(),
        added: added.length,
        removed: removed.length,
      });
    }
  }

  private pullExt(q: QueueState): Record<string, string> {
    const sub = q.retry ? this.retrySubscription : this.subscription;
    return pullMessageHeader({
      consumerGroup: this.group,
      topic: q.mq.topic,
      queueId: q.mq.queueId,
      queueOffset: q.nextPullOffset,
      maxMsgNums: this.opts.pullBatchSize,
      suspendMs: this.noSuspend ? undefined : this.opts.pullSuspendMs,
      subscription: sub.subString,
      subVersion: sub.subVersion,
      expressionType: sub.expressionType,
      brokerName: q.mq.brokerName,
    });
  }

  /** The per-queue loop: pull a batch, handle it, repeat (the next pull waits for the handler). */
  private async run(q: QueueState): Promise<void> {
    let backoff = 100;
    while (!q.dropped && !this.stopping) {
      if (!q.locked) {
        // Another client may still hold the queue after a rebalance; its lock lapses or is released.
        await this.locks.lock([q]);
        if (!q.locked) await sleep(1000);
        continue;
      }
      let res: Awaited<ReturnType<MQClient['remoting']['call']>>;
      const suspended = !this.noSuspend;
      const node = this.targets.pullFrom(q.mq, q.address);
      try {
        res = await this.client.remoting.call(node.address, RequestCode.PULL_MESSAGE, this.pullExt(q), {
          timeoutMs: (suspended ? this.opts.pullSuspendMs : 0) + this.client.timeoutMs,
          accept: PULL_ACCEPT,
        });
        backoff = 100;
      } catch (err) {
        if (q.dropped || this.stopping) return;
        if (err instanceof BrokerResponseError && !err.retriable) {
          // e.g. SQL92 on a broker without enablePropertyFilter: nothing will change by retrying.
          this.emit('fatal', err);
          return;
        }
        this.emit('warning', err);
        // The broker may be gone for good, its group's new master elsewhere, or its slave in the
        // route already: read the route again soon rather than at the next periodic rebalance.
        if (err instanceof ConnectionError) {
          this.client.refreshRouteSoon(q.mq.topic);
          this.rebalanceSoon();
        }
        await sleep(backoff);
        // A refused connect costs nothing, so an unreachable broker is retried every second: a
        // restarted broker is read again within 1 s, not after a 5 s backoff outlived the outage.
        backoff = Math.min(backoff * 2, err instanceof ConnectionError ? 1000 : 5000);
        continue;
      }
      if (q.dropped || this.stopping) return;
      if (q.resetTo !== undefined) {
        // Moved while this poll was out: its messages are from the old position.
        this.moveTo(q, q.resetTo);
        q.resetTo = undefined;
        continue;
      }
      const header = readPullResponse(res);
      const next = header.nextBeginOffset ?? q.nextPullOffset;
      const max = header.maxOffset ?? 0;
      // Inflated one by one at delivery (handleBatch), so a batch of 32 holds one inflated body.
      const msgs = res.code === ResponseCode.SUCCESS ? decodeMessages(res.body, { inflate: false }) : [];
      this.targets.answered(q.mq, node, header.suggestWhichBrokerId, msgs.length);
      if (res.code === ResponseCode.SUCCESS) {
        q.nextPullOffset = next;
        q.handling = this.handleBatch(q, msgs, next);
        await q.handling;
        q.handling = undefined;
        if (q.resetTo !== undefined) {
          this.moveTo(q, q.resetTo);
          q.resetTo = undefined;
          continue;
        }
        q.caughtUp = next >= max;
      } else if (res.code === ResponseCode.PULL_NOT_FOUND) {
        q.caughtUp = true;
        if (!suspended) await sleep(200);
      } else if (res.code === ResponseCode.PULL_OFFSET_MOVED) {
        // The broker moved the queue (a server-side reset of the group, or the offset left the
        // queue's range): start over there and commit it, backwards too, as the Java client does.
        this.moveTo(q, next);
        q.caughtUp = false;
      } else {
        // PULL_RETRY_IMMEDIATELY: everything scanned was filtered out, or a slave has nothing
        // new and sends readers to the master instead of holding the pull.
        this.advance(q, next);
        q.nextPullOffset = next;
        q.caughtUp = next >= max;
        if (q.caughtUp && node.brokerId !== MASTER_ID) await sleep(SLAVE_IDLE_MS);
      }
      if (this.isCaughtUp()) this.emit('caught-up');
    }
  }

  private advance(q: QueueState, next: number): void {
    q.pending.push({ next, state: 'ok' });
    settle(q);
  }

  private async handleBatch(q: QueueState, msgs: MessageExt[], next: number): Promise<void> {
    const sub = q.retry ? this.retrySubscription : this.subscription;
    for (const m of msgs) {
      if (q.dropped || this.stopping || q.resetTo !== undefined) return;
      if (!tagMatches(sub, m.properties[Prop.TAGS])) {
        this.advance(q, m.queueOffset + 1);
        continue;
      }
      if (this.opts.maxMessages !== undefined && this.delivered >= this.opts.maxMessages) {
        this.stopping = true;
        this.emit('limit');
        return;
      }
      this.delivered++;
      const entry: Pending = { next: m.queueOffset + 1, state: 'handling' };
      q.pending.push(entry);
      await this.deliver(q, inflateBody(m, this.opts.maxBodyBytes), entry);
      if (this.opts.maxMessages !== undefined && this.delivered >= this.opts.maxMessages) {
        // The last wanted message is out: stop now rather than at the next arrival.
        this.stopping = true;
        this.emit('limit');
        return;
      }
    }
    this.advance(q, next);
  }

  private async deliver(q: QueueState, m: MessageExt, entry: Pending): Promise<void> {
    const topic = m.properties[Prop.RETRY_TOPIC] ?? m.topic;
    let attempt = 1;
    for (;;) {
      let result: HandlerResult;
      const t0 = Date.now();
      try {
        result = await this.handler!({ message: m, topic, brokerName: q.mq.brokerName, attempt });
        this.meter.record(q.mq, q.mq.topic, Date.now() - t0, result.status === 'ack');
      } catch (err) {
        entry.state = 'lost';
        settle(q);
        this.emit('fatal', err);
        this.stopping = true;
        return;
      }
      if (result.status === 'nack') {
        if (this.model === 'BROADCASTING') break; // Java drops failed broadcast messages too
        if (this.opts.orderly && m.reconsumeTimes + attempt <= this.opts.maxReconsumeTimes) {
          // Orderly consumption retries in place: later messages of the queue must wait.
          attempt++;
          await sleep(1000);
          if (q.dropped || this.stopping) return;
          continue;
        }
        try {
          await this.sendBack(q, m, this.opts.orderly ? m.reconsumeTimes + attempt : m.reconsumeTimes);
        } catch (err) {
          entry.state = 'lost';
          settle(q);
          this.emit('warning', err);
          return;
        }
      }
      if (result.durable) {
        entry.state = 'unsettled';
        // Not awaited: a pipe releases a message only after more output follows it.
        void result.durable.then((ok) => {
          entry.state = ok ? 'ok' : 'lost';
          settle(q);
        });
      } else {
        entry.state = 'ok';
        settle(q);
      }
      return;
    }
    entry.state = 'ok';
    settle(q);
  }

  /** CONSUMER_SEND_MSG_BACK: the broker stores the message in %RETRY%group, or the DLQ at the limit. */
  private async sendBack(q: QueueState, m: MessageExt, reconsumeTimes: number): Promise<void> {
    const toDlq = reconsumeTimes >= this.opts.maxReconsumeTimes;
    await this.client.remoting.call(
      q.address,
      RequestCode.CONSUMER_SEND_MSG_BACK,
      consumerSendBackHeader({
        commitLogOffset: m.commitLogOffset,
        group: this.group,
        delayLevel: toDlq ? DELAY_LEVEL_DLQ : this.opts.retryDelayLevel,
        originMsgId: m.msgId,
        originTopic: m.properties[Prop.RETRY_TOPIC] ?? m.topic,
        maxReconsumeTimes: this.opts.maxReconsumeTimes,
        brokerName: q.mq.brokerName,
      }),
      { accept: CONSUMER_SEND_BACK_ACCEPT },
    );
  }

  private lockAll(): Promise<void> {
    return this.locks.lock([...this.queues.values()]);
  }

  /**
   * One commit at a time. The broker applies UPDATE_CONSUMER_OFFSET on a thread pool, so two in
   * flight for one queue may land in either order: the start position pinned by the timer could
   * overwrite the final offset sent at stop. (A queue read to 10 and left at 0 on 4.9 was the
   * broker's offset-map race instead: see commitNow.)
   */
  private commit(qs: QueueState[]): Promise<void> {
    const run = this.commitChain.then(() => this.commitNow(qs));
    this.commitChain = run.catch(() => {});
    return run;
  }

  private async commitNow(qs: QueueState[]): Promise<void> {
    if (this.model === 'CLUSTERING') {
      await this.remoteOffsets.commit(qs, (mq) => this.targets.offsetsAt(mq));
      return;
    }
    const changed = qs.filter((q) => q.committable !== q.committed);
    if (changed.length === 0) return;
    await this.opts.localOffsets!.write(new Map(changed.map((q) => [mqKey(q.mq), q.committable])));
    for (const q of changed) q.committed = q.committable;
  }

  /** Commits every queue's committable offset now. */
  commitAll(): Promise<void> {
    return this.commit([...this.queues.values()]);
  }

  /**
   * Per-queue offsets, for reporting. committableOnceOut: where committable gets to when every
   * handled message still waiting on its `durable` resolves true (a caller that writes them out
   * at the end reports it before the final commit). pulledFrom and suggestedBrokerId: which
   * brokers of the queue's group answered its pulls, and where the last answer sent the next.
   */
  offsets(): {
    mq: MessageQueue;
    committed: number;
    committable: number;
    committableOnceOut: number;
    pulledFrom: PulledFrom[];
    suggestedBrokerId: number | undefined;
  }[] {
    return [...this.queues.values()]
      .map((q) => ({
        mq: q.mq,
        committed: q.committed,
        committable: q.committable,
        committableOnceOut: committableOnceOut(q),
        pulledFrom: this.targets.pulledFrom(q.mq),
        suggestedBrokerId: this.targets.suggestion(q.mq),
      }))
      .sort((a, b) => compareMessageQueue(a.mq, b.mq));
  }

  /** Stops delivering and waits for handlers in progress; nothing is committed yet. */
  async halt(): Promise<void> {
    if (this.halted) return this.halted;
    this.stopping = true;
    for (const t of this.timers.splice(0)) clearInterval(t);
    this.halted = (async () => {
      await this.rebalanceChain;
      // Handlers in progress finish; loops blocked in a long poll are not waited for (their late
      // replies are ignored, and the connection is closed at shutdown).
      await Promise.race([Promise.all([...this.queues.values()].map((q) => q.handling)), sleep(5000)]);
    })();
    return this.halted;
  }

  /**
   * Stops delivering, waits for in-flight handlers, commits what was handled, unlocks and
   * unregisters so the rest of the group rebalances at once.
   */
  async stop(): Promise<void> {
    await this.halt();
    const qs = [...this.queues.values()];
    let commitErr: unknown;
    try {
      await this.commit(qs);
    } catch (err) {
      commitErr = err;
    }
    if (this.opts.orderly && this.model === 'CLUSTERING') await this.locks.unlock(qs);
    this.client.unregisterConsumer(this.group);
    for (const withdraw of this.stopServing.splice(0)) withdraw();
    if (commitErr) {
      throw commitErr instanceof RocketMQError
        ? commitErr
        : new RocketMQError('broker', `could not commit offsets: ${(commitErr as Error).message}`);
    }
  }

  /** Milliseconds since start(). */
  get uptimeMs(): number {
    return Date.now() - this.startedAt;
  }
}
