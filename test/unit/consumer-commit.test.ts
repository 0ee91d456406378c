/**
 * The consumer's offset commits against a scripted broker that keeps offsets as RocketMQ's
 * ConsumerOffsetManager does (4.9.7 and 5.3.3): one map per topic@group, created by the first
 * commit with a get-then-put that is not atomic. The real broker runs commits on a pool of 32
 * threads, so two that arrive together for a group without a map may both create one, and the
 * later put drops the other's queue. Here the gap between get and put is made wide enough that
 * two commits in flight together always collide, so a client that sends them so loses one every
 * time instead of once in a hundred runs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PushConsumer } from '../../src/core/client/consumer.js';
import { MQClient } from '../../src/core/client/mq-client.js';
import { RequestCode, ResponseCode } from '../../src/core/remoting/codes.js';
import { FakeBroker } from '../helpers/fake-broker.js';

const QUEUES = 4;
const START = 7;

describe('PushConsumer: offset commits and the broker offset-map race', () => {
  let server: FakeBroker;
  /** topic@group → queueId → offset, as the broker's offsetTable. */
  const table = new Map<string, Map<number, number>>();

  before(async () => {
    server = await FakeBroker.start();
    const route = {
      brokerDatas: [{ brokerAddrs: { 0: server.address }, brokerName: 'b', cluster: 'c' }],
      queueDatas: [
        { brokerName: 'b', perm: 6, readQueueNums: QUEUES, writeQueueNums: QUEUES, topicSysFlag: 0 },
      ],
    };
    server
      .respondWith(RequestCode.GET_ROUTEINFO_BY_TOPIC, (req) =>
        req.extFields.topic === 't'
          ? { code: 0, body: Buffer.from(JSON.stringify(route)) }
          : { code: ResponseCode.TOPIC_NOT_EXIST, remark: 'no route' },
      )
      .respondWith(RequestCode.HEART_BEAT, () => ({ code: 0 }))
      .respondWith(RequestCode.UNREGISTER_CLIENT, () => ({ code: 0 }))
      .respondWith(RequestCode.GET_CONSUMER_LIST_BY_GROUP, () => ({
        code: 0,
        body: Buffer.from(JSON.stringify({ consumerIdList: [clientId] })),
      }))
      .respondWith(RequestCode.QUERY_CONSUMER_OFFSET, (req) => {
        const v = table
          .get(`${req.extFields.topic}@${req.extFields.consumerGroup}`)
          ?.get(Number(req.extFields.queueId));
        return v === undefined
          ? { code: ResponseCode.QUERY_NOT_FOUND, remark: 'not found' }
          : { code: 0, extFields: { offset: String(v) } };
      })
      .respondWith(RequestCode.GET_MAX_OFFSET, () => ({ code: 0, extFields: { offset: String(START) } }))
      .respondWith(RequestCode.PULL_MESSAGE, () => ({
        code: ResponseCode.PULL_NOT_FOUND,
        extFields: { nextBeginOffset: String(START), maxOffset: String(START), minOffset: '0' },
      }))
      .respondWith(RequestCode.UPDATE_CONSUMER_OFFSET, async (req) => {
        const key = `${req.extFields.topic}@${req.extFields.consumerGroup}`;
        const queueId = Number(req.extFields.queueId);
        const offset = Number(req.extFields.commitOffset);
        const map = table.get(key);
        if (map) {
          map.set(queueId, offset);
        } else {
          // The unguarded window of ConsumerOffsetManager.commitOffset, made wide.
          await new Promise((r) => setTimeout(r, 50));
          table.set(key, new Map([[queueId, offset]]));
        }
        return { code: 0 };
      });
  });

  after(async () => {
    await server.close();
  });

  let clientId = '';

  it('a fresh group: every queue committed at stop is on the broker afterwards', async () => {
    const client = new MQClient({ namesrv: [server.address], timeoutMs: 3000 });
    clientId = client.clientId;
    const consumer = new PushConsumer(client, {
      group: 'g_fresh',
      topic: 't',
      // Only the commit at stop: the timer must not create the map first.
      commitIntervalMs: 3_600_000,
    });
    consumer.disableLongPolling();
    try {
      await consumer.start(() => ({ status: 'ack' }));
      assert.equal(consumer.assignedQueues().length, QUEUES);
      await consumer.halt();
      await consumer.stop();
    } finally {
      await client.shutdown();
    }
    const stored = table.get('t@g_fresh');
    assert.deepEqual(
      [...(stored ?? new Map<number, number>()).entries()].sort((a, b) => a[0] - b[0]),
      Array.from({ length: QUEUES }, (_, i) => [i, START]),
      'each queue committed once is on the broker',
    );
  });
});
