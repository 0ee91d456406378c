/**
 * `rmq bench --metrics-port`: the run's figures as metric families for a scraper, kept up to date
 * from the same tick events the live lines print (one per interval, merged across worker threads),
 * so a dashboard and the terminal never disagree.
 *
 * Everything additive is a counter here (messages, bytes, errors, latency histograms), summed tick
 * by tick, so `rate()` gives TPS over any window and `histogram_quantile()` any quantile; what is
 * read at an interval's close (backlog, in flight, the interval's own quantiles) is a gauge.
 *
 * Every series has an `agent` label: `local` for a run in this process (worker threads included,
 * as they merge before the tick). A coordinator of bench agents on other hosts feeds each agent's
 * ticks under that agent's name (observe(tick, name)), and a dashboard sums over `agent`.
 */
import type { BrokerTally } from './brokers.js';
import type { StartEvent } from './engine.js';
import { type Histogram, newHistogram } from './histogram.js';
import { type Counts, type TickEvent, zeroCounts } from './meter.js';
import { type BenchInterval, HISTOGRAM_NAMES, type HistogramName, type Phase } from './result.js';
import type { HistogramSample, MetricFamily, ValueSample } from '../ui/openmetrics.js';

export const AGENT_LOCAL = 'local';

/**
 * Bucket bounds of the exported latency histograms, seconds: 1-2.5-5 steps from 50 µs to 10 s, and
 * 30 s and 60 s (the histograms' top). Each bound's count comes from the HdrHistogram, to its
 * 0.1 % resolution.
 */
export const LATENCY_BUCKETS_S = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
  30, 60,
];

/**
 * The interval quantiles of the summary: those of the live line (p50, p99, max as quantile 1),
 * taken from it rather than computed again, for `send` and `e2e`.
 */
const SUMMARY_HISTOGRAMS = ['send', 'e2e'] as const;

const HISTOGRAM_FAMILY: Record<HistogramName, { name: string; help: string }> = {
  send: {
    name: 'rmq_bench_send_latency_seconds',
    help: 'Send latency of acknowledged messages in the measure window, from the intended send time (open loop) or the send (closed loop).',
  },
  send_raw: {
    name: 'rmq_bench_send_raw_latency_seconds',
    help: 'Send latency of acknowledged messages in the measure window, from the moment the request left.',
  },
  e2e: {
    name: 'rmq_bench_e2e_latency_seconds',
    help: 'End-to-end latency: receipt time minus the send time stamped in the message (measure window).',
  },
  delay: {
    name: 'rmq_bench_delay_lateness_seconds',
    help: 'Delayed messages: receipt time minus the delivery time asked for (measure window).',
  },
};

interface BrokerSeries {
  sent: number;
  errors: number;
  /** cumulative send latency */
  send: Histogram;
}

interface AgentSeries {
  counts: Counts;
  errors: Map<string, number>;
  /** cumulative, from the ticks' interval histograms */
  latency: Partial<Record<HistogramName, Histogram>>;
  brokers: Map<string, BrokerSeries>;
  last: BenchInterval | undefined;
  lastEndUs: number;
  phase: Phase;
}

/** The JS HdrHistogram's layout (its public API walks the buckets through slow iterators). */
interface IndexedHistogram {
  countsArrayLength: number;
  subBucketHalfCount: number;
  unitMagnitude: number;
  getCountAtIndex(i: number): number;
}

/**
 * In one pass over an HdrHistogram's buckets: the count at or below each bound (µs, ascending; a
 * bucket counts at its lowest equivalent value) and the sum of the values (each bucket's count ×
 * its median equivalent value, as HdrHistogram's mean takes them: it keeps no exact sum), µs.
 * A bucket's value is worked out here from the layout (index → lowest value, as valueFromIndex
 * does): the library's per-index calls made a scrape take 20 ms of the bench's event loop.
 */
