/**
 * Lite consumer (RocketMQ 5.5): consumes named lite topics of a LITE parent topic with a group
 * bound to that topic. It subscribes the lite topics on every broker of the parent
 * (LITE_SUBSCRIPTION_CTL, renewed before the broker's 3-minute expiry), then long-polls
 * POP_LITE_MESSAGE; the broker hands out messages of the lite topics that have some, in order
 * within each lite topic. A message is acked (ACK_MESSAGE with its lite topic) only once the
 * handler's `durable` resolved true; one never acked comes back after the invisible time.
 *
 * Same surface as PopConsumer where `rmq consume` uses it: start(handler), halt(), stop(), and
 * the 'limit' / 'caught-up' / 'fatal' / 'warning' / 'rebalance' events.
 */
import { EventEmitter } from 'node:events';
import { BrokerResponseError, ConnectionError, InvalidArgumentError } from '../errors.js';
import { decodeRuntimeInfo } from '../protocol/broker-runtime-info.js';
import { decodeLiteGroupInfo, getLiteGroupInfoHeader } from '../protocol/lite-info.js';
import {
  encodeLiteSubscriptionCtl,
  LITE_SUBSCRIPTION_CTL_ACCEPT,
  type LiteOffsetPolicy,
} from '../protocol/lite-subscription-ctl.js';
import { decodeMessages, inflateBody, type MessageExt } from '../protocol/message.js';
import {
  ackLiteHeader,
  LITE_ACK_ACCEPT,
  litePosition,
  POP_LITE_ACCEPT,
  popLiteMessageHeader,
  type PopLiteResponseHeader,
  readPopLiteResponse,
} from '../protocol/pop-lite-message.js';
import { POP_MAX_MESSAGES } from '../protocol/pop-message.js';
import { masterAddress } from '../protocol/route.js';
import { RequestCode, ResponseCode } from '../remoting/codes.js';
import { VERSION_5_5_0 } from '../remoting/command.js';
import type { Handler } from './consumer.js';
import type { MQClient } from './mq-client.js';

export interface LiteConsumerOptions {
  group: string;
  /** The LITE parent topic. */
  topic: string;
  liteTopics: readonly string[];
  /**
   * Where the group starts in a lite topic it has no offset in: first, its first message; last
   * (the default), new messages only. Committed offsets are kept either way. (Left to itself, a
   * 5.5.0 broker starts a new group at a lite topic's first message.)
   */
  from?: LiteOffsetPolicy | undefined;
  invisibleTimeMs?: number;
  batchSize?: number;
  /** How long the broker may hold a pop that finds nothing. */
  pollTimeMs?: number;
  maxMessages?: number | undefined;
  maxBodyBytes?: number | undefined;
  /** Subscriptions are sent again this often (the broker drops them after 3 minutes). */
  renewMs?: number;
}

interface BrokerLoop {
  brokerName: string;
  address: string;
  delivering: Promise<void> | undefined;
  caughtUp: boolean;
}

