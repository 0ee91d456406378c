import { EventEmitter } from 'node:events';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { type BenchResult, MESSAGE_TYPES, SEND_MODES } from '../../bench/result.js';
import { CheckFailedError, InvalidArgumentError } from '../../core/errors.js';
import { connectionFlags, duration } from '../../flags.js';
import { FIND_MAX_FACTOR } from '../../services/bench/find-max.js';
import { type BenchEvents, DEFAULT_DURATION_MS, DEFAULT_INFLIGHT } from '../../services/bench/model.js';
import { DEFAULT_METRICS_HOST, isLoopback, serveBenchMetrics } from '../../services/bench/metrics.js';
import { runBench } from '../../services/bench/run.js';
import type { MetricsServer } from '../../bench/metrics-server.js';
import { trackBench } from '../../ui/bench-progress.js';
import { proxyRatioLine, renderBenchReport, renderComparison } from '../../ui/bench-report.js';
import { stdoutColor } from '../../ui/color.js';
import type { Progress } from '../../ui/progress.js';
import { forTerminal } from '../../ui/terminal-text.js';

export default class Bench extends BaseCommand<typeof Bench> {
  static override summary = 'Load-test a topic: producers and consumers, latency histograms, TPS, SLO gates.';
  static override description = `Producers send to --topic (created when missing; a throw-away topic when not given) while consumers in one or more groups receive. Without --rate each producer keeps --inflight requests busy (closed loop); with --rate the messages follow a fixed schedule (open loop) and send latency is measured from each message's intended send time, so a stall shows as latency rather than as a slower rate (coordinated omission). Both that and the raw send latency are reported, with end-to-end latency measured by the consumers from a send time stamped in every message.

One line per interval goes to stderr; the report (or --json: a versioned BenchResult with encoded HdrHistograms) goes to stdout.

Exit codes: 99 when an --slo threshold fails; 9 when --verify finds acknowledged messages never received (unless an --slo covers lost), rolled-back transactions delivered, or FIFO order broken; with --agents, 3 when an agent stopped reporting or failed (the report is partial and says what is missing) and 4 when too few agents joined.

Two processes (or hosts): one sends with \`--consumers 0 --run-id R --topic T\`, the other receives with \`--producers 0 --run-id R --topic T\`; e2e then relies on the two clocks agreeing, and a receipt stamped in its future is counted and warned about.

SLO metrics: pNN(h), mean(h), max(h), min(h), stdev(h) with h = send | send_raw | e2e | delay and a unit (us, ms, s); tps, rtps (receive), errors, lost, duplicates, reordered.`;
  static override examples = [
    '<%= config.bin %> bench --duration 30s',
    '<%= config.bin %> bench --topic orders --producers 4 --consumers 2 --size 1k --rate 20000 --warmup 5s',
    "<%= config.bin %> bench --rate 5000 --verify --slo 'p99(send)<20ms' --slo 'p99.9(e2e)<100ms' --slo 'lost==0'",
    '<%= config.bin %> bench --type fifo --fifo-groups 32 --verify --json > result.json',
    '<%= config.bin %> bench --type delay --delay 5s --rate 1000 --duration 20s',
    '<%= config.bin %> bench --type transaction --tx-rollback-ratio 0.1 --verify',
    "<%= config.bin %> bench --find-max --rate 2000 --duration 10s --slo 'p99(send)<10ms'",
    '<%= config.bin %> bench --messages 100000 --batch 16 --consumers 0 --hdr-log send.hlog --csv intervals.csv',
    '<%= config.bin %> bench --proxy 127.0.0.1:9886 --rate 2000 --duration 10s --warmup 2s --verify',
    '<%= config.bin %> bench --rate 5000 --backlog 1GiB --duration 30s',
    "<%= config.bin %> bench --rate-profile 'steps 1000..5000 +1000 every 20s' --size 1k..16k --keys 10000 --key-dist zipf:1.1",
    '<%= config.bin %> bench --rate 2000 --consume-time 2ms --consumers 2 --duration 30s',
    '<%= config.bin %> bench --agents 3 --pool load --producers 6 --consumers 6 --rate 150000 --duration 60s --verify',
  ];
  static override flags = {
    ...connectionFlags,
    topic: Flags.string({
      char: 't',
      summary: 'Topic to bench (created when missing). Default: a new topic, deleted afterwards.',
      helpGroup: 'WORKLOAD',
    }),
    queues: Flags.integer({
      summary: 'Queues of a topic the bench creates.',
      default: 8,
      min: 1,
      helpGroup: 'WORKLOAD',
    }),
    producers: Flags.integer({
      char: 'p',
      summary: 'Producers (0: receive only the --run-id another process sends).',
      default: 1,
      min: 0,
      helpGroup: 'WORKLOAD',
    }),
    'run-id': Flags.string({
      summary:
        'Run id stamped in every message (default: random). Give the same one to a sending and a receiving process to measure e2e across processes.',
      helpGroup: 'WORKLOAD',
    }),
    consumers: Flags.integer({
      char: 'c',
      summary: 'Consumers per group (0: produce only).',
      default: 1,
      min: 0,
      helpGroup: 'WORKLOAD',
    }),
    groups: Flags.integer({
      summary: 'Consumer groups, each receiving every message (fan-out).',
      default: 1,
      min: 1,
      helpGroup: 'WORKLOAD',
    }),
    'consume-mode': Flags.string({
      summary:
        'pull (rmq balances queues, commits offsets), pop (RocketMQ 5.x: the broker hands out messages, each acked), or pull,pop: one group each, e2e compared per mode in one run.',
      default: 'pull',
      helpGroup: 'WORKLOAD',
    }),
    group: Flags.string({
      char: 'g',
      summary:
        'Consumer group name (with --groups K: prefix of NAME_0 … NAME_K-1). Default: made up, deleted afterwards.',
      helpGroup: 'WORKLOAD',
    }),
    size: Flags.string({
      char: 's',
      summary:
        'Body size (e.g. 128, 1k, 4KiB), a uniform range (1k..16k) or weighted sizes (1k:70,4k:20,64k:10).',
      defaultHelp: async () => '1KiB',
      helpGroup: 'WORKLOAD',
    }),
    'payload-file': Flags.string({
      summary: 'Send the contents of this file as every body.',
      helpGroup: 'WORKLOAD',
    }),
    'payload-dir': Flags.string({
      summary:
        "Send this directory's files as bodies, in turn by name (regular files only, at most 10,000 and 256 MiB).",
      helpGroup: 'WORKLOAD',
    }),
    keys: Flags.string({
      summary:
        'N: give each message one of N keys (k0 … kN-1, drawn by --key-dist; the key picks the queue). Without a value: a unique key per message.',
      helpGroup: 'WORKLOAD',
    }),
    'key-dist': Flags.string({
      summary: 'How --keys N are drawn: uniform, roundrobin or zipf:S (rank k with weight 1/k^S).',
      helpGroup: 'WORKLOAD',
    }),
    'consume-time': duration({
      summary: 'Simulated processing per message (e.g. 2ms): each consumer handles one message at a time.',
      helpGroup: 'WORKLOAD',
    }),
    backlog: Flags.string({
      summary:
        'Build this backlog with the consumers held (a size such as 2GiB, or a message count), then release them while producers go on at --rate.',
      description:
        'The consumers subscribe and hold their queues but take nothing until the producers have this much acknowledged; then they catch up while the producers keep sending at --rate. --duration is measured from the catch-up (backlog down to 100 ms of sending). The report gives the build time, the drain rate and the time to catch up.',
      helpGroup: 'WORKLOAD',
    }),
    'backlog-timeout': duration({
      summary: 'With --backlog: the most the build and the catch-up may take together (default 10m).',
      helpGroup: 'WORKLOAD',
    }),
    tags: Flags.string({ summary: 'Tags to cycle through, comma-separated.', helpGroup: 'WORKLOAD' }),
    type: Flags.option({
      options: MESSAGE_TYPES,
      summary: 'Message type.',
      description: 'Default normal; --delay alone implies delay.',
      helpGroup: 'WORKLOAD',
    })(),
    delay: duration({
      summary: '--type delay: deliver this long after sending (e.g. 5s).',
      helpGroup: 'WORKLOAD',
    }),
    'fifo-groups': Flags.integer({
      summary: '--type fifo: message groups per producer; one send in flight per group keeps the order.',
      default: 16,
      min: 1,
      helpGroup: 'WORKLOAD',
    }),
    'tx-rollback-ratio': Flags.string({
      summary: '--type transaction: share of transactions rolled back (0..1).',
      helpGroup: 'WORKLOAD',
    }),
    mode: Flags.option({
      options: SEND_MODES,
      default: 'async' as const,
      summary: 'sync: one request at a time per producer; async: up to --inflight; oneway: no reply.',
      helpGroup: 'SENDING',
    })(),
    batch: Flags.integer({
      summary: 'Messages per request (SEND_BATCH_MESSAGE).',
      default: 1,
      min: 1,
      helpGroup: 'SENDING',
    }),
    inflight: Flags.integer({
      summary: `Requests in flight per producer (default ${DEFAULT_INFLIGHT}).`,
      min: 1,
      helpGroup: 'SENDING',
    }),
    rate: Flags.string({
      char: 'r',
      summary: 'Target msg/s over all producers (open loop). Default: as fast as --inflight allows.',
      helpGroup: 'SENDING',
    }),
    'rate-profile': Flags.string({
      summary:
        'The open-loop rate over time instead of --rate and --duration, e.g. "1000@30s,ramp 1000..5000@60s,5000@30s" or "steps 1000..5000 +1000 every 20s".',
      helpGroup: 'SENDING',
    }),
    precise: Flags.boolean({
      summary:
        'With --rate: keep the schedule to tens of µs; replies in flight pace the sends, else a spin (up to a core).',
      description:
        "Without it, Node's 1 ms timers send the messages due within a millisecond together, which adds up to ~1 ms to the corrected send latency. With it, while a request is in flight the pacer sleeps and each reply sends what is due by then; only a gap with no reply coming is spun through, and a due message waits at most ~1 ms (a timer) for a reply that does not come.",
      helpGroup: 'SENDING',
    }),
    retries: Flags.integer({
      summary: 'Retries of a failed send (the Java default is 2).',
      default: 2,
      min: 0,
      helpGroup: 'SENDING',
    }),
    duration: duration({
      char: 'd',
      summary: `How long to measure, after --warmup (default ${DEFAULT_DURATION_MS / 1000}s).`,
      helpGroup: 'LENGTH',
    }),
    messages: Flags.integer({
      char: 'm',
      summary: 'Measure this many messages instead of a duration.',
      min: 1,
      helpGroup: 'LENGTH',
    }),
    warmup: duration({
      summary: 'Send this long first, excluded from every statistic.',
      default: 0,
      defaultHelp: async () => '0s',
      helpGroup: 'LENGTH',
    }),
    interval: duration({
      summary: 'Reporting interval.',
      default: 1000,
      defaultHelp: async () => '1s',
      helpGroup: 'LENGTH',
    }),
    verify: Flags.boolean({
      summary: 'Count lost, duplicated and (fifo) reordered messages after a drain window.',
      helpGroup: 'CHECKS',
    }),
    drain: duration({
      summary: 'After sending stops, wait at most this long for consumers to catch up.',
      default: 10_000,
      defaultHelp: async () => '10s',
      helpGroup: 'CHECKS',
    }),
    workers: Flags.integer({
      char: 'w',
      summary:
        'Spread producers and consumers over this many worker threads (more cores); histograms are merged exactly.',
      default: 1,
      min: 1,
      helpGroup: 'SENDING',
    }),
    agents: Flags.integer({
      summary:
        'Run on this many bench agents of --pool (`rmq bench agent`), producers, consumers and --rate split across them.',
      description:
        "The agents start at one instant (each converts the start time with its measured clock offset), report every interval and their result over the pool's two small topics on the cluster, and the report is the same as a local run's, with histograms merged exactly per interval. An agent silent for --agent-timeout is named and the run ends without it: a partial report and exit 3.",
      min: 1,
      helpGroup: 'AGENTS',
    }),
    pool: Flags.string({
      summary: "The agents' pool (the name given to `rmq bench agent --pool`).",
      default: 'default',
      helpGroup: 'AGENTS',
    }),
    e2e: Flags.option({
      options: ['all', 'local'] as const,
      default: 'all' as const,
      summary:
        'With --agents: all (every receipt, clocks corrected by the measured offsets) or local (only messages the receiving agent sent: no clock difference at all).',
      helpGroup: 'AGENTS',
    })(),
    'join-timeout': duration({
      summary: 'With --agents: how long to wait for the agents to join (exit 4 when too few do).',
      default: 30_000,
      defaultHelp: async () => '30s',
      helpGroup: 'AGENTS',
    }),
    'agent-timeout': duration({
      summary:
        'With --agents: an agent not heard from for this long is lost (raise it on an overloaded cluster).',
      default: 3000,
      defaultHelp: async () => '3s',
      helpGroup: 'AGENTS',
    }),
    proxy: Flags.string({
      summary:
        "A 5.x proxy's remoting address: run the workload direct, then through the proxy, and compare (the extra hop's cost).",
      description:
        "Both runs have the same parameters, one after the other (direct first), each with its own --warmup, measure window, drain, --verify and --slo; the clients of the second take their routes from the proxy, which names itself as every queue's broker. Topic and group set-up and cleanup stay with --namesrv. The report shows both runs and a comparison as `bench compare` makes it; --json adds proxyHop (the second result, the comparison and proxy ÷ direct ratios).",
    }),
    'find-max': Flags.boolean({
      summary: `Step the rate up from --rate (default 1000) by ×${FIND_MAX_FACTOR} until a step fails, then bisect: the highest rate that held the SLOs for a whole --duration.`,
      helpGroup: 'CHECKS',
    }),
    slo: Flags.string({
      summary: "Threshold that must hold, e.g. 'p99(send)<20ms', 'tps>=5000', 'lost==0' (repeatable).",
      multiple: true,
      helpGroup: 'CHECKS',
    }),
    'hdr-log': Flags.string({
      summary: 'Write an HdrHistogram interval log (µs) to this file.',
      helpGroup: 'OUTPUT',
    }),
    csv: Flags.string({ summary: 'Write one CSV row per interval to this file.', helpGroup: 'OUTPUT' }),
    'metrics-port': Flags.integer({
      summary:
        'Serve live metrics (OpenMetrics) at http://HOST:PORT/metrics while the bench runs; 0: a free port, printed on stderr.',
      min: 0,
      max: 65_535,
      helpGroup: 'OUTPUT',
    }),
    'metrics-host': Flags.string({
      summary: `Address the --metrics-port endpoint listens on (default ${DEFAULT_METRICS_HOST}, this machine only).`,
      dependsOn: ['metrics-port'],
      helpGroup: 'OUTPUT',
    }),
    'plan-tps': Flags.string({
      summary: "Add a capacity plan for this peak msg/s (Little's law, with its arithmetic).",
      helpGroup: 'OUTPUT',
    }),
  };

