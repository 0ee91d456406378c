/**
 * A throw-away RocketMQ cluster of a test's own (`rmq local up` in a temp dir, on ports the rest
 * of the suite does not use), and what fault tests do to its JVMs: kill one and start it again
 * exactly as it ran (command line, environment and working directory read from /proc first).
 */
import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
} from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NameServerClient } from '../../src/core/client/namesrv.js';
import { RemotingClient } from '../../src/core/client/remoting-client.js';
import { RequestCode } from '../../src/core/remoting/codes.js';
import type { UpResult } from '../../src/local/cluster.js';
import { meaningfulLines } from '../../src/local/logs.js';
import { localLayout } from '../../src/local/paths.js';
import { rmq } from './cli.js';

/**
 * How long the suite lets `rmq local up` wait for a broker (its --wait). On a loaded 2-core box
 * (the suite beside other clusters, builds and benches; load average 25) a 5.3.3 broker took 93 s
 * to become ready, past the 90 s default. How fast a JVM starts is not what any test checks.
 */
export const UP_WAIT_S = 240;
export const UP_WAIT = ['--wait', `${UP_WAIT_S}s`];
/** The CLI's own limit for one `local up`: its wait, plus the start-up around it. */
export const UP_TIMEOUT_MS = (UP_WAIT_S + 60) * 1000;

/**
 * What each JVM of a cluster dir printed, for a start that failed: `local up`'s error names only a
 * few lines, and the dir is deleted right after (a BindException in CI named no port). The last
 * lines of each stdout, stack frames left out, exception lines and their causes kept.
 */
export function startFailureOutput(dir: string, maxLines = 25): string {
  const { logsDir, nodesDir } = localLayout(dir);
  const outs: string[] = [];
  const outsIn = (d: string) => {
    if (existsSync(d)) for (const f of readdirSync(d)) if (f.endsWith('.out')) outs.push(join(d, f));
  };
  outsIn(logsDir);
  if (existsSync(nodesDir)) for (const n of readdirSync(nodesDir)) outsIn(join(nodesDir, n));
  return outs
    .map((f) => {
      let text = '(unreadable)';
      try {
        text = readFileSync(f, 'utf8');
      } catch {
        // gone meanwhile: said as such
      }
      return `--- ${f.slice(dir.length + 1)}\n${meaningfulLines(text, maxLines).join('\n')}`;
    })
    .join('\n');
}

export interface TestCluster {
  /** A temp dir of the test's own; the cluster lives in `dir` inside it. */
  root: string;
  dir: string;
  namesrv: string;
  broker: string;
  brokerName: string;
  /** The RocketMQ version that came up, e.g. 4.9.7. */
  version: string;
  /** `local up --json`'s whole answer (e.g. `release`: how a release line was settled). */
  upResult: UpResult;
  pids: { namesrv: number; broker: number };
  /** `-n <namesrv>`, to append to a command line. */
  n: string[];
  /** Stops every JVM of the dir (restarted ones too: they carry its marker) and deletes it. */
  down(): Promise<void>;
}

export interface ClusterOptions {
  /** `rmq local up --version`, e.g. '4.9' (default: its own default, the 5.x line). */
  version?: string;
  /** `rmq local up --wait` in seconds (default UP_WAIT_S): a loaded machine may need more. */
  waitSeconds?: number;
  /** Extra environment of `local up` (e.g. RMQ_CACHE_DIR). */
  env?: Record<string, string>;
  /** Extra arguments of `local up` (e.g. the hidden --advertise-ip). */
  args?: string[];
}

