/**
 * `rmq smoke` against a name server whose only broker has stopped: exit 3, a connection error.
 * A one-node cluster of the test's own (the suite's shared broker must stay up), so the file runs
 * in the lane of files that start their own clusters, not beside the shared broker's.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isAlive } from '../../src/local/process.js';
import { rmq } from '../helpers/cli.js';
import { startCluster, UP_TIMEOUT_MS, waitUntil } from '../helpers/cluster.js';
import { freeClusterPorts } from '../helpers/ports.js';

interface ErrorBody {
  error: { kind: string; message: string; exitCode: number; hint?: string };
}

describe('rmq smoke, its only broker stopped', () => {
  test(
    'exits 3 when the only broker of a cluster has stopped (a second cluster of its own)',
    { timeout: UP_TIMEOUT_MS + 120_000 },
    async (t) => {
      if (process.env.RMQ_TEST_SKIP_SECOND_CLUSTER) return t.skip('RMQ_TEST_SKIP_SECOND_CLUSTER is set');
      const { namesrvPort, brokerPort } = await freeClusterPorts();
      // On free ports a refusal to start is a failure, not a reason to skip.
      const c = await startCluster('smoke-stopped', namesrvPort, brokerPort);
      try {
        const healthy = await rmq([
          'smoke',
          ...c.n,
          '--types',
          'normal',
          '--count',
          '1',
          '--no-trace',
          '--json',
        ]);
        assert.equal(healthy.code, 0, `${healthy.stdout}${healthy.stderr}`);

        // Stop only the broker this test started.
        process.kill(c.pids.broker, 'SIGTERM');
        await waitUntil('the broker stopped', async () => !(await isAlive(c.pids.broker)), 60_000, 200);
        const r = await rmq(['smoke', ...c.n, '--count', '1', '--json'], { timeoutMs: 60_000 });
        assert.equal(r.code, 3, r.stdout);
        assert.equal((r.json as ErrorBody).error.kind, 'connection');
      } finally {
        await c.down();
      }
    },
  );
});
