/**
 * What the benchmark engine drives: producers and consumers behind small interfaces, so the
 * engine runs the same on the real client (rocketmq.ts) and on in-process fakes (unit tests).
 */
export interface OutMessage {
  body: Buffer;
  /** the bench header (see header.ts), carried in the `rmqb` property */
  header: string;
  tags?: string | undefined;
  keys?: string[] | undefined;
  messageGroup?: string | undefined;
  /** the queue is chosen by this string's hash (--keys N: the key) */
  hashKey?: string | undefined;
  deliverAtMs?: number | undefined;
}

export type TxAction = 'commit' | 'rollback' | 'unknown';

/** What the engine needs from a producer. Every promise must settle (ports enforce timeouts). */
export interface ProducerPort {
  /** Connects and warms the route, so the first measured send is not a connection set-up. */
  open(): Promise<void>;
  /**
   * Resolves when the broker acknowledged, with anything: a value with a `brokerName` (or an
   * array of such, for a batch) is counted for that broker, as is an error with one.
   */
  send(msg: OutMessage): Promise<unknown>;
  /**
   * Optional: send()'s callback form, used instead of send() when present (a promise per message
   * is garbage, and garbage is GC pauses in the latencies). `done` is called once, with
   * undefined when the broker acknowledged, else the error, and never before sendCb returns;
   * `brokerName`, where known, is the broker that took the message (or failed it last);
   * `status`, where known, how it was stored (RocketMQ's SendStatus: SEND_OK, or stored but not
   * flushed or replicated as the broker was configured to).
   */
  sendCb?(msg: OutMessage, done: (err: unknown, brokerName?: string, status?: string) => void): void;
  /** Resolves when the request was handed to the kernel (there is no reply): not when it was queued. */
  sendOneway(msg: OutMessage): Promise<unknown>;
  sendBatch(msgs: OutMessage[]): Promise<unknown>;
  sendTransaction(msg: OutMessage, action: TxAction): Promise<unknown>;
  close(): Promise<void>;
}

export interface ReceivedMessage {
  /** the `rmqb` property, if any */
  header: string | undefined;
  bytes: number;
}

export interface ConsumerPort {
  /**
   * Resolves once the consumer is subscribed; onMessage is called for every delivery. When it
   * returns a promise, the delivery is acknowledged only once that settles, and the consumer
   * takes no further message of that queue meanwhile (held consumers, --consume-time).
   */
  start(onMessage: (m: ReceivedMessage) => void | Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

export interface ProducerHooks {
  /** The answer to a broker's transaction check-back for the message with this header. */
  transactionDecision(header: string | undefined): TxAction;
}

export interface BenchPorts {
  producer(index: number, hooks: ProducerHooks): ProducerPort;
  /** `group` indexes parameters.groupNames. */
  consumer(index: number, group: number): ConsumerPort;
  /** Resolves when every consumer group has settled its queue assignment. */
  consumersSettled?(): Promise<void>;
}
