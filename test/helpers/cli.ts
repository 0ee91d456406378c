/** Runs the built CLI as a user would, and captures what it prints and how it exits. */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN_PATH = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
  /** stdout parsed as JSON when it is JSON, else undefined */
  json: unknown;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  /** Background only: stdout goes to this file (a file, not a pipe, as a user redirect would). */
  stdoutFile?: string;
  /** Background only: leave stdin open, as a terminal or a slow producer would. */
  keepStdinOpen?: boolean;
  /**
   * Background only: a session of its own, as a process started from its own shell, ssh session
   * or pod has. Linux's autogroup scheduling shares the CPU between sessions first, so a process
   * in the test runner's session shares one slice with the runner and every CLI call, against
   * every JVM of `rmq local up` (each in a session of its own).
   */
  ownSession?: boolean;
  input?: string;
  timeoutMs?: number;
}

/** A developer's own profiles must not leak into tests: point at one that does not exist. */
process.env.RMQ_PROFILES_FILE ??= `/tmp/rmq-test-no-profiles-${process.pid}.json`;

/** The name server the integration suite runs against (scripts/test.mjs sets it). */
export const TEST_NAMESRV = process.env.RMQ_TEST_NAMESRV ?? '127.0.0.1:9876';

export function rmq(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = {
      ...process.env,
      NO_COLOR: '1',
      NAMESRV_ADDR: TEST_NAMESRV,
    };
    delete env.RMQ_NAMESRV;
    delete env.FORCE_COLOR;
    Object.assign(env, options.env ?? {});
    const child = spawn(process.execPath, [BIN_PATH, ...args], {
      env: env as NodeJS.ProcessEnv,
      cwd: REPO_ROOT,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr, ms: Date.now() - started, json });
    });
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
  });
}

/** A name unique to this run, valid as a topic or group name. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6).toString(36)}`;
}

export interface Background {
  /** Resolves when the process exits. */
  done: Promise<CliResult>;
  stdout(): string;
  stderr(): string;
  /** Writes to its standard input (with keepStdinOpen). */
  write(text: string): void;
  kill(signal?: NodeJS.Signals): void;
}

/** Starts the CLI in the background (e.g. a long-running consumer). */
export function rmqBackground(args: string[], options: CliOptions = {}): Background {
  const started = Date.now();
  const env: Record<string, string | undefined> = {
    ...process.env,
    NO_COLOR: '1',
    NAMESRV_ADDR: TEST_NAMESRV,
  };
  delete env.RMQ_NAMESRV;
  Object.assign(env, options.env ?? {});
  const fd = options.stdoutFile ? openSync(options.stdoutFile, 'w') : undefined;
  const child = spawn(process.execPath, [BIN_PATH, ...args], {
    env: env as NodeJS.ProcessEnv,
    cwd: REPO_ROOT,
    stdio: ['pipe', fd ?? 'pipe', 'pipe'],
    detached: options.ownSession === true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  if (!options.keepStdinOpen) child.stdin!.end();
  const readOut = () => (options.stdoutFile ? readFileSync(options.stdoutFile, 'utf8') : stdout);
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (fd !== undefined) closeSync(fd);
      const out = readOut();
      let json: unknown;
      try {
        json = JSON.parse(out);
      } catch {
        json = undefined;
      }
      resolve({ code: code ?? (signal ? 128 : 1), stdout: out, stderr, ms: Date.now() - started, json });
    });
  });
  return {
    done,
    stdout: readOut,
    stderr: () => stderr,
    write: (text) => child.stdin!.write(text),
    kill: (s = 'SIGTERM') => child.kill(s),
  };
}

export const ndjson = <T>(text: string): T[] =>
  text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);

/**
 * Runs a command until `ok` holds, for at most 20 s: right after `up` a broker on two busy cores
 * may answer its first admin requests late, which is not what the tests that use it are about.
 */
export async function eventually(
  run: () => Promise<CliResult>,
  ok: (r: CliResult) => boolean,
): Promise<CliResult> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const r = await run();
    if (ok(r) || Date.now() > deadline) return r;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
