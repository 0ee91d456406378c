import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { localLayout } from '../../src/local/paths.js';
import {
  isMultiNode,
  portsFromBase,
  SINGLE_NODE,
  topologyBrokerConf,
  topologyNamesrvConf,
  topologyNodes,
  validateTopology,
  validateTopologyPorts,
} from '../../src/local/topology.js';

const layout = localLayout('/tmp/rmq-unit-topo');
const s = { version: '5.3.3', clusterName: 'C', autoCreateTopic: true, ...portsFromBase(30000) };

describe('local topologies', () => {
  test('the default is the one-node cluster', () => {
    assert.equal(isMultiNode(SINGLE_NODE), false);
    assert.equal(isMultiNode({ ...SINGLE_NODE, replicas: 1 }), true);
  });

  test('2 masters × 1 slave, 2 name servers: names, ids, roles and distinct ports', () => {
    const t = { ...SINGLE_NODE, masters: 2, replicas: 1, namesrvs: 2 };
    const nodes = topologyNodes(t, s);
    assert.deepEqual(
      nodes.map((n) => [n.name, n.port, n.brokerId, n.brokerRole]),
      [
        ['namesrv-1', 30000, undefined, undefined],
        ['namesrv-2', 30001, undefined, undefined],
        ['broker-a-0', 30022, 0, 'ASYNC_MASTER'],
        ['broker-a-1', 30026, 1, 'SLAVE'],
        ['broker-b-0', 30030, 0, 'ASYNC_MASTER'],
        ['broker-b-1', 30034, 1, 'SLAVE'],
      ],
    );
    validateTopologyPorts(nodes);
    const conf = topologyBrokerConf(nodes[3]!, nodes, t, s, layout);
    assert.match(conf, /^namesrvAddr=127\.0\.0\.1:30000;127\.0\.0\.1:30001$/m);
    assert.match(conf, /^brokerName=broker-a$/m);
    assert.match(conf, /^brokerId=1$/m);
    assert.match(conf, /^haListenPort=30027$/m);
    assert.match(conf, /^storePathRootDir=\/tmp\/rmq-unit-topo\/nodes\/broker-a-1\/store$/m);
    assert.doesNotMatch(conf, /enableControllerMode/);
    assert.match(conf, /^waitTimeMillsInSendQueue=1000$/m);
    assert.match(conf, /^timerFlushIntervalMs=10000$/m);
    // Slaves serve reads (a 5.x slave refuses every pull without it); masters may suggest them.
    assert.match(conf, /^slaveReadEnable=true$/m);
    assert.match(topologyBrokerConf(nodes[2]!, nodes, t, s, layout), /^slaveReadEnable=true$/m);
    const single = { ...SINGLE_NODE, masters: 2 };
    const lone = topologyNodes(single, s);
    assert.doesNotMatch(topologyBrokerConf(lone[1]!, lone, single, s, layout), /slaveReadEnable/);
  });

  test('sync flush and replication set SYNC_FLUSH and SYNC_MASTER', () => {
    const t = { ...SINGLE_NODE, replicas: 1, flush: 'sync' as const, replication: 'sync' as const };
    const nodes = topologyNodes(t, s);
    const conf = topologyBrokerConf(nodes[1]!, nodes, t, s, layout);
    assert.match(conf, /^brokerRole=SYNC_MASTER$/m);
    assert.match(conf, /^flushDiskType=SYNC_FLUSH$/m);
    // 5.x: a SYNC_MASTER waits for inSyncReplicas copies (default 1, i.e. none from a slave).
    assert.match(conf, /^inSyncReplicas=2$/m);
    const slave = topologyBrokerConf(nodes[2]!, nodes, t, s, layout);
    assert.doesNotMatch(slave, /inSyncReplicas/);
    const ta = { ...t, replication: 'async' as const };
    const asyncNodes = topologyNodes(ta, s);
    const asyncConf = topologyBrokerConf(asyncNodes[1]!, asyncNodes, ta, s, layout);
    assert.match(asyncConf, /^brokerRole=ASYNC_MASTER$/m);
    assert.doesNotMatch(asyncConf, /inSyncReplicas/);
    // 4.x waits for a slave as SYNC_MASTER and has no such key.
    const legacy = topologyBrokerConf(nodes[1]!, nodes, t, { ...s, version: '4.9.7' }, layout);
    assert.match(legacy, /^brokerRole=SYNC_MASTER$/m);
    assert.doesNotMatch(legacy, /inSyncReplicas/);
  });

  test('controller mode: the controller inside the name servers, brokers without a fixed id', () => {
    const t = { ...SINGLE_NODE, replicas: 1, namesrvs: 3, ha: 'controller' as const };
    validateTopology(t, '5.3.3');
    const nodes = topologyNodes(t, s);
    validateTopologyPorts(nodes);
    const ns = topologyNamesrvConf(nodes[1]!, nodes, s, layout);
    assert.match(ns, /^enableControllerInNamesrv=true$/m);
    assert.match(
      ns,
      /^controllerDLegerPeers=n0-127\.0\.0\.1:30005;n1-127\.0\.0\.1:30006;n2-127\.0\.0\.1:30007$/m,
    );
    assert.match(ns, /^controllerDLegerSelfId=n1$/m);
    const b = topologyBrokerConf(nodes[3]!, nodes, t, s, layout);
    assert.match(b, /^brokerId=-1$/m);
    assert.match(b, /^brokerRole=SLAVE$/m);
    assert.match(b, /^enableControllerMode=true$/m);
    assert.match(b, /^controllerAddr=127\.0\.0\.1:30005;127\.0\.0\.1:30006;127\.0\.0\.1:30007$/m);
  });

  test('DLedger (4.9): a raft group per broker group, peer ports one below each broker, no id or role', () => {
    const s49 = { ...s, version: '4.9.7' };
    const t = { ...SINGLE_NODE, masters: 2, replicas: 2, ha: 'dledger' as const };
    validateTopology(t, '4.9.7');
    const nodes = topologyNodes(t, s49);
    validateTopologyPorts(nodes);
    assert.deepEqual(
      nodes.filter((n) => n.kind === 'broker').map((n) => [n.name, n.port, n.ports, n.dledgerSelfId]),
      [
        ['broker-a-0', 30022, [30020, 30021, 30022], 'n0'],
        ['broker-a-1', 30026, [30024, 30025, 30026], 'n1'],
        ['broker-a-2', 30030, [30028, 30029, 30030], 'n2'],
        ['broker-b-0', 30034, [30032, 30033, 30034], 'n0'],
        ['broker-b-1', 30038, [30036, 30037, 30038], 'n1'],
        ['broker-b-2', 30042, [30040, 30041, 30042], 'n2'],
      ],
    );
    const conf = topologyBrokerConf(nodes[5]!, nodes, t, s49, layout);
    assert.match(conf, /^enableDLegerCommitLog=true$/m);
    assert.match(conf, /^dLegerGroup=broker-b$/m);
    // Only its own group's peers.
    assert.match(conf, /^dLegerPeers=n0-127\.0\.0\.1:30033;n1-127\.0\.0\.1:30037;n2-127\.0\.0\.1:30041$/m);
    assert.match(conf, /^dLegerSelfId=n1$/m);
    assert.match(conf, /^enableBatchPush=true$/m);
    assert.match(conf, /^brokerName=broker-b$/m);
    // 4.9 forces the id to -1 and would refuse a SLAVE without one: neither is written.
    assert.doesNotMatch(conf, /^brokerId=/m);
    assert.doesNotMatch(conf, /^brokerRole=/m);
    assert.doesNotMatch(conf, /^haListenPort=/m);
    assert.doesNotMatch(conf, /enableControllerMode/);
    // Name servers know nothing of it.
    assert.doesNotMatch(topologyNamesrvConf(nodes[0]!, nodes, s49, layout), /DLeger|controller/i);
    // Two groups of 3 with bases 50 apart never collide.
    const other = topologyNodes(t, portsFromBase(30050));
    validateTopologyPorts([...nodes, ...other]);
  });

  test('refusals: DLedger on 5.x or with fewer than 3 nodes per group', () => {
    assert.throws(
      () => validateTopology({ ...SINGLE_NODE, replicas: 2, ha: 'dledger' }, '5.3.3'),
      /--ha dledger is for RocketMQ 4\.9/,
    );
    assert.throws(
      () => validateTopology({ ...SINGLE_NODE, replicas: 1, ha: 'dledger' }, '4.9.7'),
      /--ha dledger needs --replicas 2/,
    );
  });

  test('refusals: controller on 4.x or without slaves, out-of-range counts, colliding ports', () => {
    assert.throws(() => validateTopology({ ...SINGLE_NODE, replicas: 1, ha: 'controller' }, '4.9.7'), /5\.x/);
    assert.throws(() => validateTopology({ ...SINGLE_NODE, ha: 'controller' }, '5.3.3'), /--replicas/);
    assert.throws(() => validateTopology({ ...SINGLE_NODE, masters: 0 }, '5.3.3'), /--masters/);
    assert.throws(() => validateTopology({ ...SINGLE_NODE, ha: 'dledger' }, '4.9.7'), /dledger/);
    const nodes = topologyNodes({ ...SINGLE_NODE, masters: 2 }, { namesrvPort: 30000, brokerPort: 30002 }); // broker-a's VIP port 30000 is the name server's
    assert.throws(() => validateTopologyPorts(nodes), /would be used by both/);
  });
});
