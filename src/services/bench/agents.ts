/**
 * `rmq bench --agents N --pool P`: the coordinator. It waits for N idle agents of the pool (and
 * measures each one's clock offset on the way), splits the producers, consumers and --rate
 * across them (workers.ts's shares: every agent gets a producer), sends each its share, starts
 * them all at one instant in its own clock, and gathers the run from their messages exactly as
 * --workers gathers threads (gather.ts). An agent that stops reporting for --agent-timeout is
 * named at once and the run goes on without it; the result is then partial, says what is
 * missing, and the command exits CONNECTION.
 */
import type { StartEvent } from '../../bench/engine.js';
import { Gather, sourceTickEvent } from '../../bench/gather.js';
import type { Histogram } from '../../bench/histogram.js';
import type { TickEvent } from '../../bench/meter.js';
import type {
  AgentRow,
  AgentsSummary,
  BenchParameters,
  BenchResult,
  HistogramName,
} from '../../bench/result.js';
import { OffsetEstimator, offsetSample } from '../../bench/clock-offset.js';
import { systemClock } from '../../bench/clock.js';
import { AwakeClock } from '../../bench/agents/awake.js';
import { assignShares } from '../../bench/agents/split.js';
import type { Bus } from '../../bench/agents/bus.js';
import {
  type BusMessage,
  decodeAgentResult,
  type E2eScope,
  type ReportBody,
} from '../../bench/agents/codec.js';
import { RocketMQError } from '../../core/errors.js';

export interface AgentsOptions {
  count: number;
  pool: string;
  e2e: E2eScope;
  /** how long to wait for the agents to join */
  joinTimeoutMs: number;
  /** an agent silent this long is lost */
  agentTimeoutMs: number;
}

export interface CoordinatorInput {
  bus: Bus;
  /** messages of the results topic go here (the bus's onMessage forwards to it) */
  inbox: { handler: (m: BusMessage) => void };
  agents: AgentsOptions;
  params: BenchParameters;
  runId: string;
  readQueues: number;
  retries: number;
  signal?: AbortSignal | undefined;
  onStart: (e: StartEvent) => void;
  onTick: (e: TickEvent) => void;
  /** One agent's own interval, as it came (before the merged tick; for per-agent live metrics). */
  onAgentTick?: ((agent: string, e: TickEvent) => void) | undefined;
  setup: (text: string) => void;
  note: (text: string) => void;
}

interface Seen {
  id: string;
  state: 'idle' | 'busy';
  host: string;
  pid: number;
  cores: number;
  version: string;
  /** When last heard, in the coordinator's awake time (see AwakeClock). */
  lastUs: number;
  clock: OffsetEstimator;
}

/** Pongs per agent before a run may start (the least delayed of them sets its offset). */
const MIN_CLOCK_SAMPLES = 5;
const PING_MS = 100;
/** Setting up producers and consumers (routes, connections, a rebalance) on a slow cluster. */
const SETUP_TIMEOUT_MS = 60_000;
/** The coordinator tells the agents it is alive this often; they give up after coordinatorTimeoutMs. */
const BEAT_MS = 1000;
/** How often the go is sent again until the start instant (see where it is sent). */
const GO_REPEAT_MS = 500;
const COORDINATOR_TIMEOUT_MS = 15_000;
/** A gap between two readings of the awake clock beyond this is the coordinator not being run. */
const AWAKE_GAP_MS = 1000;

const ms = (us: number, d = 2): number => Math.round(us / 10 ** (3 - d)) / 10 ** d;

