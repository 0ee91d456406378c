/**
 * Producer: queue selection, retries on another broker, compression, delay/timer properties,
 * FIFO message groups, batches and transactions, as the Java DefaultMQProducer behaves.
 */
import { deflateSync } from 'node:zlib';
import {
  BrokerResponseError,
  ConnectionError,
  InvalidArgumentError,
  NotFoundError,
  RocketMQError,
} from '../errors.js';
import {
  decodeOffsetMsgId,
  encodeBatchBody,
  encodeProperties,
  javaHashCode,
  type MessageExt,
  Prop,
  SysFlag,
  UniqueIdGenerator,
} from '../protocol/message.js';
import { readCheckTransactionState } from '../protocol/check-transaction-state.js';
import { endTransactionHeader, type TransactionAction } from '../protocol/end-transaction.js';
import { masterAddress, type TopicRoute } from '../protocol/route.js';
import {
  readSendResponse,
  SEND_ACCEPT,
  SendHeaderJson,
  type SendHeaderText,
  sendHeaderV2,
} from '../protocol/send-message.js';
import { RequestCode, ResponseCode } from '../remoting/codes.js';
import { type RemotingCommand, VERSION_5_0_0 } from '../remoting/command.js';
import type { MQClient } from './mq-client.js';
import { OnewayFence } from './oneway-fence.js';
import type { OnewaySent } from './remoting-client.js';

export const MAX_BODY_BYTES = 4 * 1024 * 1024;
const NO_BODY = Buffer.alloc(0);

export interface OutgoingMessage {
  topic: string;
  body: Buffer;
  tags?: string | undefined;
  keys?: string[] | undefined;
  properties?: Record<string, string> | undefined;
  /** 4.x delay level 1..18 */
  delayLevel?: number | undefined;
  /** 5.x timer: deliver this many ms from now */
  delayMs?: number | undefined;
  /** 5.x timer: deliver at this epoch ms */
  deliverAtMs?: number | undefined;
  /** FIFO: all messages of a group go to one queue, in order */
  messageGroup?: string | undefined;
  flag?: number | undefined;
}

/** A oneway send: the message's id and queue, and the request on the wire. */
export interface OnewayReceipt {
  msgId: string;
  brokerName: string;
  queueId: number;
  sent: OnewaySent;
}

export type SendStatus = 'SEND_OK' | 'FLUSH_DISK_TIMEOUT' | 'FLUSH_SLAVE_TIMEOUT' | 'SLAVE_NOT_AVAILABLE';

export interface SendResult {
  status: SendStatus;
  /** UNIQ_KEY: the id users look messages up by */
  msgId: string;
  offsetMsgId: string;
  brokerName: string;
  brokerAddress: string;
  queueId: number;
  queueOffset: number;
  transactionId?: string | undefined;
  regionId: string;
  traceOn: boolean;
  attempts: number;
}

export interface PublishQueue {
  brokerName: string;
  queueId: number;
  address: string;
  /** The send header's JSON text, kept per queue (made on first use). */
  headerJson?: SendHeaderJson;
}

export interface ProducerOptions {
  group: string;
  /** Extra attempts after the first, on another broker where possible (Java: 2). */
  retries?: number;
  /** Bodies of at least this many bytes are zlib-compressed; Infinity disables. */
  compressThreshold?: number;
  timeoutMs?: number;
}

const STATUS: Record<number, SendStatus> = {
  [ResponseCode.SUCCESS]: 'SEND_OK',
  [ResponseCode.FLUSH_DISK_TIMEOUT]: 'FLUSH_DISK_TIMEOUT',
  [ResponseCode.FLUSH_SLAVE_TIMEOUT]: 'FLUSH_SLAVE_TIMEOUT',
  [ResponseCode.SLAVE_NOT_AVAILABLE]: 'SLAVE_NOT_AVAILABLE',
};

