/**
 * POP consumer (RocketMQ 5.x): one long poll per broker that serves the topic; the broker picks
 * the queues and messages, so there is no client rebalance and any number of members share any
 * number of queues. A popped message stays invisible to other members for `invisibleTimeMs`.
 *
 * Nothing is lost: a message is acked only after the handler's `durable` promise resolved true
 * (for the CLI: the message was written out). A nack makes it visible again after a retry delay
 * (CHANGE_MESSAGE_INVISIBLETIME); a message that is never acked (the process died, the output
 * was lost) comes back by itself when its invisible time is up. The broker counts the attempts
 * and moves a message to the group's DLQ after its retryMaxTimes.
 *
 * Same surface as PushConsumer where `rmq consume` and `bench` use it: start(handler), halt(),
 * stop(), the 'limit' / 'caught-up' / 'fatal' / 'warning' / 'rebalance' events.
 */
import { EventEmitter } from 'node:events';
import { BrokerResponseError, ConnectionError, InvalidArgumentError } from '../errors.js';
import { ACK_MESSAGE_ACCEPT, ackMessageHeader } from '../protocol/ack-message.js';
import {
  CHANGE_INVISIBLE_TIME_ACCEPT,
  changeInvisibleTimeHeader,
} from '../protocol/change-invisible-time.js';
import { tagMatches, buildSubscription, type ExpressionType } from '../protocol/heartbeat.js';
import { decodeMessages, inflateBody, type MessageExt, Prop } from '../protocol/message.js';
import {
  buildExtraInfo,
  POP_ACCEPT,
  POP_MAX_MESSAGES,
  popMessageHeader,
  readPopResponse,
  retryFlag,
} from '../protocol/pop-message.js';
import { masterAddress } from '../protocol/route.js';
import { RequestCode, ResponseCode } from '../remoting/codes.js';
import { VERSION_5_0_0, VERSION_5_4_0 } from '../remoting/command.js';
import { parseFastjson } from '../remoting/fastjson.js';
import { decodeTopicConfig } from '../protocol/admin.js';
import { GET_TOPIC_CONFIG_ACCEPT, getTopicConfigHeader } from '../protocol/get-topic-config.js';
import type { Handler, HandlerResult } from './consumer.js';
import type { MQClient } from './mq-client.js';

export interface PopConsumerOptions {
  group: string;
  topic: string;
  expression?: string;
  expressionType?: ExpressionType;
  /** Where a group that has never consumed starts. */
  from?: 'first' | 'last';
  /** How long a popped message stays hidden from other members before it is delivered again. */
  invisibleTimeMs?: number;
  /** Messages per pop (≤ 32). */
  batchSize?: number;
  /**
   * How long the broker may hold a pop that finds nothing (default 0: it answers at once, and
   * the next pop follows after `idleWaitMs`). Against 5.3.3 a held pop (pollTime 1000) sometimes
   * went unanswered for over 15 s while messages kept arriving; an unheld one never did.
   */
  pollTimeMs?: number;
  /** Wait after a pop that found nothing, when the broker did not hold it. */
  idleWaitMs?: number;
  /**
   * Pops in flight per broker (default 4): one at a time leaves the broker idle while a batch is
   * handled and acked; Java's push consumer in POP mode keeps one per queue it is given. A
   * PRIORITY topic (5.4+) is popped one at a time regardless, so that its order holds.
   */
  concurrency?: number;
  /** Stop delivering after this many messages. */
  maxMessages?: number;
  maxBodyBytes?: number | undefined;
  /** Delay before a nacked message is delivered again (default: the broker's level schedule). */
  retryDelayMs?: number | undefined;
  /** How often the topic's brokers are looked up again (a broker added, one gone). */
  routeRefreshMs?: number;
}

/** Java's DefaultMQPushConsumer POP defaults: 60 s invisible, 32 a batch. */
export const DEFAULT_INVISIBLE_TIME_MS = 60_000;
/** The broker's delay levels from 3 on (10 s, 30 s, 1 m …), the schedule of a nack's retry. */
const RETRY_SCHEDULE_MS = [
  10e3, 30e3, 60e3, 120e3, 180e3, 240e3, 300e3, 360e3, 420e3, 480e3, 540e3, 600e3, 1200e3, 1800e3, 3600e3,
  7200e3,
];

interface BrokerLoop {
  brokerName: string;
  address: string;
  /** The batch being handed to the handler, if any (halt waits for it, not for a held poll). */
  delivering: Promise<void> | undefined;
  caughtUp: boolean;
  gone: boolean;
  /** A pop came back: the broker has set the group's offsets in the queues it looked at. */
  answered: boolean;
}

