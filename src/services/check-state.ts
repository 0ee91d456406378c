/**
 * What `rmq check` remembers between runs: the last dead-letter count of each group per cluster,
 * and when it was taken, so a rate can be computed from two runs. Kept in rmq's own state dir
 * (`${XDG_STATE_HOME:-~/.local/state}/rmq/check-state.json`), never at a path a user gives: the
 * file is rewritten on every run. A file that is damaged or too large is started afresh.
 */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export interface DlqObservation {
  /** Messages ever written to the group's DLQ (the sum of its queues' max offsets). */
  total: number;
  /** ms since the epoch */
  at: number;
}

export interface CheckState {
  version: 1;
  /** key: dlqStateKey(namesrv, group) */
  dlq: Record<string, DlqObservation>;
}

/** The file is ours, but a 1 MiB cap keeps a damaged or swapped one from costing a cron run. */
const MAX_STATE_BYTES = 1024 * 1024;
/** Observations not refreshed for this long are dropped: a group monitored once must not stay forever. */
const FORGET_AFTER_MS = 30 * 24 * 3600 * 1000;

export function checkStatePath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'rmq', 'check-state.json');
}

/** One cluster is the set of name servers asked (order does not matter). */
export function dlqStateKey(namesrv: readonly string[], group: string): string {
  return `${[...namesrv].sort().join(';')} ${group}`;
}

const emptyState = (): CheckState => ({
  version: 1,
  dlq: Object.create(null) as Record<string, DlqObservation>,
});

/** The state, or an empty one with the reason when the file was unreadable (missing is not a reason). */
export async function loadCheckState(path: string): Promise<{ state: CheckState; problem?: string }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: emptyState() };
    return { state: emptyState(), problem: `cannot read ${path}: ${(err as Error).message}` };
  }
  if (text.length > MAX_STATE_BYTES)
    return { state: emptyState(), problem: `${path} is too large; started afresh` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { state: emptyState(), problem: `${path} is not valid JSON; started afresh` };
  }
  const state = emptyState();
  const dlq = (parsed as { dlq?: unknown } | null)?.dlq;
  if (dlq && typeof dlq === 'object' && !Array.isArray(dlq)) {
    for (const [k, v] of Object.entries(dlq as Record<string, unknown>)) {
      const o = v as Partial<DlqObservation> | null;
      if (
        o &&
        typeof o.total === 'number' &&
        Number.isSafeInteger(o.total) &&
        o.total >= 0 &&
        typeof o.at === 'number' &&
        Number.isFinite(o.at)
      ) {
        state.dlq[k] = { total: o.total, at: o.at };
      }
    }
  }
  return { state };
}

export async function saveCheckState(path: string, state: CheckState, now: number): Promise<void> {
  const dlq = Object.fromEntries(Object.entries(state.dlq).filter(([, o]) => now - o.at < FORGET_AFTER_MS));
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify({ version: 1, dlq }, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  // rename: a cron run killed half-way leaves the old file whole, never a torn one.
  await rename(tmp, path);
}