/** Codes the Java producer retries (DefaultMQProducer#retryResponseCodes). */
const RETRY_CODES: ReadonlySet<number> = new Set([
  ResponseCode.TOPIC_NOT_EXIST,
  ResponseCode.SERVICE_NOT_AVAILABLE,
  ResponseCode.SYSTEM_ERROR,
  ResponseCode.SYSTEM_BUSY,
  ResponseCode.NO_PERMISSION,
  ResponseCode.NO_BUYER_ID,
  ResponseCode.NOT_IN_CURRENT_UNIT,
  ResponseCode.GO_AWAY,
]);

/** Whether a failed send may succeed if sent again, on another broker where there is one. */
const sendRetriable = (err: unknown): boolean =>
  err instanceof ConnectionError || (err instanceof BrokerResponseError && RETRY_CODES.has(err.responseCode));

/** Java String.hashCode-based pick, so a group maps to the same queue as other clients choose. */
function groupIndex(group: string, n: number): number {
  return Math.abs(javaHashCode(group) % n);
}

/** How a transaction ends; the producer's callers name it, the END_TRANSACTION codec encodes it. */
export type { TransactionAction };

export interface CheckRequest {
  message: MessageExt | undefined;
  msgId: string;
  transactionId: string;
  brokerAddress: string;
}

/** A message made ready to send: its body, sysFlag, properties string and UNIQ_KEY. */
interface Prepared {
  body: Buffer;
  sysFlag: number;
  properties: string;
  uniq: string;
}

/** U+0001 ends a property's name and U+0002 its value in the properties string of the wire. */
const PROPERTY_SEPARATORS = /[\u0001\u0002]/;

/**
 * Throws InvalidArgumentError (exit 2) when `value`, bound for the properties string as `field`,
 * holds a separator: a tag like "a\u0002DELAY\u00013" would otherwise add a property of its own.
 * @example checkPropertyText('message key', 'order-1') // fine
 */
export function checkPropertyText(field: string, value: string): void {
  if (PROPERTY_SEPARATORS.test(value)) {
    throw new InvalidArgumentError(
      `${field} ${JSON.stringify(value)} contains \\u0001 or \\u0002, which separate message properties`,
      { hint: 'remove those characters: RocketMQ cannot carry them in keys, tags, groups or properties' },
    );
  }
}

function checkProperties(props: Record<string, string>): void {
  for (const k in props) {
    checkPropertyText('property name', k);
    const v = props[k];
    if (v != null) checkPropertyText(`property ${JSON.stringify(k)}`, v);
  }
}

/**
 * Checks every string of a message that goes into its properties string (user properties,
 * keys, tags, message group, and `extra`). The producer calls it for each message it sends.
 */
export function checkPropertyStrings(
  msg: Pick<OutgoingMessage, 'tags' | 'keys' | 'properties' | 'messageGroup'>,
  extra?: Record<string, string>,
): void {
  if (msg.properties) checkProperties(msg.properties);
  if (extra) checkProperties(extra);
  if (msg.keys) for (const key of msg.keys) checkPropertyText('message key', key);
  if (msg.tags) checkPropertyText('tag', msg.tags);
  if (msg.messageGroup !== undefined) checkPropertyText('message group', msg.messageGroup);
}

/** Whether `extra` sets k itself (own keys only: "constructor" is not in a plain object). */
function inExtra(extra: Record<string, string> | undefined, k: string): boolean {
  return extra !== undefined && Object.hasOwn(extra, k) && extra[k] != null;
}

/** `out` with property k=v appended, unless `extra` sets k (then extra's value is appended later). */
function prop(out: string, extra: Record<string, string> | undefined, k: string, v: string): string {
  return inExtra(extra, k) ? out : out + k + '\u0001' + v + '\u0002';
}

const WAIT_TRUE = `${Prop.WAIT}\u0001true\u0002`;

/** Whether one of the message's own fields sets property `k` (and so replaces a user's). */
function setByMessage(msg: OutgoingMessage, k: string): boolean {
  switch (k) {
    case Prop.KEYS:
      return msg.keys !== undefined && msg.keys.length > 0;
    case Prop.TAGS:
      return !!msg.tags;
    case Prop.DELAY:
      return msg.delayLevel !== undefined && msg.delayLevel > 0;
    case Prop.TIMER_DELAY_MS:
      return msg.delayMs !== undefined;
    case Prop.TIMER_DELIVER_MS:
      return msg.deliverAtMs !== undefined;
    case Prop.SHARDING_KEY:
      return msg.messageGroup !== undefined;
    default:
      return false;
  }
}

