/**
 * The bench agents' bus on the cluster itself: per pool, a control topic the coordinator writes
 * and every agent reads, and a results topic the agents write and the coordinator reads, one
 * queue per broker each, apart from any benchmark topic. Readers are broadcasting consumers (one
 * group per side and pool, offsets kept in memory, starting at the newest message), so every
 * agent sees every command, nothing is committed on the broker, and a reader that comes back
 * reads only what is new.
 *
 * Sends are retried (a busy broker), and a message sent twice or read late is harmless: the
 * handlers are idempotent (codec.ts). Bodies read off the topics go through decodeBusMessage;
 * what it refuses is counted and passed to onRefused, never thrown at the reader.
 */
import { hostname } from 'node:os';
import { Admin } from '../../core/client/admin.js';
import { PushConsumer } from '../../core/client/consumer.js';
import { MQClient } from '../../core/client/mq-client.js';
import { Producer } from '../../core/client/producer.js';
import type { ClientSecurity } from '../../core/client/remoting-client.js';
import { NotFoundError, RocketMQError } from '../../core/errors.js';
import { systemClock } from '../clock.js';
import {
  type BusBody,
  type BusMessage,
  BUS_VERSION,
  decodeBusMessage,
  encodeBusMessage,
  MAX_BUS_BYTES,
} from './codec.js';

export interface BusNames {
  control: string;
  results: string;
  /** the agents' broadcasting group on the control topic */
  agentGroup: string;
  /** the coordinators' broadcasting group on the results topic */
  coordinatorGroup: string;
}

export function busNames(pool: string): BusNames {
  return {
    control: `rmq_bench_pool_${pool}_control`,
    results: `rmq_bench_pool_${pool}_results`,
    agentGroup: `rmq_bench_pool_${pool}_agents`,
    coordinatorGroup: `rmq_bench_pool_${pool}_coordinators`,
  };
}

export interface BusOptions {
  namesrv: string[];
  timeoutMs: number;
  security?: ClientSecurity | undefined;
  pool: string;
  /** agent: reads control, writes results; coordinator: the other way round */
  role: 'agent' | 'coordinator';
  /** the sender id stamped in every message */
  from: string;
  onMessage: (m: BusMessage) => void;
  /** a body that was refused (not a bus message of this pool), or a send that failed for good */
  onRefused?: (err: unknown) => void;
}

/** Creates the pool's two topics where missing (one queue per master); returns those it created. */
export async function ensureBusTopics(admin: Admin, pool: string): Promise<string[]> {
  const names = busNames(pool);
  const created: string[] = [];
  for (const topic of [names.control, names.results]) {
    try {
      await admin.namesrv.getTopicRoute(topic);
      continue;
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
    const { brokers } = await admin.createTopic(topic, {
      readQueues: 1,
      writeQueues: 1,
      perm: 6,
      order: false,
    });
    const route = await admin.waitForRoute(
      topic,
      brokers.map((b) => b.brokerName),
      15_000,
    );
    if (!route) throw new RocketMQError('timeout', `topic ${topic} was created but is not routed yet`);
    created.push(topic);
  }
  return created;
}

/** How many times a message is sent before it is given up (each send has its own retries). */
const SEND_ATTEMPTS = 5;

export class Bus {
  readonly names: BusNames;
  refused = 0;
  private readonly producerClient: MQClient;
  private readonly consumerClient: MQClient;
  private readonly producer: Producer;
  private readonly consumer: PushConsumer;
  private seq = 0;
  private closed = false;

  constructor(private readonly o: BusOptions) {
    this.names = busNames(o.pool);
    const instance = `rmqbus-${o.role}-${process.pid}-${Math.floor(Math.random() * 1e9).toString(36)}`;
    const client = (suffix: string) =>
      new MQClient({
        namesrv: o.namesrv,
        timeoutMs: o.timeoutMs,
        instanceName: `${instance}-${suffix}`,
        callSiteStacks: false,
        ...o.security,
      });
    this.producerClient = client('p');
    this.consumerClient = client('c');
    this.producer = new Producer(this.producerClient, {
      group: `rmq_bench_pool_${o.pool}_${o.role}_producer`,
      retries: 2,
    });
    const reads = o.role === 'agent' ? this.names.control : this.names.results;
    this.consumer = new PushConsumer(this.consumerClient, {
      group: o.role === 'agent' ? this.names.agentGroup : this.names.coordinatorGroup,
      topic: reads,
      model: 'BROADCASTING',
      from: { kind: 'last' },
      // In memory: a reader that comes back starts at the newest message, not at old commands.
      localOffsets: { read: () => Promise.resolve(undefined), write: () => Promise.resolve() },
      maxBodyBytes: MAX_BUS_BYTES,
      pullSuspendMs: 5000,
    });
    this.consumer.on('warning', (err: unknown) => this.o.onRefused?.(err));
  }

  async start(): Promise<void> {
    const topic = this.o.role === 'agent' ? 'control' : 'results';
    await this.consumer.start(({ message }) => {
      if (this.closed) return { status: 'ack' };
      let m: BusMessage;
      try {
        if (message.bodyError) throw new RocketMQError('protocol', `bus message: ${message.bodyError}`);
        m = decodeBusMessage(message.body, this.o.pool, topic);
      } catch (err) {
        this.refused++;
        this.o.onRefused?.(err);
        return { status: 'ack' };
      }
      try {
        this.o.onMessage(m);
      } catch (err) {
        this.o.onRefused?.(err);
      }
      return { status: 'ack' };
    });
    await this.producer.publishQueues(this.o.role === 'agent' ? this.names.results : this.names.control);
    this.producerClient.start();
  }

  /** Sends a message, retried up to SEND_ATTEMPTS times; false when it could not be sent. */
  async send(body: BusBody): Promise<boolean> {
    const m = {
      v: BUS_VERSION,
      pool: this.o.pool,
      from: this.o.from,
      seq: this.seq++,
      at: systemClock.nowUs(),
      ...body,
    } as BusMessage;
    const bytes = encodeBusMessage(m);
    const topic = this.o.role === 'agent' ? this.names.results : this.names.control;
    let last: unknown;
    for (let attempt = 0; attempt < SEND_ATTEMPTS && !this.closed; attempt++) {
      try {
        await this.producer.send({ topic, body: bytes, tags: body.kind });
        return true;
      } catch (err) {
        last = err;
        await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
      }
    }
    if (!this.closed) this.o.onRefused?.(last);
    return false;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([this.consumer.stop(), this.producerClient.shutdown()]);
    await this.consumerClient.shutdown().catch(() => {});
  }
}

export const defaultAgentId = (): string =>
  `${hostname()
    .replace(/[^A-Za-z0-9_.-]/g, '-')
    .slice(0, 48)}-${process.pid}`;
