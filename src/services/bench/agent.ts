/**
 * `rmq bench agent --pool P`: a load host's side of a distributed bench. It joins the pool's bus
 * (creating its topics when missing), says hello once a second, answers the coordinators' clock
 * pings, and runs the share of a run it is given: its own engine on its own connections (its own
 * profile and flags: no credential ever travels on the bus), in coordinator time (the offset the
 * coordinator measured), started at the instant it is told, every interval and its result sent
 * back. Then it waits for the next run.
 *
 * A coordinator that goes silent (no message for its coordinatorTimeoutMs) ends the run here:
 * the engine stops as if interrupted and the agent waits again. So a dead coordinator leaves no
 * load running for longer than that timeout.
 */
import { cpus, hostname } from 'node:os';
import { BenchEngine } from '../../bench/engine.js';
import { encodeSourceTick } from '../../bench/gather.js';
import type { TickEvent } from '../../bench/meter.js';
import type { BenchResult } from '../../bench/result.js';
import { rocketmqPorts } from '../../bench/rocketmq.js';
import { OffsetClock } from '../../bench/clock-offset.js';
import { systemClock } from '../../bench/clock.js';
import { AwakeClock } from '../../bench/agents/awake.js';
import { Bus, ensureBusTopics } from '../../bench/agents/bus.js';
import { type BusMessage, type ControlBody, resultParts } from '../../bench/agents/codec.js';
import { encodeRanges } from '../../bench/verify-ranges.js';
import { Admin } from '../../core/client/admin.js';
import type { ClientSecurity } from '../../core/client/remoting-client.js';
import { RocketMQError } from '../../core/errors.js';
import { loadPayload } from './plan.js';

export interface AgentInput {
  namesrv: string[];
  timeoutMs: number;
  security?: ClientSecurity | undefined;
  pool: string;
  id: string;
  /** leave after this many runs (a Kubernetes Job's pod); default: until stopped */
  runs?: number | undefined;
  toolVersion: string;
  signal?: AbortSignal | undefined;
  /** what happens, one line each (stderr) */
  log: (text: string) => void;
}

export interface AgentRunSummary {
  runId: string;
  coordinator: string;
  producers: number;
  consumers: number;
  rate: number | null;
  offsetMs: number;
  outcome: 'done' | 'aborted' | 'failed';
  sent: number;
  received: number;
  error?: string;
}

export interface AgentOutcome {
  pool: string;
  id: string;
  /** the topics this agent created on joining */
  created: string[];
  runs: AgentRunSummary[];
}

const HELLO_MS = 1000;

type Run = {
  runId: string;
  coordinator: string;
  /** In the agent's awake time (see AwakeClock): its own stalls are not the coordinator's silence. */
  lastHeardUs: number;
  timeoutMs: number;
  go: (startUs: number, offsetUs: number | undefined) => void;
  /**
   * Ends the run's sending. `drain`: the coordinator is alive and says when the consumers have
   * caught up (a --verify run drains after an interrupt); otherwise nobody will, so no drain.
   */
  stop: (reason: string, drain?: boolean) => void;
  drained: boolean;
};

