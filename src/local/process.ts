/**
 * Process and machine checks for the embedded cluster: is a pid one of ours, stop it politely,
 * is a port free, how full is a disk, how big is a directory.
 */
import { execFile } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, lstat, readdir, readFile, stat, statfs } from 'node:fs/promises';
import { createServer } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { MAIN_CLASS, type Role } from './config.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const hasProc = async (): Promise<boolean> => {
  try {
    await access('/proc/self/cmdline', fsConstants.R_OK);
    return true;
  } catch {
    return false;
  }
};

/** Alive and not a zombie: a killed JVM whose parent never reaped it still answers kill(pid, 0). */
export async function isAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    // No /proc (macOS) or the process just went away: trust kill(0), recheck the latter.
    return !(await hasProc());
  }
}

/** argv of a process, or undefined when it is gone or cannot be read. */
export async function commandLine(pid: number): Promise<string[] | undefined> {
  if (await hasProc()) {
    try {
      const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8');
      const argv = raw.split('\0');
      if (argv.at(-1) === '') argv.pop();
      return argv.length > 0 ? argv : undefined;
    } catch {
      return undefined;
    }
  }
  // Without /proc, `ps` gives one string; split on spaces, good enough to find our -D marker.
  return new Promise((resolve) => {
    execFile('ps', ['-ww', '-o', 'command=', '-p', String(pid)], (err, stdout) => {
      const line = stdout.trim();
      resolve(err || !line ? undefined : line.split(/\s+/));
    });
  });
}

/** The role of a pid if it is a java process carrying this cluster's owner marker, else undefined. */
export async function ownedRole(pid: number, marker: string): Promise<Role | undefined> {
  if (!Number.isInteger(pid) || pid <= 1 || !(await isAlive(pid))) return undefined;
  const argv = await commandLine(pid);
  if (!argv || !/java/.test(basename(argv[0] ?? '')) || !argv.includes(marker)) return undefined;
  if (argv.includes(MAIN_CLASS.broker)) return 'broker';
  if (argv.includes(MAIN_CLASS.namesrv)) return 'namesrv';
  if (argv.includes(MAIN_CLASS.proxy)) return 'proxy';
  return undefined;
}

/** The node name a multi-node JVM carries (-Drmq.local.node=…), undefined for the one-node cluster's. */
export async function nodeOf(pid: number): Promise<string | undefined> {
  const argv = await commandLine(pid);
  const arg = argv?.find((a) => a.startsWith(NODE_MARKER_PREFIX));
  return arg?.slice(NODE_MARKER_PREFIX.length);
}

export const NODE_MARKER_PREFIX = '-Drmq.local.node=';

/**
 * Every live process carrying the marker, found by scanning /proc. Catches JVMs a state file does
 * not name (an `up` killed between spawning and writing state). Empty where there is no /proc.
 */
export async function scanOwned(marker: string): Promise<Map<number, Role>> {
  const found = new Map<number, Role>();
  if (!(await hasProc())) return found;
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return found;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    if (pid === process.pid) continue;
    try {
      const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8');
      if (!raw.includes(marker)) continue;
    } catch {
      continue;
    }
    const role = await ownedRole(pid, marker);
    if (role) found.set(pid, role);
  }
  return found;
}

/**
 * When a process started, in clock ticks since boot (/proc/<pid>/stat field 22); undefined where
 * there is no /proc. A pid is recycled, a pid and its start time are not.
 */
export async function startTime(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses) start at field 3.
    return stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .at(22 - 3);
  } catch {
    return undefined;
  }
}

/**
 * A test that `pid` is still the process found as `role` of the cluster with `marker`: it carries
 * the marker and has the start time it had now. Run it right before every signal.
 */
export async function ownershipCheck(
  pid: number,
  marker: string,
  role: Role,
): Promise<() => Promise<boolean>> {
  const started = await startTime(pid);
  return async () => (await ownedRole(pid, marker)) === role && (await startTime(pid)) === started;
}

export type StopOutcome = 'SIGTERM' | 'SIGKILL' | 'gone';

/**
 * SIGTERM (RocketMQ's shutdown hooks flush and remove the `abort` file), SIGKILL after timeoutMs.
 * `isOurs` is asked before each signal and while waiting: the JVM may exit and its pid go to
 * another process at any moment, and a kill must never reach that one. (Only pidfd_send_signal
 * closes the last microseconds between the check and the kill; Node has no binding for it.)
 */
export async function stopProcess(
  pid: number,
  timeoutMs: number,
  isOurs: () => Promise<boolean>,
): Promise<StopOutcome> {
  if (!(await isOurs())) return 'gone';
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return 'gone';
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    // Dead, or the pid belongs to someone else now: either way ours stopped after SIGTERM.
    if (!(await isOurs())) return 'SIGTERM';
    await sleep(200);
  }
  if (!(await isOurs())) return 'SIGTERM';
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return 'SIGTERM';
  }
  const killDeadline = Date.now() + 5000;
  while (Date.now() < killDeadline && (await isAlive(pid))) await sleep(100);
  return 'SIGKILL';
}

export type PortProbe = 'free' | 'in-use' | 'denied';

/** Tries to listen on host:port; the only reliable answer to "can the JVM bind it". */
export function probePort(port: number, host: string): Promise<PortProbe> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) => {
      resolve(err.code === 'EACCES' ? 'denied' : 'in-use');
    });
    server.listen({ port, host, exclusive: true }, () => {
      server.close(() => resolve('free'));
    });
  });
}

/** Nearest existing ancestor (or the path itself): statfs needs something that exists. */
export async function existingAncestor(path: string): Promise<string> {
  let p = path;
  for (;;) {
    try {
      await lstat(p);
      return p;
    } catch {
      const parent = dirname(p);
      if (parent === p) return p;
      p = parent;
    }
  }
}

/** Used percentage of the filesystem holding `path`, computed like df's Use% (and like RocketMQ). */
export async function diskUsedPercent(path: string): Promise<{ path: string; percent: number }> {
  const at = await existingAncestor(path);
  const s = await statfs(at);
  const used = s.blocks - s.bfree;
  const denominator = used + s.bavail;
  const percent = denominator > 0 ? Math.ceil((used / denominator) * 100) : 0;
  return { path: at, percent };
}

/** Bytes a directory occupies on disk (st_blocks, like du): sparse store files count what they use. */
export async function diskUsage(path: string): Promise<number> {
  let total = 0;
  const walk = async (p: string): Promise<void> => {
    let st: Awaited<ReturnType<typeof lstat>>;
    try {
      st = await lstat(p);
    } catch {
      return;
    }
    total += Number(st.blocks) * 512;
    if (!st.isDirectory()) return;
    let entries: string[] = [];
    try {
      entries = await readdir(p);
    } catch {
      return;
    }
    for (const e of entries) await walk(join(p, e));
  };
  await walk(path);
  return total;
}

/** Whether anything (file, dir, link) is at `path`. */
export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
