/**
 * What `rmq bench` takes, tells while it runs and returns. planBench (plan.ts) checks and
 * completes the input; runBench (run.ts) runs it; find-max.ts steps the rate.
 */
import type { EventEmitter } from 'node:events';
import type { StartEvent } from '../../bench/engine.js';
import type { TickEvent } from '../../bench/meter.js';
import type { BenchParameters, BenchResult, MessageType, SendMode } from '../../bench/result.js';
import type { Slo } from '../../bench/slo.js';
import type { ClientSecurity } from '../../core/client/remoting-client.js';
import type { AgentsOptions } from './agents.js';

export interface BenchInput {
  namesrv: string[];
  timeoutMs: number;
  /** ACL credentials and TLS, for every client the bench opens */
  security?: ClientSecurity | undefined;
  topic?: string | undefined;
  queues: number;
  producers: number;
  consumers: number;
  groups: number;
  group?: string | undefined;
  /** --consume-mode: pull, pop, or a list given to the groups in turn (pull,pop). */
  consumeModes?: string[] | undefined;
  size: number;
  /** --size as text: one size, a range "1k..16k" or weighted sizes "1k:70,4k:20" (overrides `size`) */
  sizeSpec?: string | undefined;
  payloadFile?: string | undefined;
  /** a directory whose files are the bodies, in turn */
  payloadDir?: string | undefined;
  keys: boolean;
  /** --keys N as text (overrides `keys`), and the distribution the keys are drawn from */
  keyCount?: string | undefined;
  keyDist?: string | undefined;
  /** simulated processing per message and consumer, ms */
  consumeTimeMs?: number | undefined;
  /** the open-loop rate over time (profile.ts grammar) */
  rateProfile?: string | undefined;
  /** build this backlog with the consumers held, then release them (a size or a message count) */
  backlog?: string | undefined;
  backlogTimeoutMs?: number | undefined;
  tags?: string | undefined;
  mode: SendMode;
  batch: number;
  inflight?: number | undefined;
  rate?: number | undefined;
  precise?: boolean | undefined;
  durationMs?: number | undefined;
  messages?: number | undefined;
  warmupMs: number;
  intervalMs: number;
  type?: MessageType | undefined;
  delayMs?: number | undefined;
  fifoGroups: number;
  txRollbackRatio?: number | undefined;
  verify: boolean;
  drainMs: number;
  slo: string[];
  retries: number;
  /** run on bench agents of a pool (`rmq bench agent`) instead of in this process */
  agents?: AgentsOptions | undefined;
  /** worker threads to spread producers and consumers over (1: all on the main thread) */
  workers?: number | undefined;
  /**
   * A 5.x proxy's remoting address: the workload runs twice, first with the clients' routes from
   * the name servers (direct broker access), then with them from the proxy (every request through
   * it); administration (topic and group set-up, cleanup) stays with the name servers.
   */
  proxy?: string | undefined;
  /** step the rate up (from --rate, default 1000) to the highest that holds the SLOs */
  findMax?: boolean | undefined;
  /** add a capacity plan for this target msg/s */
  planTps?: number | undefined;
  hdrLog?: string | undefined;
  csv?: string | undefined;
  toolVersion: string;
  signal?: AbortSignal;
  runId?: string;
  /** Told what happens while the run goes on (the command's live lines subscribe to it). */
  events?: EventEmitter<BenchEvents> | undefined;
}

/**
 * A run's events: the engine's `start` and `tick` (merged across worker threads, once per
 * --find-max step), and the service's own set-up texts, steps and notes.
 */
export interface BenchEvents {
  setup: [text: string];
  start: [e: StartEvent];
  tick: [e: TickEvent];
  /**
   * A run whose load comes from bench agents: one agent's own interval, before the merged one goes
   * to `tick` (the live metrics then count per agent, and leave the merged ticks to the live lines).
   */
  agentTick: [agent: string, e: TickEvent];
  step: [step: number, rate: number];
  note: [text: string];
}

export interface BenchPlan {
  params: BenchParameters;
  slos: Slo[];
  runId: string;
  /** the topic is ours to delete afterwards */
  ephemeralTopic: boolean;
  /** the groups are ours to delete afterwards */
  ephemeralGroups: boolean;
  notes: string[];
}

export interface BenchOutcome {
  result: BenchResult;
  /** an --slo threshold failed: exit 99 */
  sloFailed: boolean;
  /** a verification failed that no --slo covers: exit 9, with this message */
  checkFailed: string | undefined;
  /** --agents: some agents stopped reporting or failed, the result is partial: exit 3, with this message */
  agentsLost?: string | undefined;
}

export const DEFAULT_INFLIGHT = 32;
export const DEFAULT_DURATION_MS = 10_000;