export function bucketCounts(h: Histogram, boundsUs: readonly number[]): { counts: number[]; sumUs: number } {
  const x = h as unknown as IndexedHistogram;
  const half = x.subBucketHalfCount;
  const counts: number[] = [];
  const total = h.totalCount;
  let acc = 0;
  let sumUs = 0;
  let b = 0;
  for (let i = 0; i < x.countsArrayLength && acc < total; i++) {
    const c = x.getCountAtIndex(i);
    if (c === 0) continue;
    const block = Math.floor(i / half);
    const unit = 2 ** (Math.max(0, block - 1) + x.unitMagnitude);
    const v = (block === 0 ? i : (i % half) + half) * unit;
    while (b < boundsUs.length && v > boundsUs[b]!) {
      counts.push(acc);
      b++;
    }
    acc += c;
    sumUs += c * (v + Math.floor(unit / 2));
  }
  while (counts.length < boundsUs.length) counts.push(acc);
  return { counts, sumUs };
}

function addTo(into: Histogram, h: Histogram): void {
  if (h.totalCount > 0) into.add(h);
}

export class LiveMetrics {
  private readonly agents = new Map<string, AgentSeries>();
  private run: Record<string, string> | undefined;

  /** A run (or a --find-max step) starts; its agents' counters show 0 from now on. */
  start(e: StartEvent, agents: readonly string[] = [AGENT_LOCAL]): void {
    const p = e.parameters;
    this.run = {
      run_id: e.runId,
      topic: p.topic,
      type: p.type,
      mode: p.mode,
      loop: p.rate === undefined ? 'closed' : 'open',
    };
    for (const a of agents) this.agent(a).phase = p.warmupMs > 0 ? 'warmup' : 'measure';
  }

  private agent(name: string): AgentSeries {
    let a = this.agents.get(name);
    if (!a) {
      a = {
        counts: zeroCounts(),
        errors: new Map(),
        latency: {},
        brokers: new Map(),
        last: undefined,
        lastEndUs: 0,
        phase: 'warmup',
      };
      this.agents.set(name, a);
    }
    return a;
  }

  /** Forgets an agent that has had no interval yet (the local series of a run that turned out to have agents). */
  forgetIdle(agentName: string): void {
    if (this.agents.get(agentName)?.last === undefined) this.agents.delete(agentName);
  }

  /**
   * One interval of one agent; reads the tick's histograms during the event, as it must. Runs on
   * the bench's event loop once per interval: it only adds (an HdrHistogram add is one pass over
   * its buckets), and leaves quantiles and sums to the scrape.
   */
  observe(e: TickEvent, agentName: string = AGENT_LOCAL): void {
    const a = this.agent(agentName);
    const i = e.interval;
    const c = e.counts ?? e.sample?.counts;
    a.counts.sent += i.sent;
    a.counts.received += i.received;
    a.counts.errors += i.sendErrors;
    const secs = (i.endMs - i.startMs) / 1000;
    // Ticks without counts (none of ours) carry bytes only as a rounded rate.
    a.counts.sentBytes += c ? c.sentBytes : Math.round(i.sendMBps * secs * 1024 * 1024);
    a.counts.receivedBytes += c ? c.receivedBytes : Math.round(i.receiveMBps * secs * 1024 * 1024);
    for (const [k, n] of Object.entries(i.errors)) a.errors.set(k, (a.errors.get(k) ?? 0) + n);
    for (const name of HISTOGRAM_NAMES) {
      const h = e.histograms[name];
      if (h && h.totalCount > 0) addTo((a.latency[name] ??= newHistogram()), h);
    }
    for (const [broker, t] of e.brokers ?? new Map<string, BrokerTally>()) {
      let s = a.brokers.get(broker);
      if (!s) a.brokers.set(broker, (s = { sent: 0, errors: 0, send: newHistogram() }));
      s.sent += t.sent;
      s.errors += t.errors;
      addTo(s.send, t.send);
    }
    a.last = i;
    a.lastEndUs = e.endUs;
    a.phase = i.phase;
  }

