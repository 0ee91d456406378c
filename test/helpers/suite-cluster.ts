/**
 * Which RocketMQ `npm test` (scripts/test.mjs) runs the integration tests against: the one at
 * RMQ_TEST_NAMESRV (default 127.0.0.1:9876, where a newcomer's quickstart cluster listens) when
 * it is a RocketMQ with a master serving; otherwise a cluster of the suite's own on free ports.
 * Never the fixed 9876/10911 for a cluster it starts: something else may hold them (another
 * RocketMQ, a half-stopped one, any other program), and that must not fail the suite.
 */
import { spawn } from 'node:child_process';
import { freeClusterPorts } from './ports.js';

/** What `rmq cluster list --json` at the address answered. */
export interface Probe {
  code: number;
  json: unknown;
}

export type SuiteCluster =
  | { kind: 'reuse'; namesrv: string }
  | { kind: 'start'; namesrvPort: number; brokerPort: number; why: string };

interface ClusterList {
  clusters?: { brokers?: { role?: string; error?: unknown }[] }[];
}

/** A name server that lists a master broker it could reach: tests can create topics and send. */
export function servesRocketMQ(probe: Probe): boolean {
  if (probe.code !== 0) return false;
  const brokers = (probe.json as ClusterList | undefined)?.clusters?.flatMap((c) => c.brokers ?? []) ?? [];
  return brokers.some((b) => b.role === 'MASTER' && !b.error);
}

export async function chooseSuiteCluster(
  namesrv: string,
  probe: (namesrv: string) => Promise<Probe>,
): Promise<SuiteCluster> {
  const p = await probe(namesrv);
  if (servesRocketMQ(p)) return { kind: 'reuse', namesrv };
  const why =
    p.code === 0
      ? `the RocketMQ at ${namesrv} has no master broker serving`
      : p.code === 3
        ? `nothing answers at ${namesrv}`
        : `what answers at ${namesrv} is not a serving RocketMQ name server (exit ${p.code})`;
  return { kind: 'start', ...(await freeClusterPorts()), why };
}

/** Asks the built CLI (`bin/run.js`) for the cluster at `namesrv`, within 3 s. */
export function probeWithCli(binPath: string): (namesrv: string) => Promise<Probe> {
  return (namesrv) =>
    new Promise((resolve) => {
      const child = spawn(
        process.execPath,
        [binPath, 'cluster', 'list', '--json', '-n', namesrv, '--timeout', '3s'],
        { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'ignore'] },
      );
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
      });
      child.on('close', (code) => {
        let json: unknown;
        try {
          json = JSON.parse(out);
        } catch {
          json = undefined; // not JSON: not a cluster list either
        }
        resolve({ code: code ?? 1, json });
      });
    });
}