export class Producer {
  readonly group: string;
  private readonly retries: number;
  private readonly compressThreshold: number;
  private readonly timeoutMs: number;
  private readonly ids = new UniqueIdGenerator();
  private rr = Math.floor(Math.random() * 1024);
  private readonly queuesByRoute = new WeakMap<TopicRoute, PublishQueue[]>();
  private readonly autoCreateQueues = new WeakMap<TopicRoute, PublishQueue[]>();
  private lastFailedBroker: string | undefined;

  constructor(
    readonly client: MQClient,
    options: ProducerOptions,
  ) {
    this.group = options.group;
    this.retries = options.retries ?? 2;
    this.compressThreshold = options.compressThreshold ?? 4096;
    this.timeoutMs = options.timeoutMs ?? client.timeoutMs;
    client.registerProducer(this.group);
  }

  /** The queues of a cached route when already built: the per-message path, without a tick. */
  private cachedQueues(topic: string): readonly PublishQueue[] | undefined {
    const route = this.client.cachedRoute(topic);
    return route && this.queuesByRoute.get(route);
  }

  /** Writable master queues of a topic; falls back to TBW102 so the broker can auto-create it. */
  async publishQueues(topic: string): Promise<readonly PublishQueue[]> {
    let route: TopicRoute;
    let autoCreate = false;
    try {
      route = await this.client.route(topic);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      try {
        route = await this.client.route('TBW102');
        autoCreate = true;
      } catch {
        throw err;
      }
    }
    // Every send asks for the queues: build them once per route object (a refresh replaces it).
    const cache = autoCreate ? this.autoCreateQueues : this.queuesByRoute;
    const known = cache.get(route);
    if (known) return known;
    const out: PublishQueue[] = [];
    for (const q of [...route.queues].sort((a, b) => a.brokerName.localeCompare(b.brokerName))) {
      if ((q.perm & 2) === 0) continue;
      const b = route.brokers.find((x) => x.brokerName === q.brokerName);
      const address = b && masterAddress(b);
      if (!address) continue;
      const n = autoCreate ? Math.min(4, q.writeQueueNums) : q.writeQueueNums;
      for (let i = 0; i < n; i++) out.push({ brokerName: q.brokerName, queueId: i, address });
    }
    if (out.length === 0) {
      throw new NotFoundError(`topic "${topic}" has no writable queue on a reachable master`, {
        reason: 'topic-not-writable',
      });
    }
    cache.set(route, out);
    return out;
  }

  private pickQueue(
    queues: readonly PublishQueue[],
    msg: OutgoingMessage,
    avoid: string | undefined,
  ): PublishQueue {
    if (msg.messageGroup !== undefined) return queues[groupIndex(msg.messageGroup, queues.length)]!;
    for (let i = 0; i < queues.length; i++) {
      const q = queues[this.rr++ % queues.length]!;
      if (q.brokerName !== avoid) return q;
    }
    return queues[this.rr++ % queues.length]!;
  }

  /**
   * Server version of a broker: the connection keeps the version of its last reply; a connection
   * that has had none asks once.
   */
  async brokerVersion(address: string): Promise<number> {
    const known = (await this.client.remoting.connection(address)).serverVersion;
    if (known !== undefined) return known;
    return (await this.client.remoting.call(address, RequestCode.GET_BROKER_RUNTIME_INFO, {})).version;
  }

  /**
   * Fails before anything is sent when a broker that serves `topic` runs RocketMQ 4.x, which
   * would deliver a timer message (delayMs, deliverAtMs) at once: one check for a whole run,
   * where send() checks each message's broker as it goes.
   * @example await producer.requireTimerSupport('orders')
   */
  async requireTimerSupport(topic: string): Promise<void> {
    const checked = new Set<string>();
    for (const q of await this.publishQueues(topic)) {
      if (checked.has(q.address)) continue;
      checked.add(q.address);
      // Any timer message stands for the run's: the check reads only whether it has a timer.
      await this.checkTimerSupport({ topic, body: NO_BODY, delayMs: 0 }, q.address, q.brokerName);
    }
  }