export async function runOnAgents(
  c: CoordinatorInput,
): Promise<{ result: BenchResult; histograms: Record<HistogramName, Histogram>; lost: string | undefined }> {
  const { bus, agents: o, params: p, runId } = c;
  const seen = new Map<string, Seen>();
  const pings = new Map<number, number>();
  let pingId = 0;
  let route: ((id: string, m: BusMessage & ReportBody) => void) | undefined;
  // Silence is judged in awake time, read at every word, by the join loop and by the watchdog.
  const awake = new AwakeClock(systemClock, AWAKE_GAP_MS);
  c.inbox.handler = (m) => {
    const r = m as BusMessage & ReportBody;
    const now = systemClock.nowUs();
    const heard = awake.nowUs();
    let s = seen.get(m.from);
    if (r.kind === 'hello') {
      if (!s) {
        s = {
          id: m.from,
          state: r.state,
          host: r.host,
          pid: r.pid,
          cores: r.cores,
          version: r.version,
          lastUs: heard,
          clock: new OffsetEstimator(),
        };
        seen.set(m.from, s);
      }
      s.state = r.state === 'busy' && r.runId === runId ? 'idle' : r.state;
      s.host = r.host;
      s.pid = r.pid;
      s.cores = r.cores;
      s.version = r.version;
    }
    if (!s) return;
    s.lastUs = heard;
    // Ours only: another coordinator of the pool numbers its pings too, from its own clock.
    if (r.kind === 'pong' && pings.get(r.ping) === r.t1) s.clock.add(offsetSample(r.t1, r.t2, r.t3, now));
    route?.(m.from, r);
  };

  // ---- join: N idle agents, each with enough clock samples (pings go on until the start) ----
  const pinger = setInterval(() => {
    const id = pingId++;
    const t1 = systemClock.nowUs();
    pings.set(id, t1);
    void bus.send({ kind: 'ping', ping: id, t1 });
  }, PING_MS);
  let chosen: Seen[] = [];
  try {
    const deadline = Date.now() + o.joinTimeoutMs;
    let shown = -1;
    for (;;) {
      const now = awake.nowUs();
      const live = [...seen.values()].filter(
        (s) => s.state === 'idle' && now - s.lastUs < o.agentTimeoutMs * 1000,
      );
      // The command exits INTERRUPTED (130) for an error after Ctrl-C, not this kind's code.
      if (c.signal?.aborted)
        throw new RocketMQError(
          'timeout',
          `interrupted while waiting for agents: ${live.length} of ${o.count} joined pool ${o.pool}`,
        );
      const ready = live.filter((s) => s.clock.count >= MIN_CLOCK_SAMPLES);
      if (live.length !== shown) {
        shown = live.length;
        c.setup(`waiting for ${o.count} agents in pool ${o.pool}: ${live.length} joined`);
      }
      if (ready.length >= o.count) {
        chosen = ready.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).slice(0, o.count);
        break;
      }
      if (Date.now() > deadline) {
        const busy = [...seen.values()].filter((s) => s.state === 'busy').map((s) => s.id);
        throw new RocketMQError(
          'timeout',
          `only ${live.length} of ${o.count} agents joined pool ${o.pool} within ${Math.round(o.joinTimeoutMs / 1000)}s${live.length > 0 ? ` (${live.map((s) => s.id).join(', ')})` : ''}${busy.length > 0 ? `; busy in another run: ${busy.join(', ')}` : ''}`,
          {
            hint: `start more agents with \`rmq bench agent --pool ${o.pool}\` on the load hosts, or wait longer`,
          },
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (err) {
    clearInterval(pinger);
    throw err;
  }

  // ---- shares and set-up ----
  const assignments = assignShares(
    p,
    chosen.map((s) => ({ id: s.id, offsetUs: s.clock.estimate()!.offsetUs })),
  );
  const parts = assignments.map((a) => a.params);
  const n = chosen.length;
  const index = new Map(chosen.map((s, i) => [s.id, i]));
  const clockOf = (s: Seen): AgentRow['clock'] => {
    const e = s.clock.estimate()!;
    return { offsetMs: ms(e.offsetUs, 3), uncertaintyMs: ms(e.uncertaintyUs, 3), samples: e.samples };
  };
  const rows: AgentRow[] = chosen.map((s, i) => {
    return {
      id: s.id,
      host: s.host,
      pid: s.pid,
      cores: s.cores,
      version: s.version,
      producers: parts[i]!.producers,
      consumers: parts[i]!.consumers,
      rate: parts[i]!.rate ?? null,
      clock: clockOf(s),
      startLagMs: null,
      status: 'done',
      totals: null,
      histogramCounts: null,
      cpuUsPerMessage: null,
    };
  });
  c.setup(`agents: ${rows.map((r) => `${r.id} (${r.producers}p/${r.consumers}c)`).join(', ')}`);

  const cpuStart = process.cpuUsage();
  const gather = new Gather(p, n, {
    onTick: c.onTick,
    drained: () => void bus.send({ kind: 'drained', runId }),
  });
  const ready = new Set<number>();
  const started: (number | undefined)[] = new Array(n);
  const resultParts: Map<number, string>[] = chosen.map(() => new Map());
  const lastSeq: number[] = new Array(n).fill(-1);
  let startUs = 0;
  let failure: RocketMQError | undefined;
  const lost: string[] = [];
  let settle!: () => void;
  const allDone = new Promise<void>((r) => {
    settle = r;
  });
  let goReady!: () => void;
  const allReady = new Promise<void>((r) => {
    goReady = r;
  });
  const sinceStartMs = () => (startUs > 0 ? Math.round((systemClock.nowUs() - startUs) / 100) / 10 : 0);
  const drop = (i: number, status: 'lost' | 'failed', reason: string) => {
    if (gather.isFinished(i)) return;
    rows[i]!.status = status;
    rows[i]!.reason = reason;
    rows[i]!.endedAtMs = sinceStartMs();
    lost.push(rows[i]!.id);
    const when = startUs > 0 ? ` at +${(rows[i]!.endedAtMs / 1000).toFixed(1)}s` : ' while setting up';
    c.note(`agent ${rows[i]!.id} (${rows[i]!.host}, pid ${rows[i]!.pid}) ${reason}${when}`);
    gather.lost(i);
    if (gather.allFinished) settle();
    if (startUs === 0)
      failure ??= new RocketMQError('connection', `agent ${rows[i]!.id} ${reason} while setting up`);
  };

  route = (id, m) => {
    const i = index.get(id);
    if (i === undefined || !('runId' in m) || m.runId !== runId) return;
    switch (m.kind) {
      case 'ready':
        ready.add(i);
        if (ready.size === n) goReady();
        break;
      case 'started':
        started[i] ??= m.actualUs;
        rows[i]!.startLagMs = ms(m.actualUs - m.plannedUs, 3);
        break;
      case 'tick':
        if (c.onAgentTick && !gather.isFinished(i)) c.onAgentTick(rows[i]!.id, sourceTickEvent(m.tick));
        gather.tick(i, m.tick);
        break;
      case 'phase':
      case 'progress': {
        // A later state wins: an earlier one read late must not move the counts back.
        const seq = (m as unknown as BusMessage).seq;
        if (seq < lastSeq[i]!) break;
        lastSeq[i] = seq;
        if (m.kind === 'phase') gather.setPhase(i, m.phase, m.progress);
        else gather.setProgress(i, m.progress);
        break;
      }
      case 'warning':
        c.note(m.message);
        break;
      case 'done': {
        const got = resultParts[i]!;
        got.set(m.part, m.data);
        if (got.size < m.parts || gather.isFinished(i)) break;
        try {
          const json = Array.from({ length: m.parts }, (_, k) => got.get(k) ?? '').join('');
          const { result, verifier } = decodeAgentResult(json);
          rows[i]!.totals = {
            sent: result.totals.sent,
            received: result.totals.received,
            sendErrors: result.totals.sendErrors,
          };
          rows[i]!.histogramCounts = Object.fromEntries(
            Object.entries(result.latency).map(([h, s]) => [h, s?.count ?? 0]),
          );
          rows[i]!.cpuUsPerMessage = result.cpu.usPerMessage ?? null;
          gather.done(i, result, verifier);
        } catch (err) {
          drop(i, 'failed', `sent a result that cannot be read: ${(err as Error).message}`);
        }
        if (gather.allFinished) settle();
        break;
      }
      case 'error':
        drop(i, 'failed', `failed: ${m.message}`);
        if (startUs === 0) {
          failure = new RocketMQError(
            ([
              'connection',
              'timeout',
              'protocol',
              'broker',
              'not-found',
              'invalid-argument',
              'environment',
            ].includes(m.errorKind)
              ? m.errorKind
              : 'connection') as ConstructorParameters<typeof RocketMQError>[0],
            `agent ${rows[i]!.id}: ${m.message}`,
          );
          goReady();
        }
        break;
    }
  };

  let stalledMs = awake.stalledMs;
  const watchdog = setInterval(() => {
    const now = awake.nowUs();
    if (awake.stalledMs - stalledMs >= 1000) {
      c.note(
        `the coordinator itself was not run for ${((awake.stalledMs - stalledMs) / 1000).toFixed(1)}s at +${(sinceStartMs() / 1000).toFixed(1)}s (a busy host?): agents' silence then is not held against them`,
      );
    }
    stalledMs = awake.stalledMs;
    chosen.forEach((s, i) => {
      if (!gather.isFinished(i) && now - s.lastUs > o.agentTimeoutMs * 1000) {
        drop(i, 'lost', `stopped reporting (nothing heard for ${((now - s.lastUs) / 1e6).toFixed(1)}s)`);
        if (startUs === 0) goReady();
      }
    });
  }, 250);
  const beat = setInterval(() => void bus.send({ kind: 'beat', runId }), BEAT_MS);
  let regoTimer: NodeJS.Timeout | undefined;
  const onAbort = () => void bus.send({ kind: 'abort', runId, reason: 'interrupted' });
  c.signal?.addEventListener('abort', onAbort);
  try {
    c.setup(`setting up ${n} agents`);
    await bus.send({
      kind: 'run',
      runId,
      assignments,
      readQueues: c.readQueues,
      retries: c.retries,
      e2e: o.e2e,
      coordinatorTimeoutMs: COORDINATOR_TIMEOUT_MS,
    });
    const setupTimer = setTimeout(() => {
      failure ??= new RocketMQError(
        'timeout',
        `the agents were not ready within ${SETUP_TIMEOUT_MS / 1000}s`,
      );
      goReady();
    }, SETUP_TIMEOUT_MS);
    await allReady;
    clearTimeout(setupTimer);
    if (failure) throw failure;
    // Far enough ahead that the go reaches every agent before it: 5 × the slowest round trip, and
    // at least 3 s (was 1 s), because the pings' best round trips say little of the bus's worst:
    // a go that comes late starts its agent at once, late by that much, and in a CI-like run on a
    // loaded 2-core box an agent started 254 ms after the others.
    clearInterval(pinger);
    const offsets: Record<string, number> = {};
    chosen.forEach((s, i) => {
      offsets[s.id] = s.clock.estimate()!.offsetUs;
      rows[i]!.clock = clockOf(s);
    });
    c.setup(
      `clocks: ${rows.map((r) => `${r.id} ${r.clock.offsetMs >= 0 ? '+' : ''}${r.clock.offsetMs} ± ${r.clock.uncertaintyMs} ms`).join(', ')}`,
    );
    const slowest = Math.max(...chosen.map((s) => s.clock.estimate()!.uncertaintyUs * 2));
    startUs = systemClock.nowUs() + Math.max(3_000_000, 5 * slowest);
    const goMessage = { kind: 'go', runId, startUs, offsets } as const;
    await bus.send(goMessage);
    // And again every 500 ms until shortly before the instant (an agent takes the first it gets).
    // A message stored while an agent's pull is being parked at the broker waits for the broker's
    // next 5 s check of parked pulls (PullRequestHoldService); the next message stored wakes it.
    regoTimer = setInterval(() => {
      if (systemClock.nowUs() < startUs - GO_REPEAT_MS * 1000) void bus.send(goMessage);
      else clearInterval(regoTimer);
    }, GO_REPEAT_MS);
    c.onStart({ runId, parameters: p, startedAt: new Date(startUs / 1000).toISOString(), startUs });
    await allDone;
  } catch (err) {
    void bus.send({ kind: 'abort', runId, reason: (err as Error).message ?? 'failed' });
    throw err;
  } finally {
    clearInterval(pinger);
    clearInterval(regoTimer);
    clearInterval(watchdog);
    clearInterval(beat);
    gather.close();
    c.signal?.removeEventListener('abort', onAbort);
    route = undefined;
  }
  if (gather.reported().length === 0) {
    throw new RocketMQError('connection', `no agent reported a result (${lost.join(', ')})`);
  }
  const { result, histograms } = gather.finish(runId, cpuStart);
  const starts = started.filter((x): x is number => x !== undefined);
  const summary: AgentsSummary = {
    pool: o.pool,
    requested: o.count,
    e2e: o.e2e,
    bus: { control: bus.names.control, results: bus.names.results },
    startSpreadMs: starts.length > 0 ? ms(Math.max(...starts) - Math.min(...starts), 3) : null,
    missing: lost,
    agents: rows,
  };
  result.agents = summary;
  const lostMessage = lost.length > 0 ? lostAgentsMessage(rows) : undefined;
  if (lostMessage) result.warnings.unshift(lostMessage);
  return { result, histograms, lost: lostMessage };
}

/** The sentence that heads a partial result: who is missing, since when, and what that leaves out. */
export function lostAgentsMessage(rows: AgentRow[]): string | undefined {
  const gone = rows.filter((r) => r.status !== 'done');
  if (gone.length === 0) return undefined;
  const who = gone
    .map(
      (r) =>
        `${r.id} (${r.status}${r.endedAtMs !== undefined ? ` at +${(r.endedAtMs / 1000).toFixed(1)}s` : ''})`,
    )
    .join(', ');
  return `partial result: ${gone.length} of ${rows.length} agents did not finish: ${who}; their counts, latencies and verification tables after their last interval are missing (${gone.reduce((a, r) => a + r.producers, 0)} producers, ${gone.reduce((a, r) => a + r.consumers, 0)} consumers per group)`;
}
