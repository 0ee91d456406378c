/**
 * Producer: queue selection, retries on another broker, delay/timer checks, FIFO message groups
 * and batches, as the Java DefaultMQProducer behaves. What a message becomes before a queue is
 * chosen (properties, UNIQ_KEY, compression) is outgoing-message.ts; transactions and the
 * check-back are producer-transaction.ts. The rest stays here because the send paths (send,
 * sendAck, oneway, batch) share the queue choice, the retry loop and the per-queue header cache.
 */
import { liteQueueIndex } from './lite-sharding.js';
import {
  BrokerResponseError,
  ConnectionError,
  InvalidArgumentError,
  NotFoundError,
  RocketMQError,
} from '../errors.js';
import {
  encodeBatchBody,
  encodeProperties,
  javaHashCode,
  Prop,
  UniqueIdGenerator,
} from '../protocol/message.js';
import type { TransactionAction } from '../protocol/end-transaction.js';
import { masterAddress, type TopicRoute } from '../protocol/route.js';
import {
  readSendResponse,
  SEND_ACCEPT,
  SendHeaderJson,
  type SendHeaderText,
  sendHeaderV2,
} from '../protocol/send-message.js';
import { RequestCode, ResponseCode } from '../remoting/codes.js';
import { type RemotingCommand, VERSION_5_0_0, VERSION_5_4_0, versionName } from '../remoting/command.js';
import { FaultAvoidance } from './fault-avoidance.js';
import type { MQClient } from './mq-client.js';
import { MAX_BODY_BYTES, type OutgoingMessage, type Prepared, prepareMessage } from './outgoing-message.js';
import { OnewayFence } from './oneway-fence.js';
import { type CheckRequest, onTransactionCheck, sendTransaction } from './producer-transaction.js';
import type { OnewaySent } from './remoting-client.js';

const NO_BODY = Buffer.alloc(0);

