/**
 * Starting the JVMs of a local cluster: port and disk checks beforehand, spawning detached, and
 * the errors that say why one did not come up.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { EnvironmentError, type RocketMQError, TimeoutError } from '../core/errors.js';
import { childEnv, type ClusterSettings, clusterPorts, javaEnv, type Role } from './config.js';
import { lastMeaningful, type LogFiles, logFiles } from './logs.js';
import type { LocalLayout } from './paths.js';
import { diskUsedPercent, probePort, sleep } from './process.js';
import type { RemotingClient } from '../core/client/remoting-client.js';
import type { ProgressFn } from './resolve.js';
import type { LocalState } from './state.js';

/** RocketMQ 5.x rejects every write once the store's disk is above this (and cannot be raised). */
export const DISK_FULL_PERCENT = 90;

export async function checkPorts(s: ClusterSettings): Promise<void> {
  for (const use of clusterPorts(s)) {
    const hosts = use.allInterfaces ? ['127.0.0.1', '0.0.0.0'] : ['127.0.0.1'];
    for (const host of hosts) {
      const probe = await probePort(use.port, host);
      if (probe === 'free') continue;
      const which =
        use.flag === '--namesrv-port'
          ? '--namesrv-port'
          : '--broker-port (it uses port − 2, port and port + 1)';
      throw new EnvironmentError(
        probe === 'denied'
          ? `port ${use.port} (${use.role}) needs privileges to listen on`
          : `port ${use.port} (${use.role}) is already in use`,
        {
          hint: `pick another with ${which}, or stop whatever listens there (\`ss -ltnp 'sport = :${use.port}'\`)`,
        },
      );
    }
  }
}

/** Refuses a port of a topology's node that is taken (or needs privileges). */
export async function probePortsFree(
  port: number,
  everywhere: boolean,
  what: string,
  flags: string,
): Promise<void> {
  for (const host of everywhere ? ['127.0.0.1', '0.0.0.0'] : ['127.0.0.1']) {
    const probe = await probePort(port, host);
    if (probe === 'free') continue;
    throw new EnvironmentError(
      probe === 'denied'
        ? `port ${port} (${what}) needs privileges to listen on`
        : `port ${port} (${what}) is already in use`,
      {
        hint: `pick other ports with ${flags}, or stop whatever listens there (\`ss -ltnp 'sport = :${port}'\`)`,
      },
    );
  }
}

export async function checkDisk(layout: LocalLayout): Promise<void> {
  const { path, percent } = await diskUsedPercent(layout.storeDir);
  if (percent > DISK_FULL_PERCENT) {
    throw new EnvironmentError(
      `the disk holding ${path} is ${percent}% full; RocketMQ refuses writes above ${DISK_FULL_PERCENT}%`,
      { hint: 'free some space, or use --dir on another filesystem (e.g. --dir /dev/shm/rmq-local)' },
    );
  }
}

export interface Spawned {
  role: Role;
  child: ChildProcess;
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  exited: Promise<void>;
  /** Size of RocketMQ's own log at spawn: it is appended to across runs. */
  mainLogOffset: number;
  files: LogFiles;
  /** A topology's node name (namesrv-1, broker-a-0 …); undefined in the one-node cluster. */
  node?: string | undefined;
}

export function spawnJvm(
  role: Role,
  java: string,
  args: string[],
  layout: LocalLayout,
  env: Readonly<Record<string, string | undefined>>,
  node?: { name: string; files: LogFiles },
): Spawned {
  const files = node?.files ?? logFiles(layout, role);
  let mainLogOffset = 0;
  try {
    mainLogOffset = statSync(files.main).size;
  } catch {
    // first run in this dir
  }
  const out = openSync(files.stdout, 'w');
  let child: ChildProcess;
  try {
    // Detached (own session) so the JVMs outlive this command and a terminal's Ctrl-C.
    child = spawn(java, args, {
      cwd: layout.dir,
      detached: true,
      stdio: ['ignore', out, out],
      env: { ...childEnv(env), ...javaEnv(layout) },
    });
  } finally {
    closeSync(out);
  }
  const spawned: Spawned = {
    role,
    child,
    exit: undefined,
    exited: Promise.resolve(),
    mainLogOffset,
    files,
    node: node?.name,
  };
  spawned.exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      spawned.exit = { code, signal };
      resolve();
    });
    child.once('error', () => {
      spawned.exit = { code: null, signal: null };
      resolve();
    });
  });
  child.unref();
  return spawned;
}

export async function exitedError(p: Spawned): Promise<RocketMQError> {
  const { files } = p;
  const lines = await lastMeaningful(files, p.mainLogOffset);
  const how = p.exit?.signal ? `killed by ${p.exit.signal}` : `exit code ${p.exit?.code ?? '?'}`;
  const name = p.node ?? (p.role === 'broker' ? 'broker' : 'name server');
  const detail = lines.length > 0 ? `\n  ${lines.join('\n  ')}` : '';
  return new EnvironmentError(`the ${name} exited during startup (${how})${detail}`, {
    hint: `see ${files.stdout} and ${files.main}`,
  });
}

export function tcpReachable(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** Sleeps, but wakes as soon as a watched JVM exits or the caller aborts. */
export async function pause(ms: number, watched: Spawned[], signal: AbortSignal | undefined): Promise<void> {
  let onAbort = (): void => {};
  const abort = new Promise<void>((resolve) => {
    onAbort = resolve;
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([sleep(ms), abort, ...watched.map((w) => w.exited)]);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

export function portOf(address: string): number {
  return Number(address.slice(address.lastIndexOf(':') + 1));
}

export function notReady(what: string, waitMs: number, files: LogFiles): TimeoutError {
  return new TimeoutError(`the ${what} did not become ready within ${Math.round(waitMs / 1000)}s`, waitMs, {
    hint: `see ${files.main} (and ${files.stdout}); a slow machine may need a longer --wait`,
  });
}

/** What every JVM launch of one `up` shares: the runtime, the state it records into, its clock. */
export interface LaunchContext {
  layout: LocalLayout;
  java: { path: string; major: number };
  libDir: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Written as each JVM starts, so `down` can stop whatever this `up` got to. */
  state: LocalState;
  /** The caller stops these on failure. */
  spawned: Spawned[];
  deadline: number;
  waitMs: number;
  client: RemotingClient;
  progress: ProgressFn;
  signal?: AbortSignal | undefined;
}
