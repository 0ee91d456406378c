/**
 * The BenchResult: what `rmq bench --json` prints and what `bench merge|compare|plot` read.
 *
 * Wire format (JSON, schemaVersion 1). Consumers must ignore unknown fields; a change that
 * removes or re-means a field bumps schemaVersion.
 *
 *   schemaVersion   1
 *   tool            { name: "rmq", version }
 *   runId           6 base-36 characters, also stamped in every message header
 *   startedAt/endedAt  ISO-8601 wall-clock times of the run
 *   interrupted     true when stopped by a signal before the planned end
 *   parameters      the workload as run (BenchParameters below; durations in ms, rate in msg/s)
 *   phases          actual lengths in ms: warmup, measure (the window every statistic covers), drain
 *   totals          message counts over the whole run (warmup included unless the name says measured)
 *   throughput      send/receive: tps and MB/s (MiB/s) over the measure window, and the
 *                   min/avg/max of the full-length measure intervals
 *   latency         per histogram, a LatencySummary in MICROSECONDS; absent when it has no samples
 *                     send      from the intended send time (coordinated-omission corrected with --rate)
 *                     send_raw  from the moment the request was issued
 *                     e2e       consumer receipt − send time stamped in the message (same process clock)
 *                     delay     --type delay only: receipt − intended delivery time (lateness, ≥ 0)
 *   histograms      the same histograms as HdrHistogram V2 compressed (DEFLATE) base64, values in µs,
 *                   range 1 µs .. 60 s, 3 significant digits; decode with any HdrHistogram library
 *   errors          [{ key, count }]: key is `NAME(code)` for broker responses, else the error kind
 *   eventLoop       the client's own event-loop delay over the measure window, ms
 *   cpu             this process's CPU time over the whole run, ms, and µs per measured message
 *   intervals       one record per interval (BenchInterval), each tagged with its phase
 *   verification    with --verify: lost / duplicates / reordered accounting (VerificationSummary)
 *   slo             with --slo: each threshold, its actual value and pass/fail
 *   environment     what the run found: master brokers serving the topic, its readable queues
 *   plan            with --plan-tps: a capacity plan for that rate by Little's law (plan.ts)
 *   merged          `bench merge` only: how many results were combined, and their run ids
 *   findMax         with --find-max: the highest rate that held, the criterion, and every step;
 *                   the rest of the result is that step's (or the first step's, if none held)
 *   proxyHop        with --proxy: the same workload through a 5.x proxy, run right after this
 *                   (direct) one, its comparison with this one and the proxy ÷ direct ratios
 *   stalls          runs with producers: every stretch of ≥ 1 s without an acknowledgement while
 *                   sending (Stall below; at most the 20 longest, earliest first; see stalls.ts)
 *   workload        what --size ranges, --payload-dir, --keys N, --consume-time, --rate-profile and
 *                   --backlog did (WorkloadResult below): achieved sizes, keys, lag, per-step
 *                   rates, the backlog's build and drain
 *   warnings        sentences about the run's own validity (tool saturated, target rate missed, …)
 */

import type { ProfileSegment } from './profile.js';
import type { BacklogTarget, KeyDistribution, SizeDistribution } from './workload.js';

export const SCHEMA_VERSION = 1;

/** Counts by key, largest first (`errors`, `notAsAsked`). */
export const countList = (m: Map<string, number>): { key: string; count: number }[] =>
  [...m]
    .map(([key, count]) => ({ key, count }))
    .sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : 1));

export const MESSAGE_TYPES = ['normal', 'fifo', 'delay', 'transaction'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];
export const SEND_MODES = ['sync', 'async', 'oneway'] as const;
export type SendMode = (typeof SEND_MODES)[number];
export const CONSUME_MODES = ['pull', 'pop'] as const;
export type ConsumeMode = (typeof CONSUME_MODES)[number];
export const HISTOGRAM_NAMES = ['send', 'send_raw', 'e2e', 'delay'] as const;
export type HistogramName = (typeof HISTOGRAM_NAMES)[number];

