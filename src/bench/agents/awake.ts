/**
 * Time that counts against a silent peer: wall time, less the watcher's own stalls.
 *
 * A coordinator names an agent lost after --agent-timeout of silence, and an agent gives up on a
 * coordinator after its timeout. What a peer said while the watcher was not run (a loaded box, a
 * swap-in, a paused VM) waits at the broker: the bus is read by pulls, and the watcher sends its
 * next pull only when it runs again, so for a round trip or more after the pause its timer would
 * see the whole pause as the peer's silence. So a gap between two readings longer than
 * `maxGapMs` counts as `maxGapMs` only: the watcher reads this clock at least every
 * `maxGapMs / 4` (its timer) and at every word it hears, so a longer gap is the watcher not
 * running, during which it could not have heard anyone.
 */
import type { Clock } from '../clock.js';

export class AwakeClock {
  private lastWallUs: number;
  private awakeUs = 0;
  private stalledUs = 0;

  constructor(
    private readonly clock: Pick<Clock, 'nowUs'>,
    private readonly maxGapMs: number,
  ) {
    this.lastWallUs = clock.nowUs();
  }

  /** Awake µs since this clock was made. */
  nowUs(): number {
    const wall = this.clock.nowUs();
    const gap = Math.max(0, wall - this.lastWallUs);
    const counted = Math.min(gap, this.maxGapMs * 1000);
    this.awakeUs += counted;
    this.stalledUs += gap - counted;
    this.lastWallUs = wall;
    return this.awakeUs;
  }

  /** Wall µs left out so far (the watcher's own stalls beyond maxGapMs), for a note. */
  get stalledMs(): number {
    return this.stalledUs / 1000;
  }
}
