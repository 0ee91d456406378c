/**
 * Message-trace emission compatible with the Java client's AsyncTraceDispatcher: trace records
 * are queued in memory, batched (up to `batchSize` records per flush, grouped by the traced
 * message's topic) and sent in the background as messages to the trace topic, whose KEYS are
 * every record's msgId plus the traced messages' own keys — what `mqadmin queryMsgTraceById` and
 * the dashboard query by. Tracing never fails or slows the host: a full queue drops records and
 * failed trace sends are counted, not thrown.
 *
 * Hooking it up (what `send --trace`, `consume --trace` and `smoke` do), with the hooks of
 * trace-hooks.ts:
 *
 *   const tracer = new TraceDispatcher({ namesrv, timeoutMs, group: 'my-producer', role: 'PRODUCE' });
 *   const traced = tracedProducer(producer, tracer);      // Pub per send, EndTransaction
 *   await traced.send(msg);
 *
 *   await consumer.start(tracedHandler(handle, tracer));  // SubBefore, SubAfter per delivery
 *
 *   await tracer.shutdown();                              // flushes what is queued
 */
import type { MessageExt } from '../protocol/message.js';
import { Prop, UniqueIdGenerator } from '../protocol/message.js';
import {
  type ConsumeReturnType,
  CONSUME_RETURN_TYPES,
  DEFAULT_REGION,
  encodeTraceRecord,
  TRACE_PRODUCER_GROUP_PREFIX,
  TRACE_TOPIC_DEFAULT,
  type TraceMsgType,
  type TraceRecord,
  traceKeys,
  type TransactionState,
} from '../protocol/trace.js';
import { MQClient } from './mq-client.js';
import { Producer, type SendResult, type TransactionAction } from './producer.js';
import type { OutgoingMessage } from './outgoing-message.js';
import type { ClientSecurity } from './remoting-client.js';

export type TraceRole = 'PRODUCE' | 'CONSUME';

export interface TraceDispatcherOptions {
  /** The traced producer's or consumer's group: written into records and the trace producer's name. */
  group: string;
  role: TraceRole;
  /** Default RMQ_SYS_TRACE_TOPIC. */
  traceTopic?: string | undefined;
  /** Send through this client (it must outlive the dispatcher); else a client of its own is made. */
  client?: MQClient;
  namesrv?: string[];
  timeoutMs?: number;
  /** ACL credentials and TLS for a client of its own. */
  security?: ClientSecurity | undefined;
  /** Records per trace flush (Java traceMsgBatchNum: default 10, at most 20). */
  batchSize?: number;
  /** A partial batch waits at most this long (Java: 5 s; default here 1 s so traces show up soon). */
  flushIntervalMs?: number;
  /** Records queued before new ones are dropped (Java: 2048). */
  maxQueued?: number;
  /** Trace messages in flight at once (Java: a pool of 2–4 threads). */
  maxInFlight?: number;
  /** A trace send failed; tracing goes on. */
  onError?: (err: unknown) => void;
}

export interface TraceStats {
  traceTopic: string;
  producerGroup: string;
  /** Records accepted. */
  records: number;
  /** Records dropped because the queue was full. */
  dropped: number;
  /** Trace messages stored by the broker, and the records in them. */
  messagesSent: number;
  recordsSent: number;
  /** Trace messages (and their records) that could not be sent. */
  messagesFailed: number;
  recordsFailed: number;
}

export interface ConsumeTraceToken {
  topic: string;
  requestId: string;
  msgId: string;
  keys: string | null;
  startedAt: number;
}

/** What a published message looked like, for its Pub record. */
export type PublishedMessage = Pick<
  OutgoingMessage,
  | 'topic'
  | 'body'
  | 'tags'
  | 'keys'
  | 'delayLevel'
  | 'delayMs'
  | 'deliverAtMs'
  | 'messageGroup'
  | 'properties'
>;

/** Java's limit on one trace message's text (DefaultMQProducer maxMessageSize of the trace producer). */
const MAX_TRACE_TEXT = 128_000;
/** Message properties are limited to 32767 bytes; keep the KEYS property well inside. */
const MAX_KEYS_TEXT = 16_000;

let instances = 0;

/** The MessageType a Pub record states for a message, as the Java send hook decides it. */
export function traceMsgType(msg: PublishedMessage): TraceMsgType {
  if (msg.properties?.[Prop.TRAN_MSG] === 'true') return 'Trans_Msg_Half';
  if (msg.delayLevel || msg.delayMs !== undefined || msg.deliverAtMs !== undefined) return 'Delay_Msg';
  if (msg.messageGroup !== undefined) return 'Order_Msg';
  return 'Normal_Msg';
}

const TX_STATE: Record<TransactionAction, TransactionState> = {
  commit: 'COMMIT_MESSAGE',
  rollback: 'ROLLBACK_MESSAGE',
  unknown: 'UNKNOW',
};

