/**
 * Latency fault avoidance: the Java client's periods, and a producer that stops trying a broker
 * that failed, against two fake brokers (one also the name server).
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { avoidanceMs, FaultAvoidance } from '../../src/core/client/fault-avoidance.js';
import { MQClient } from '../../src/core/client/mq-client.js';
import { Producer } from '../../src/core/client/producer.js';
import { FakeBroker } from '../helpers/fake-broker.js';

describe('FaultAvoidance', () => {
  it('puts a broker aside for the Java client periods', () => {
    const table: [number, number][] = [
      [0, 0],
      [549, 0],
      [550, 2000],
      [1800, 5000],
      [3000, 6000],
      [5000, 10000],
      [14_999, 10000],
      [15_000, 30000],
    ];
    for (const [latency, ms] of table) assert.equal(avoidanceMs(latency), ms, `${latency} ms`);
  });

  it('a failure counts as 10 s; a fast send clears it; the report keeps the history', () => {
    let now = 1_000_000;
    const f = new FaultAvoidance(true, () => now);
    f.record('a', 3, true);
    assert.equal(f.available('a'), false);
    assert.equal(f.available('b'), true);
    now += 9_999;
    assert.equal(f.available('a'), false);
    now += 1;
    assert.equal(f.available('a'), true);
    f.record('a', 700, false);
    assert.equal(f.available('a'), false);
    f.record('a', 20, false);
    assert.equal(f.available('a'), true);
    assert.deepEqual(f.report(), [{ brokerName: 'a', times: 2, lastLatencyMs: 700, lastFailed: false }]);
  });

  it('after its period a broker is on probation: one probe at a time until a fast answer', () => {
    let now = 1_000_000;
    const f = new FaultAvoidance(true, () => now);
    f.record('a', 3, true);
    now += 10_000;
    assert.equal(f.available('a'), true, 'its period is over');
    f.sending('a');
    assert.equal(f.available('a'), false, 'its probe is out');
    f.sending('b');
    assert.equal(f.available('b'), true, 'a broker never put aside is never on probation');
    // The probe failed: a new period, then a new probe.
    f.record('a', 3, true);
    now += 9_999;
    assert.equal(f.available('a'), false);
    now += 1;
    f.sending('a');
    assert.equal(f.available('a'), false);
    // A probe that never reports (refused for its content) lets another go after 3 s.
    now += 3000;
    assert.equal(f.available('a'), true);
    f.sending('a');
    assert.equal(f.available('a'), false);
    // A fast answer ends the probation: every send may go there again.
    f.record('a', 20, false);
    f.sending('a');
    assert.equal(f.available('a'), true);
    f.sending('a');
    assert.equal(f.available('a'), true);
  });

  it('off: nothing is ever put aside', () => {
    const f = new FaultAvoidance(false);
    f.record('a', 0, true);
    assert.equal(f.available('a'), true);
    assert.deepEqual(f.report(), []);
  });
});

describe('Producer with a broker that refuses', () => {
  let good: FakeBroker;
  let bad: FakeBroker;
  let client: MQClient;

  beforeEach(async () => {
    good = await FakeBroker.start();
    bad = await FakeBroker.start();
    const route = {
      brokerDatas: [
        { brokerAddrs: { 0: good.address }, brokerName: 'good', cluster: 'C' },
        { brokerAddrs: { 0: bad.address }, brokerName: 'bad', cluster: 'C' },
      ],
      filterServerTable: {},
      queueDatas: ['good', 'bad'].map((brokerName) => ({
        brokerName,
        perm: 6,
        readQueueNums: 2,
        topicSysFlag: 0,
        writeQueueNums: 2,
      })),
    };
    good.respondWith(105, () => ({ body: Buffer.from(JSON.stringify(route)) }));
    good.respondWith(310, () => ({ code: 0, extFields: { msgId: 'X', queueId: '0', queueOffset: '1' } }));
    // SYSTEM_BUSY: retriable, so the producer goes on to the other broker.
    bad.respondWith(310, () => ({ code: 2, remark: 'busy' }));
    client = new MQClient({ namesrv: [good.address], timeoutMs: 2000, callSiteStacks: false });
  });

  afterEach(async () => {
    await client.shutdown();
    await good.close();
    await bad.close();
  });

  const sendsTo = (b: FakeBroker) => b.requests.filter((r) => r.code === 310).length;

  it('after one failure the broker is not tried again within its period', async () => {
    const producer = new Producer(client, { group: 'G', retries: 2 });
    for (let i = 0; i < 20; i++) {
      const r = await producer.send({ topic: 'T', body: Buffer.from(String(i)) });
      assert.equal(r.brokerName, 'good');
    }
    assert.equal(sendsTo(bad), 1, 'the refusing broker got one send, then was put aside');
    assert.equal(sendsTo(good), 20);
    assert.deepEqual(
      producer.faults.report().map((x) => [x.brokerName, x.times, x.lastFailed]),
      [['bad', 1, true]],
    );
  });

  it('after its period, concurrent sends probe the refusing broker once, not with their whole share', async () => {
    let now = 1_000_000;
    const faults = new FaultAvoidance(true, () => now);
    const producer = new Producer(client, { group: 'G', retries: 2, faultAvoidance: faults });
    for (let i = 0; i < 4; i++) await producer.send({ topic: 'T', body: Buffer.from(String(i)) });
    assert.equal(sendsTo(bad), 1, 'put aside after its first refusal');
    now += 10_000;
    const sent = await Promise.all(
      Array.from({ length: 20 }, (_, i) => producer.send({ topic: 'T', body: Buffer.from(`p${i}`) })),
    );
    assert.ok(sent.every((r) => r.brokerName === 'good'));
    assert.equal(sendsTo(bad), 2, 'one probe, not half of 20 sends');
    // The same through sendAck, bench's path.
    now += 10_000;
    await Promise.all(
      Array.from(
        { length: 20 },
        (_, i) =>
          new Promise<void>((resolve, reject) =>
            producer.sendAck({ topic: 'T', body: Buffer.from(`q${i}`) }, (err) =>
              err ? reject(err) : resolve(),
            ),
          ),
      ),
    );
    assert.equal(sendsTo(bad), 3, 'one probe through sendAck');
  });

  it('without fault avoidance every other first attempt goes to the refusing broker', async () => {
    const producer = new Producer(client, { group: 'G', retries: 2, faultAvoidance: false });
    for (let i = 0; i < 20; i++) await producer.send({ topic: 'T', body: Buffer.from(String(i)) });
    // Only the broker that failed last is skipped, so round robin returns to it again and again.
    assert.ok(sendsTo(bad) >= 5, `${sendsTo(bad)} sends to the refusing broker`);
  });
});
