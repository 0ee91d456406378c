/**
 * The name-server client with two name servers, one dead or just restarted (it knows nothing
 * until the brokers register again, every 30 s): every call is answered by the one that knows.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NameServerClient } from '../../src/core/client/namesrv.js';
import { RemotingClient } from '../../src/core/client/remoting-client.js';
import { NotFoundError } from '../../src/core/errors.js';
import { RequestCode, ResponseCode } from '../../src/core/remoting/codes.js';
import { FakeBroker } from '../helpers/fake-broker.js';
import { freePortBlock } from '../helpers/ports.js';

const CLUSTER = {
  brokerAddrTable: {
    'broker-a': { brokerAddrs: { 0: '127.0.0.1:10911' }, brokerName: 'broker-a', cluster: 'C' },
  },
  clusterAddrTable: { C: ['broker-a'] },
};
const ROUTE = {
  brokerDatas: [{ brokerAddrs: { 0: '127.0.0.1:10911' }, brokerName: 'broker-a', cluster: 'C' }],
  queueDatas: [{ brokerName: 'broker-a', perm: 6, readQueueNums: 4, writeQueueNums: 4, topicSysFlag: 0 }],
};
const body = (o: unknown) => Buffer.from(JSON.stringify(o));

/** A name server that knows the cluster, or one just restarted that knows nothing. */
async function namesrv(knows: boolean): Promise<FakeBroker> {
  const b = await FakeBroker.start();
  b.respondWith(RequestCode.GET_BROKER_CLUSTER_INFO, () => ({
    code: 0,
    body: body(knows ? CLUSTER : { brokerAddrTable: {}, clusterAddrTable: {} }),
  }))
    .respondWith(RequestCode.GET_ROUTEINFO_BY_TOPIC, (req) =>
      knows && req.extFields.topic === 't'
        ? { code: 0, body: body(ROUTE) }
        : { code: ResponseCode.TOPIC_NOT_EXIST, remark: 'No topic route info in name server' },
    )
    .respondWith(RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER, () => ({
      code: 0,
      body: body({ topicList: knows ? ['t'] : [] }),
    }))
    .respondWith(RequestCode.DELETE_TOPIC_IN_NAMESRV, () => ({ code: 0 }));
  return b;
}

describe('NameServerClient: one of two name servers dead or just restarted', () => {
  let blank: FakeBroker;
  let full: FakeBroker;
  let dead: string;
  const remoting = new RemotingClient({ timeoutMs: 2000 });

  before(async () => {
    [blank, full] = await Promise.all([namesrv(false), namesrv(true)]);
    // Nothing listens there: connections are refused, as to a name server SIGKILLed.
    dead = `127.0.0.1:${await freePortBlock(1)}`;
  });
  after(async () => {
    remoting.close();
    await Promise.all([blank.close(), full.close()]);
  });

  it('a dead first name server: every call is answered by the second', async () => {
    const ns = new NameServerClient(remoting, [dead, full.address]);
    assert.deepEqual(
      (await ns.getClusterInfo()).brokers.map((b) => b.brokerName),
      ['broker-a'],
    );
    assert.equal((await ns.getTopicRoute('t')).queues.length, 1);
    assert.deepEqual(await ns.getTopicList(), ['t']);
    await ns.deleteTopic('t');
    assert.ok(full.requests.some((r) => r.code === RequestCode.DELETE_TOPIC_IN_NAMESRV));
  });

  it('a restarted first name server that knows nothing yet: the answers of the one that knows', async () => {
    const ns = new NameServerClient(remoting, [blank.address, full.address]);
    assert.deepEqual(
      (await ns.getClusterInfo()).brokers.map((b) => b.brokerName),
      ['broker-a'],
    );
    assert.equal((await ns.getTopicRoute('t')).brokers.length, 1);
    assert.deepEqual(await ns.getTopicList(), ['t']);
    // Not known anywhere: NotFound, after asking both.
    const asked = full.requests.length;
    await assert.rejects(ns.getTopicRoute('nope'), NotFoundError);
    assert.equal(full.requests.length, asked + 1);
  });

  it('a restarted first name server that knows only a slave yet: the route of the one that knows the master', async () => {
    const partial = await FakeBroker.start();
    const slaveOnly = { brokerAddrs: { 1: '127.0.0.1:10921' }, brokerName: 'broker-a', cluster: 'C' };
    partial
      .respondWith(RequestCode.GET_ROUTEINFO_BY_TOPIC, () => ({
        code: 0,
        body: body({ ...ROUTE, brokerDatas: [slaveOnly] }),
      }))
      .respondWith(RequestCode.GET_BROKER_CLUSTER_INFO, () => ({
        code: 0,
        body: body({ brokerAddrTable: { 'broker-a': slaveOnly }, clusterAddrTable: { C: ['broker-a'] } }),
      }));
    try {
      const ns = new NameServerClient(remoting, [partial.address, full.address]);
      const route = await ns.getTopicRoute('t');
      assert.equal(route.brokers[0]!.addrs.get(0), '127.0.0.1:10911');
      const info = await ns.getClusterInfo();
      assert.equal(info.brokers[0]!.addrs.get(0), '127.0.0.1:10911');
    } finally {
      await partial.close();
    }
  });

  it('a name server that hangs does not hold up a complete answer of the other', async () => {
    const hung = (await FakeBroker.start()).hang();
    try {
      const ns = new NameServerClient(remoting, [hung.address, full.address]);
      const t0 = Date.now();
      assert.equal((await ns.getTopicRoute('t')).brokers.length, 1);
      // The grace is 300 ms and the call timeout 2 s: well under the timeout even on a busy box.
      assert.ok(Date.now() - t0 < 1500, `${Date.now() - t0} ms`);
    } finally {
      await hung.close();
    }
  });

  it('a delete reaching no name server fails', async () => {
    const ns = new NameServerClient(remoting, [dead]);
    await assert.rejects(ns.deleteTopic('t'), /127\.0\.0\.1/);
  });
});
