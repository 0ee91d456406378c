/**
 * The `workload` part of a BenchResult: what --size distributions, --payload-dir, --keys N,
 * --consume-time, --rate-profile and --backlog did, from the engine's counts and the result's
 * intervals; and the same part of several results merged (worker threads, `bench merge`).
 */
import type { TimerHandle } from './clock.js';
import { describeSegment, type ProfileSchedule, profilePeak } from './profile.js';
import type { BenchInterval, BenchParameters, BenchResult, ProfileStep, WorkloadResult } from './result.js';
import { describeKeyDist, describeSizes, sizeMax, sizeMean, sizeMin } from './workload.js';

/** The engine's --backlog bookkeeping (µs on the engine clock; 0: not yet). */
export interface BacklogState {
  held: boolean;
  built: boolean;
  releaseUs: number;
  caughtUpUs: number;
  builtMessages: number;
  builtBytes: number;
  /** receipts of all groups at the release and at the catch-up */
  receivedAtRelease: number;
  receivedAtCatchUp: number;
  threshold: number;
}

/** --rate-profile: the acknowledged count at each step's start, and at the end of sending. */
export interface StepMarks {
  acked: number[];
  end?: number;
  timers: TimerHandle[];
}

/** What counts as caught up: 100 ms of sending at the rate, at least 10 messages. */
export function backlogThreshold(p: BenchParameters): number {
  return Math.max(10, Math.ceil((p.rate ?? 0) * 0.1));
}

const round = (x: number, d = 1): number => {
  const f = 10 ** d;
  return Math.round(x * f) / f;
};

/** Least-squares slope of the backlog over time, msg/s (null with fewer than two intervals). */
export function backlogSlope(intervals: BenchInterval[]): number | null {
  if (intervals.length < 2) return null;
  const xs = intervals.map((i) => i.endMs / 1000);
  const ys = intervals.map((i) => i.backlog);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  return sxx > 0 ? round(sxy / sxx) : null;
}

export interface WorkloadInput {
  params: BenchParameters;
  result: BenchResult;
  keyCounts: Uint32Array | undefined;
  schedule: ProfileSchedule | undefined;
  measureStartUs: number;
  t0: number;
  marks: StepMarks;
  backlog: BacklogState | undefined;
  /** --payload-dir: what was read */
  payloadDir?: WorkloadResult['payloadDir'];
}

export function workloadResult(
  w: WorkloadInput,
): { workload: WorkloadResult; warnings: string[] } | undefined {
  const p = w.params;
  const r = w.result;
  const out: WorkloadResult = {};
  const warnings: string[] = [];
  if (p.sizes && p.sizes.kind !== 'fixed' && p.payloadDir === undefined) {
    out.sizes = {
      spec: describeSizes(p.sizes),
      min: sizeMin(p.sizes),
      max: sizeMax(p.sizes),
      mean: round(sizeMean(p.sizes)),
      sentMean: r.totals.sent > 0 ? round(r.totals.bytesSent / r.totals.sent) : null,
    };
  }
  if (w.payloadDir) out.payloadDir = w.payloadDir;
  if (p.keyCount !== undefined && w.keyCounts) {
    let used = 0;
    let max = 0;
    let total = 0;
    for (const c of w.keyCounts) {
      if (c > 0) used++;
      if (c > max) max = c;
      total += c;
    }
    out.keys = {
      count: p.keyCount,
      distribution: describeKeyDist(p.keyDist ?? { kind: 'uniform' }),
      used,
      hottestShare: total > 0 ? round(max / total, 4) : null,
    };
  }
  const measure = r.intervals.filter((i) => i.phase === 'measure');
  if (p.consumeTimeMs !== undefined && p.consumers > 0) {
    out.consumeTime = {
      ms: p.consumeTimeMs,
      maxBacklog: Math.max(0, ...measure.map((i) => i.backlog)),
      endBacklog: measure.at(-1)?.backlog ?? 0,
      growthPerS: backlogSlope(measure),
    };
  }
  if (p.rateProfile && w.schedule) {
    const segs = p.rateProfile.segments;
    const scale = (p.rate ?? 0) / profilePeak(segs);
    const originUs = w.measureStartUs - w.t0;
    const measureMs = r.phases.measureMs;
    const steps: ProfileStep[] = [];
    let at = 0;
    segs.forEach((s, i) => {
      const start = w.marks.acked[i];
      const end = w.marks.acked[i + 1] ?? w.marks.end;
      const ran = Math.min(s.ms, Math.max(0, measureMs - at));
      if (start !== undefined && end !== undefined && ran > 0) {
        const due = Math.round(
          w.schedule!.dueBy(originUs + (at + ran) * 1000) - w.schedule!.dueBy(originUs + at * 1000),
        );
        const sent = end - start;
        steps.push({
          index: i,
          description: describeSegment(s),
          from: round(s.from * scale),
          to: round(s.to * scale),
          startMs: at,
          ms: ran,
          due,
          sent,
          tps: round(sent / (ran / 1000)),
          achieved: due > 0 ? round(sent / due, 3) : null,
        });
      }
      at += s.ms;
    });
    out.rateProfile = { spec: p.rateProfile.spec, peak: p.rate ?? 0, steps };
    const low = steps.filter((s) => s.achieved !== null && s.achieved < 0.95 && s.due >= 20);
    if (low.length > 0) {
      warnings.push(
        `rate profile steps below 95 % of their target: ${low.map((s) => `#${s.index + 1} ${s.tps} of ${round(s.due / (s.ms / 1000))} msg/s`).join(', ')}`,
      );
    }
  }
  const bl = w.backlog;
  if (bl && p.backlog) {
    const catchUpMs = bl.caughtUpUs > 0 ? (bl.caughtUpUs - bl.releaseUs) / 1000 : null;
    const groups = Math.max(1, p.groups);
    out.backlog = {
      target: p.backlog,
      built: bl.built,
      buildMs: bl.built ? round((bl.releaseUs - w.t0) / 1000) : null,
      builtMessages: bl.builtMessages,
      builtBytes: bl.builtBytes,
      catchUpMs: catchUpMs === null ? null : round(catchUpMs),
      drainTps:
        catchUpMs !== null && catchUpMs > 0
          ? round((bl.receivedAtCatchUp - bl.receivedAtRelease) / groups / (catchUpMs / 1000))
          : null,
      netDrainTps: catchUpMs !== null && catchUpMs > 0 ? round(bl.builtMessages / (catchUpMs / 1000)) : null,
      caughtUp: bl.caughtUpUs > 0,
      thresholdMessages: bl.threshold,
    };
    if (!r.interrupted) {
      if (!bl.built) warnings.push('the backlog was not built before the time limit (--backlog-timeout)');
      else if (bl.caughtUpUs === 0) {
        warnings.push(
          'the consumers did not catch up with the producers before the time limit (--backlog-timeout)',
        );
      }
    }
  }
  return Object.keys(out).length > 0 ? { workload: out, warnings } : undefined;
}

