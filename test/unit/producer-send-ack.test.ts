/**
 * Producer.sendAck, send()'s callback form (rmq bench's send path), against a fake broker that is
 * name server and broker at once: the same request as send(), retries of retriable codes, no retry
 * of the others, and a callback that never comes before sendAck returns.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MQClient } from '../../src/core/client/mq-client.js';
import { Producer } from '../../src/core/client/producer.js';
import { BrokerResponseError } from '../../src/core/errors.js';
import { FakeBroker } from '../helpers/fake-broker.js';

const TOPIC = 'ack_topic';

function ack(producer: Producer, body: string): Promise<unknown> {
  return new Promise((resolve) => {
    let returned = false;
    producer.sendAck({ topic: TOPIC, body: Buffer.from(body), tags: 't' }, (err) => {
      assert.ok(returned, 'done is not called before sendAck returns');
      resolve(err);
    });
    returned = true;
  });
}

describe('Producer.sendAck', () => {
  let broker: FakeBroker;
  let client: MQClient;
  let producer: Producer;
  let sendCode: (n: number) => number;

  beforeEach(async () => {
    broker = await FakeBroker.start();
    const route = {
      brokerDatas: [{ brokerAddrs: { 0: broker.address }, brokerName: 'b0', cluster: 'C' }],
      filterServerTable: {},
      queueDatas: [{ brokerName: 'b0', perm: 6, readQueueNums: 2, topicSysFlag: 0, writeQueueNums: 2 }],
    };
    broker.respondWith(105, () => ({ body: Buffer.from(JSON.stringify(route)) }));
    let sends = 0;
    sendCode = () => 0;
    broker.respondWith(310, () => {
      const code = sendCode(sends++);
      const extFields: Record<string, string> =
        code === 0 ? { msgId: 'X', queueId: '0', queueOffset: '1' } : {};
      return { code, extFields };
    });
    client = new MQClient({ namesrv: [broker.address], timeoutMs: 2000, callSiteStacks: false });
    producer = new Producer(client, { group: 'G', retries: 2 });
  });

  afterEach(async () => {
    await client.shutdown();
    await broker.close();
  });

  it('sends what send() sends, and calls back with no error once acknowledged', async () => {
    await producer.send({ topic: TOPIC, body: Buffer.from('one'), tags: 't' });
    assert.equal(await ack(producer, 'two'), undefined);
    const [viaSend, viaAck] = broker.requests.filter((r) => r.code === 310);
    const without = (e: Record<string, string>) => {
      // The born timestamp (g), the UNIQ_KEY and the queue (e, round robin) differ per message.
      const rest: Record<string, string | undefined> = {
        ...e,
        i: e.i?.replace(/UNIQ_KEY\u0001[0-9A-F]+\u0002/, ''),
      };
      delete rest.g;
      delete rest.e;
      return rest;
    };
    assert.deepEqual(without(viaAck!.extFields), without(viaSend!.extFields));
    assert.equal(viaAck!.body?.toString(), 'two');
  });

  it('calls back before the route is known too, through send()', async () => {
    assert.equal(await ack(producer, 'first'), undefined);
    assert.equal(broker.requests.filter((r) => r.code === 310).length, 1);
  });

  it('retries a retriable code and succeeds', async () => {
    await producer.send({ topic: TOPIC, body: Buffer.from('warm') });
    sendCode = (n) => (n === 1 ? 2 : 0); // SYSTEM_BUSY once
    assert.equal(await ack(producer, 'busy once'), undefined);
    assert.equal(broker.requests.filter((r) => r.code === 310).length, 3);
  });

  it('gives up after the retries with the last error', async () => {
    await producer.send({ topic: TOPIC, body: Buffer.from('warm') });
    sendCode = (n) => (n === 0 ? 0 : 2);
    const err = await ack(producer, 'always busy');
    assert.ok(err instanceof BrokerResponseError && err.responseCode === 2, String(err));
    assert.equal(broker.requests.filter((r) => r.code === 310).length, 1 + 3);
  });

  it('does not retry a code that is not retriable', async () => {
    await producer.send({ topic: TOPIC, body: Buffer.from('warm') });
    sendCode = (n) => (n === 0 ? 0 : 13); // MESSAGE_ILLEGAL
    const err = await ack(producer, 'illegal');
    assert.ok(err instanceof BrokerResponseError && err.responseCode === 13, String(err));
    assert.equal(broker.requests.filter((r) => r.code === 310).length, 2);
  });
});

describe('a broker made read-only (rmq broker drain)', () => {
  let fake: FakeBroker;
  let client: MQClient;

  afterEach(async () => {
    await client.shutdown();
    await fake.close();
  });

  it('NO_PERMISSION is retried on another broker, not reported, and the route is read again at once', async () => {
    fake = await FakeBroker.start();
    // Two broker names at the fake's address; b0 turns read-only in the route after the first send.
    let readOnly = false;
    const route = () => ({
      brokerDatas: ['b0', 'b1'].map((n) => ({
        brokerAddrs: { 0: fake.address },
        brokerName: n,
        cluster: 'C',
      })),
      filterServerTable: {},
      queueDatas: ['b0', 'b1'].map((n) => ({
        brokerName: n,
        perm: n === 'b0' && readOnly ? 4 : 6,
        readQueueNums: 2,
        topicSysFlag: 0,
        writeQueueNums: 2,
      })),
    });
    fake.respondWith(105, () => ({ body: Buffer.from(JSON.stringify(route())) }));
    fake.respondWith(310, (req) => {
      if (req.extFields.n === 'b0' && readOnly)
        return { code: 16, remark: 'the broker[b0] sending message is forbidden' };
      return { code: 0, extFields: { msgId: 'X', queueId: '0', queueOffset: '1' } };
    });
    client = new MQClient({ namesrv: [fake.address], timeoutMs: 2000, callSiteStacks: false });
    const producer = new Producer(client, { group: 'G', retries: 2 });
    await producer.send({ topic: TOPIC, body: Buffer.from('warm') });
    readOnly = true;
    const routeReads = () => fake.requests.filter((r) => r.code === 105).length;
    const before = routeReads();
    const errors: unknown[] = [];
    for (let i = 0; i < 8; i++) {
      const err = await ack(producer, `m${i}`);
      if (err) errors.push(err);
    }
    assert.deepEqual(errors, [], 'every send succeeded');
    assert.equal(routeReads(), before + 1, 'one route read, after the first NO_PERMISSION');
    const sends = fake.requests.filter((r) => r.code === 310).slice(1);
    const refused = sends.filter((r) => r.extFields.n === 'b0');
    assert.ok(refused.length <= 1, `b0 was tried ${refused.length} times after turning read-only`);
    assert.equal(sends.filter((r) => r.extFields.n === 'b1').length, 8);
  });
});
