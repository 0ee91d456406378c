/**
 * The verdicts of `rmq smoke`, as pure functions of what was sent and what arrived: per message
 * type (delivered exactly once, FIFO in order, delay not early, rollback never delivered), the
 * SLOs, and the run's status. No I/O here, so each rule is testable on its own.
 */
import { type Histogram, recordUs } from '../../bench/histogram.js';
import type { SloResult } from '../../bench/result.js';
import { compareSlo, metricName, type Slo } from '../../bench/slo.js';
import type { TransactionAction } from '../../core/client/producer.js';
import type { SmokeCheck, SmokeResult, SmokeType, SmokeTypeResult } from './model.js';

/** Allowance for the producer's and broker's clocks when judging "early". */
const CLOCK_SLACK_MS = 100;

/** One acknowledged send. */
export interface Sent {
  type: SmokeType;
  seq: number;
  msgId: string;
  startUs: number;
  action?: TransactionAction | undefined;
}

/** What the consumer saw: receipt times per message id, and first receipts in arrival order. */
export interface Receipts {
  times: Map<string, number[]>;
  order: { type: SmokeType; seq: number }[];
}

export interface TypeRules {
  /** Messages of each type the run meant to send. */
  count: number;
  /** When a delay message is due, and how coarse the broker's timer is. */
  delayExpectMs: number;
  delayPrecisionMs: number;
  /** Words for the delay in the detail line, e.g. "5 s timer" or "level 2 (5 s)". */
  delayHow: string;
}

export interface TypeVerdict {
  result: SmokeTypeResult;
  check: SmokeCheck;
}

/**
 * Judges one message type; e2e (or delay overshoot) samples go into the given histograms.
 * @example judgeType('fifo', sent, receipts, 0, rules, { e2e, delay })
 */
export function judgeType(
  type: SmokeType,
  sent: readonly Sent[],
  receipts: Receipts,
  sendFailed: number,
  rules: TypeRules,
  hist: { e2e: Histogram; delay: Histogram },
): TypeVerdict {
  const mine = sent.filter((s) => s.type === type);
  const exp = mine.filter((s) => s.action !== 'rollback');
  const r: SmokeTypeResult = {
    type,
    sent: mine.length,
    sendFailed,
    expected: exp.length,
    received: 0,
    lost: 0,
    duplicates: 0,
    reordered: 0,
    early: 0,
    minDelayMs: null,
    rolledBackDelivered: 0,
  };
  for (const s of exp) {
    const got = receipts.times.get(s.msgId);
    if (!got) {
      r.lost++;
      continue;
    }
    r.received++;
    r.duplicates += got.length - 1;
    const first = got[0]!;
    if (type === 'delay') {
      const delayedMs = (first - s.startUs) / 1000;
      r.minDelayMs = r.minDelayMs === null ? delayedMs : Math.min(r.minDelayMs, delayedMs);
      if (delayedMs < rules.delayExpectMs - rules.delayPrecisionMs - CLOCK_SLACK_MS) r.early++;
      recordUs(hist.delay, Math.max(0, first - (s.startUs + rules.delayExpectMs * 1000)));
    } else {
      recordUs(hist.e2e, first - s.startUs);
    }
  }
  for (const s of mine) if (s.action === 'rollback' && receipts.times.has(s.msgId)) r.rolledBackDelivered++;
  if (type === 'fifo') r.reordered = countReordered(receipts.order.filter((x) => x.type === 'fifo'));
  return { result: r, check: describe(r, rules) };
}

/** Arrivals whose sequence number is below one that arrived before them. */
export function countReordered(arrivals: readonly { seq: number }[]): number {
  let last = -1;
  let reordered = 0;
  for (const o of arrivals) {
    if (o.seq < last) reordered++;
    last = Math.max(last, o.seq);
  }
  return reordered;
}

function describe(r: SmokeTypeResult, rules: TypeRules): SmokeCheck {
  let detail = `${r.received}/${r.expected} delivered${r.sendFailed ? `, ${r.sendFailed} send(s) failed` : ''}`;
  let ok = r.lost === 0 && r.duplicates === 0 && r.sendFailed === 0 && r.expected === rules.count;
  if (r.type === 'fifo') {
    detail += r.reordered ? `, ${r.reordered} out of order` : ', in order';
    ok &&= r.reordered === 0;
  }
  if (r.type === 'delay') {
    detail += r.early
      ? `, ${r.early} early (${rules.delayHow})`
      : `, none early (${rules.delayHow}${r.minDelayMs !== null ? `; shortest ${(r.minDelayMs / 1000).toFixed(2)} s` : ''})`;
    ok &&= r.early === 0;
  }
  if (r.type === 'transaction') {
    detail += r.rolledBackDelivered
      ? ', the rolled-back message was delivered'
      : ', the rolled-back one was not';
    ok &&= r.rolledBackDelivered === 0;
  }
  const problems = [r.lost && `${r.lost} lost`, r.duplicates && `${r.duplicates} duplicate(s)`].filter(
    Boolean,
  );
  if (problems.length) detail += ` (${problems.join(', ')})`;
  return { name: r.type, ok, detail };
}

export interface SmokeScalars {
  errors: number;
  lost: number;
  duplicates: number;
  reordered: number;
}

/** Each SLO against the run's counts and histograms; a histogram with no samples fails its SLO. */
export function evaluateSlos(
  slos: readonly Slo[],
  scalars: SmokeScalars,
  hist: Readonly<Record<string, Histogram>>,
): SloResult[] {
  return slos.map((s) => {
    const m = s.metric;
    let actual: number | null;
    if (m.kind === 'scalar') {
      actual = scalars[m.name as keyof SmokeScalars];
    } else {
      const h = hist[m.histogram];
      if (!h || h.totalCount === 0) actual = null;
      else if (m.kind === 'quantile')
        actual = m.percentile >= 100 ? h.maxValue : h.getValueAtPercentile(m.percentile);
      else if (m.stat === 'mean') actual = h.mean;
      else if (m.stat === 'max') actual = h.maxValue;
      else if (m.stat === 'min') actual = h.minNonZeroValue;
      else actual = h.stdDeviation;
    }
    return {
      expr: s.expr,
      metric: metricName(m),
      op: s.op,
      threshold: s.threshold,
      actual,
      pass: actual !== null && compareSlo(actual, s.op, s.threshold),
    };
  });
}

/** A failed check outranks a failed SLO; an interrupted run stays interrupted. */
export function finalStatus(result: Pick<SmokeResult, 'status' | 'checks' | 'slo'>): SmokeResult['status'] {
  if (result.status === 'interrupted') return 'interrupted';
  if (result.checks.some((c) => !c.ok)) return 'check-failed';
  if (result.slo.some((s) => !s.pass)) return 'slo-failed';
  return 'passed';
}