/**
 * Several results' `workload` (worker threads of one run, or `bench merge`): counts add up, the
 * profile's steps add per step; distinct keys are the largest of any (a lower bound), the hottest
 * key's share is weighted by messages sent.
 */
export function mergeWorkload(results: BenchResult[]): WorkloadResult | undefined {
  const parts = results.map((r) => r.workload).filter((w): w is WorkloadResult => w !== undefined);
  if (parts.length === 0) return undefined;
  const first = parts[0]!;
  const out: WorkloadResult = { ...first };
  const sent = results.map((r) => r.totals.sent);
  const allSent = sent.reduce((a, b) => a + b, 0);
  if (first.sizes) {
    const bytes = results.reduce((a, r) => a + r.totals.bytesSent, 0);
    out.sizes = { ...first.sizes, sentMean: allSent > 0 ? round(bytes / allSent) : null };
  }
  if (first.keys) {
    const ks = results.map((r) => r.workload?.keys);
    const share = ks.reduce((a, k, i) => a + (k?.hottestShare ?? 0) * sent[i]!, 0);
    out.keys = {
      ...first.keys,
      used: Math.max(...ks.map((k) => k?.used ?? 0)),
      hottestShare: allSent > 0 ? round(share / allSent, 4) : null,
    };
  }
  if (first.consumeTime) {
    const cs = parts.map((p) => p.consumeTime).filter((c) => c !== undefined);
    out.consumeTime = {
      ms: first.consumeTime.ms,
      maxBacklog: cs.reduce((a, c) => a + c.maxBacklog, 0),
      endBacklog: cs.reduce((a, c) => a + c.endBacklog, 0),
      growthPerS: cs.every((c) => c.growthPerS !== null)
        ? round(cs.reduce((a, c) => a + c.growthPerS!, 0))
        : null,
    };
  }
  if (first.rateProfile) {
    const steps = first.rateProfile.steps.map((s) => {
      const same = parts.map((p) => p.rateProfile?.steps.find((x) => x.index === s.index));
      const due = same.reduce((a, x) => a + (x?.due ?? 0), 0);
      const n = same.reduce((a, x) => a + (x?.sent ?? 0), 0);
      return {
        ...s,
        from: round(same.reduce((a, x) => a + (x?.from ?? 0), 0)),
        to: round(same.reduce((a, x) => a + (x?.to ?? 0), 0)),
        due,
        sent: n,
        tps: round(n / (s.ms / 1000)),
        achieved: due > 0 ? round(n / due, 3) : null,
      };
    });
    out.rateProfile = {
      ...first.rateProfile,
      peak: parts.reduce((a, p) => a + (p.rateProfile?.peak ?? 0), 0),
      steps,
    };
  }
  return out;
}
