/**
 * Automatic failover in controller mode (5.3): one name server with the controller inside it, a
 * group of a master and a slave with sync replication (a write is acknowledged once every
 * in-sync replica has it). The master is SIGKILLed under a verified fixed-rate bench: the
 * controller elects the slave, nothing acknowledged is lost, and the running bench follows the
 * new master. Figures: the topology's start time and memory, kill → elected, kill → first
 * acknowledged send, sent/failed/lost/duplicates.
 */
import assert from 'node:assert/strict';
import type { ClusterListResult } from '../../src/services/cluster.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { RemotingClient } from '../../src/core/client/remoting-client.js';
import { rmq } from '../helpers/cli.js';
import { UP_TIMEOUT_MS, UP_WAIT_S, waitUntil } from '../helpers/cluster.js';
import {
  assertFailover,
  describeTopology,
  killMasterUnderBench,
  reportDrill,
  upTopology,
} from '../helpers/failover.js';
import { freePortBlock } from '../helpers/ports.js';

/** GET_BROKER_HA_STATUS: the master's HA runtime info (HARuntimeInfo as JSON). */
const GET_BROKER_HA_STATUS = 907;

/** How many slaves the master counts in its in-sync set (-1 when it does not answer). */
async function inSyncSlaves(master: string): Promise<number> {
  const client = new RemotingClient({ timeoutMs: 2000 });
  try {
    const res = await client.call(master, GET_BROKER_HA_STATUS, {});
    const info = JSON.parse(res.body?.toString() ?? '{}') as { inSyncSlaveNums?: number };
    return info.inSyncSlaveNums ?? -1;
  } catch {
    return -1;
  } finally {
    client.close();
  }
}

describe('controller mode failover (5.3)', () => {
  const root = mkdtempSync(join(tmpdir(), 'rmq-ha-controller-'));
  const dir = join(root, 'cluster');

  after(async () => {
    await rmq(['local', 'down', '--dir', dir, '--purge', '--timeout', '10s', '--json']);
    rmSync(root, { recursive: true, force: true });
  });

  test(
    'master SIGKILLed under a verified bench: the slave is elected, nothing acknowledged is lost, the bench follows it',
    { timeout: UP_TIMEOUT_MS + 240_000 },
    async (t) => {
      // Name server at base (controller base + 5), master and slave at base + 22 and + 26.
      const base = await freePortBlock(28);
      const topo = await upTopology(
        dir,
        base,
        ['--replicas', '1', '--ha', 'controller', '--replication', 'sync'],
        UP_WAIT_S,
      );
      t.diagnostic(
        `controller topology (1 name server + controller, master + slave): ${describeTopology(topo)}`,
      );
      assert.deepEqual(
        topo.up.nodes?.map((n) => n.name),
        ['namesrv-1', 'broker-a-0', 'broker-a-1'],
      );

      // cluster list's HA column, from the controller: the group's master epoch before the drill.
      const masterRow = async () => {
        const listed = await rmq(['cluster', 'list', '-n', topo.namesrv, '--json']);
        assert.equal(listed.code, 0, listed.stderr);
        const rows = (listed.json as ClusterListResult).clusters.flatMap((c) => c.brokers);
        const masters = rows.filter((b) => b.brokerId === 0);
        assert.equal(masters.length, 1, JSON.stringify(rows));
        return masters[0]!;
      };
      const before = await masterRow();
      assert.equal(before.replication?.mode, 'controller', JSON.stringify(before));
      const epochBefore = before.replication?.epoch;
      assert.equal(typeof epochBefore, 'number', JSON.stringify(before));

      const f = await killMasterUnderBench({
        dir,
        root,
        topology: topo,
        group: 'broker-a',
        topic: 'drill_controller',
        rate: 300,
        durationS: 45,
        // The controller elects only a replica in the in-sync set (enableElectUncleanMaster is
        // off); until the slave has caught up, a kill would leave the group without a master.
        ready: async (master) => {
          await waitUntil(
            'the slave in the in-sync set',
            async () => (await inSyncSlaves(master)) >= 1,
            60_000,
            500,
          );
        },
      });
      reportDrill(t, 'controller failover', f);
      // Without following the route on failure the producer would wait for its 30 s refresh.
      assertFailover(f, 20_000);

      // The elected slave is the one master listed; the controller raised the epoch, and the
      // killed broker is no connected slave.
      const after = await masterRow();
      t.diagnostic(
        `cluster list HA before: ${JSON.stringify(before.replication)}; after: ${JSON.stringify(after.replication)}`,
      );
      assert.notEqual(after.address, before.address);
      assert.equal(after.replication?.mode, 'controller');
      assert.ok((after.replication?.epoch ?? 0) > epochBefore!, JSON.stringify(after.replication));
      assert.equal(after.replication?.slaves, 0, JSON.stringify(after.replication));
    },
  );
});