export interface BenchParameters {
  topic: string;
  queues: number;
  /** 0: receive only, the messages of a run (--run-id) another process sends */
  producers: number;
  /** Consumers per group. */
  consumers: number;
  groups: number;
  /** Consumer group names, one per fan-out group. */
  groupNames: string[];
  /** How each group consumes (pull: client-balanced queues; pop: broker-assigned, 5.x); absent: all pull. */
  consumeModes?: ConsumeMode[] | undefined;
  /** Body size; with a size distribution (`sizes`), its mean, rounded. */
  size: number;
  /** --size as a range or weighted sizes (absent: every body is `size` bytes). */
  sizes?: SizeDistribution | undefined;
  payloadFile?: string | undefined;
  /** --payload-dir: the bodies are this directory's files, in turn by name. */
  payloadDir?: string | undefined;
  /** A unique key per message (--keys without a count). */
  keys: boolean;
  /** --keys N: each message gets one of N keys (k0 … kN-1), drawn by keyDist; the key's hash picks the queue. */
  keyCount?: number | undefined;
  keyDist?: KeyDistribution | undefined;
  /** --consume-time: simulated processing per message, ms; each consumer handles one message at a time. */
  consumeTimeMs?: number | undefined;
  /**
   * --rate-profile: the text as given and its segments (steps expanded). `rate` is then the
   * profile's peak, and a share of the producers (a worker thread, an agent) scales the profile
   * by its share of `rate`.
   */
  rateProfile?: { spec: string; segments: ProfileSegment[] } | undefined;
  /** --backlog: produce with the consumers held until this much is stored, then release them. */
  backlog?: BacklogTarget | undefined;
  /** --backlog: the most the build and the catch-up may take together, ms. */
  backlogTimeoutMs?: number | undefined;
  tags: string[];
  mode: SendMode;
  batch: number;
  /** Requests in flight per producer (1 with --mode sync). */
  inflight: number;
  /** Target msg/s over all producers (open loop); absent: closed loop. */
  rate?: number | undefined;
  /**
   * Open loop: keep the schedule to tens of µs by spinning the event loop between sends (costs a
   * core); otherwise Node's 1 ms timers batch the due messages, adding up to ~1 ms to `send`.
   */
  precise: boolean;
  durationMs?: number | undefined;
  messages?: number | undefined;
  warmupMs: number;
  intervalMs: number;
  type: MessageType;
  delayMs?: number | undefined;
  fifoGroups: number;
  txRollbackRatio: number;
  verify: boolean;
  drainMs: number;
  slo: string[];
}

/** Microseconds, except count. */
export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  stdev: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  p9999: number;
  max: number;
}

export interface IntervalLatency {
  p50: number;
  p99: number;
  max: number;
}

export type Phase = 'warmup' | 'measure' | 'drain';

export interface BenchInterval {
  index: number;
  phase: Phase;
  /** ms since the run's start */
  startMs: number;
  endMs: number;
  /** acknowledged (or, oneway, handed to the kernel) in this interval */
  sent: number;
  sendErrors: number;
  received: number;
  sendTps: number;
  receiveTps: number;
  sendMBps: number;
  receiveMBps: number;
  /** acknowledged − received, the largest over the consumer groups, at the interval's end */
  backlog: number;
  /** requests awaiting a reply at the interval's end */
  inflight: number;
  /** open loop: messages due by the schedule but not yet sent (the tool fell behind) */
  queued: number;
  errors: Record<string, number>;
  /** µs; null when the interval has no measured sample */
  send: IntervalLatency | null;
  e2e: IntervalLatency | null;
  eventLoopP99Ms: number;
  eventLoopMaxMs: number;
  /** this process's CPU time as a percentage of one core */
  cpuPct: number;
}

/** A stretch without an acknowledgement while sending, ms since the run's start. */
export interface Stall {
  /** the last acknowledgement before it */
  fromMs: number;
  /** the first acknowledgement after it; null: none came before sending stopped */
  toMs: number | null;
  /** its length (an open one: up to the end of sending) */
  ms: number;
}

export interface RateStats {
  tps: number;
  mbps: number;
  perInterval: { min: number; avg: number; max: number } | null;
}

export interface VerificationGroup {
  group: string;
  receivedUnique: number;
  lost: number;
  duplicates: number;
  reordered: number;
}

export interface VerificationSummary {
  /** acknowledged by the broker (oneway: handed to the kernel), committed transactions only */
  acknowledged: number;
  /** acknowledged and never received, summed over the groups */
  lost: number;
  /** receipts beyond the first of a message, summed over the groups */
  duplicates: number;
  /** --type fifo: first receipts with a lower sequence than one already received in its message group */
  reordered: number;
  /** received although the send failed (e.g. timed out after the broker stored it): not an error */
  unacknowledgedReceived: number;
  /** --type transaction: rolled-back messages a consumer received (must be 0) */
  rolledBackReceived: number;
  rolledBack: number;
  /** the drain window ended with everything acknowledged received */
  complete: boolean;
  drainMs: number;
  groups: VerificationGroup[];
  /** up to 20 lost messages as producer:sequence, to look for in the broker */
  lostSample: string[];
}