  /** A bare --keys (no count, as before --keys N existed) means a unique key per message. */
  public override async init(): Promise<void> {
    const i = this.argv.indexOf('--keys');
    if (i >= 0 && (i === this.argv.length - 1 || this.argv[i + 1]!.startsWith('-'))) {
      this.argv.splice(i + 1, 0, UNIQUE_KEYS);
    }
    await super.init();
  }

  async run(): Promise<BenchResult> {
    const f = this.flags;
    if (f.e2e === 'local' && f.agents === undefined) {
      throw new InvalidArgumentError('--e2e local goes with --agents', {
        hint: 'a run in one process measures e2e on one clock already',
      });
    }
    const json = this.jsonEnabled();
    // Ctrl-C ends the run early with what was measured so far (interrupted, exit 130).
    const signal = this.interruptSignal();
    let progress: Progress | undefined;
    let metrics: MetricsServer | undefined;
    const events = new EventEmitter<BenchEvents>();
    try {
      if (f['metrics-port'] !== undefined) {
        const host = f['metrics-host'] ?? DEFAULT_METRICS_HOST;
        metrics = await serveBenchMetrics(events, { host, port: f['metrics-port'] });
        // On stderr even with --json: a script scraping a port 0 endpoint needs the port.
        process.stderr.write(`metrics at ${metrics.url}\n`);
        if (!isLoopback(host)) this.note(`the metrics endpoint is reachable beyond this machine (${host})`);
      }
      progress = await this.progress('preparing');
      trackBench(events, { progress, json, note: (t) => this.note(t) });
      const c = await this.connection();
      const outcome = await runBench({
        namesrv: c.namesrv,
        timeoutMs: c.timeoutMs,
        security: { credentials: c.credentials, tls: c.tls, addressMap: c.addressMap },
        topic: f.topic,
        queues: f.queues,
        producers: f.producers,
        consumers: f.consumers,
        groups: f.groups,
        consumeModes: f['consume-mode'].split(','),
        group: f.group,
        size: 1024,
        sizeSpec: f.size,
        payloadFile: f['payload-file'],
        payloadDir: f['payload-dir'],
        keys: f.keys === UNIQUE_KEYS,
        keyCount: f.keys === undefined || f.keys === UNIQUE_KEYS ? undefined : f.keys,
        keyDist: f['key-dist'],
        consumeTimeMs: f['consume-time'],
        rateProfile: f['rate-profile'],
        backlog: f.backlog,
        backlogTimeoutMs: f['backlog-timeout'],
        tags: f.tags,
        mode: f.mode,
        batch: f.batch,
        inflight: f.inflight,
        rate: f.rate === undefined ? undefined : parseNumber(f.rate, '--rate'),
        precise: f.precise,
        findMax: f['find-max'],
        proxy: f.proxy,
        workers: f.workers,
        agents:
          f.agents === undefined
            ? undefined
            : {
                count: f.agents,
                pool: f.pool,
                e2e: f.e2e,
                joinTimeoutMs: f['join-timeout'],
                agentTimeoutMs: f['agent-timeout'],
              },
        runId: f['run-id'],
        durationMs: f.duration,
        messages: f.messages,
        warmupMs: f.warmup,
        intervalMs: f.interval,
        type: f.type,
        delayMs: f.delay,
        fifoGroups: f['fifo-groups'],
        txRollbackRatio:
          f['tx-rollback-ratio'] === undefined
            ? undefined
            : parseNumber(f['tx-rollback-ratio'], '--tx-rollback-ratio'),
        verify: f.verify === true,
        drainMs: f.drain,
        slo: f.slo ?? [],
        retries: f.retries,
        planTps: f['plan-tps'] === undefined ? undefined : parseNumber(f['plan-tps'], '--plan-tps'),
        hdrLog: f['hdr-log'],
        csv: f.csv,
        toolVersion: this.config.version,
        signal,
        events,
      });
      progress?.stop();
      progress = undefined;
      const { result, sloFailed, checkFailed, agentsLost } = outcome;
      if (!json) {
        const color = stdoutColor().level > 0;
        process.stdout.write(renderBenchReport(forTerminal(result), { color }));
        if (result.proxyHop) {
          const hop = result.proxyHop;
          process.stdout.write(`\nThrough the proxy ${this.forStdout(hop.address)}:\n`);
          process.stdout.write(renderBenchReport(forTerminal(hop.result as BenchResult), { color }));
          process.stdout.write(`\n${renderComparison(forTerminal(hop.comparison), { color })}`);
          process.stdout.write(`${proxyRatioLine(hop)}\n`);
        }
      }
      if (agentsLost) {
        // The report above is partial; it says what is missing. CONNECTION: an agent was lost.
        if (!json) process.stderr.write(`${agentsLost}\n`);
        this.setOutcome('connection');
      } else if (checkFailed) {
        // --json keeps the result (the evidence) on stdout; the exit code still says it failed.
        if (!json) throw new CheckFailedError(checkFailed, { hint: 'the lost messages are listed above' });
        this.setOutcome('check-failed');
      } else if (sloFailed) {
        this.setOutcome('slo-failed');
      } else if (result.interrupted) {
        this.setOutcome('interrupted');
      }
      return result;
    } finally {
      progress?.stop();
      await metrics?.close();
    }
  }
}

const UNIQUE_KEYS = 'unique';

function parseNumber(s: string, what: string): number {
  const n = Number(s);
  if (s.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`${what} must be a number`);
  return n;
}
