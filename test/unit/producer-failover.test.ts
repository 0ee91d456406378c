/**
 * The producer after a failover (controller or DLedger): the master it knows dies or turns slave,
 * the name server lists no master for a moment, then another one. Sends follow the new master at
 * once, not at the next periodic route refresh (30 s), and the name server is asked at most
 * twice a second however many sends fail meanwhile. Fake name server and brokers.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MQClient } from '../../src/core/client/mq-client.js';
import { Producer } from '../../src/core/client/producer.js';
import { NotFoundError } from '../../src/core/errors.js';
import { RequestCode, ResponseCode } from '../../src/core/remoting/codes.js';
import { FakeBroker } from '../helpers/fake-broker.js';

const TOPIC = 'failover_topic';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('Producer: following a new master', () => {
  let ns: FakeBroker;
  let a: FakeBroker;
  let b: FakeBroker;
  let client: MQClient;
  let producer: Producer;
  /** brokerId → address of the group as the name server lists it now. */
  let addrs: Record<number, string>;

  const routeReads = () => ns.requests.filter((r) => r.code === RequestCode.GET_ROUTEINFO_BY_TOPIC).length;
  const send = () => producer.send({ topic: TOPIC, body: Buffer.from('x') });

  beforeEach(async () => {
    [ns, a, b] = await Promise.all([FakeBroker.start(), FakeBroker.start(), FakeBroker.start()]);
    ns.respondWith(RequestCode.GET_ROUTEINFO_BY_TOPIC, () => ({
      body: Buffer.from(
        JSON.stringify({
          brokerDatas: [{ brokerAddrs: addrs, brokerName: 'g', cluster: 'C' }],
          filterServerTable: {},
          queueDatas: [{ brokerName: 'g', perm: 6, readQueueNums: 2, topicSysFlag: 0, writeQueueNums: 2 }],
        }),
      ),
    }));
    for (const x of [a, b]) {
      x.respondWith(RequestCode.SEND_MESSAGE_V2, () => ({
        code: 0,
        extFields: { msgId: 'X', queueId: '0', queueOffset: '1' },
      }));
    }
    addrs = { 0: a.address, 1: b.address };
    client = new MQClient({ namesrv: [ns.address], timeoutMs: 2000, callSiteStacks: false });
    producer = new Producer(client, { group: 'G', retries: 2 });
    assert.equal((await send()).brokerAddress, a.address);
  });

  afterEach(async () => {
    await client.shutdown();
    await Promise.all([ns.close(), a.close(), b.close()]);
  });

  it('a master that died: the retry reads the route again and goes to the new master', async () => {
    await a.close();
    addrs = { 0: b.address };
    const r = await send();
    assert.equal(r.brokerAddress, b.address);
    assert.equal(r.attempts, 2);
  });

  it('a master turned slave (SERVICE_NOT_AVAILABLE): the same', async () => {
    a.respondWith(RequestCode.SEND_MESSAGE_V2, () => ({
      code: ResponseCode.SERVICE_NOT_AVAILABLE,
      remark: 'service not available now, maybe disk full, the broker is a slave',
    }));
    addrs = { 0: b.address, 2: a.address };
    const r = await send();
    assert.equal(r.brokerAddress, b.address);
  });

  it('while no master is listed sends fail at once, the name server is asked twice a second, and the elected master is used as soon as it is listed', async () => {
    await a.close();
    addrs = { 1: b.address };
    const before = routeReads();
    const started = Date.now();
    let failed = 0;
    while (Date.now() - started < 1200) {
      await assert.rejects(send(), (err) => {
        failed++;
        return err instanceof NotFoundError && /no writable queue/.test(err.message);
      });
      await sleep(10);
    }
    assert.ok(failed > 20, `${failed} sends tried`);
    const reads = routeReads() - before;
    // 1.2 s at one read per 500 ms: 3 (and one more for a read that started at the very end).
    assert.ok(reads >= 2 && reads <= 4, `${reads} route reads for ${failed} failed sends`);

    addrs = { 0: b.address };
    await sleep(500);
    const r = await send();
    assert.equal(r.brokerAddress, b.address);
    assert.equal(r.attempts, 1);
  });
});