  /**
   * A fence for this producer's oneway sends: settle() says which of the messages tracked since
   * the last settle the broker took (see OnewayFence). The caller closes it.
   * @example const fence = producer.onewayFence<number>(); fence.track((await producer.sendOneway(m)).sent, 1)
   */
  onewayFence<T>(): OnewayFence<T> {
    return new OnewayFence<T>(this.group, this.timeoutMs);
  }

  /**
   * Properties string, UNIQ_KEY (made when absent) and sysFlag of one message. The message's own
   * fields (keys, tags, delays, group) replace user properties of the same name, and `extra`
   * replaces both. The string is written directly, without a merged properties object: this
   * runs for every message sent. Every string that goes into it is checked for separators first.
   */
  private prepare(msg: OutgoingMessage, extra?: Record<string, string>): Prepared {
    if (msg.body.length > MAX_BODY_BYTES) {
      throw new InvalidArgumentError(
        `message body is ${msg.body.length} bytes; the limit is ${MAX_BODY_BYTES}`,
      );
    }
    checkPropertyStrings(msg, extra);
    // Written without helper closures and with constant pieces where a value is fixed: this
    // runs for every message sent, and every closure and intermediate string is garbage.
    const user = msg.properties;
    let out = '';
    if (user) {
      for (const k in user) {
        const v = user[k];
        if (v == null || inExtra(extra, k) || setByMessage(msg, k)) continue;
        out += k + '\u0001' + v + '\u0002';
      }
    }
    if (msg.keys && msg.keys.length > 0) out = prop(out, extra, Prop.KEYS, msg.keys.join(' '));
    if (msg.tags) out = prop(out, extra, Prop.TAGS, msg.tags);
    if (msg.delayLevel !== undefined && msg.delayLevel > 0)
      out = prop(out, extra, Prop.DELAY, String(msg.delayLevel));
    if (msg.delayMs !== undefined)
      out = prop(out, extra, Prop.TIMER_DELAY_MS, String(Math.round(msg.delayMs)));
    if (msg.deliverAtMs !== undefined)
      out = prop(out, extra, Prop.TIMER_DELIVER_MS, String(Math.round(msg.deliverAtMs)));
    if (msg.messageGroup !== undefined) out = prop(out, extra, Prop.SHARDING_KEY, msg.messageGroup);
    let uniq = extra?.[Prop.UNIQ_KEY] ?? user?.[Prop.UNIQ_KEY];
    if (uniq == null) {
      uniq = this.ids.next();
      out = prop(out, extra, Prop.UNIQ_KEY, uniq);
    }
    if (user?.[Prop.WAIT] == null && !inExtra(extra, Prop.WAIT)) out += WAIT_TRUE;
    if (extra) {
      for (const k in extra) {
        const v = extra[k];
        if (v != null) out += k + '\u0001' + v + '\u0002';
      }
    }
    let body = msg.body;
    let sysFlag = 0;
    if (body.length >= this.compressThreshold) {
      const z = deflateSync(body, { level: 5 });
      if (z.length < body.length) {
        body = z;
        sysFlag |= SysFlag.COMPRESSED | SysFlag.COMPRESSION_ZLIB;
      }
    }
    return { body, sysFlag, properties: out, uniq };
  }

  private async checkTimerSupport(msg: OutgoingMessage, address: string, brokerName: string): Promise<void> {
    if (msg.delayMs === undefined && msg.deliverAtMs === undefined) return;
    if ((await this.brokerVersion(address)) < VERSION_5_0_0) {
      throw new InvalidArgumentError(
        `broker ${brokerName} runs RocketMQ 4.x, which would deliver a delayed or timed message at once`,
        { reason: 'timer-unsupported' },
      );
    }
  }

  private toResult(res: RemotingCommand, q: PublishQueue, uniq: string, attempts: number): SendResult {
    const status = STATUS[res.code];
    if (!status) throw new BrokerResponseError(res.code, res.remark, q.address);
    const h = readSendResponse(res);
    return {
      status,
      msgId: uniq,
      offsetMsgId: h.msgId ?? '',
      brokerName: q.brokerName,
      brokerAddress: q.address,
      queueId: h.queueId ?? q.queueId,
      queueOffset: h.queueOffset ?? -1,
      transactionId: h.transactionId,
      regionId: h.region ?? 'DefaultRegion',
      traceOn: h.traceOn,
      attempts,
    };
  }

