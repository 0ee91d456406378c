/**
 * `rmq smoke` against a name server whose only broker has stopped: exit 3, a connection error.
 * A one-node cluster of the test's own (the suite's shared broker must stay up), so the file runs
 * in the lane of files that start their own clusters, not beside the shared broker's.
 */
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { rmq } from '../helpers/cli.js';
import { UP_TIMEOUT_MS, UP_WAIT } from '../helpers/cluster.js';
import { freeClusterPorts } from '../helpers/ports.js';
import { poll } from '../helpers/read-topic.js';

interface ErrorBody {
  error: { kind: string; message: string; exitCode: number; hint?: string };
}

describe('rmq smoke, its only broker stopped', () => {
  test(
    'exits 3 when the only broker of a cluster has stopped (a second cluster of its own)',
    { timeout: UP_TIMEOUT_MS + 120_000 },
    async (t) => {
      if (process.env.RMQ_TEST_SKIP_SECOND_CLUSTER) return t.skip('RMQ_TEST_SKIP_SECOND_CLUSTER is set');
      const dir = mkdtempSync(join(tmpdir(), 'rmq-smoke-it-'));
      const { namesrvPort, brokerPort } = await freeClusterPorts();
      try {
        // On free ports a refusal to start is a failure, not a reason to skip.
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
            ...UP_WAIT,
            '--json',
          ],
          { timeoutMs: UP_TIMEOUT_MS },
        );
        assert.equal(up.code, 0, `${up.stdout}${up.stderr}`);
        const ns = ['-n', `127.0.0.1:${namesrvPort}`];
        const healthy = await rmq([
          'smoke',
          ...ns,
          '--types',
          'normal',
          '--count',
          '1',
          '--no-trace',
          '--json',
        ]);
        assert.equal(healthy.code, 0, `${healthy.stdout}${healthy.stderr}`);

        // Stop only the broker this test started (its pid from the cluster's own state file).
        const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as {
          pids?: { broker?: number };
        };
        const pid = state.pids?.broker;
        assert.ok(pid && pid > 1, `no broker pid in ${JSON.stringify(state)}`);
        process.kill(pid, 'SIGTERM');
        assert.ok(
          await poll(async () => {
            try {
              process.kill(pid, 0);
              return false;
            } catch {
              return true;
            }
          }, 60_000),
          'the broker stopped',
        );
        const r = await rmq(['smoke', ...ns, '--count', '1', '--json'], { timeoutMs: 60_000 });
        assert.equal(r.code, 3, r.stdout);
        assert.equal((r.json as ErrorBody).error.kind, 'connection');
      } finally {
        await rmq(['local', 'down', '--dir', dir, '--purge', '--timeout', '10s', '--json'], {
          timeoutMs: 60_000,
        });
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
