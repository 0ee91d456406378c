/**
 * The final offset commit at stop on 4.9.7, repeated (see offset-commit.test.ts for why): a
 * cluster of the test's own, where a new group's first commit is the one at stop, so the race in
 * the broker's commitOffset shows most. A file of its own so that it runs in the lane of files
 * with clusters of their own, beside the shared broker's.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { rmq, uniqueName } from '../helpers/cli.js';
import { startCluster } from '../helpers/cluster.js';
import { PARALLEL, repeatStops, ROUNDS } from '../helpers/offset-commit.js';
import { freeClusterPorts } from '../helpers/ports.js';

describe('the final offset commit at stop is never lost (4.9.7)', () => {
  test(
    `4.9.7: ${ROUNDS} × (send 10, ${PARALLEL} × consume --until-end at once, describe): lag 0 on every queue`,
    {
      timeout: 1_200_000,
    },
    async (t) => {
      const { namesrvPort, brokerPort } = await freeClusterPorts();
      // The first start of 4.9.7 on a machine downloads its jars (a minute or two).
      const c = await startCluster('offset-commit-49', namesrvPort, brokerPort, {
        version: '4.9',
        waitSeconds: 240,
      });
      try {
        assert.match(c.version, /^4\.9\./);
        const topic = uniqueName('oc49');
        const created = await rmq(['topic', 'create', topic, '--queues', '2', ...c.n]);
        assert.equal(created.code, 0, created.stderr);
        assert.deepEqual(await repeatStops(t, c.namesrv, topic), []);
      } finally {
        await c.down();
      }
    },
  );
});