export interface SloResult {
  expr: string;
  metric: string;
  op: string;
  /** in the metric's unit: µs for latencies, msg/s for tps/rtps, a count otherwise */
  threshold: number;
  actual: number | null;
  pass: boolean;
}

// The capacity plan (`plan`, --plan-tps) is part of this wire format, so its shape lives here:
// plan.ts computes it and depends on this module, never the other way round.
export interface PlanStep {
  what: string;
  /** the arithmetic, e.g. "⌈50,000 / 20,000⌉ = 3" */
  formula: string;
  value: number;
  note?: string;
}

export interface CapacityPlan {
  targetTps: number;
  /** mean send latency the plan assumes, µs */
  latencyUs: number;
  steps: PlanStep[];
  caveats: string[];
}

export interface BenchResult {
  schemaVersion: typeof SCHEMA_VERSION;
  tool: { name: 'rmq'; version: string };
  runId: string;
  startedAt: string;
  endedAt: string;
  interrupted: boolean;
  parameters: BenchParameters;
  phases: { warmupMs: number; measureMs: number; drainMs: number };
  totals: {
    sent: number;
    sendErrors: number;
    received: number;
    measuredSent: number;
    measuredReceived: number;
    bytesSent: number;
    bytesReceived: number;
    /** open loop: due by the schedule but never sent before the end */
    unsent: number;
    /** messages of other runs seen on the topic (ignored) */
    foreign: number;
    /** samples above the histogram's 60 s range, recorded as 60 s */
    saturated: number;
    /** --type delay: messages delivered before their delivery time (recorded as lateness 0) */
    early: number;
    /**
     * receipts stamped later than they arrived: the sender's clock is ahead (another process or
     * host, --run-id); e2e is recorded as 0 for them
     */
    skewed: number;
    /** the largest such skew, µs */
    skewedMaxUs: number;
    /**
     * acknowledged messages the broker stored but did not flush or replicate as configured
     * (SendStatus FLUSH_DISK_TIMEOUT, FLUSH_SLAVE_TIMEOUT, SLAVE_NOT_AVAILABLE); counted in `sent`.
     * Absent in results written before it was counted.
     */
    storedNotAsAsked?: number;
  };
  throughput: { send: RateStats; receive: RateStats };
  latency: Partial<Record<HistogramName, LatencySummary>>;
  histograms: Partial<Record<HistogramName, string>>;
  errors: { key: string; count: number }[];
  /** totals.storedNotAsAsked by SendStatus (absent when there were none) */
  notAsAsked?: { key: string; count: number }[];
  eventLoop: { p50Ms: number; p99Ms: number; maxMs: number };
  cpu: { userMs: number; systemMs: number; usPerMessage: number | null };
  intervals: BenchInterval[];
  verification?: VerificationSummary;
  /** The measure window per broker, busiest first (absent from older result files). */
  brokers?: BrokerBreakdown[];
  /** End-to-end latency per consume mode, when groups consume differently or by POP. */
  consumeModes?: ConsumeModeBreakdown[];
  slo?: { passed: boolean; results: SloResult[] };
  environment?: { brokers: number; readQueues: number };
  plan?: CapacityPlan;
  merged?: { count: number; runIds: string[] };
  findMax?: { maxRate: number | null; criterion: string; steps: FindMaxStep[] };
  /**
   * `--proxy ADDR`: this result is the run with direct broker access; the same workload then ran
   * through the 5.x proxy at ADDR, and here is that run and how it compares.
   */
  proxyHop?: ProxyHop;
  /** With producers: stretches of ≥ 1 s without an acknowledgement while sending. */
  stalls?: Stall[];
  /** What the workload options did (absent when none was given). */
  workload?: WorkloadResult;
  warnings: string[];
}