/** A timer or priority message: its broker's version is checked before it is sent. */
function needsCheck(msg: OutgoingMessage): boolean {
  return msg.delayMs !== undefined || msg.deliverAtMs !== undefined || msg.priority !== undefined;
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
  /** A timer message on 5.3.2+: the handle `message recall` takes to cancel it before it is due. */
  recallHandle?: string | undefined;
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
  /**
   * Put aside a broker that failed or was slow, for the Java client's periods (default on); a
   * FaultAvoidance of the caller's own (a test's, with its clock) is used as it is.
   */
  faultAvoidance?: boolean | FaultAvoidance;
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

/** The broker a failed send's last attempt went to, when known. */
const brokerOfError = (e: unknown): string | undefined =>
  e instanceof RocketMQError ? e.brokerName : undefined;

/** The queues a route lets a producer write to: writable ones of brokers with a master. */
function writableQueues(route: TopicRoute, autoCreate: boolean): PublishQueue[] {
  const out: PublishQueue[] = [];
  for (const q of [...route.queues].sort((a, b) => a.brokerName.localeCompare(b.brokerName))) {
    if ((q.perm & 2) === 0) continue;
    const b = route.brokers.find((x) => x.brokerName === q.brokerName);
    const address = b && masterAddress(b);
    if (!address) continue;
    const n = autoCreate ? Math.min(4, q.writeQueueNums) : q.writeQueueNums;
    for (let i = 0; i < n; i++) out.push({ brokerName: q.brokerName, queueId: i, address });
  }
  return out;
}

/** Java String.hashCode-based pick, so a group maps to the same queue as other clients choose. */
function groupIndex(group: string, n: number): number {
  return Math.abs(javaHashCode(group) % n);
}

/** How a transaction ends; the producer's callers name it, the END_TRANSACTION codec encodes it. */
export type { TransactionAction };

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
  /** Brokers put aside after a failed or slow send (see fault-avoidance.ts). */
  readonly faults: FaultAvoidance;

  constructor(
    readonly client: MQClient,
    options: ProducerOptions,
  ) {
    this.group = options.group;
    this.retries = options.retries ?? 2;
    this.compressThreshold = options.compressThreshold ?? 4096;
    this.timeoutMs = options.timeoutMs ?? client.timeoutMs;
    this.faults =
      options.faultAvoidance instanceof FaultAvoidance
        ? options.faultAvoidance
        : new FaultAvoidance(options.faultAvoidance ?? true);
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
    let out = writableQueues(route, autoCreate);
    if (out.length === 0 && !autoCreate) {
      // No master may mean one is being elected (controller or DLedger failover): the route is
      // read again, at most twice a second, until the new master is registered.
      route = await this.client.staleRoute(topic);
      out = cache.get(route) ?? writableQueues(route, false);
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
    // Where the broker keeps the lite topic (lite-sharding.ts); a FIFO group above wins, as in the proxy.
    if (msg.liteTopic !== undefined) return queues[liteQueueIndex(msg.liteTopic, queues.length)]!;
    if (msg.hashKey !== undefined) return queues[groupIndex(msg.hashKey, queues.length)]!;
    // First a broker neither just failed nor put aside; then one not just failed; then any
    // (with every broker put aside, sending somewhere beats not sending).
    for (let i = 0; i < queues.length; i++) {
      const q = queues[this.rr++ % queues.length]!;
      if (q.brokerName !== avoid && this.faults.available(q.brokerName)) return q;
    }
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
   * Fails before anything is sent when a broker that serves `topic` cannot take what `kind`
   * needs: RocketMQ 4.x would deliver a timer message (delayMs, deliverAtMs) at once, and a
   * broker before 5.4 stores a priority message like any other. One check for a whole run,
   * where send() checks each message's broker as it goes.
   * @example await producer.requireSupport('orders', { delayMs: 1000 })
   */
  async requireSupport(
    topic: string,
    kind: Pick<OutgoingMessage, 'delayMs' | 'deliverAtMs' | 'priority'>,
  ): Promise<void> {
    const checked = new Set<string>();
    for (const q of await this.publishQueues(topic)) {
      if (checked.has(q.address)) continue;
      checked.add(q.address);
      await this.checkSupport({ topic, body: NO_BODY, ...kind }, q.address, q.brokerName);
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

  private async checkSupport(msg: OutgoingMessage, address: string, brokerName: string): Promise<void> {
    if (!needsCheck(msg)) return;
    const version = await this.brokerVersion(address);
    if ((msg.delayMs !== undefined || msg.deliverAtMs !== undefined) && version < VERSION_5_0_0) {
      throw new InvalidArgumentError(
        `broker ${brokerName} runs RocketMQ 4.x, which would deliver a delayed or timed message at once`,
        { reason: 'timer-unsupported' },
      );
    }
    if (msg.priority !== undefined && version < VERSION_5_4_0) {
      throw new InvalidArgumentError(
        `priority messages need RocketMQ 5.4 or newer; broker ${brokerName} runs ${versionName(version)}`,
        { reason: 'priority-unsupported' },
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
      ...(h.recallHandle ? { recallHandle: h.recallHandle } : {}),
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
    const prepared = prepareMessage(msg, options.extraProps, this.ids, this.compressThreshold);
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
  sendAck(
    msg: OutgoingMessage,
    done: (err: unknown, brokerName?: string, status?: SendStatus) => void,
  ): void {
    let prepared: Prepared;
    try {
      prepared = prepareMessage(msg, undefined, this.ids, this.compressThreshold);
    } catch (err) {
      process.nextTick(done, err);
      return;
    }
    const now = Date.now();
    const deadline = now + this.timeoutMs;
    const queues = this.cachedQueues(msg.topic);
    const timed = needsCheck(msg);
    // (A queue picked here for a connection that is not open yet is one round-robin step skipped.)
    const q =
      queues && !timed && this.timeoutMs > 0 ? this.pickQueue(queues, msg, this.lastFailedBroker) : undefined;
    const conn = q && this.client.remoting.openConnection(q.address);
    if (!conn) {
      this.attempts(msg, prepared, 0, deadline, 1, this.lastFailedBroker, undefined).then(
        (r) => done(undefined, r.brokerName, r.status),
        (e: unknown) => done(e, brokerOfError(e)),
      );
      return;
    }
    const { ext, extJson } = this.sendHeader(q, msg, prepared.sysFlag, now, prepared.properties);
    this.faults.sending(q.brokerName);
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
            this.faults.record(q.brokerName, Date.now() - now, false);
            done(undefined, q.brokerName, STATUS[res!.code]);
            return;
          }
          failure = new BrokerResponseError(res!.code, res!.remark, q.address);
        }
        if (!sendRetriable(failure)) {
          done(failure, q.brokerName);
          return;
        }
        this.faults.record(q.brokerName, Date.now() - now, true);
        this.lastFailedBroker = q.brokerName;
        this.afterFailure(failure, msg.topic)
          .then(() => this.attempts(msg, prepared, 0, deadline, 2, q.brokerName, failure))
          .then(
            (r) => done(undefined, r.brokerName, r.status),
            (e: unknown) => done(e, brokerOfError(e) ?? q.brokerName),
          );
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
      if (needsCheck(msg)) await this.checkSupport(msg, q.address, q.brokerName);
      const now = Date.now();
      const remaining = deadline - now;
      if (remaining <= 0) break;
      const { ext, extJson } = this.sendHeader(q, msg, sysFlag | extraSysFlag, now, properties);
      this.faults.sending(q.brokerName);
      try {
        const res = await this.client.remoting.call(q.address, RequestCode.SEND_MESSAGE_V2, ext, {
          body,
          timeoutMs: remaining,
          accept: SEND_ACCEPT,
          extJson,
        });
        this.lastFailedBroker = undefined;
        this.faults.record(q.brokerName, Date.now() - now, false);
        return this.toResult(res, q, uniq, attempt);
      } catch (err) {
        lastErr = err;
        if (err instanceof RocketMQError) {
          err.brokerName ??= q.brokerName;
          err.attempts = attempt;
        }
        // A message the broker refuses for its own content says nothing of the broker.
        if (!sendRetriable(err)) throw err;
        this.faults.record(q.brokerName, Date.now() - now, true);
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

  /**
   * After a retriable failure, the route is read again when it may be stale: the broker does not
   * know the topic, or refused the write (NO_PERMISSION: a broker made read-only, e.g. by `rmq
   * broker drain`, refuses sends to ordered topics; the new route leaves its queues out, so the
   * retry and the sends after it go elsewhere instead of waiting for the 30 s refresh), or could
   * not be reached or is no longer a master (shared and rate-limited: see MQClient#staleRoute).
   * While the route misses a master it is read every few seconds, so the master is sent to again
   * soon after it is back (MQClient.cachedRoute).
   */
  private async afterFailure(err: unknown, topic: string): Promise<void> {
    if (err instanceof ConnectionError) this.client.refreshRouteSoon(topic);
    if (
      err instanceof BrokerResponseError &&
      (err.responseCode === ResponseCode.TOPIC_NOT_EXIST || err.responseCode === ResponseCode.NO_PERMISSION)
    ) {
      await this.client.route(topic, true).catch(() => {});
    } else if (
      err instanceof ConnectionError ||
      (err instanceof BrokerResponseError && err.responseCode === ResponseCode.SERVICE_NOT_AVAILABLE)
    ) {
      // A master that died or became a slave (it answers SERVICE_NOT_AVAILABLE to a send): after
      // a failover the name servers list another master, and sends follow it at once.
      await this.client.staleRoute(topic).catch(() => {});
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
    const { body, sysFlag, properties, uniq } = prepareMessage(
      msg,
      undefined,
      this.ids,
      this.compressThreshold,
    );
    const queues = this.cachedQueues(msg.topic) ?? (await this.publishQueues(msg.topic));
    const q = this.pickQueue(queues, msg, undefined);
    if (needsCheck(msg)) await this.checkSupport(msg, q.address, q.brokerName);
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
      const p = prepareMessage(
        { ...m, messageGroup: undefined },
        undefined,
        this.ids,
        this.compressThreshold,
      );
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

  /** A half message ended as `action` says (producer-transaction.ts). */
  sendTransaction(
    msg: OutgoingMessage,
    action: TransactionAction,
  ): Promise<SendResult & { action: TransactionAction }> {
    return sendTransaction(this, msg, action);
  }

  /** Answers the broker's transaction check-back with `decide` (producer-transaction.ts). */
  onTransactionCheck(decide: (req: CheckRequest) => TransactionAction | Promise<TransactionAction>): void {
    onTransactionCheck(this, decide);
  }
}
