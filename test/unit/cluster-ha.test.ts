/**
 * cluster list's HA column: the HA-status and controller replica-info codecs on what 5.3.3 sends
 * (bodies captured from a controller-mode master and slave), their budgets, and how the rows'
 * replication is put together from broker config, HA status and the controller.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Ops } from '../../src/core/client/ops.js';
import { ProtocolError } from '../../src/core/errors.js';
import { decodeHaStatus } from '../../src/core/protocol/broker-ha-status.js';
import { decodeReplicaInfo } from '../../src/core/protocol/controller-replica-info.js';
import { type RemotingCommand, SerializeType } from '../../src/core/remoting/command.js';
import {
  addReplication,
  parseDLedgerPeers,
  type ReplicationRow,
  replicationCell,
} from '../../src/services/cluster-ha.js';

const MASTER =
  '{"haClientRuntimeInfo":{"lastReadTimestamp":0,"lastWriteTimestamp":0,"masterFlushOffset":0,"maxOffset":0,"transferredByteInSecond":0},"haConnectionInfo":[{"addr":"127.0.0.1:35758","diff":0,"inSync":true,"slaveAckOffset":0,"transferFromWhere":-1,"transferredByteInSecond":0}],"inSyncSlaveNums":1,"master":true,"masterCommitLogMaxOffset":4096}';
const SLAVE =
  '{"haClientRuntimeInfo":{"lastReadTimestamp":1796223356438,"lastWriteTimestamp":1796223351438,"masterAddr":"127.0.0.1:46023","masterFlushOffset":0,"maxOffset":1024,"transferredByteInSecond":36},"haConnectionInfo":[],"inSyncSlaveNums":0,"master":false,"masterCommitLogMaxOffset":0}';

const reply = (body: string, extFields: Record<string, string> = {}): RemotingCommand => ({
  code: 0,
  language: 0,
  version: 0,
  opaque: 1,
  flag: 1,
  extFields,
  body: Buffer.from(body),
  serializeType: SerializeType.JSON,
});

describe('GET_BROKER_HA_STATUS', () => {
  it('reads a master: its slaves and how many are in sync', () => {
    const s = decodeHaStatus(Buffer.from(MASTER));
    assert.equal(s.master, true);
    assert.equal(s.masterMaxOffset, 4096);
    assert.equal(s.inSyncSlaves, 1);
    assert.deepEqual(s.slaves, [{ slaveAckOffset: 0, behindBytes: 0, inSync: true }]);
    assert.equal(s.client, null);
  });

  it('reads a slave: connected when it names a master (5.3 writes no "activated"), its own end', () => {
    const s = decodeHaStatus(Buffer.from(SLAVE));
    assert.deepEqual(s.client, { masterAddr: '127.0.0.1:46023', maxOffset: 1024, activated: true });
    const alone = decodeHaStatus(Buffer.from(SLAVE.replace('"masterAddr":"127.0.0.1:46023",', '')));
    assert.equal(alone.client?.activated, false);
  });

  it('has budgets: a huge body, deep nesting and a flood of connections', () => {
    assert.throws(() => decodeHaStatus(Buffer.alloc(300 * 1024, 0x20)), ProtocolError);
    assert.throws(() => decodeHaStatus(Buffer.from(`${'['.repeat(100)}${']'.repeat(100)}`)), ProtocolError);
    assert.throws(() => decodeHaStatus(Buffer.from('[1]')), ProtocolError);
    const many = JSON.stringify({ master: true, haConnectionInfo: Array(5000).fill({ inSync: true }) });
    assert.equal(decodeHaStatus(Buffer.from(many)).slaves.length, 64);
  });
});

describe('CONTROLLER_GET_REPLICA_INFO', () => {
  it('reads the master epoch from the header and the sync state set from the body', () => {
    const r = decodeReplicaInfo(
      reply('{"syncStateSet":[2,1],"syncStateSetEpoch":3}', {
        masterBrokerId: '2',
        masterAddress: '127.0.0.1:46026',
        masterEpoch: '2',
      }),
    );
    assert.deepEqual(r, {
      masterBrokerId: 2,
      masterAddress: '127.0.0.1:46026',
      masterEpoch: 2,
      syncStateSet: [2, 1],
      syncStateSetEpoch: 3,
    });
  });

  it('turns garbage into nulls or a typed error, never a throw of another kind', () => {
    const r = decodeReplicaInfo(reply('{"syncStateSet":["x",1.5,{}]}', { masterEpoch: '1e400' }));
    assert.deepEqual([r.masterEpoch, r.syncStateSet, r.masterBrokerId], [null, [], null]);
    assert.throws(() => decodeReplicaInfo(reply('"text"')), ProtocolError);
    assert.throws(() => decodeReplicaInfo(reply(' '.repeat(65 * 1024))), ProtocolError);
  });
});

describe('replication of cluster list rows', () => {
  it('parses DLedger peers and ignores malformed entries', () => {
    assert.deepEqual(
      [...parseDLedgerPeers('n0-127.0.0.1:40911;n1-127.0.0.1:40912;bad;-x;n2-')],
      [
        ['n0', '127.0.0.1:40911'],
        ['n1', '127.0.0.1:40912'],
      ],
    );
  });

  it('controller mode: epoch and sync state set from the controller, lag from both ends', async () => {
    const configs: Record<string, Record<string, string>> = {
      m: { brokerRole: 'SYNC_MASTER', enableControllerMode: 'true', controllerAddr: 'c1;c2' },
      s: { brokerRole: 'SLAVE', enableControllerMode: 'true', controllerAddr: 'c1;c2' },
    };
    const asked: string[] = [];
    const ops = {
      brokerConfig: (a: string) => Promise.resolve(new Map(Object.entries(configs[a]!))),
      haStatus: (a: string) => Promise.resolve(decodeHaStatus(Buffer.from(a === 'm' ? MASTER : SLAVE))),
      replicaInfo: (c: string) => {
        asked.push(c);
        // c1 is not the controllers' leader.
        if (c === 'c1') return Promise.reject(new Error('CONTROLLER_NOT_LEADER'));
        return Promise.resolve({
          masterBrokerId: 2,
          masterAddress: 'm',
          masterEpoch: 4,
          syncStateSet: [2],
          syncStateSetEpoch: 5,
        });
      },
    } as unknown as Ops;
    const rows: ReplicationRow[] = [
      { brokerName: 'a', brokerId: 0, address: 'm' },
      { brokerName: 'a', brokerId: 1, address: 's' },
      { brokerName: 'a', brokerId: 3, address: 'dead', error: 'connect ECONNREFUSED' },
    ];
    await addReplication(ops, rows);
    assert.deepEqual(rows[0]!.replication, {
      mode: 'controller',
      brokerRole: 'SYNC_MASTER',
      epoch: 4,
      inSyncStateSet: true,
      slaves: 1,
      inSync: 1,
    });
    assert.deepEqual(rows[1]!.replication, {
      mode: 'controller',
      brokerRole: 'SLAVE',
      epoch: 4,
      inSyncStateSet: false,
      connected: true,
      behindBytes: 3072,
    });
    assert.equal('replication' in rows[2]!, false, 'a broker that did not answer is not asked more');
    // One question per group to each controller, however many of its brokers ask.
    assert.deepEqual(asked, ['c1', 'c2']);
    assert.equal(replicationCell(rows[0]!.replication), 'epoch 4, 1/1 in sync');
    assert.equal(replicationCell(rows[1]!.replication), 'epoch 4, out of the sync state set, behind 3072 B');
  });

  it('DLedger: the raft role from the node itself; 4.x master/slave: the configured role', async () => {
    const ops = {
      brokerConfig: (a: string) =>
        Promise.resolve(
          new Map(
            a === 'old'
              ? [['brokerRole', 'ASYNC_MASTER']]
              : [
                  ['enableDLegerCommitLog', 'true'],
                  ['dLegerGroup', 'broker-a'],
                  ['dLegerSelfId', a],
                  ['dLegerPeers', 'n0-r0;n1-r1'],
                ],
          ),
        ),
      dledgerLeader: (raft: string, group: string, self: string) => {
        assert.equal(group, 'broker-a');
        assert.equal(raft, `r${self.slice(1)}`);
        return Promise.resolve('n1');
      },
      haStatus: () => Promise.reject(new Error('REQUEST_CODE_NOT_SUPPORTED')),
    } as unknown as Ops;
    const rows: ReplicationRow[] = [
      { brokerName: 'a', brokerId: 0, address: 'n1' },
      { brokerName: 'a', brokerId: 3, address: 'n0' },
      { brokerName: 'b', brokerId: 0, address: 'old' },
    ];
    await addReplication(ops, rows);
    assert.equal(replicationCell(rows[0]!.replication), 'raft leader');
    assert.equal(replicationCell(rows[1]!.replication), 'raft follower of n1');
    assert.deepEqual(rows[2]!.replication, { mode: 'master-slave', brokerRole: 'ASYNC_MASTER' });
    assert.equal(replicationCell(rows[2]!.replication), 'async master');
    assert.equal(replicationCell(undefined), '-');
  });
});
