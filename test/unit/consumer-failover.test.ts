/**
 * The push consumer after a failover: its queues' master dies, the name server lists only a
 * slave for a while, then that slave as the elected master. The consumer keeps its queues
 * through the gap (no master is not "the queues are gone"), reads them from the slave meanwhile
 * (as the Java client does), and pulls from the new master at the
 * offsets it had reached, within seconds, not at the next periodic rebalance. Fake name server
 * and brokers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PushConsumer } from '../../src/core/client/consumer.js';
import { MQClient } from '../../src/core/client/mq-client.js';
import { RequestCode, ResponseCode } from '../../src/core/remoting/codes.js';
import { FakeBroker } from '../helpers/fake-broker.js';

const QUEUES = 2;
const START = 42;

describe('PushConsumer: following a new master', () => {
  let ns: FakeBroker;
  let a: FakeBroker;
  let b: FakeBroker;
  let addrs: Record<number, string>;
  let clientId = '';

  const serve = (x: FakeBroker): FakeBroker =>
    x
      .respondWith(RequestCode.HEART_BEAT, () => ({ code: 0 }))
      .respondWith(RequestCode.UNREGISTER_CLIENT, () => ({ code: 0 }))
      .respondWith(RequestCode.GET_CONSUMER_LIST_BY_GROUP, () => ({
        code: 0,
        body: Buffer.from(JSON.stringify({ consumerIdList: [clientId] })),
      }))
      .respondWith(RequestCode.QUERY_CONSUMER_OFFSET, () => ({
        code: ResponseCode.QUERY_NOT_FOUND,
        remark: 'not found',
      }))
      .respondWith(RequestCode.GET_MAX_OFFSET, () => ({ code: 0, extFields: { offset: String(START) } }))
      .respondWith(RequestCode.UPDATE_CONSUMER_OFFSET, () => ({ code: 0 }))
      .respondWith(RequestCode.PULL_MESSAGE, (req) => ({
        code: ResponseCode.PULL_NOT_FOUND,
        extFields: { nextBeginOffset: req.extFields.queueOffset!, maxOffset: String(START), minOffset: '0' },
      }));

  before(async () => {
    [ns, a, b] = await Promise.all([FakeBroker.start(), FakeBroker.start(), FakeBroker.start()]);
    ns.respondWith(RequestCode.GET_ROUTEINFO_BY_TOPIC, (req) =>
      req.extFields.topic === 't'
        ? {
            code: 0,
            body: Buffer.from(
              JSON.stringify({
                brokerDatas: [{ brokerAddrs: addrs, brokerName: 'g', cluster: 'c' }],
                queueDatas: [
                  {
                    brokerName: 'g',
                    perm: 6,
                    readQueueNums: QUEUES,
                    writeQueueNums: QUEUES,
                    topicSysFlag: 0,
                  },
                ],
              }),
            ),
          }
        : { code: ResponseCode.TOPIC_NOT_EXIST, remark: 'no route' },
    );
    serve(a);
    serve(b);
    addrs = { 0: a.address, 1: b.address };
  });

  after(async () => {
    await Promise.all([ns.close(), a.close(), b.close()]);
  });

  it('keeps its queues while no master is listed, then pulls from the elected one at the same offsets', async () => {
    const client = new MQClient({ namesrv: [ns.address], timeoutMs: 2000, callSiteStacks: false });
    clientId = client.clientId;
    const consumer = new PushConsumer(client, {
      group: 'g1',
      topic: 't',
      // Far away: what follows the new master here is the failed pulls, not the timer.
      rebalanceIntervalMs: 600_000,
    });
    consumer.disableLongPolling();
    let removed = 0;
    consumer.on('rebalance', (e: { removed: number }) => (removed += e.removed));
    consumer.on('warning', () => {});
    try {
      await consumer.start(() => ({ status: 'ack' }));
      assert.equal(consumer.assignedQueues().length, QUEUES);
      await a.waitFor(() => a.requests.some((r) => r.code === RequestCode.PULL_MESSAGE), 3000, 'a pull at a');

      await a.close();
      addrs = { 1: b.address };
      // Failed pulls read the route (at most once a second): the group has no master now.
      await new Promise((r) => setTimeout(r, 2500));
      assert.equal(consumer.assignedQueues().length, QUEUES, 'queues kept while a master is elected');
      // Meanwhile the queues are read from the slave, as the Java client does, at the same offsets.
      const slavePulls = b.requests.filter((r) => r.code === RequestCode.PULL_MESSAGE);
      assert.equal(
        new Set(slavePulls.map((r) => r.extFields.queueId)).size,
        QUEUES,
        'every queue pulled at the slave',
      );
      for (const r of slavePulls) assert.equal(r.extFields.queueOffset, String(START));
      b.requests.length = 0;

      addrs = { 0: b.address };
      const started = Date.now();
      const pullsAtB = () => b.requests.filter((r) => r.code === RequestCode.PULL_MESSAGE);
      await b.waitFor(
        () => new Set(pullsAtB().map((r) => r.extFields.queueId)).size === QUEUES,
        5000,
        'every queue pulled at b',
      );
      assert.ok(Date.now() - started < 5000);
      for (const r of pullsAtB()) assert.equal(r.extFields.queueOffset, String(START));
      assert.equal(removed, 0, 'no queue was given up');
    } finally {
      await consumer.stop();
      await client.shutdown();
    }
  });
});
