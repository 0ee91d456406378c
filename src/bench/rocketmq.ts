/**
 * The engine's ports on the real client: one MQClient (so one connection per broker) per
 * producer and per consumer, as separate Java client instances would have. Consumers of one
 * group need distinct client ids to share the queues, which is what the instance names do.
 */
import { PushConsumer } from '../core/client/consumer.js';
import { PopConsumer } from '../core/client/pop-consumer.js';
import { MQClient } from '../core/client/mq-client.js';
import { Producer } from '../core/client/producer.js';
import type { OutgoingMessage } from '../core/client/outgoing-message.js';
import type { ClientSecurity } from '../core/client/remoting-client.js';
import type { BenchPorts, ConsumerPort, OutMessage, ProducerHooks, ProducerPort, TxAction } from './ports.js';
import { HEADER_PROPERTY } from './header.js';
import type { ConsumeMode, MessageType } from './result.js';

export interface RocketMQPortsOptions {
  namesrv: string[];
  timeoutMs: number;
  topic: string;
  producerGroup: string;
  groupNames: string[];
  /** Per group; absent: every group pulls. */
  consumeModes?: ConsumeMode[] | undefined;
  type: MessageType;
  runId: string;
  /** Consumers of a new group start at messages stored from this time (epoch ms). */
  consumeFromMs: number;
  /** Extra send attempts on failure (Java's default: 2). */
  retries?: number;
  pullBatchSize?: number;
  /** ACL credentials and TLS */
  security?: ClientSecurity | undefined;
  /**
   * Consumers per group across all worker threads, when this process holds only some of them:
   * then a consumer has settled once it holds its share of the queues.
   */
  groupConsumers?: number;
  onWarning?: (err: unknown) => void;
}

const ACK = { status: 'ack' } as const;

export const PULL_SUSPEND_MS = 1000;
/** How long after its consumers stopped a group can still be re-created by a held pull. */
export const HELD_PULL_MS = PULL_SUSPEND_MS + 5000 + 500;

class RocketMQProducerPort implements ProducerPort {
  private readonly client: MQClient;
  private readonly producer: Producer;

  constructor(
    private readonly o: RocketMQPortsOptions,
    index: number,
    private readonly hooks: ProducerHooks,
  ) {
    this.client = new MQClient({
      namesrv: o.namesrv,
      timeoutMs: o.timeoutMs,
      instanceName: `rmqbench-${o.runId}-p${index}`,
      callSiteStacks: false,
      ...o.security,
    });
    // No compression: the bytes on the wire should be the --size the user asked for.
    this.producer = new Producer(this.client, {
      group: o.producerGroup,
      compressThreshold: Number.POSITIVE_INFINITY,
      retries: o.retries ?? 2,
    });
  }

  async open(): Promise<void> {
    const queues = await this.producer.publishQueues(this.o.topic);
    await Promise.all(
      [...new Set(queues.map((q) => q.address))].map((a) => this.client.remoting.connection(a)),
    );
    if (this.o.type === 'transaction') {
      this.producer.onTransactionCheck((req) =>
        this.hooks.transactionDecision(req.message?.properties[HEADER_PROPERTY]),
      );
    }
    this.client.start();
    await this.client.heartbeat();
  }

  private out(m: OutMessage): OutgoingMessage {
    return {
      topic: this.o.topic,
      body: m.body,
      tags: m.tags,
      keys: m.keys,
      properties: { [HEADER_PROPERTY]: m.header },
      messageGroup: m.messageGroup,
      hashKey: m.hashKey,
      deliverAtMs: m.deliverAtMs,
    };
  }

  // The producer's promises are handed on as they are: a wrapper per message would cost a promise.
  send(m: OutMessage): Promise<unknown> {
    return this.producer.send(this.out(m));
  }

  sendCb(m: OutMessage, done: (err: unknown, brokerName?: string, status?: string) => void): void {
    this.producer.sendAck(this.out(m), done);
  }

  sendOneway(m: OutMessage): Promise<unknown> {
    return this.producer.sendOneway(this.out(m));
  }

  sendBatch(msgs: OutMessage[]): Promise<unknown> {
    return this.producer.sendBatch(msgs.map((m) => this.out(m)));
  }

  sendTransaction(m: OutMessage, action: TxAction): Promise<unknown> {
    return this.producer.sendTransaction(this.out(m), action);
  }

  close(): Promise<void> {
    return this.client.shutdown();
  }
}

