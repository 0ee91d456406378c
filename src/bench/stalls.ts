/**
 * Stalls: stretches of a run with no acknowledgement although messages were being sent. A broker
 * that dies, a failover, a full disk all show as one; how long it lasted is the figure an
 * availability drill is about ("from the kill to the first send that succeeded again"), which
 * neither per-second throughput (one number per interval) nor latency (only acknowledged
 * messages have one) gives.
 *
 * Counted from the first acknowledgement on, so the time a cold client needs for its first reply
 * is not one; a stall still open when sending stops ends with `toMs: null`.
 */
import type { Stall } from './result.js';

/** Shorter gaps are the ordinary jitter of a loaded machine (GC, a CPU stall), not an outage. */
export const STALL_MIN_MS = 1000;
/** The longest ones are kept; a run with more is reported as a list that long. */
export const MAX_STALLS = 20;

const round = (ms: number): number => Math.round(ms);

export class StallTracker {
  private lastAckUs = -1;
  private readonly found: Stall[] = [];

  constructor(private readonly t0Us: number) {}

  /** An acknowledgement at `nowUs` (engine clock). */
  acked(nowUs: number): void {
    const last = this.lastAckUs;
    this.lastAckUs = nowUs;
    if (last >= 0 && nowUs - last >= STALL_MIN_MS * 1000) {
      this.add({ fromMs: round((last - this.t0Us) / 1000), toMs: round((nowUs - this.t0Us) / 1000) });
    }
  }

  /** The stalls, earliest first, once sending stopped at `sendEndUs` (one still open included). */
  result(sendEndUs: number): Stall[] {
    const out = [...this.found];
    const last = this.lastAckUs;
    if (last >= 0 && sendEndUs - last >= STALL_MIN_MS * 1000) {
      out.push({
        fromMs: round((last - this.t0Us) / 1000),
        toMs: null,
        ms: round((sendEndUs - last) / 1000),
      });
    }
    return keepLongest(out);
  }

  private add(s: { fromMs: number; toMs: number }): void {
    this.found.push({ ...s, ms: s.toMs - s.fromMs });
    if (this.found.length > MAX_STALLS * 2)
      this.found.splice(0, this.found.length, ...keepLongest(this.found));
  }
}

function keepLongest(stalls: Stall[]): Stall[] {
  const kept =
    stalls.length <= MAX_STALLS ? stalls : [...stalls].sort((a, b) => b.ms - a.ms).slice(0, MAX_STALLS);
  return [...kept].sort((a, b) => a.fromMs - b.fromMs);
}

/**
 * The stalls of engines that ran side by side (worker threads, or hosts started together):
 * a time without an acknowledgement anywhere is one inside a stall of every engine, so the
 * lists are intersected. Engines without producers (no `stalls`) are left out.
 */
export function mergeStalls(lists: (Stall[] | undefined)[]): Stall[] | undefined {
  const present = lists.filter((l): l is Stall[] => l !== undefined);
  if (present.length === 0) return undefined;
  const END = Number.POSITIVE_INFINITY;
  let acc = present[0]!.map((s) => [s.fromMs, s.toMs ?? END] as const);
  for (const next of present.slice(1)) {
    const out: (readonly [number, number])[] = [];
    for (const [a0, a1] of acc) {
      for (const s of next) {
        const from = Math.max(a0, s.fromMs);
        const to = Math.min(a1, s.toMs ?? END);
        if (to > from) out.push([from, to]);
      }
    }
    acc = out;
  }
  return keepLongest(
    acc
      .filter(([from, to]) => to - from >= STALL_MIN_MS)
      .map(([fromMs, to]) =>
        to === END
          ? // Open in every engine: it lasts until the last of them stopped sending.
            { fromMs, toMs: null, ms: Math.max(...present.map((l) => openLength(l, fromMs))) }
          : { fromMs, toMs: to, ms: to - fromMs },
      ),
  );
}

/** How long an open stall of `l` lasts after `fromMs` (its end of sending minus `fromMs`). */
function openLength(l: Stall[], fromMs: number): number {
  const open = l.find((s) => s.toMs === null);
  return open ? open.fromMs + open.ms - fromMs : 0;
}
