/**
 * `local down`: stop the JVMs a state dir owns, the brokers first so they can unregister, and
 * with --purge delete the dir. Only processes that carry the dir's marker are signalled.
 */
import { rm, rmdir } from 'node:fs/promises';
import { basename } from 'node:path';
import { NameServerClient } from '../core/client/namesrv.js';
import { RemotingClient } from '../core/client/remoting-client.js';
import { ownerMarker, type Role } from './config.js';
import { purgePlan } from './owner.js';
import { localLayout } from './paths.js';
import { ownershipCheck, sleep, stopProcess } from './process.js';
import { type ProgressFn } from './resolve.js';
import { liveNodes, liveProcesses, type LocalState, probeTls, readState, writeState } from './state.js';

/** How long `down` gives the broker to unregister before stopping the name server too. */
const UNREGISTER_WAIT_MS = 10_000;

export interface DownOptions {
  dir: string;
  timeoutMs: number;
  purge: boolean;
  /** Stop and delete nothing; the result says what would be. */
  dryRun?: boolean | undefined;
  onProgress?: ProgressFn;
}

export interface StoppedProcess {
  role: Role;
  pid: number;
  /** The node of a multi-node topology (namesrv-1, broker-a-0 …). */
  node?: string | undefined;
  /** SIGTERM: stopped cleanly; SIGKILL: did not stop within --timeout. */
  signal: 'SIGTERM' | 'SIGKILL';
}

export interface DownResult {
  dir: string;
  /** Whether anything of this dir was running. */
  wasRunning: boolean;
  stopped: StoppedProcess[];
  /** Whether --purge ran (false with --dry-run). */
  purged: boolean;
  /**
   * --purge: the absolute paths deleted (with --dry-run: that would be), the dir itself last
   * when nothing else was in it. Empty when the dir holds nothing `up` created.
   */
  removed: string[];
  /** --dry-run: nothing was stopped or deleted. */
  dryRun: boolean;
  /** --dry-run: the processes `down` would stop. */
  running?: { role: Role; pid: number; node?: string | undefined }[] | undefined;
}

/** Resolves when the name server no longer lists the broker, the broker has exited, or after a while. */
async function untilUnregistered(state: LocalState | undefined, brokerStop: Promise<unknown>): Promise<void> {
  let exited = false;
  void brokerStop.then(() => {
    exited = true;
  });
  if (!state) {
    await Promise.race([brokerStop, sleep(3000)]);
    return;
  }
  const client = new RemotingClient({ timeoutMs: 1000, tls: probeTls(state.tls) });
  const namesrv = new NameServerClient(client, [state.namesrvAddr]);
  const deadline = Date.now() + UNREGISTER_WAIT_MS;
  try {
    while (!exited && Date.now() < deadline) {
      const info = await namesrv.getClusterInfo();
      if (!info.brokers.some((b) => b.brokerName === state.brokerName && b.addrs.size > 0)) return;
      await Promise.race([brokerStop, sleep(200)]);
    }
  } catch {
    // A name server that does not answer has nothing to wait for.
  } finally {
    client.close();
  }
}

export async function down(opts: DownOptions): Promise<DownResult> {
  const progress = opts.onProgress ?? (() => {});
  const layout = localLayout(opts.dir);
  const state = await readState(layout);
  // Settled before anything is stopped: a refused purge leaves the cluster as it was.
  const plan = opts.purge ? await purgePlan(layout, state?.dir) : undefined;
  const live = await liveProcesses(layout, state);
  // A topology: every JVM of the dir, brokers first.
  const multi = state?.topology ? await liveNodes(layout, state) : undefined;
  const targets: { role: Role; pid: number; node?: string | undefined }[] = multi
    ? [
        ...multi.filter((n) => n.role === 'proxy'),
        ...multi.filter((n) => n.role === 'broker'),
        ...multi.filter((n) => n.role === 'namesrv'),
      ].map((n) => ({
        role: n.role,
        pid: n.pid,
        node: n.node,
      }))
    : (['proxy', 'broker', 'namesrv'] as const).flatMap((role) => {
        const pid = live.get(role);
        return pid === undefined ? [] : [{ role, pid }];
      });
  if (opts.dryRun) {
    return {
      dir: layout.dir,
      wasRunning: live.size > 0,
      stopped: [],
      purged: false,
      removed: plan ? [...plan.entries, ...(plan.dir ? [layout.dir] : [])] : [],
      dryRun: true,
      running: targets,
    };
  }
  if (targets.length > 0) {
    const names = targets.map(
      (t) => `${t.node ?? (t.role === 'namesrv' ? 'name server' : t.role)} (pid ${t.pid})`,
    );
    progress(`stopping ${names.join(' and ')}`);
  }
  // Broker first, and the name server once the broker has unregistered from it (else the broker's
  // log fills with connection-refused traces) rather than after the broker's whole shutdown
  // (~12 s on 5.3; 5.x unregisters at once, 4.9 only near the end).
  let brokerStop: Promise<unknown> = Promise.resolve();
  const brokerStops: Promise<unknown>[] = [];
  // Identities taken before any signal: each kill is then checked against the process found here.
  const checks = await Promise.all(
    targets.map(async (t) => ({ t, isOurs: await ownershipCheck(t.pid, ownerMarker(layout), t.role) })),
  );
  const outcomes = await Promise.all(
    checks.map(async ({ t, isOurs }) => {
      // The proxy keeps nothing: it stops at once, beside the brokers.
      if (t.role === 'proxy') return stopProcess(t.pid, opts.timeoutMs, isOurs);
      if (t.role === 'broker') {
        const p = stopProcess(t.pid, opts.timeoutMs, isOurs);
        brokerStop = p;
        brokerStops.push(p);
        return p;
      }
      if (multi) await Promise.race([Promise.all(brokerStops), sleep(UNREGISTER_WAIT_MS)]);
      else if (live.has('broker')) await untilUnregistered(state, brokerStop);
      return stopProcess(t.pid, opts.timeoutMs, isOurs);
    }),
  );
  const stopped: StoppedProcess[] = [];
  targets.forEach((t, i) => {
    const outcome = outcomes[i];
    if (outcome && outcome !== 'gone') {
      stopped.push({ role: t.role, pid: t.pid, signal: outcome, ...(t.node ? { node: t.node } : {}) });
    }
  });
  if (state && !state.stoppedAt) {
    await writeState(layout, { ...state, pids: {}, stoppedAt: new Date().toISOString() });
  }
  const removed: string[] = [];
  if (plan) {
    if (plan.entries.length > 0) {
      progress(`deleting ${plan.entries.map((p) => basename(p)).join(', ')} in ${layout.dir}`);
    }
    for (const entry of plan.entries) {
      await rm(entry, { recursive: true, force: true });
      removed.push(entry);
    }
    // Still only if nothing else is there: something may have been put there since the plan.
    if (
      plan.dir &&
      (await rmdir(layout.dir).then(
        () => true,
        () => false,
      ))
    )
      removed.push(layout.dir);
  }
  return {
    dir: layout.dir,
    wasRunning: live.size > 0,
    stopped,
    purged: plan !== undefined,
    removed,
    dryRun: false,
  };
}
