/**
 * Automatic failover with DLedger (4.9.7): one name server and a raft group of 3 brokers, whose
 * leader is the master. The leader is SIGKILLed under a verified fixed-rate bench: the other two
 * elect a new leader, nothing acknowledged is lost (a write is acknowledged once a majority has
 * it), and the running bench follows the new master. Figures: the topology's start time and
 * memory, kill → elected, kill → first acknowledged send, sent/failed/lost/duplicates.
 */
import assert from 'node:assert/strict';
import type { ClusterListResult } from '../../src/services/cluster.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { StatusResult } from '../../src/local/status.js';
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

describe('DLedger failover (4.9.7)', () => {
  const root = mkdtempSync(join(tmpdir(), 'rmq-ha-dledger-'));
  const dir = join(root, 'cluster');

  after(async () => {
    await rmq(['local', 'down', '--dir', dir, '--purge', '--timeout', '10s', '--json']);
    rmSync(root, { recursive: true, force: true });
  });

  test(
    'raft leader SIGKILLed under a verified bench: a new leader is elected, nothing acknowledged is lost, the bench follows it',
    { timeout: UP_TIMEOUT_MS + 240_000 },
    async (t) => {
      // Name server at base; brokers at base + 22, + 26, + 30, each with its raft port 1 below.
      const base = await freePortBlock(32);
      const topo = await upTopology(
        dir,
        base,
        ['--version', '4.9.7', '--replicas', '2', '--ha', 'dledger'],
        UP_WAIT_S,
      );
      t.diagnostic(`DLedger topology (1 name server, a raft group of 3 brokers): ${describeTopology(topo)}`);

      // One leader (the master, id 0) and two followers (slaves, id = raft id + 1). On a loaded
      // box a follower that missed heartbeats right after the start can be a candidate for a
      // moment (seen in CI: n1 'candidate', no leader): the group is read once it has settled.
      let brokers: NonNullable<StatusResult['nodes']> = [];
      await waitUntil(
        'the raft group settled: one leader, listed as the master, and two followers',
        async () => {
          const st = (await rmq(['local', 'status', '--dir', dir, '--json'])).json as StatusResult;
          brokers = st.nodes?.filter((n) => n.kind === 'broker') ?? [];
          const roles = brokers.map((n) => n.raft?.role).sort();
          const named = brokers.find((n) => n.raft?.role === 'leader')?.role;
          return roles.join() === 'follower,follower,leader' && named === 'MASTER';
        },
        30_000,
        1000,
      ).catch((err: Error) => assert.fail(`${err.message}: ${JSON.stringify(brokers)}`));
      assert.equal(brokers.length, 3);
      assert.deepEqual(brokers.map((n) => n.role).sort(), ['MASTER', 'SLAVE', 'SLAVE']);
      const leader = brokers.find((n) => n.role === 'MASTER')!;
      for (const n of brokers) {
        if (n.role === 'SLAVE') assert.equal(n.brokerId, Number(n.name.slice(-1)) + 1, n.name);
        // What each node's raft says agrees with what the name server lists.
        assert.deepEqual(n.raft, {
          role: n === leader ? 'leader' : 'follower',
          selfId: `n${n.name.slice(-1)}`,
          leaderId: `n${leader.name.slice(-1)}`,
        });
      }

      const f = await killMasterUnderBench({
        dir,
        root,
        topology: topo,
        group: 'broker-a',
        topic: 'drill_dledger',
        rate: 300,
        durationS: 60,
      });
      reportDrill(t, 'DLedger failover', f);
      // DLedger's followers wait 3 missed heartbeats (2 s apart) before they elect: 6 s at best.
      assertFailover(f, 25_000);

      const after = (await rmq(['local', 'status', '--dir', dir, '--json'])).json as StatusResult;
      const byName = new Map(after.nodes?.map((n) => [n.name, n]));
      assert.equal(after.state, 'partial');
      assert.equal(byName.get(f.killed)?.raft, null, 'the killed node answers nothing');
      assert.equal(byName.get(f.elected)?.raft?.role, 'leader');
      assert.equal(byName.get(f.elected)?.role, 'MASTER');

      // cluster list asks each broker's own raft port (from its dLegerPeers): the same leader.
      const listed = await rmq(['cluster', 'list', '-n', topo.namesrv, '--json']);
      assert.equal(listed.code, 0, listed.stderr);
      const rows = (listed.json as ClusterListResult).clusters.flatMap((c) => c.brokers);
      t.diagnostic(
        `cluster list HA: ${rows.map((b) => `${b.brokerId} ${JSON.stringify(b.replication)}`).join('; ')}`,
      );
      const leaderId = byName.get(f.elected)?.raft?.selfId;
      const master = rows.find((b) => b.brokerId === 0);
      assert.equal(master?.replication?.mode, 'dledger', JSON.stringify(rows));
      assert.equal(master?.replication?.raftRole, 'leader', JSON.stringify(rows));
      assert.equal(master?.replication?.raftSelfId, leaderId);
      const followers = rows.filter((b) => b.brokerId !== 0);
      assert.equal(followers.length, 1, 'the third node is killed: one follower is listed');
      assert.equal(followers[0]!.replication?.raftRole, 'follower', JSON.stringify(rows));
      assert.equal(followers[0]!.replication?.raftLeader, leaderId);
    },
  );
});
