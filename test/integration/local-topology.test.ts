/**
 * `rmq local up` with a topology, against real JVMs: 2 masters × 1 slave and 2 name servers on
 * 5.3, one topology shared by the whole file (it costs ~1.5 GB RSS and minutes to start on a
 * loaded 2-core box), stopped and purged at the end.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { UpResult } from '../../src/local/cluster.js';
import type { StatusResult } from '../../src/local/status.js';
import type { NodeActionResult } from '../../src/local/nodes.js';
import type { ClusterListResult } from '../../src/services/cluster.js';
import { rmq } from '../helpers/cli.js';
import { UP_TIMEOUT_MS } from '../helpers/cluster.js';
import { freePortBlock } from '../helpers/ports.js';

const LONG = { timeoutMs: UP_TIMEOUT_MS * 2 };

describe('rmq local topologies', () => {
  let root: string;
  let dir: string;
  let namesrv: string;

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'rmq-topology-it-'));
    dir = join(root, 'ha');
  });

  after(async () => {
    await rmq(['local', 'down', '--dir', dir, '--purge', '--timeout', '10s', '--json']);
    rmSync(root, { recursive: true, force: true });
  });

  test(
    '2 masters × 1 slave with 2 name servers: cluster list, status, stop and start of one node',
    { timeout: UP_TIMEOUT_MS * 3 },
    async () => {
      // Name servers at base, base+1; four brokers (fast channel first) at base+20 … base+39.
      const base = await freePortBlock(40);
      const upped = await rmq(
        [
          'local',
          'up',
          '--dir',
          dir,
          '--port-base',
          String(base),
          '--masters',
          '2',
          '--replicas',
          '1',
          '--namesrvs',
          '2',
          '--wait',
          `${Math.round(UP_TIMEOUT_MS / 1000) * 2}s`,
          '--no-save-profile',
          '--json',
        ],
        LONG,
      );
      assert.equal(upped.code, 0, `${upped.stdout}${upped.stderr}`);
      const up = upped.json as UpResult;
      namesrv = up.namesrvAddr;
      assert.equal(namesrv, `127.0.0.1:${base};127.0.0.1:${base + 1}`);
      assert.deepEqual(
        up.nodes?.map((n) => n.name),
        ['namesrv-1', 'namesrv-2', 'broker-a-0', 'broker-a-1', 'broker-b-0', 'broker-b-1'],
      );

      // Each name server on its own knows both groups, master and slave.
      for (const one of namesrv.split(';')) {
        const listed = await rmq(['cluster', 'list', '--namesrv', one, '--json']);
        assert.equal(listed.code, 0, listed.stderr);
        const rows = (listed.json as ClusterListResult).clusters.flatMap((c) => c.brokers);
        assert.deepEqual(rows.map((b) => `${b.brokerName}/${b.brokerId}/${b.role}`).sort(), [
          'broker-a/0/MASTER',
          'broker-a/1/SLAVE',
          'broker-b/0/MASTER',
          'broker-b/1/SLAVE',
        ]);
      }

      const st = (await rmq(['local', 'status', '--dir', dir, '--json'])).json as StatusResult;
      assert.equal(st.state, 'running');
      assert.equal(st.nodes?.length, 6);
      assert.ok(st.nodes?.every((n) => n.up && n.pid !== null));
      assert.deepEqual(
        st.nodes?.filter((n) => n.role === 'MASTER').map((n) => n.name),
        ['broker-a-0', 'broker-b-0'],
      );

      const stopped = await rmq(['local', 'stop', 'broker-b-1', '--dir', dir, '--json']);
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.equal((stopped.json as NodeActionResult).wasRunning, true);
      const partial = (await rmq(['local', 'status', '--dir', dir, '--json'])).json as StatusResult;
      assert.equal(partial.state, 'partial');
      assert.deepEqual(
        partial.nodes?.filter((n) => !n.up).map((n) => n.name),
        ['broker-b-1'],
      );

      const started = await rmq(
        ['local', 'start', 'broker-b-1', '--dir', dir, '--wait', '300s', '--json'],
        LONG,
      );
      assert.equal(started.code, 0, started.stderr);
      const back = (await rmq(['local', 'status', '--dir', dir, '--json'])).json as StatusResult;
      assert.equal(back.state, 'running');
      assert.equal(back.nodes?.find((n) => n.name === 'broker-b-1')?.role, 'SLAVE');

      const logs = await rmq([
        'local',
        'logs',
        '--node',
        'broker-b-1',
        '--dir',
        dir,
        '--tail',
        '5',
        '--json',
      ]);
      assert.equal(logs.code, 0, logs.stderr);
      assert.match((logs.json as { file: string }).file, /nodes\/broker-b-1\//);
    },
  );
});
