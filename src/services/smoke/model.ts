/**
 * What `rmq smoke` takes and returns, and the parsers of its flags. The run itself is in run.ts
 * (steps.ts holds its steps, checks.ts the pure verdicts).
 *
 * The outcome is data: `checks` (each ✓/✗ with a line of detail), `slo`, and `status`
 * (passed / check-failed / slo-failed) which the command maps to exit 0 / 9 / 99.
 */
import type { LatencySummary, SloResult } from '../../bench/result.js';
import { parseSlo, type Slo } from '../../bench/slo.js';
import type { ClientSecurity } from '../../core/client/remoting-client.js';
import { InvalidArgumentError } from '../../core/errors.js';

export const SMOKE_TYPES = ['normal', 'fifo', 'delay', 'transaction'] as const;
export type SmokeType = (typeof SMOKE_TYPES)[number];

export interface SmokeInput {
  namesrv: string[];
  /**
   * A 5.x proxy's remoting address: producers and consumers go through it (their routes come from
   * it); discovery, topic and group set-up and cleanup stay with the name servers.
   */
  proxy?: string | undefined;
  timeoutMs: number;
  security?: ClientSecurity | undefined;
  /** Default: a new topic named rmq_smoke_<run>, created and deleted. */
  topic?: string | undefined;
  create: boolean;
  /** Default: all four. */
  types?: SmokeType[] | undefined;
  count: number;
  /** 5.x timer delay of the delay messages. */
  delayMs: number;
  /** 4.x delay level of the delay messages. */
  delayLevel: number;
  /** How long to wait for messages to arrive, beyond their delay. */
  waitMs: number;
  trace: boolean;
  traceTopic?: string | undefined;
  slo: string[];
  signal?: AbortSignal | undefined;
  onProgress?: ((text: string) => void) | undefined;
}

export interface SmokeCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface SmokeTypeResult {
  type: SmokeType;
  sent: number;
  sendFailed: number;
  expected: number;
  received: number;
  lost: number;
  duplicates: number;
  /** FIFO: messages that arrived before one sent earlier. */
  reordered: number;
  /** Delay: messages delivered before their delay was up. */
  early: number;
  /** Delay: the shortest delay seen, ms. */
  minDelayMs: number | null;
  /** Transaction: rolled-back messages that were delivered anyway. */
  rolledBackDelivered: number;
}

export interface SmokeResult {
  status: 'passed' | 'check-failed' | 'slo-failed' | 'interrupted';
  runId: string;
  namesrv: string[];
  /** The proxy the messages went through (--proxy); null: straight to the brokers. */
  proxy: string | null;
  brokers: { brokerName: string; address: string; version: string }[];
  topic: string;
  topicCreated: boolean;
  group: string;
  types: SmokeTypeResult[];
  checks: SmokeCheck[];
  /** µs, as bench reports them. */
  latency: { send: LatencySummary | null; e2e: LatencySummary | null; delay: LatencySummary | null };
  slo: SloResult[];
  trace: { msgId: string; pub: boolean; subAfter: boolean; records: number } | null;
  cleanup: { topicDeleted: boolean; groupDeleted: boolean; errors: string[] };
  elapsedMs: number;
}

/** Parses --types; 'all' or empty means all four. */
export function parseTypes(list: string[] | undefined): SmokeType[] | undefined {
  if (!list || list.length === 0) return undefined;
  const out: SmokeType[] = [];
  for (const t of list.flatMap((x) => x.split(',')).map((x) => x.trim().toLowerCase())) {
    if (!t) continue;
    if (t === 'all') return undefined;
    if (!(SMOKE_TYPES as readonly string[]).includes(t)) {
      throw new InvalidArgumentError(`unknown message type "${t}"`, {
        hint: `use ${SMOKE_TYPES.join(', ')}`,
      });
    }
    if (!out.includes(t as SmokeType)) out.push(t as SmokeType);
  }
  return out.length > 0 ? out : undefined;
}

/** The SLO metrics smoke measures (bench's names); tps/rtps make no sense for a handful of messages. */
const SMOKE_SCALARS = new Set(['errors', 'lost', 'duplicates', 'reordered']);

export function parseSmokeSlos(exprs: string[]): Slo[] {
  return exprs.map((e) => {
    const s = parseSlo(e);
    if (s.metric.kind === 'scalar' && !SMOKE_SCALARS.has(s.metric.name)) {
      throw new InvalidArgumentError(`--slo "${e}": smoke does not measure ${s.metric.name}`, {
        hint: 'smoke measures latencies p99(send|e2e|delay)… and errors, lost, duplicates, reordered; use `rmq bench` for throughput',
      });
    }
    return s;
  });
}
