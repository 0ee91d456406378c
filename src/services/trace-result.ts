/**
 * What `rmq trace` answers (the --json document, schemas/trace.json): the message, its publish,
 * each group's state and attempts, and the hops between them. Types only, apart from the list of
 * group states, so the lookups (trace-locate.ts, trace-groups.ts) and the view share them.
 */
export interface TraceInput {
  /** A unique key (UNIQ_KEY, "the message id") or an offset message id. */
  id: string;
  topic?: string | undefined;
  beginMs?: number | undefined;
  endMs?: number | undefined;
  traceTopic?: string | undefined;
  /** Only these groups (default: every group consuming the topic, and every group in the trace). */
  groups?: string[] | undefined;
  /** Trace messages asked of each broker (the broker caps it at 64). */
  maxTraceMessages?: number | undefined;
  /** --max-body: largest inflated body (message and trace messages); see inflateBody. */
  maxBodyBytes?: number | undefined;
  /** Wait until this group consumed the message; TimeoutError after timeoutMs. */
  waitConsumed?: { group: string; timeoutMs: number; pollMs?: number } | undefined;
  onProgress?: ((text: string) => void) | undefined;
}

export interface TracedMessage {
  topic: string;
  msgId: string;
  offsetMsgId: string;
  brokerName: string;
  storeHost: string;
  queueId: number;
  queueOffset: number;
  tags: string | null;
  keys: string[];
  bornHost: string;
  bornTimestamp: string;
  storeTimestamp: string;
  /** Store time minus born time (the clocks of producer and broker may differ). */
  storeDelayMs: number;
  /** Bytes of the (inflated) body; null when it was not inflated (see bodyError). */
  bodyLength: number | null;
  /** Why the compressed body was not inflated, else null. */
  bodyError: string | null;
  reconsumeTimes: number;
  transaction: boolean;
  /** How the message was delayed, e.g. "level 3" or "timer", if it was. */
  delay: string | null;
}

export interface PublishInfo {
  group: string;
  /** Host that wrote the trace record (the producer). */
  clientHost: string;
  at: string;
  costMs: number;
  success: boolean;
  storeHost: string;
  msgType: string;
  regionId: string;
  offsetMsgId: string | null;
}

export interface TransactionEnd {
  state: string;
  fromTransactionCheck: boolean;
  group: string;
  at: string;
  sinceBornMs: number | null;
}

export interface Attempt {
  /** 1-based, in time order. */
  n: number;
  requestId: string;
  at: string;
  clientHost: string;
  /** Deliveries before this one, as the consumer saw it (reconsumeTimes). */
  retryTimes: number | null;
  /** Handling time; null when the consumer has not reported the outcome (yet). */
  costMs: number | null;
  success: boolean | null;
  /** From the message's store time to this delivery. */
  sinceStoredMs: number | null;
  /** From the end of the previous attempt of the group to this one. */
  sincePreviousMs: number | null;
}

export interface CopyInfo {
  topic: string;
  brokerName: string;
  queueId: number;
  queueOffset: number;
  storedAt: string;
  reconsumeTimes: number;
  /** Whether the group's offset in that queue is past the copy; null if unknown. */
  consumed: boolean | null;
}

export const GROUP_STATES = ['consumed', 'not-consumed-yet', 'retrying', 'dead-lettered', 'unknown'] as const;
export type GroupState = (typeof GROUP_STATES)[number];

export interface GroupTrace {
  group: string;
  /**
   * consumed: the group's offset is past the message and past every retry copy, and its last
   * traced attempt (if any) succeeded; retrying: it was handed back and a retry is pending;
   * dead-lettered: it is in %DLQ%<group>; unknown: broadcasting (offsets live in the clients).
   */
  state: GroupState;
  /** Whether a consumer of the group is connected; null if that could not be asked. */
  online: boolean | null;
  messageModel: string | null;
  /** The group's committed offset of the message's queue (next to consume); null if none. */
  consumerOffset: number | null;
  attempts: Attempt[];
  retries: CopyInfo[];
  deadLetter: CopyInfo | null;
  note: string | null;
}

export interface TraceResult {
  id: string;
  idKind: 'unique-key' | 'offset-id';
  /** The unique key the trace is keyed by. */
  msgId: string;
  found: boolean;
  message: TracedMessage | null;
  /** Times the message is stored in its topic (more than 1: the producer sent it again). */
  copies: number;
  publish: PublishInfo[];
  transaction: TransactionEnd[];
  groups: GroupTrace[];
  traceTopic: string;
  /** Trace records about this message that were found. */
  traceRecords: number;
  window: { begin: string; end: string | null };
  warnings: string[];
  wait?: { group: string; waitedMs: number };
}