export async function startCluster(
  name: string,
  namesrvPort: number,
  brokerPort: number,
  options: ClusterOptions = {},
): Promise<TestCluster> {
  const root = mkdtempSync(join(tmpdir(), `rmq-${name}-`));
  const dir = join(root, 'cluster');
  const up = await rmq(
    [
      'local',
      'up',
      '--dir',
      dir,
      '--namesrv-port',
      String(namesrvPort),
      '--broker-port',
      String(brokerPort),
      ...(options.version ? ['--version', options.version] : []),
      ...(options.args ?? []),
      '--wait',
      `${options.waitSeconds ?? UP_WAIT_S}s`,
      '--json',
    ],
    // Beyond the wait: a first start of a version downloads its jars before it.
    {
      timeoutMs: Math.max(UP_TIMEOUT_MS, (options.waitSeconds ?? 0) * 1000 + 120_000),
      ...(options.env ? { env: options.env } : {}),
    },
  );
  const res = up.json as UpResult | undefined;
  if (up.code !== 0 || !res) {
    const output = startFailureOutput(dir);
    await rmq(['local', 'down', '--dir', dir, '--purge', '--timeout', '3s']);
    rmSync(root, { recursive: true, force: true });
    throw new Error(`local up failed (exit ${up.code}): ${up.stdout}${up.stderr}\n${output}`);
  }
  return {
    root,
    dir,
    namesrv: res.namesrvAddr,
    broker: res.brokerAddr,
    brokerName: res.brokerName,
    version: res.version,
    upResult: res,
    pids: res.pids,
    n: ['-n', res.namesrvAddr],
    async down() {
      await rmq(['local', 'down', '--dir', dir, '--purge', '--timeout', '3s', '--json'], {
        timeoutMs: 60_000,
      });
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** How a process was started, read from /proc while it still runs. */
export interface ProcessImage {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
}

export function processImage(pid: number): ProcessImage {
  const split = (file: string) =>
    readFileSync(`/proc/${pid}/${file}`, 'utf8')
      .split('\0')
      .filter((s) => s !== '');
  const env: Record<string, string> = {};
  for (const kv of split('environ')) {
    const i = kv.indexOf('=');
    if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return { argv: split('cmdline'), env, cwd: readlinkSync(`/proc/${pid}/cwd`) };
}

/** Starts a process again as it ran: detached, output appended to `logFile`. Returns its pid. */
export function respawn(image: ProcessImage, logFile: string): number {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(image.argv[0]!, image.argv.slice(1), {
      cwd: image.cwd,
      env: image.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${image.argv[0]}`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** SIGKILLs a process and waits until it is gone (its sockets closed). */
export async function killHard(pid: number): Promise<void> {
  process.kill(pid, 'SIGKILL');
  const deadline = Date.now() + 10_000;
  while (alive(pid)) {
    if (Date.now() > deadline) throw new Error(`pid ${pid} survived SIGKILL`);
    await sleep(20);
  }
}

/** Polls until `cond` holds; returns the ms it took. */
export async function waitUntil(
  what: string,
  cond: () => boolean | Promise<boolean>,
  timeoutMs: number,
  everyMs = 50,
): Promise<number> {
  const started = Date.now();
  while (!(await cond())) {
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
  return Date.now() - started;
}

/** Whether the broker serves requests: it answers an admin request (GET_BROKER_RUNTIME_INFO). */
export async function brokerAnswers(brokerAddr: string): Promise<boolean> {
  const client = new RemotingClient({ timeoutMs: 2000 });
  try {
    await client.call(brokerAddr, RequestCode.GET_BROKER_RUNTIME_INFO, {});
    return true;
  } catch {
    return false;
  } finally {
    client.close();
  }
}

/** Whether the name server lists `brokerAddr` as a master right now. */
export async function brokerRegistered(namesrv: string, brokerAddr: string): Promise<boolean> {
  const client = new RemotingClient({ timeoutMs: 1000 });
  try {
    const info = await new NameServerClient(client, [namesrv]).getClusterInfo();
    return info.brokers.some((b) => b.addrs.get(0) === brokerAddr);
  } catch {
    return false;
  } finally {
    client.close();
  }
}

/** Whether something accepts TCP connections on a loopback port. */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** Lines in a file written so far (0 when it does not exist yet). */
export function lineCount(file: string): number {
  try {
    const text = readFileSync(file, 'utf8');
    let n = 0;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
    return n;
  } catch {
    return 0;
  }
}