/** The workload options' outcome; each part present when its option was given. */
export interface WorkloadResult {
  /** --size as a distribution: its bounds and mean (bytes), and the mean body actually sent */
  sizes?: { spec: string; min: number; max: number; mean: number; sentMean: number | null };
  /** --payload-dir: what was read */
  payloadDir?: { dir: string; files: number; bytes: number; minSize: number; maxSize: number };
  /** --keys N: distinct keys sent, and the share of messages that went to the most frequent one */
  keys?: { count: number; distribution: string; used: number; hottestShare: number | null };
  /**
   * --consume-time: the backlog (acknowledged − received, worst group) over the measure window:
   * its largest, its value when sending stopped, and its growth (least-squares slope, msg/s)
   */
  consumeTime?: { ms: number; maxBacklog: number; endBacklog: number; growthPerS: number | null };
  rateProfile?: { spec: string; peak: number; steps: ProfileStep[] };
  backlog?: BacklogResult;
}

/** One segment of a --rate-profile, as run (times from the measure window's start). */
export interface ProfileStep {
  index: number;
  description: string;
  /** target rates at the segment's start and end, msg/s */
  from: number;
  to: number;
  startMs: number;
  ms: number;
  /** messages the schedule made due in it */
  due: number;
  /** messages acknowledged during it (the last: also the replies in flight when sending stopped) */
  sent: number;
  /** sent / its length */
  tps: number;
  /** sent / due (1 = on target) */
  achieved: number | null;
}

/** --backlog: the build with consumers held, then the catch-up while producers go on. */
export interface BacklogResult {
  target: BacklogTarget;
  /** the target was reached and the consumers released */
  built: boolean;
  /** from the first send to the release, ms */
  buildMs: number | null;
  /** the backlog at the release (worst group), messages and bytes */
  builtMessages: number;
  builtBytes: number;
  /** from the release to the catch-up (backlog ≤ thresholdMessages), ms */
  catchUpMs: number | null;
  /** messages received per second per group between the release and the catch-up */
  drainTps: number | null;
  /** how fast the backlog shrank: builtMessages / catchUpMs */
  netDrainTps: number | null;
  caughtUp: boolean;
  /** the backlog that counts as caught up: 100 ms of sending at --rate (at least 10) */
  thresholdMessages: number;
}

/** The cost of the proxy's extra hop: the same workload, right after the direct run, through the proxy. */
export interface ProxyHop {
  /** The proxy's remoting address the clients took their routes from. */
  address: string;
  /** The run through the proxy (same parameters, its own warmup, measure window and drain). */
  result: Omit<BenchResult, 'proxyHop'>;
  /** Through the proxy against direct, as `bench compare` judges two results. */
  comparison: Comparison;
  /**
   * Through the proxy ÷ direct: send and receive TPS, and p50/p99 of the corrected send latency
   * and of end-to-end latency (null where either run has no figure).
   */
  ratios: {
    tps: number | null;
    rtps: number | null;
    p50Send: number | null;
    p99Send: number | null;
    p50E2e: number | null;
    p99E2e: number | null;
  };
}

/** One broker's share of the measure window. */
export interface BrokerBreakdown {
  brokerName: string;
  /** messages it acknowledged (or took, oneway) */
  sent: number;
  sendErrors: number;
  tps: number;
  /** its fraction of the messages acknowledged, 0–1 */
  share: number;
  /** corrected send latency (from the intended send time), µs */
  send: LatencySummary | null;
  /** the send histogram, HdrHistogram base64, for exact merges */
  histogram: string | null;
}

/** The groups of one consume mode, in the measure window. */
export interface ConsumeModeBreakdown {
  mode: ConsumeMode;
  groups: string[];
  /** receipts of this run's messages by these groups */
  received: number;
  rtps: number;
  /** end-to-end latency, µs */
  e2e: LatencySummary | null;
  /** the e2e histogram, HdrHistogram base64, for exact merges */
  histogram: string | null;
}

/** One rate step of --find-max. */
export interface FindMaxStep {
  rate: number;
  tps: number;
  rtps: number;
  sendP99Us: number | null;
  e2eP99Us: number | null;
  errors: number;
  passed: boolean;
  /** what did not hold */
  failed: string[];
}

/** `bench compare`'s verdict on one metric (compare.ts computes it). */
export type Verdict = 'better' | 'worse' | 'same' | 'n/a';

export interface MetricComparison {
  metric: string;
  unit: 'msg/s' | 'µs' | 'count';
  base: number | null;
  next: number | null;
  /** next − base */
  delta: number | null;
  /** (next − base) / base */
  relative: number | null;
  /** Welch's t of the interval series (next − base), when both have one */
  t: number | null;
  verdict: Verdict;
}

export interface Comparison {
  base: string;
  next: string;
  metrics: MetricComparison[];
  verdict: 'regression' | 'improvement' | 'no significant change';
}
