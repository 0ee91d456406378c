/** Runs the built CLI as a user would, and captures what it prints and how it exits. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));

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
  input?: string;
  timeoutMs?: number;
}

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
    const child = spawn(process.execPath, [BIN, ...args], { env: env as NodeJS.ProcessEnv, cwd: REPO_ROOT });
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
