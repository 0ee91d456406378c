/**
 * Runs mqadmin (org.apache.rocketmq.tools.command.MQAdminStartup) from the jars `rmq local up`
 * cached, for interop tests. mqadmin exits 0 even when a command failed, so callers assert on
 * what it printed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rocketmqCacheRoot } from '../../src/local/paths.js';
import { cachedRuntime } from '../../src/local/resolve.js';
import { rmq, TEST_NAMESRV } from './cli.js';

export interface MqAdmin {
  libDir: string;
  version: string;
  run(args: string[], timeoutMs?: number): Promise<{ code: number; stdout: string; stderr: string }>;
  close(): void;
}

/**
 * mqadmin of the test cluster's own RocketMQ version, or a reason why there is none (then the
 * interop tests skip with that reason).
 */
export async function findMqAdmin(): Promise<MqAdmin | string> {
  const r = await rmq(['cluster', 'list', '--json']);
  const clusters =
    (r.json as { clusters?: { brokers: { version?: string }[] }[] } | undefined)?.clusters ?? [];
  const desc = clusters.flatMap((c) => c.brokers).find((b) => b.version)?.version; // e.g. V5_3_3
  if (!desc) return `cannot tell the test cluster's RocketMQ version: ${r.stderr || r.stdout}`;
  const version = desc.replace(/^V/, '').replace(/_/g, '.');
  const runtime = await cachedRuntime(rocketmqCacheRoot(), version);
  if (!runtime)
    return `no cached RocketMQ ${version} runtime in ${rocketmqCacheRoot()} (run \`rmq local up --version ${version}\` once)`;
  const home = mkdtempSync(join(tmpdir(), 'rmq-mqadmin-'));
  return {
    libDir: runtime.libDir,
    version,
    run(args, timeoutMs = 90_000) {
      return new Promise((resolve, reject) => {
        const child = spawn(
          'java',
          [
            '-Xms64m',
            '-Xmx256m',
            '-XX:TieredStopAtLevel=1',
            '-Drmq.logback.configurationFile=rmq.tools.logback.xml',
            `-Duser.home=${home}`,
            '-cp',
            `${runtime.libDir}/*`,
            'org.apache.rocketmq.tools.command.MQAdminStartup',
            args[0]!,
            '-n',
            TEST_NAMESRV,
            ...args.slice(1),
          ],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        child.on('error', reject);
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve({ code: code ?? 1, stdout, stderr });
        });
      });
    },
    close() {
      rmSync(home, { recursive: true, force: true });
    },
  };
}