export class LiteConsumer extends EventEmitter {
  readonly group: string;
  readonly topic: string;
  private readonly opts: Required<Omit<LiteConsumerOptions, 'maxMessages' | 'maxBodyBytes' | 'from'>> &
    LiteConsumerOptions;
  private readonly loops: BrokerLoop[] = [];
  private handler: Handler | undefined;
  private stopping = false;
  private delivered = 0;
  private noSuspend = false;
  private readonly requests = new Set<Promise<unknown>>();
  private readonly unsettled = new Set<Promise<unknown>>();
  private renewTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: MQClient,
    options: LiteConsumerOptions,
  ) {
    super();
    this.group = options.group;
    this.topic = options.topic;
    this.opts = {
      invisibleTimeMs: 60_000,
      batchSize: POP_MAX_MESSAGES,
      pollTimeMs: 5_000,
      renewMs: 30_000,
      ...options,
    };
    if (this.opts.liteTopics.length === 0) throw new InvalidArgumentError('name at least one lite topic');
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
  }

  assignedQueues(): { brokerName: string }[] {
    return this.loops.map((l) => ({ brokerName: l.brokerName }));
  }

  /** No client offsets: the broker keeps the group's offset in each lite topic. */
  offsets(): [] {
    return [];
  }

  settled(): boolean {
    return this.loops.length > 0;
  }

  disableLongPolling(): void {
    this.noSuspend = true;
  }

  isCaughtUp(): boolean {
    return this.loops.length > 0 && this.loops.every((l) => l.caughtUp);
  }

  async start(handler: Handler): Promise<void> {
    this.handler = handler;
    const route = await this.client.route(this.topic, false);
    for (const q of route.queues) {
      if ((q.perm & 4) === 0) continue;
      const b = route.brokers.find((x) => x.brokerName === q.brokerName);
      const address = b && masterAddress(b);
      if (!address || this.loops.some((l) => l.brokerName === q.brokerName)) continue;
      const res = await this.client.remoting.call(address, RequestCode.GET_BROKER_RUNTIME_INFO, {});
      if (res.version < VERSION_5_5_0) {
        const desc = decodeRuntimeInfo(res.body).brokerVersionDesc ?? `version ${res.version}`;
        throw new InvalidArgumentError(
          `lite topics need RocketMQ 5.5 or newer; broker ${q.brokerName} runs ${desc}`,
        );
      }
      this.loops.push({ brokerName: q.brokerName, address, delivering: undefined, caughtUp: false });
    }
    // An offset policy moves the group whatever it has committed, so it goes only with the lite
    // topics the group has no offset in yet; renewals send none.
    await Promise.all(
      this.loops.map(async (l) => {
        const fresh = await this.withoutOffset(l);
        const kept = this.opts.liteTopics.filter((t) => !fresh.includes(t));
        if (fresh.length > 0) await this.subscribe(l, 'PARTIAL_ADD', this.opts.from ?? 'last', fresh);
        if (kept.length > 0) await this.subscribe(l, 'PARTIAL_ADD', undefined, kept);
      }),
    );
    this.emit('rebalance', { assigned: this.assignedQueues() });
    this.renewTimer = setInterval(() => {
      for (const l of this.loops) {
        this.track(this.subscribe(l, 'PARTIAL_ADD', undefined, this.opts.liteTopics));
      }
    }, this.opts.renewMs);
    this.renewTimer.unref();
    for (const l of this.loops) void this.run(l).catch((err: unknown) => this.emit('fatal', err));
  }

  async halt(): Promise<void> {
    this.stopping = true;
    if (this.renewTimer) clearInterval(this.renewTimer);
    await Promise.allSettled(this.loops.map((l) => l.delivering));
    await settleAll(this.requests);
  }

  /** After halt() and the output's flush: the last acks, then the subscriptions end. */
  async stop(): Promise<void> {
    await this.halt();
    await settleAll(this.unsettled);
    await settleAll(this.requests);
    await Promise.allSettled(
      this.loops.map((l) => this.subscribe(l, 'COMPLETE_REMOVE', undefined, this.opts.liteTopics)),
    );
  }

  private async subscribe(
    loop: BrokerLoop,
    action: 'PARTIAL_ADD' | 'COMPLETE_REMOVE',
    offset: LiteOffsetPolicy | undefined,
    liteTopics: readonly string[],
  ): Promise<void> {
    await this.client.remoting.call(
      loop.address,
      RequestCode.LITE_SUBSCRIPTION_CTL,
      {},
      {
        body: encodeLiteSubscriptionCtl([
          {
            action,
            clientId: this.client.clientId,
            group: this.group,
            topic: this.topic,
            liteTopics,
            offset,
          },
        ]),
        accept: LITE_SUBSCRIPTION_CTL_ACCEPT,
      },
    );
  }

  /** The lite topics in which the group has no committed offset on this broker. */
  private async withoutOffset(loop: BrokerLoop): Promise<string[]> {
    const out: string[] = [];
    for (const liteTopic of this.opts.liteTopics) {
      const res = await this.client.remoting.call(
        loop.address,
        RequestCode.GET_LITE_GROUP_INFO,
        getLiteGroupInfoHeader(this.group, liteTopic, 0),
      );
      if (decodeLiteGroupInfo(res.body).offsets === null) out.push(liteTopic);
    }
    return out;
  }

  private async run(loop: BrokerLoop): Promise<void> {
    let backoff = 100;
    while (!this.stopping) {
      const pollTimeMs = this.noSuspend ? 0 : this.opts.pollTimeMs;
      let res;
      try {
        res = await this.client.remoting.call(
          loop.address,
          RequestCode.POP_LITE_MESSAGE,
          popLiteMessageHeader({
            clientId: this.client.clientId,
            consumerGroup: this.group,
            topic: this.topic,
            maxMsgNum: this.opts.batchSize,
            invisibleTimeMs: this.opts.invisibleTimeMs,
            pollTimeMs,
          }),
          { timeoutMs: pollTimeMs + this.client.timeoutMs, accept: POP_LITE_ACCEPT },
        );
        backoff = 100;
      } catch (err) {
        if (this.stopping) return;
        if (err instanceof BrokerResponseError && !err.retriable) {
          this.emit('fatal', err);
          return;
        }
        this.emit('warning', err);
        await sleep(backoff);
        backoff = Math.min(backoff * 2, err instanceof ConnectionError ? 1000 : 5000);
        continue;
      }
      if (this.stopping) return;
      if (res.code !== ResponseCode.SUCCESS) {
        loop.caughtUp = true;
        if (this.isCaughtUp()) this.emit('caught-up');
        if (pollTimeMs === 0 || res.code === ResponseCode.POLLING_FULL) await sleep(100);
        continue;
      }
      loop.caughtUp = false;
      const header = readPopLiteResponse(res);
      const msgs = decodeMessages(res.body, { inflate: false });
      loop.delivering = (async () => {
        for (const m of msgs) {
          if (this.stopping) break;
          await this.deliver(loop, header, m);
        }
      })();
      await loop.delivering;
      loop.delivering = undefined;
    }
  }

  private async deliver(loop: BrokerLoop, header: PopLiteResponseHeader, raw: MessageExt): Promise<void> {
    const pos = litePosition(raw, this.topic);
    if (this.opts.maxMessages !== undefined && this.delivered >= this.opts.maxMessages) {
      this.stopping = true;
      this.emit('limit');
      return;
    }
    this.delivered++;
    const m = inflateBody(raw, this.opts.maxBodyBytes);
    const result = await (async () => {
      try {
        return await this.handler!({
          message: m,
          topic: this.topic,
          brokerName: loop.brokerName,
          attempt: 1,
        });
      } catch (err) {
        this.stopping = true;
        this.emit('fatal', err);
        return undefined;
      }
    })();
    if (!result) return;
    const ack = (): void =>
      this.track(
        this.client.remoting.call(
          loop.address,
          RequestCode.ACK_MESSAGE,
          ackLiteHeader(this.group, this.topic, loop.brokerName, header, pos),
          { accept: LITE_ACK_ACCEPT },
        ),
      );
    // A nack is not acked: the message comes back after the invisible time (the lite topic waits).
    if (result.status === 'ack') {
      if (result.durable) {
        const settled = result.durable.then((ok) => {
          if (ok) ack();
        });
        this.unsettled.add(settled);
        void settled.finally(() => this.unsettled.delete(settled));
      } else ack();
    }
    if (this.opts.maxMessages !== undefined && this.delivered >= this.opts.maxMessages) {
      this.stopping = true;
      this.emit('limit');
    }
  }

  private track(p: Promise<unknown>): void {
    const t = p.catch((err: unknown) => this.emit('warning', err));
    this.requests.add(t);
    void t.finally(() => this.requests.delete(t));
  }
}

async function settleAll(set: Set<Promise<unknown>>): Promise<void> {
  while (set.size > 0) await Promise.allSettled([...set]);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
