/**
 * One Maven download of a release at a time on this machine. On a fresh machine two `rmq local up`
 * at once (a quickstart and a test run, two lanes of the test suite, two shells) would each run a
 * Maven — a JVM's start-up of CPU and ~85 MB — over the same ~/.m2 files and the same cache dir;
 * the second one now waits for the first and takes its copy.
 *
 * The lock is a file in the release's cache dir that names its holder's pid. It is made complete
 * or not at all (written beside, then hard-linked into place, which fails when one exists), so a
 * waiter never reads it half written. A lock whose pid is gone (an `up` killed mid-download) is
 * stale and removed. Two waiters may both remove the same stale lock and then both download: the
 * copy is per process (lib.partial-<pid>) and the first complete one wins, as before the lock.
 */
import { link, readFile, rm, writeFile } from 'node:fs/promises';
import { setTimeout as wait } from 'node:timers/promises';
import { isAlive } from './process.js';

export interface LockWait {
  /** How long to wait for the holder at most. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Whether what the holder was doing is done (the release is cached): no need for the lock. */
  isDone: () => Promise<boolean>;
  /** Told once, when this process starts waiting. */
  onWait?: (holderPid: number) => void;
  pollMs?: number;
}

export type LockOutcome =
  { kind: 'held'; release: () => Promise<void> } | { kind: 'done' } | { kind: 'timeout'; holderPid: number };

async function tryCreate(file: string): Promise<boolean> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${process.pid}\n`);
  try {
    await link(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await rm(tmp, { force: true });
  }
}

/** Takes the lock at `file`, or waits until its holder is done, gone, or `timeoutMs` has passed. */
export async function takeDownloadLock(file: string, w: LockWait): Promise<LockOutcome> {
  const deadline = Date.now() + w.timeoutMs;
  let told = false;
  for (;;) {
    if (w.signal?.aborted) throw w.signal.reason;
    if (await tryCreate(file)) {
      return { kind: 'held', release: () => rm(file, { force: true }) };
    }
    const holderPid = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
    // Gone between the link and the read (released): try again at once.
    if (!Number.isInteger(holderPid)) continue;
    if (!(await isAlive(holderPid))) {
      await rm(file, { force: true });
      continue;
    }
    if (await w.isDone()) return { kind: 'done' };
    if (Date.now() >= deadline) return { kind: 'timeout', holderPid };
    if (!told) {
      told = true;
      w.onWait?.(holderPid);
    }
    // An abort cuts the wait short; the loop's first line then throws its reason.
    await wait(Math.min(w.pollMs ?? 500, Math.max(1, deadline - Date.now())), undefined, {
      signal: w.signal,
    }).catch(() => undefined);
  }
}