  /**
   * Sends one message and resolves when the broker has answered, retrying retriable failures
   * on another broker where there is one.
   * @example await producer.send({ topic: 'orders', body: Buffer.from('hi'), tags: 'new' })
   */
  async send(
    msg: OutgoingMessage,
    options: { extraProps?: Record<string, string>; sysFlag?: number } = {},
  ): Promise<SendResult> {
    const prepared = this.prepare(msg, options.extraProps);
    const deadline = Date.now() + this.timeoutMs;
    return this.attempts(msg, prepared, options.sysFlag ?? 0, deadline, 1, this.lastFailedBroker, undefined);
  }

  /**
   * send()'s callback form for a caller that needs only the outcome (rmq bench, where a promise
   * and a SendResult per message are garbage that shows up as GC pauses): `done` is called once,
   * with the error if the send failed, never before sendAck returns. The same queue choice,
   * retries and timeout as send(); the first attempt on an open connection runs without a
   * promise, anything else (no cached route, a timer message, a retry) goes through send()'s path.
   */
  sendAck(msg: OutgoingMessage, done: (err: unknown) => void): void {
    let prepared: Prepared;
    try {
      prepared = this.prepare(msg);
    } catch (err) {
      process.nextTick(done, err);
      return;
    }
    const now = Date.now();
    const deadline = now + this.timeoutMs;
    const queues = this.cachedQueues(msg.topic);
    const timed = msg.delayMs !== undefined || msg.deliverAtMs !== undefined;
    // (A queue picked here for a connection that is not open yet is one round-robin step skipped.)
    const q =
      queues && !timed && this.timeoutMs > 0 ? this.pickQueue(queues, msg, this.lastFailedBroker) : undefined;
    const conn = q && this.client.remoting.openConnection(q.address);
    if (!conn) {
      this.attempts(msg, prepared, 0, deadline, 1, this.lastFailedBroker, undefined).then(
        () => done(undefined),
        done,
      );
      return;
    }
    const { ext, extJson } = this.sendHeader(q, msg, prepared.sysFlag, now, prepared.properties);
    conn.requestCb(
      RequestCode.SEND_MESSAGE_V2,
      ext,
      { body: prepared.body, timeoutMs: this.timeoutMs, extJson },
      (err, res) => {
        let failure: unknown = err;
        if (!failure) {
          // SEND_ACCEPT, as call() checks it for send().
          if (SEND_ACCEPT.includes(res!.code)) {
            this.lastFailedBroker = undefined;
            done(undefined);
            return;
          }
          failure = new BrokerResponseError(res!.code, res!.remark, q.address);
        }
        if (!sendRetriable(failure)) {
          done(failure);
          return;
        }
        this.lastFailedBroker = q.brokerName;
        this.afterFailure(failure, msg.topic)
          .then(() => this.attempts(msg, prepared, 0, deadline, 2, q.brokerName, failure))
          .then(() => done(undefined), done);
      },
    );
  }