  /** The families, in a fixed order; series without data are left out. */
  families(): MetricFamily[] {
    const agents = [...this.agents].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
    // One pass over each histogram per scrape, shared by its histogram and summary series.
    const passes = new Map<Histogram, ReturnType<typeof bucketCounts>>();
    const pass = (h: Histogram) => {
      let p = passes.get(h);
      if (!p) passes.set(h, (p = bucketCounts(h, BOUNDS_US)));
      return p;
    };
    const histogramSample = (labels: Record<string, string>, h: Histogram): HistogramSample => {
      const { counts, sumUs } = pass(h);
      return {
        labels,
        buckets: LATENCY_BUCKETS_S.map((le, k) => ({ le, count: counts[k]! })),
        count: h.totalCount,
        sum: Math.round(sumUs) / 1e6,
      };
    };
    const per = (f: (a: AgentSeries) => number): ValueSample[] =>
      agents.map(([agent, a]) => ({ labels: { agent }, value: f(a) }));
    const gauges = (f: (i: BenchInterval) => number): ValueSample[] =>
      agents.flatMap(([agent, a]) => (a.last ? [{ labels: { agent }, value: f(a.last) }] : []));
    const out: MetricFamily[] = [];
    if (this.run) {
      out.push({
        type: 'gauge',
        name: 'rmq_bench_run_info',
        help: 'The running benchmark: run id, topic, message type, send mode, open or closed loop (always 1).',
        samples: [{ labels: this.run, value: 1 }],
      });
    }
    out.push(
      {
        type: 'counter',
        name: 'rmq_bench_messages_sent',
        help: 'Messages acknowledged by the broker (oneway: handed to the kernel), every phase.',
        samples: per((a) => a.counts.sent),
      },
      {
        type: 'counter',
        name: 'rmq_bench_messages_failed',
        help: 'Messages whose send failed after its retries, every phase.',
        samples: per((a) => a.counts.errors),
      },
      {
        type: 'counter',
        name: 'rmq_bench_messages_received',
        help: 'Messages of this run received by the consumers (every group), every phase.',
        samples: per((a) => a.counts.received),
      },
      {
        type: 'counter',
        name: 'rmq_bench_sent_bytes',
        unit: 'bytes',
        help: 'Body bytes of the messages acknowledged.',
        samples: per((a) => a.counts.sentBytes),
      },
      {
        type: 'counter',
        name: 'rmq_bench_received_bytes',
        unit: 'bytes',
        help: 'Body bytes of the messages received.',
        samples: per((a) => a.counts.receivedBytes),
      },
      {
        type: 'counter',
        name: 'rmq_bench_send_errors',
        help: 'Failed messages by error: the broker response NAME(code), or the error kind (timeout, connection, ...).',
        samples: agents.flatMap(([agent, a]) =>
          [...a.errors].map(([error, value]) => ({ labels: { agent, error }, value })),
        ),
      },
    );
    for (const name of HISTOGRAM_NAMES) {
      out.push({
        type: 'histogram',
        ...HISTOGRAM_FAMILY[name],
        unit: 'seconds',
        samples: agents.flatMap(([agent, a]) => {
          const d = a.latency[name];
          return d ? [histogramSample({ agent }, d)] : [];
        }),
      });
    }
    out.push({
      type: 'summary',
      name: 'rmq_bench_interval_latency_seconds',
      unit: 'seconds',
      help: "Per histogram (send, e2e): the last interval's p50, p99 and maximum (quantile 1), as its live line shows them (none when it had no sample); count and sum of the run so far.",
      samples: agents.flatMap(([agent, a]) =>
        SUMMARY_HISTOGRAMS.flatMap((histogram) => {
          const h = a.latency[histogram];
          if (!h) return [];
          const q = a.last?.[histogram];
          return [
            {
              labels: { agent, histogram },
              quantiles: q
                ? [
                    { quantile: 0.5, value: q.p50 / 1e6 },
                    { quantile: 0.99, value: q.p99 / 1e6 },
                    { quantile: 1, value: q.max / 1e6 },
                  ]
                : [],
              count: h.totalCount,
              sum: Math.round(pass(h).sumUs) / 1e6,
            },
          ];
        }),
      ),
    });
    out.push(
      {
        type: 'gauge',
        name: 'rmq_bench_interval_sent_rate',
        help: 'Messages acknowledged per second over the last interval.',
        samples: gauges((i) => i.sendTps),
      },
      {
        type: 'gauge',
        name: 'rmq_bench_interval_received_rate',
        help: 'Messages received per second over the last interval.',
        samples: gauges((i) => i.receiveTps),
      },
      {
        type: 'gauge',
        name: 'rmq_bench_backlog_messages',
        help: 'Acknowledged but not yet received, the largest over the consumer groups, at the last interval end.',
        samples: gauges((i) => i.backlog),
      },
      {
        type: 'gauge',
        name: 'rmq_bench_inflight_requests',
        help: 'Send requests awaiting a reply at the last interval end.',
        samples: gauges((i) => i.inflight),
      },
      {
        type: 'gauge',
        name: 'rmq_bench_queued_messages',
        help: 'Open loop: messages due by the schedule but not sent yet (the tool fell behind).',
        samples: gauges((i) => i.queued),
      },
      {
        type: 'gauge',
        name: 'rmq_bench_event_loop_delay_p99_seconds',
        unit: 'seconds',
        help: "The bench process's event-loop delay, p99 over the last interval.",
        samples: gauges((i) => Math.round(i.eventLoopP99Ms * 1000) / 1e6),
      },
      {
        type: 'gauge',
        name: 'rmq_bench_cpu_ratio',
        help: "The bench process's CPU time over the last interval, as a fraction of one core.",
        samples: gauges((i) => i.cpuPct / 100),
      },
      {
        type: 'gauge',
        name: 'rmq_bench_phase',
        help: 'The phase the run is in: 1 for the current one (warmup, measure, drain), else 0.',
        samples: agents.flatMap(([agent, a]) =>
          (['warmup', 'measure', 'drain'] as Phase[]).map((phase) => ({
            labels: { agent, phase },
            value: a.phase === phase ? 1 : 0,
          })),
        ),
      },
      {
        type: 'gauge',
        name: 'rmq_bench_last_interval_timestamp_seconds',
        unit: 'seconds',
        help: 'When the last interval ended, seconds since the epoch (a stalled agent stops moving it).',
        samples: agents.flatMap(([agent, a]) =>
          a.lastEndUs > 0 ? [{ labels: { agent }, value: Math.round(a.lastEndUs / 1000) / 1000 }] : [],
        ),
      },
    );
    const brokers = agents.flatMap(([agent, a]) =>
      [...a.brokers].sort((x, y) => (x[0] < y[0] ? -1 : 1)).map(([broker, s]) => ({ agent, broker, s })),
    );
    out.push(
      {
        type: 'counter',
        name: 'rmq_bench_broker_messages_sent',
        help: 'Messages acknowledged per broker (measure window).',
        samples: brokers.map(({ agent, broker, s }) => ({ labels: { agent, broker }, value: s.sent })),
      },
      {
        type: 'counter',
        name: 'rmq_bench_broker_messages_failed',
        help: 'Messages whose send to the broker failed (measure window).',
        samples: brokers.map(({ agent, broker, s }) => ({ labels: { agent, broker }, value: s.errors })),
      },
      {
        type: 'histogram',
        name: 'rmq_bench_broker_send_latency_seconds',
        unit: 'seconds',
        help: 'Send latency per broker, from the intended send time (measure window).',
        samples: brokers
          .filter(({ s }) => s.send.totalCount > 0)
          .map(({ agent, broker, s }) => histogramSample({ agent, broker }, s.send)),
      },
    );
    return out;
  }
}

const BOUNDS_US = LATENCY_BUCKETS_S.map((s) => s * 1e6);