export class PopConsumer extends EventEmitter {
  readonly group: string;
  readonly topic: string;
  private readonly opts: Required<Omit<PopConsumerOptions, 'maxMessages' | 'maxBodyBytes' | 'retryDelayMs'>> &
    PopConsumerOptions;
  private readonly loops = new Map<string, BrokerLoop>();
  private handler: Handler | undefined;
  private stopping = false;
  private delivered = 0;
  private noSuspend = false;
  /** Acks and invisible-time changes on their way to the broker. */
  private readonly requests = new Set<Promise<unknown>>();
  /** Messages handled but not yet out (their `durable` pending); each acks once it is. */
  private readonly unsettled = new Set<Promise<unknown>>();
  private routeTimer: NodeJS.Timeout | undefined;
  private readonly subscription;
  /** Pops in flight per broker name, decided once a broker is first seen. */
  private readonly lanes = new Map<string, number>();

  constructor(
    private readonly client: MQClient,
    options: PopConsumerOptions,
  ) {
    super();
    this.group = options.group;
    this.topic = options.topic;
    this.opts = {
      expression: '*',
      expressionType: 'TAG',
      from: 'last',
      invisibleTimeMs: DEFAULT_INVISIBLE_TIME_MS,
      batchSize: POP_MAX_MESSAGES,
      pollTimeMs: 0,
      idleWaitMs: 100,
      concurrency: 4,
      routeRefreshMs: 30_000,
      ...options,
    };
    if (this.opts.batchSize < 1 || this.opts.batchSize > POP_MAX_MESSAGES) {
      throw new InvalidArgumentError(
        `a pop takes 1 to ${POP_MAX_MESSAGES} messages, not ${this.opts.batchSize}`,
      );
    }
    if (this.opts.invisibleTimeMs < 1000) {
      throw new InvalidArgumentError(
        `the invisible time must be at least 1 s, not ${this.opts.invisibleTimeMs} ms`,
      );
    }
    this.subscription = buildSubscription(this.topic, this.opts.expression, this.opts.expressionType);
  }

  /** Brokers being popped, as queues for callers that count them ("rebalance"). */
  assignedQueues(): { brokerName: string }[] {
    const names = new Set([...this.loops.values()].filter((l) => !l.gone).map((l) => l.brokerName));
    return [...names].map((brokerName) => ({ brokerName }));
  }

  /** POP keeps no client offsets. */
  offsets(): [] {
    return [];
  }

  /** Every broker has answered a pop: a group new to the topic now has its starting offsets. */
  settled(): boolean {
    const live = [...this.loops.values()].filter((l) => !l.gone);
    return live.length > 0 && live.every((l) => l.answered);
  }

  disableLongPolling(): void {
    this.noSuspend = true;
  }

  /** True when the last pop of every broker found nothing left and no handler is running. */
  isCaughtUp(): boolean {
    const live = [...this.loops.values()].filter((l) => !l.gone);
    return live.length > 0 && live.every((l) => l.caughtUp);
  }

  async start(handler: Handler): Promise<void> {
    this.handler = handler;
    await this.refreshBrokers(true);
    this.routeTimer = setInterval(
      () => void this.refreshBrokers(false).catch((e) => this.emit('warning', e)),
      this.opts.routeRefreshMs,
    );
    this.routeTimer.unref();
  }

  /**
   * Stops popping; handlers already running finish and the acks already due are sent. Messages
   * whose output is still pending are acked by stop(), once the caller has flushed it.
   */
  async halt(): Promise<void> {
    this.stopping = true;
    if (this.routeTimer) clearInterval(this.routeTimer);
    // A held poll is not waited for: what it brings after this is never delivered, and comes
    // back to the group when its invisible time is up.
    await Promise.allSettled([...this.loops.values()].map((l) => l.delivering));
    await settleAll(this.requests);
  }

  /** After halt() and the output's flush: the last acks go out. */
  async stop(): Promise<void> {
    await this.halt();
    await settleAll(this.unsettled);
    await settleAll(this.requests);
  }