  /** Attempts `first` … 1 + retries of a send (send() starts at 1, sendAck's retries at 2). */
  private async attempts(
    msg: OutgoingMessage,
    prepared: Prepared,
    extraSysFlag: number,
    deadline: number,
    first: number,
    avoid: string | undefined,
    lastErr: unknown,
  ): Promise<SendResult> {
    const { body, sysFlag, properties, uniq } = prepared;
    const maxAttempts = 1 + this.retries;
    for (let attempt = first; attempt <= maxAttempts; attempt++) {
      const queues = this.cachedQueues(msg.topic) ?? (await this.publishQueues(msg.topic));
      const q = this.pickQueue(queues, msg, avoid);
      if (msg.delayMs !== undefined || msg.deliverAtMs !== undefined) {
        await this.checkTimerSupport(msg, q.address, q.brokerName);
      }
      const now = Date.now();
      const remaining = deadline - now;
      if (remaining <= 0) break;
      const { ext, extJson } = this.sendHeader(q, msg, sysFlag | extraSysFlag, now, properties);
      try {
        const res = await this.client.remoting.call(q.address, RequestCode.SEND_MESSAGE_V2, ext, {
          body,
          timeoutMs: remaining,
          accept: SEND_ACCEPT,
          extJson,
        });
        this.lastFailedBroker = undefined;
        return this.toResult(res, q, uniq, attempt);
      } catch (err) {
        lastErr = err;
        if (!sendRetriable(err)) throw err;
        avoid = q.brokerName;
        this.lastFailedBroker = q.brokerName;
        await this.afterFailure(err, msg.topic);
      }
    }
    throw (
      lastErr ??
      new RocketMQError('timeout', `send to ${msg.topic} did not complete within ${this.timeoutMs} ms`)
    );
  }

  /** After a retriable failure: a topic the broker does not know has its route read again. */
  private async afterFailure(err: unknown, topic: string): Promise<void> {
    if (err instanceof BrokerResponseError && err.responseCode === ResponseCode.TOPIC_NOT_EXIST) {
      await this.client.route(topic, true).catch(() => {});
    }
  }

  /**
   * The SEND_MESSAGE_V2 header of one attempt, and its JSON text from the queue's cached form
   * when the message has no flag (the cache covers flag 0 only).
   */
  private sendHeader(
    q: PublishQueue,
    msg: OutgoingMessage,
    sysFlag: number,
    now: number,
    properties: string,
  ): { ext: Record<string, string>; extJson: SendHeaderText | undefined } {
    const ext = sendHeaderV2({
      producerGroup: this.group,
      topic: msg.topic,
      queueId: q.queueId,
      sysFlag,
      bornTimestamp: now,
      flag: msg.flag ?? 0,
      properties,
      brokerName: q.brokerName,
    });
    const extJson = msg.flag
      ? undefined
      : (q.headerJson ??= new SendHeaderJson(this.group, q.queueId, q.brokerName)).text(
          msg.topic,
          sysFlag,
          now,
          properties,
        );
    return { ext, extJson };
  }

  /**
   * Fire and forget: no response, no retry. Returns the UNIQ_KEY, the queue it went to, and where
   * it went on the wire (for OnewayFence, which learns whether the broker dropped it).
   */
  async sendOneway(msg: OutgoingMessage): Promise<OnewayReceipt> {
    const { body, sysFlag, properties, uniq } = this.prepare(msg);
    const queues = this.cachedQueues(msg.topic) ?? (await this.publishQueues(msg.topic));
    const q = this.pickQueue(queues, msg, undefined);
    if (msg.delayMs !== undefined || msg.deliverAtMs !== undefined) {
      await this.checkTimerSupport(msg, q.address, q.brokerName);
    }
    const { ext, extJson } = this.sendHeader(q, msg, sysFlag, Date.now(), properties);
    const sent = await this.client.remoting.oneway(
      q.address,
      RequestCode.SEND_MESSAGE_V2,
      ext,
      body,
      extJson?.toString(),
    );
    return { msgId: uniq, brokerName: q.brokerName, queueId: q.queueId, sent };
  }