export class TraceDispatcher {
  readonly traceTopic: string;
  readonly group: string;
  readonly producerGroup: string;
  private readonly client: MQClient;
  private readonly ownsClient: boolean;
  private readonly producer: Producer;
  private readonly batchSize: number;
  private readonly flushIntervalMs: number;
  private readonly maxQueued: number;
  private readonly maxInFlight: number;
  private readonly onError: ((err: unknown) => void) | undefined;
  private readonly ids = new UniqueIdGenerator();
  private queue: { topic: string; record: TraceRecord }[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private scheduled = false;
  private closed = false;
  private readonly counts = {
    records: 0,
    dropped: 0,
    messagesSent: 0,
    recordsSent: 0,
    messagesFailed: 0,
    recordsFailed: 0,
  };

  constructor(options: TraceDispatcherOptions) {
    this.traceTopic = options.traceTopic || TRACE_TOPIC_DEFAULT;
    this.group = options.group;
    this.producerGroup = `${TRACE_PRODUCER_GROUP_PREFIX}-${options.group}-${options.role}-${++instances}`;
    this.batchSize = Math.max(1, Math.min(options.batchSize ?? 10, 20));
    this.flushIntervalMs = options.flushIntervalMs ?? 1000;
    this.maxQueued = options.maxQueued ?? 2048;
    this.maxInFlight = options.maxInFlight ?? 4;
    this.onError = options.onError;
    if (options.client) {
      this.client = options.client;
      this.ownsClient = false;
    } else {
      this.client = new MQClient({
        namesrv: options.namesrv ?? [],
        timeoutMs: options.timeoutMs ?? 5000,
        ...options.security,
        // One per process and name server, as Java's trace producer instance is named.
        instanceName: `PID_CLIENT_INNER_TRACE_PRODUCER_${process.pid}#${Date.now()}`,
      });
      this.ownsClient = true;
    }
    this.producer = new Producer(this.client, {
      group: this.producerGroup,
      timeoutMs: Math.max(options.timeoutMs ?? this.client.timeoutMs, 5000),
      retries: 2,
    });
  }

  stats(): TraceStats {
    return { traceTopic: this.traceTopic, producerGroup: this.producerGroup, ...this.counts };
  }

  /**
   * Queues records about messages of `topic` (the traced message's topic, which groups records
   * into trace messages as Java does). Returns false when the queue was full and they were dropped.
   */
  append(topic: string, ...records: TraceRecord[]): boolean {
    if (this.closed) return false;
    if (this.queue.length + records.length > this.maxQueued) {
      this.counts.dropped += records.length;
      return false;
    }
    for (const record of records) this.queue.push({ topic, record });
    this.counts.records += records.length;
    if (this.queue.length >= this.batchSize) this.scheduleDrain();
    else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.drain(true);
      }, this.flushIntervalMs);
      this.timer.unref();
    }
    return true;
  }

  /**
   * A Pub record for a send that the broker answered. Skipped, as in Java, when the broker has
   * tracing off for the message (TRACE_ON=false in the response).
   * @example tracer.published({ topic: 'orders', body }, result, startedAtMs)
   */
  published(msg: PublishedMessage, result: SendResult, startedAt: number, endedAt = Date.now()): void {
    if (!result.traceOn) return;
    this.append(msg.topic, {
      type: 'Pub',
      timestamp: startedAt,
      regionId: result.regionId || DEFAULT_REGION,
      group: this.group,
      topic: msg.topic,
      msgId: result.msgId,
      tags: msg.tags || null,
      keys: msg.keys && msg.keys.length > 0 ? msg.keys.join(' ') : null,
      storeHost: result.brokerAddress,
      bodyLength: msg.body.length,
      costTime: Math.max(0, Math.round(endedAt - startedAt)),
      msgType: traceMsgType(msg),
      offsetMsgId: result.offsetMsgId || null,
      success: result.status === 'SEND_OK',
    });
  }

  /**
   * SubBefore for a message about to be handled; undefined when the message asks not to be
   * traced (TRACE_ON=false). `topic` is the topic the message was sent to (not %RETRY%).
   */
  consumeStarted(
    m: MessageExt,
    topic = m.properties[Prop.RETRY_TOPIC] ?? m.topic,
  ): ConsumeTraceToken | undefined {
    if (m.properties[Prop.TRACE_ON] === 'false') return undefined;
    const token: ConsumeTraceToken = {
      topic,
      requestId: this.ids.next(),
      msgId: m.msgId,
      keys: m.properties[Prop.KEYS] || null,
      startedAt: Date.now(),
    };
    this.append(topic, {
      type: 'SubBefore',
      timestamp: token.startedAt,
      regionId: m.properties[Prop.MSG_REGION] || DEFAULT_REGION,
      group: this.group,
      requestId: token.requestId,
      msgId: token.msgId,
      retryTimes: m.reconsumeTimes,
      keys: token.keys,
    });
    return token;
  }

  /** SubAfter for a handled message: success is an ack; a nack is FAILED. */
  consumeEnded(
    token: ConsumeTraceToken | undefined,
    outcome: { success: boolean; returnType?: ConsumeReturnType },
  ): void {
    if (!token) return;
    const now = Date.now();
    const returnType = outcome.returnType ?? (outcome.success ? 'SUCCESS' : 'FAILED');
    this.append(token.topic, {
      type: 'SubAfter',
      requestId: token.requestId,
      msgId: token.msgId,
      costTime: Math.max(0, now - token.startedAt),
      success: outcome.success,
      keys: token.keys,
      contextCode: CONSUME_RETURN_TYPES.indexOf(returnType),
      timestamp: now,
      group: this.group,
    });
  }

  /** EndTransaction: how a transaction message was ended (also when answering a check-back). */
  transactionEnded(e: {
    topic: string;
    msgId: string;
    tags?: string | null | undefined;
    keys?: string[] | string | null | undefined;
    brokerAddress: string;
    transactionId?: string | null | undefined;
    action: TransactionAction;
    fromTransactionCheck: boolean;
    regionId?: string | undefined;
  }): void {
    const keys = Array.isArray(e.keys) ? e.keys.join(' ') : e.keys;
    this.append(e.topic, {
      type: 'EndTransaction',
      timestamp: Date.now(),
      regionId: e.regionId || DEFAULT_REGION,
      group: this.group,
      topic: e.topic,
      msgId: e.msgId,
      tags: e.tags || null,
      keys: keys || null,
      storeHost: e.brokerAddress,
      msgType: 'Trans_msg_Commit',
      transactionId: e.transactionId ?? e.msgId,
      transactionState: TX_STATE[e.action],
      fromTransactionCheck: e.fromTransactionCheck,
    });
  }

  private scheduleDrain(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.drain(false);
    });
  }

  /** Starts sends for full batches (all batches when `force`) while there is room in flight. */
  private drain(force: boolean): void {
    while (
      this.queue.length > 0 &&
      this.inFlight.size < this.maxInFlight &&
      (force || this.queue.length >= this.batchSize)
    ) {
      const batch = this.queue.splice(0, this.batchSize);
      const p = this.sendBatch(batch).finally(() => {
        this.inFlight.delete(p);
        // Room again: what queued up meanwhile goes out, a partial batch on the timer.
        if (this.queue.length >= this.batchSize) this.scheduleDrain();
        else if (this.queue.length > 0 && !this.timer) {
          this.timer = setTimeout(() => {
            this.timer = undefined;
            this.drain(true);
          }, this.flushIntervalMs);
          this.timer.unref();
        }
      });
      this.inFlight.add(p);
    }
  }

  /** Groups records per traced topic; each group becomes one or more trace messages. */
  private async sendBatch(batch: { topic: string; record: TraceRecord }[]): Promise<void> {
    const byTopic = new Map<string, TraceRecord[]>();
    for (const { topic, record } of batch) {
      const list = byTopic.get(topic);
      if (list) list.push(record);
      else byTopic.set(topic, [record]);
    }
    const sends: Promise<void>[] = [];
    for (const records of byTopic.values()) {
      let text = '';
      let inMessage: TraceRecord[] = [];
      let keysLength = 0;
      for (const r of records) {
        const t = encodeTraceRecord(r);
        const k = traceKeys([r]).reduce((n, key) => n + key.length + 1, 0);
        if (inMessage.length > 0 && keysLength + k > MAX_KEYS_TEXT) {
          sends.push(this.sendMessage(text, inMessage));
          text = '';
          inMessage = [];
          keysLength = 0;
        }
        text += t;
        inMessage.push(r);
        keysLength += k;
        if (text.length >= MAX_TRACE_TEXT) {
          sends.push(this.sendMessage(text, inMessage));
          text = '';
          inMessage = [];
          keysLength = 0;
        }
      }
      if (inMessage.length > 0) sends.push(this.sendMessage(text, inMessage));
    }
    await Promise.all(sends);
  }

  private async sendMessage(text: string, records: TraceRecord[]): Promise<void> {
    try {
      await this.producer.send({
        topic: this.traceTopic,
        body: Buffer.from(text, 'utf8'),
        keys: traceKeys(records),
      });
      this.counts.messagesSent++;
      this.counts.recordsSent += records.length;
    } catch (err) {
      this.counts.messagesFailed++;
      this.counts.recordsFailed += records.length;
      this.onError?.(err);
    }
  }

  /** Sends everything queued and waits until every trace message was answered. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.queue.length > 0 || this.inFlight.size > 0) {
      this.drain(true);
      if (this.inFlight.size > 0) await Promise.race(this.inFlight);
    }
  }

  /** Flushes, then stops; closes the client if the dispatcher made it. */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.ownsClient) await this.client.shutdown();
  }
}