  private async refreshBrokers(first: boolean): Promise<void> {
    const route = await this.client.route(this.topic, !first);
    const serving = new Map<string, string>();
    for (const q of route.queues) {
      if ((q.perm & 4) === 0 || q.readQueueNums === 0) continue;
      const b = route.brokers.find((x) => x.brokerName === q.brokerName);
      const address = b && masterAddress(b);
      if (address) serving.set(q.brokerName, address);
    }
    for (const [brokerName, address] of serving) {
      if (this.lanes.has(brokerName)) continue;
      const version = await this.brokerVersion(address);
      if (version < VERSION_5_0_0) {
        const err = new InvalidArgumentError(
          `POP consumption needs RocketMQ 5.0 or newer; broker ${address} runs 4.x`,
        );
        if (first) throw err;
        this.emit('warning', err);
        this.lanes.set(brokerName, 0);
        continue;
      }
      this.lanes.set(
        brokerName,
        version >= VERSION_5_4_0 && (await this.isPriorityTopic(address)) ? 1 : this.opts.concurrency,
      );
    }
    let changed = false;
    for (const [key, loop] of this.loops) {
      if (serving.get(loop.brokerName) !== loop.address) {
        loop.gone = true;
        this.loops.delete(key);
        changed = true;
      }
    }
    for (const [brokerName, address] of serving) {
      const lanes = this.lanes.get(brokerName) ?? 0;
      for (let i = 0; i < lanes; i++) {
        const key = `${brokerName}#${i}`;
        if (this.loops.has(key) || this.stopping) continue;
        const loop: BrokerLoop = {
          brokerName,
          address,
          caughtUp: false,
          gone: false,
          answered: false,
          delivering: undefined,
        };
        this.loops.set(key, loop);
        // A reply that fails to decode (a hostile broker) ends the consumer, as in PushConsumer.
        void this.run(loop).catch((err: unknown) => this.emit('fatal', err));
        changed = true;
      }
    }
    if (changed) this.emit('rebalance', { assigned: this.assignedQueues() });
  }

  /**
   * The broker's version, from its runtime info. A server without that request is no broker: a
   * RocketMQ 5.x proxy's remoting port (its routes name it as every queue's broker). POP cannot
   * go through one: 5.3.3's RemotingProtocolServer hands POP_MESSAGE to its pull handler, which
   * fails on the missing pull fields (SYSTEM_ERROR, "…PullMessageRequestHeader.getSysFlag() is
   * null"), and ACK_MESSAGE to a handler that never answers it.
   */
  private async brokerVersion(address: string): Promise<number> {
    try {
      return (await this.client.remoting.call(address, RequestCode.GET_BROKER_RUNTIME_INFO, {})).version;
    } catch (err) {
      if (
        err instanceof BrokerResponseError &&
        err.responseCode === ResponseCode.REQUEST_CODE_NOT_SUPPORTED
      ) {
        throw new InvalidArgumentError(
          `POP consumption cannot go through ${address}: it is no broker (it answers no runtime info, as a RocketMQ 5.x proxy's remoting port does), and a proxy's remoting port serves pull but not POP and its acks`,
          { reason: 'pop-through-proxy', cause: err, details: { address } },
        );
      }
      throw err;
    }
  }

  /**
   * A pop reads a PRIORITY topic's queues from the highest down, but skips a queue another pop
   * holds: pops in flight side by side would each take a level, and hand out low ones beside
   * high ones. One at a time keeps the order (a 5.5.0 backlog popped 4 at a time came out
   * levels 2, then 0, 1 and 3 interleaved).
   */
  private async isPriorityTopic(address: string): Promise<boolean> {
    const res = await this.client.remoting.call(
      address,
      RequestCode.GET_TOPIC_CONFIG,
      getTopicConfigHeader(this.topic),
      { accept: GET_TOPIC_CONFIG_ACCEPT },
    );
    if (res.code !== ResponseCode.SUCCESS || !res.body) return false;
    const { attributes } = decodeTopicConfig(parseFastjson(res.body));
    return (attributes['+message.type'] ?? attributes['message.type']) === 'PRIORITY';
  }