class RocketMQConsumerPort implements ConsumerPort {
  readonly client: MQClient;
  readonly consumer: PushConsumer | PopConsumer;

  constructor(o: RocketMQPortsOptions, index: number, group: number) {
    this.client = new MQClient({
      namesrv: o.namesrv,
      timeoutMs: o.timeoutMs,
      instanceName: `rmqbench-${o.runId}-g${group}-c${index}`,
      callSiteStacks: false,
      ...o.security,
    });
    this.consumer =
      o.consumeModes?.[group] === 'pop'
        ? new PopConsumer(this.client, {
            group: o.groupNames[group]!,
            topic: o.topic,
            // The broker starts a new group at each queue's last message: bench's groups are new,
            // and the producers wait until every pop consumer has been answered once (settled).
            from: 'last',
            batchSize: o.pullBatchSize ?? 32,
            idleWaitMs: 20,
          })
        : new PushConsumer(this.client, {
            group: o.groupNames[group]!,
            topic: o.topic,
            from: { kind: 'timestamp', ms: o.consumeFromMs },
            orderly: o.type === 'fifo',
            pullBatchSize: o.pullBatchSize ?? 32,
            // Short long-polls: the broker answers a held pull (and re-creates a deleted group while
            // doing so) within this plus its 5 s hold check, which bounds the wait before cleanup.
            pullSuspendMs: PULL_SUSPEND_MS,
          });
    if (o.onWarning) {
      this.consumer.on('warning', o.onWarning);
      this.consumer.on('fatal', o.onWarning);
    }
  }

  async start(
    onMessage: (m: { header: string | undefined; bytes: number }) => void | Promise<void>,
  ): Promise<void> {
    await this.consumer.start(({ message }) => {
      const later = onMessage({ header: message.properties[HEADER_PROPERTY], bytes: message.body.length });
      return later ? later.then(() => ACK) : ACK;
    });
  }

  assigned(): number {
    return this.consumer.assignedQueues().length;
  }

  /** POP: every broker answered once; pull: undefined (judged by the queues it holds). */
  popSettled(): boolean | undefined {
    return this.consumer instanceof PopConsumer ? this.consumer.settled() : undefined;
  }

  async stop(): Promise<void> {
    try {
      await this.consumer.halt();
      await this.consumer.stop();
    } finally {
      await this.client.shutdown();
    }
  }
}

/**
 * Ports on the real client. `readQueues` is the topic's readable queue count: consumersSettled()
 * waits until each group's members hold that many queues between them (no queue twice), so the
 * first measured messages are not caught in a rebalance.
 */
export function rocketmqPorts(
  o: RocketMQPortsOptions,
  readQueues: number,
  settleTimeoutMs = 15_000,
): BenchPorts {
  const consumers: { group: number; port: RocketMQConsumerPort }[] = [];
  return {
    producer: (index, hooks) => new RocketMQProducerPort(o, index, hooks),
    consumer: (index, group) => {
      const port = new RocketMQConsumerPort(o, index, group);
      consumers.push({ group, port });
      return port;
    },
    async consumersSettled() {
      const deadline = Date.now() + settleTimeoutMs;
      const total = o.groupConsumers;
      // AllocateMessageQueueAveragely gives each member ⌊Q/C⌋ or ⌈Q/C⌉ queues.
      const fair = (n: number) =>
        total !== undefined && (n === Math.floor(readQueues / total) || n === Math.ceil(readQueues / total));
      const pop = (g: number) => o.consumeModes?.[g] === 'pop';
      for (;;) {
        const held = o.groupNames.map(() => 0);
        for (const c of consumers) held[c.group] = (held[c.group] ?? 0) + c.port.assigned();
        // POP groups hold no queues: the broker hands out messages; they are ready once answered.
        const popReady = consumers.every((c) => c.port.popSettled() !== false);
        if (
          popReady &&
          (total === undefined
            ? held.every((n, g) => pop(g) || n === readQueues)
            : consumers.every((c) => pop(c.group) || fair(c.port.assigned())))
        )
          return;
        if (Date.now() >= deadline) {
          o.onWarning?.(
            new Error(
              `consumer groups hold ${held.join('/')} of ${readQueues} queues after ${settleTimeoutMs} ms`,
            ),
          );
          return;
        }
        // Members learn of each other through the broker's notification; nudge them meanwhile.
        await Promise.all(
          consumers.map((c) =>
            c.port.consumer instanceof PushConsumer ? c.port.consumer.requestRebalance() : undefined,
          ),
        );
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}