export async function runAgent(input: AgentInput): Promise<AgentOutcome> {
  const admin = new Admin({ namesrv: input.namesrv, timeoutMs: input.timeoutMs, ...input.security });
  let created: string[];
  try {
    created = await ensureBusTopics(admin, input.pool);
  } finally {
    admin.close();
  }
  for (const t of created) input.log(`created topic ${t} (the pool's bus)`);
  const runs: AgentRunSummary[] = [];
  let current: Run | undefined;
  const seenRuns = new Set<string>();
  let wake!: () => void;
  const stopped = new Promise<void>((r) => {
    wake = r;
  });
  const bus: Bus = new Bus({
    namesrv: input.namesrv,
    timeoutMs: input.timeoutMs,
    security: input.security,
    pool: input.pool,
    role: 'agent',
    from: input.id,
    onMessage: (m) => onControl(m),
    onRefused: (err) => input.log(`bus: ${(err as Error)?.message ?? String(err)}`),
  });
  // Read at every word from the coordinator and by the hello timer (every HELLO_MS).
  const awake = new AwakeClock(systemClock, 4 * HELLO_MS);
  const hello = () =>
    void bus.send({
      kind: 'hello',
      state: current ? 'busy' : 'idle',
      runId: current?.runId,
      host: hostname(),
      pid: process.pid,
      cores: cpus().length,
      version: input.toolVersion,
    });

  function onControl(m: BusMessage): void {
    const body = m as BusMessage & ControlBody;
    if (body.kind === 'ping') {
      // Busy agents answer only their own coordinator (its clock samples go on during a run).
      if (current && current.coordinator !== m.from) return;
      const t2 = systemClock.nowUs();
      void bus.send({ kind: 'pong', ping: body.ping, t1: body.t1, t2, t3: systemClock.nowUs() });
      return;
    }
    if (body.kind === 'run') {
      const mine = body.assignments.find((a) => a.agent === input.id);
      if (!mine || seenRuns.has(body.runId)) return;
      seenRuns.add(body.runId);
      if (current) {
        // Two coordinators of the pool chose this agent while it was idle: the later one is told
        // at once (its setup fails, naming this agent), instead of waiting out its setup timeout.
        void bus.send({
          kind: 'error',
          runId: body.runId,
          message: `${input.id} is busy with run ${current.runId} of ${current.coordinator}`,
          errorKind: 'environment',
        });
        return;
      }
      void runShare(body, mine, m.from);
      return;
    }
    if (!current || body.runId !== current.runId || m.from !== current.coordinator) return;
    current.lastHeardUs = awake.nowUs();
    if (body.kind === 'go') current.go(body.startUs, body.offsets[input.id]);
    else if (body.kind === 'drained') current.drained = true;
    else if (body.kind === 'abort') {
      current.stop(`the coordinator stopped the run: ${body.reason}`, body.reason === 'interrupted');
    }
  }

  async function runShare(
    run: Extract<ControlBody, { kind: 'run' }>,
    a: Extract<ControlBody, { kind: 'run' }>['assignments'][number],
    coordinator: string,
  ): Promise<void> {
    const p = a.params;
    const runId = run.runId;
    const controller = new AbortController();
    let goResolve!: (us: number) => void;
    let goReject!: (err: unknown) => void;
    const go = new Promise<number>((resolve, reject) => {
      goResolve = resolve;
      goReject = reject;
    });
    go.catch(() => {});
    let started = false;
    let goSeen = false;
    const clock = new OffsetClock(a.offsetUs);
    const state: Run = {
      runId,
      coordinator,
      lastHeardUs: awake.nowUs(),
      timeoutMs: run.coordinatorTimeoutMs,
      drained: false,
      go: (us, offsetUs) => {
        // The coordinator sends the go more than once (a stored message can wait at the broker).
        if (goSeen) return;
        goSeen = true;
        // The offset measured while everyone set up (more round trips, a better least-delayed one).
        if (offsetUs !== undefined && !started) {
          clock.offsetUs = offsetUs;
          summary.offsetMs = Math.round(offsetUs / 10) / 100;
        }
        const lead = (us - clock.nowUs()) / 1000;
        input.log(
          `run ${runId}: start in ${lead.toFixed(1)} ms${lead < 0 ? ' (the go came late: starting now, the schedule catches up)' : ''}`,
        );
        goResolve(us);
      },
      stop: (reason, drain = false) => {
        if (!drain) state.drained = true;
        input.log(`run ${runId}: ${reason}`);
        if (!started) goReject(new RocketMQError('timeout', reason));
        controller.abort();
      },
    };
    current = state;
    hello();
    const summary: AgentRunSummary = {
      runId,
      coordinator,
      producers: p.producers,
      consumers: p.consumers,
      rate: p.rate ?? null,
      offsetMs: Math.round(a.offsetUs / 10) / 100,
      outcome: 'done',
      sent: 0,
      received: 0,
    };
    input.log(
      `run ${runId} from ${coordinator}: ${p.producers} producers, ${p.consumers} consumers per group${p.rate !== undefined ? `, ${Math.round(p.rate * 10) / 10} msg/s` : ''}; clock offset ${summary.offsetMs} ms`,
    );
    let progressTimer: NodeJS.Timeout | undefined;
    const send = (b: Parameters<Bus['send']>[0]) => void bus.send(b);
    try {
      const payload = loadPayload(p);
      const engine = new BenchEngine({
        params: p,
        ports: rocketmqPorts(
          {
            namesrv: input.namesrv,
            timeoutMs: input.timeoutMs,
            topic: p.topic,
            producerGroup: `rmq_bench_producer_${runId}`,
            groupNames: p.groupNames,
            consumeModes: p.consumeModes,
            type: p.type,
            runId,
            consumeFromMs: Date.now() - 1000,
            retries: run.retries,
            security: input.security,
            groupConsumers: run.assignments.reduce((n, x) => n + x.params.consumers, 0),
            onWarning: (err) =>
              send({
                kind: 'warning',
                runId,
                message: `${input.id}: ${(err as Error)?.message ?? String(err)}`,
              }),
          },
          run.readQueues,
        ),
        payload,
        clock,
        runId,
        signal: controller.signal,
        toolVersion: input.toolVersion,
        producerBase: a.producerBase,
        consumerBase: a.consumerBase,
        e2eProducers: run.e2e === 'local' ? [a.producerBase, a.producerBase + p.producers] : undefined,
        beforeStart: () => {
          send({ kind: 'ready', runId });
          return go;
        },
        drainComplete: () => state.drained,
      });
      engine.on('start', (e: { startUs: number }) => {
        started = true;
        send({ kind: 'started', runId, plannedUs: e.startUs, actualUs: clock.nowUs() });
      });
      // Counts and sends per broker travel too: the coordinator's live metrics have them per broker.
      engine.on('tick', (e: TickEvent) => send({ kind: 'tick', runId, tick: encodeSourceTick(e) }));
      engine.on('phase', (phase: string) => {
        send({ kind: 'phase', runId, phase, progress: engine.drainProgress() });
        if (phase === 'drain' && !progressTimer) {
          progressTimer = setInterval(
            () => send({ kind: 'progress', runId, progress: engine.drainProgress() }),
            200,
          );
        }
      });
      engine.on('warning', (err: unknown) =>
        send({ kind: 'warning', runId, message: `${input.id}: ${(err as Error)?.message ?? String(err)}` }),
      );
      const result: BenchResult = await engine.run();
      if (progressTimer) clearInterval(progressTimer);
      const verifier = engine.verifierState();
      const parts = resultParts(JSON.stringify({ result, verifier: verifier && encodeRanges(verifier) }));
      // In order, each retried: the coordinator reassembles them by number whatever order they come in.
      for (let i = 0; i < parts.length; i++) {
        await bus.send({ kind: 'done', runId, part: i, parts: parts.length, data: parts[i]! });
      }
      summary.sent = result.totals.sent;
      summary.received = result.totals.received;
      if (result.interrupted) summary.outcome = 'aborted';
      input.log(
        `run ${runId}: ${result.interrupted ? 'stopped' : 'done'}, ${summary.sent} sent, ${summary.received} received`,
      );
    } catch (err) {
      summary.outcome = 'failed';
      summary.error = (err as Error)?.message ?? String(err);
      input.log(`run ${runId} failed: ${summary.error}`);
      await bus.send({
        kind: 'error',
        runId,
        message: summary.error,
        errorKind: err instanceof RocketMQError ? err.kind : 'bug',
      });
    } finally {
      if (progressTimer) clearInterval(progressTimer);
      current = undefined;
      runs.push(summary);
      hello();
      if (input.runs !== undefined && runs.length >= input.runs) wake();
    }
  }

  await bus.start();
  input.log(`agent ${input.id} joined pool ${input.pool}, waiting for runs`);
  hello();
  const timer = setInterval(() => {
    hello();
    const c = current;
    if (c && (awake.nowUs() - c.lastHeardUs) / 1000 > c.timeoutMs) {
      c.lastHeardUs = Number.POSITIVE_INFINITY;
      c.stop(`no word from the coordinator for ${Math.round(c.timeoutMs / 1000)}s: stopping`);
    }
  }, HELLO_MS);
  const onAbort = () => {
    current?.stop('the agent is stopping');
    wake();
  };
  input.signal?.addEventListener('abort', onAbort);
  if (input.signal?.aborted) onAbort();
  try {
    await stopped;
    // A run in progress ends (as interrupted) and is reported before the agent leaves.
    while (current) await new Promise((r) => setTimeout(r, 100));
  } finally {
    clearInterval(timer);
    input.signal?.removeEventListener('abort', onAbort);
    await bus.close();
  }
  return { pool: input.pool, id: input.id, created, runs };
}