  private async run(loop: BrokerLoop): Promise<void> {
    let backoff = 100;
    while (!this.stopping && !loop.gone) {
      const pollTimeMs = this.noSuspend ? 0 : this.opts.pollTimeMs;
      let res;
      try {
        res = await this.client.remoting.call(
          loop.address,
          RequestCode.POP_MESSAGE,
          popMessageHeader({
            consumerGroup: this.group,
            topic: this.topic,
            brokerName: loop.brokerName,
            maxMsgNums: this.opts.batchSize,
            invisibleTimeMs: this.opts.invisibleTimeMs,
            pollTimeMs,
            initMode: this.opts.from,
            expressionType: this.subscription.expressionType,
            expression: this.subscription.subString,
          }),
          { timeoutMs: pollTimeMs + this.client.timeoutMs, accept: POP_ACCEPT },
        );
        backoff = 100;
      } catch (err) {
        if (this.stopping || loop.gone) return;
        if (err instanceof BrokerResponseError && !err.retriable) {
          this.emit('fatal', err);
          return;
        }
        this.emit('warning', err);
        await sleep(backoff);
        backoff = Math.min(backoff * 2, err instanceof ConnectionError ? 1000 : 5000);
        continue;
      }
      if (this.stopping || loop.gone) return;
      loop.answered = true;
      if (res.code !== ResponseCode.SUCCESS) {
        loop.caughtUp = true;
        if (this.isCaughtUp()) this.emit('caught-up');
        // A held poll that ended empty returns at once; an unheld one (or a full broker) waits.
        if (pollTimeMs === 0 || res.code === ResponseCode.POLLING_FULL) await sleep(this.opts.idleWaitMs);
        continue;
      }
      loop.caughtUp = false;
      const header = readPopResponse(res);
      const msgs = decodeMessages(res.body, { inflate: false });
      const seen = new Map<string, number>();
      // Each message's index among its queue's in this reply, for its ack handle.
      const handles = msgs.map((m) => {
        const key = `${retryFlag(m.topic)}@${m.queueId}`;
        const i = seen.get(key) ?? 0;
        seen.set(key, i + 1);
        return buildExtraInfo(header, m, loop.brokerName, i);
      });
      loop.delivering = (async () => {
        for (let i = 0; i < msgs.length; i++) {
          if (this.stopping) break;
          await this.deliver(loop, msgs[i]!, handles[i]!);
        }
      })();
      await loop.delivering;
      loop.delivering = undefined;
      loop.caughtUp = header.restNum === 0;
      if (this.isCaughtUp()) this.emit('caught-up');
    }
  }

  private async deliver(loop: BrokerLoop, raw: MessageExt, extraInfo: string): Promise<void> {
    if (!tagMatches(this.subscription, raw.properties[Prop.TAGS])) {
      // The broker filters by tag hash; a collision is acked so it does not come back.
      this.ack(loop, extraInfo);
      return;
    }
    if (this.opts.maxMessages !== undefined && this.delivered >= this.opts.maxMessages) {
      // Not handled: it reappears for another member when its invisible time is up.
      this.stopping = true;
      this.emit('limit');
      return;
    }
    this.delivered++;
    const m = inflateBody(raw, this.opts.maxBodyBytes);
    const topic = m.properties[Prop.RETRY_TOPIC] ?? this.topic;
    let result: HandlerResult;
    try {
      result = await this.handler!({ message: m, topic, brokerName: loop.brokerName, attempt: 1 });
    } catch (err) {
      this.stopping = true;
      this.emit('fatal', err);
      return;
    }
    if (result.status === 'nack') {
      const delay =
        this.opts.retryDelayMs ??
        RETRY_SCHEDULE_MS[Math.min(m.reconsumeTimes, RETRY_SCHEDULE_MS.length - 1)]!;
      this.track(
        this.client.remoting.call(
          loop.address,
          RequestCode.CHANGE_MESSAGE_INVISIBLETIME,
          changeInvisibleTimeHeader(this.group, this.topic, extraInfo, delay),
          { accept: CHANGE_INVISIBLE_TIME_ACCEPT },
        ),
      );
    } else if (result.durable) {
      // Not awaited: a pipe releases a message only after more output follows it.
      // One tracked promise from output to ack, so that halt() waits for the ack itself.
      // Not out: no ack, so the broker delivers it again when its invisible time is up.
      const settled = result.durable.then((ok) => {
        if (ok) this.ack(loop, extraInfo);
      });
      this.unsettled.add(settled);
      void settled.finally(() => this.unsettled.delete(settled));
    } else {
      this.ack(loop, extraInfo);
    }
    if (this.opts.maxMessages !== undefined && this.delivered >= this.opts.maxMessages) {
      this.stopping = true;
      this.emit('limit');
    }
  }

  private ack(loop: BrokerLoop, extraInfo: string): void {
    this.track(
      this.client.remoting.call(
        loop.address,
        RequestCode.ACK_MESSAGE,
        ackMessageHeader(this.group, this.topic, extraInfo),
        { accept: ACK_MESSAGE_ACCEPT },
      ),
    );
  }

  /** Keeps a request until it settles, so that halt() waits for it; a failure is a warning. */
  private track(p: Promise<unknown>): void {
    const t = p.catch((err: unknown) => this.emit('warning', err));
    this.requests.add(t);
    void t.finally(() => this.requests.delete(t));
  }
}

/** Waits until the set is empty, including what is added while it waits. */
async function settleAll(set: Set<Promise<unknown>>): Promise<void> {
  while (set.size > 0) await Promise.allSettled([...set]);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