  /**
   * Sends messages of one topic as one SEND_BATCH_MESSAGE request (one queue). Delay and
   * message groups are not allowed in a batch, as in Java.
   */
  async sendBatch(msgs: OutgoingMessage[]): Promise<SendResult[]> {
    const topic = msgs[0]?.topic;
    if (!topic) return [];
    const items = msgs.map((m) => {
      if (m.topic !== topic) throw new InvalidArgumentError('a batch must hold messages of one topic');
      if (m.delayLevel || m.delayMs !== undefined || m.deliverAtMs !== undefined) {
        throw new InvalidArgumentError('a batch cannot hold delayed messages');
      }
      const p = this.prepare({ ...m, messageGroup: undefined });
      // Inner records are stored uncompressed: the broker ignores per-record sysFlags.
      return {
        body: m.body,
        flag: m.flag ?? 0,
        properties: p.properties,
        uniq: p.uniq,
      };
    });
    const body = encodeBatchBody(items);
    if (body.length > MAX_BODY_BYTES) {
      throw new InvalidArgumentError(`batch is ${body.length} bytes; the limit is ${MAX_BODY_BYTES}`);
    }
    const batchUniq = this.ids.next();
    const deadline = Date.now() + this.timeoutMs;
    let avoid: string | undefined;
    let lastErr: unknown;
    for (let attempt = 1; attempt <= 1 + this.retries; attempt++) {
      const queues = await this.publishQueues(topic);
      const q = this.pickQueue(queues, msgs[0]!, avoid);
      const ext = sendHeaderV2({
        producerGroup: this.group,
        topic,
        queueId: q.queueId,
        sysFlag: 0,
        bornTimestamp: Date.now(),
        flag: 0,
        // No UNIQ_KEY here: the broker appends the batch's properties to every inner record
        // (apache/rocketmq#9416), so a batch id would replace each message's own when read.
        properties: encodeProperties({ [Prop.WAIT]: 'true' }),
        batch: true,
        brokerName: q.brokerName,
      });
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      try {
        const res = await this.client.remoting.call(q.address, RequestCode.SEND_BATCH_MESSAGE, ext, {
          body,
          timeoutMs: remaining,
          accept: SEND_ACCEPT,
        });
        const base = this.toResult(res, q, batchUniq, attempt);
        const offsetIds = (readSendResponse(res).msgId ?? '').split(',');
        return items.map((it, i) => ({
          ...base,
          msgId: it.uniq,
          offsetMsgId: offsetIds[i] ?? '',
          queueOffset: base.queueOffset + i,
        }));
      } catch (err) {
        lastErr = err;
        if (!sendRetriable(err)) throw err;
        avoid = q.brokerName;
      }
    }
    throw lastErr;
  }

  /**
   * Sends a transaction half message, then ends it as `action` says (unknown: leave it to the
   * broker's check-back, answered by the handler given to onTransactionCheck).
   */
  async sendTransaction(
    msg: OutgoingMessage,
    action: TransactionAction,
  ): Promise<SendResult & { action: TransactionAction }> {
    if (msg.delayLevel || msg.delayMs !== undefined || msg.deliverAtMs !== undefined) {
      throw new InvalidArgumentError('a transaction message cannot be delayed');
    }
    // The check-back only reaches channels registered for the producer group: heartbeat first.
    await this.publishQueues(msg.topic);
    await this.client.heartbeat();
    const result = await this.send(msg, {
      extraProps: { [Prop.TRAN_MSG]: 'true', [Prop.PGROUP]: this.group },
      sysFlag: SysFlag.TRANSACTION_PREPARED,
    });
    const { offset } = decodeOffsetMsgId(result.offsetMsgId);
    await this.client.remoting.oneway(
      result.brokerAddress,
      RequestCode.END_TRANSACTION,
      endTransactionHeader({
        producerGroup: this.group,
        tranStateTableOffset: result.queueOffset,
        commitLogOffset: offset,
        action,
        fromTransactionCheck: false,
        msgId: result.msgId,
        transactionId: result.transactionId ?? result.msgId,
        topic: msg.topic,
      }),
    );
    return { ...result, action };
  }

  /** Answers the broker's transaction check-back (CHECK_TRANSACTION_STATE) with `decide`. */
  onTransactionCheck(decide: (req: CheckRequest) => TransactionAction | Promise<TransactionAction>): void {
    this.client.remoting.onRequest(RequestCode.CHECK_TRANSACTION_STATE, async (req, conn) => {
      const check = readCheckTransactionState(req);
      const { message, msgId, transactionId } = check;
      const action = await decide({ message, msgId, transactionId, brokerAddress: conn.address });
      conn.oneway(
        RequestCode.END_TRANSACTION,
        endTransactionHeader({
          producerGroup: check.producerGroup ?? this.group,
          tranStateTableOffset: check.tranStateTableOffset,
          commitLogOffset: check.commitLogOffset,
          action,
          fromTransactionCheck: true,
          msgId,
          transactionId,
          topic: check.topic,
        }),
      );
      return undefined;
    });
  }
}
