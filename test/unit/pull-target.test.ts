/**
 * Which broker of a group the consumer pulls a queue from, and where the group's offsets go,
 * against scripted brokers: a master and its slave under one broker name, and a name server
 * whose route the test changes. A real broker suggests a slave only to a group that reads more
 * than 40 % of the machine's memory behind, and a real slave sends readers back to its master
 * on every reply, so the switch there and back is scripted here; the real topology test covers
 * a master that is down.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { PushConsumer } from '../../src/core/client/consumer.js';
import { MQClient } from '../../src/core/client/mq-client.js';
import { findInGroup, type PullTargetChange } from '../../src/core/client/pull-target.js';
import type { RemotingCommand } from '../../src/core/remoting/command.js';
import { RequestCode, ResponseCode } from '../../src/core/remoting/codes.js';
import { FakeBroker } from '../helpers/fake-broker.js';

/** A stored-message record as the broker's CommitLog lays it out (MAGIC_V1, IPv4 hosts). */
function stored(topic: string, queueOffset: number, body: string): Buffer {
  const t = Buffer.from(topic);
  const b = Buffer.from(body);
  const props = Buffer.from(`UNIQ_KEY\u0001${topic}-${queueOffset}\u0002`);
  const buf = Buffer.alloc(
    4 * 5 + 8 * 2 + 4 + 8 + 8 + 8 + 8 + 4 + 8 + 4 + b.length + 1 + t.length + 2 + props.length,
  );
  let p = buf.writeInt32BE(buf.length, 0);
  p = buf.writeInt32BE(-626843481, p); // MAGIC_V1
  p = buf.writeInt32BE(0, p); // body CRC
  p = buf.writeInt32BE(0, p); // queueId
  p = buf.writeInt32BE(0, p); // flag
  p = buf.writeBigInt64BE(BigInt(queueOffset), p);
  p = buf.writeBigInt64BE(BigInt(queueOffset * 100), p); // commit-log offset
  p = buf.writeInt32BE(0, p); // sysFlag
  p = buf.writeBigInt64BE(1n, p); // born
  p = buf.writeBigInt64BE(0x7f00000100000001n, p); // born host 127.0.0.1:1
  p = buf.writeBigInt64BE(2n, p); // stored
  p = buf.writeBigInt64BE(0x7f00000100000002n, p); // store host 127.0.0.1:2
  p = buf.writeInt32BE(0, p); // reconsumeTimes
  p = buf.writeBigInt64BE(0n, p); // prepared transaction offset
  p = buf.writeInt32BE(b.length, p);
  p += b.copy(buf, p);
  p = buf.writeUInt8(t.length, p);
  p += t.copy(buf, p);
  p = buf.writeInt16BE(props.length, p);
  props.copy(buf, p);
  return buf;
}

type Pull = (req: RemotingCommand) => Partial<RemotingCommand>;

/** A broker that keeps the group's offsets in a table and answers pulls from a script. */
async function broker(
  clientId: () => string,
  otherwise: Pull,
): Promise<{ b: FakeBroker; offsets: Map<number, number>; pulls: Pull[] }> {
  const b = await FakeBroker.start();
  const offsets = new Map<number, number>();
  const pulls: Pull[] = [];
  b.respondWith(RequestCode.HEART_BEAT, () => ({ code: 0 }))
    .respondWith(RequestCode.UNREGISTER_CLIENT, () => ({ code: 0 }))
    .respondWith(RequestCode.GET_CONSUMER_LIST_BY_GROUP, () => ({
      code: 0,
      body: Buffer.from(JSON.stringify({ consumerIdList: [clientId()] })),
    }))
    .respondWith(RequestCode.QUERY_CONSUMER_OFFSET, (req) => {
      const v = offsets.get(Number(req.extFields.queueId));
      return v === undefined
        ? { code: ResponseCode.QUERY_NOT_FOUND, remark: 'not found' }
        : { code: 0, extFields: { offset: String(v) } };
    })
    .respondWith(RequestCode.UPDATE_CONSUMER_OFFSET, (req) => {
      offsets.set(Number(req.extFields.queueId), Number(req.extFields.commitOffset));
      return { code: 0 };
    })
    .respondWith(RequestCode.GET_MIN_OFFSET, () => ({ code: 0, extFields: { offset: '0' } }))
    .respondWith(RequestCode.PULL_MESSAGE, (req) => (pulls.shift() ?? otherwise)(req));
  return { b, offsets, pulls };
}

const header = (next: number, max: number, suggest: number) => ({
  nextBeginOffset: String(next),
  minOffset: '0',
  maxOffset: String(max),
  suggestWhichBrokerId: String(suggest),
});
const found =
  (from: number, to: number, max: number, suggest: number): Pull =>
  () => ({
    code: 0,
    extFields: header(to, max, suggest),
    body: Buffer.concat(Array.from({ length: to - from }, (_, i) => stored('t', from + i, `m${from + i}`))),
  });
/** What a real slave answers a reader that is caught up: go back to the master (id 0). */
const slaveIdle: Pull = (req) => ({
  code: ResponseCode.PULL_RETRY_IMMEDIATELY,
  extFields: header(Number(req.extFields.queueOffset), Number(req.extFields.queueOffset), 0),
});
const idle: Pull = (req) => ({
  code: ResponseCode.PULL_NOT_FOUND,
  extFields: header(Number(req.extFields.queueOffset), Number(req.extFields.queueOffset), 0),
});
const pullsOf = (b: FakeBroker) => b.requests.filter((r) => r.code === RequestCode.PULL_MESSAGE).length;

describe('PushConsumer: the broker a queue is pulled from (suggestWhichBrokerId, a master that is gone)', () => {
  let ns: FakeBroker;
  let master: Awaited<ReturnType<typeof broker>>;
  let slave: Awaited<ReturnType<typeof broker>>;
  let client: MQClient;
  /** brokerId → address in the route the name server gives now. */
  let addrs: Record<number, string>;

  beforeEach(async () => {
    ns = await FakeBroker.start();
    master = await broker(() => client.clientId, idle);
    slave = await broker(() => client.clientId, slaveIdle);
    ns.respondWith(RequestCode.GET_ROUTEINFO_BY_TOPIC, (req) =>
      req.extFields.topic === 't'
        ? {
            code: 0,
            body: Buffer.from(
              JSON.stringify({
                brokerDatas: [{ brokerAddrs: addrs, brokerName: 'b', cluster: 'c' }],
                queueDatas: [
                  { brokerName: 'b', perm: 6, readQueueNums: 1, writeQueueNums: 1, topicSysFlag: 0 },
                ],
              }),
            ),
          }
        : { code: ResponseCode.TOPIC_NOT_EXIST, remark: 'no route' },
    );
    client = new MQClient({ namesrv: [ns.address], timeoutMs: 3000 });
  });

  afterEach(async () => {
    await client.shutdown();
    await Promise.all([ns.close(), master.b.close(), slave.b.close()]);
  });

  it('findInGroup: the id asked for, then the next slave id, then the lowest id there is', () => {
    const g = (m: Record<number, string>) => ({
      cluster: 'c',
      brokerName: 'b',
      addrs: new Map(Object.entries(m).map(([k, v]) => [Number(k), v])),
    });
    assert.deepEqual(findInGroup(g({ 0: 'm', 1: 's' }), 1), { brokerId: 1, address: 's' });
    assert.deepEqual(findInGroup(g({ 0: 'm', 2: 's2' }), 1), { brokerId: 2, address: 's2' });
    assert.deepEqual(findInGroup(g({ 2: 's2', 1: 's1' }), 0), { brokerId: 1, address: 's1' });
    assert.deepEqual(findInGroup(g({ 0: 'm' }), 7), { brokerId: 0, address: 'm' });
    assert.equal(findInGroup(g({}), 0), undefined);
    assert.equal(findInGroup(undefined, 0), undefined);
  });

  it('a reply suggesting the slave moves the queue there; the slave sends it back to the master', async () => {
    addrs = { 0: master.b.address, 1: slave.b.address };
    // The master suggests the slave (a group reading far behind, on a broker with slaveReadEnable).
    master.pulls.push(found(0, 2, 4, 1));
    slave.pulls.push(found(2, 4, 4, 0));
    const consumer = new PushConsumer(client, {
      group: 'g',
      topic: 't',
      from: { kind: 'first' },
      commitIntervalMs: 100,
    });
    const changes: PullTargetChange[] = [];
    consumer.on('pull-target', (c: PullTargetChange) => changes.push(c));
    consumer.disableLongPolling();
    const seen: string[] = [];
    try {
      await consumer.start(({ message }) => {
        seen.push(message.body.toString());
        return { status: 'ack' };
      });
      await master.b.waitFor(
        () => seen.length === 4 && pullsOf(master.b) >= 2,
        5000,
        'all four read, then the master again',
      );
      const [q] = consumer.offsets();
      assert.deepEqual(q!.pulledFrom, [
        { brokerId: 0, pulls: q!.pulledFrom[0]!.pulls, messages: 2 },
        { brokerId: 1, pulls: 1, messages: 2 },
      ]);
      assert.equal(q!.suggestedBrokerId, 0);
      assert.deepEqual(
        changes.map((c) => [c.brokerId, c.address, c.suggested]),
        [
          [1, slave.b.address, 1],
          [0, master.b.address, 0],
        ],
      );
      await consumer.halt();
      await consumer.stop();
    } finally {
      await consumer.halt();
    }
    assert.deepEqual(seen, ['m0', 'm1', 'm2', 'm3']);
    // The master is in the route: the offsets are its to keep.
    assert.equal(master.offsets.get(0), 4);
    assert.equal(slave.offsets.size, 0);
    // A consumer heartbeats the slave too: it may have to serve the group.
    assert.ok(slave.b.requests.some((r) => r.code === RequestCode.HEART_BEAT));
  });

  it('the master gone from the route: the slave serves pulls and keeps the offsets; the master back gets them', async () => {
    addrs = { 1: slave.b.address };
    slave.offsets.set(0, 1);
    slave.pulls.push(found(1, 3, 3, 0));
    const consumer = new PushConsumer(client, { group: 'g', topic: 't', commitIntervalMs: 100 });
    consumer.disableLongPolling();
    const seen: string[] = [];
    try {
      await consumer.start(({ message }) => {
        seen.push(message.body.toString());
        return { status: 'ack' };
      });
      await slave.b.waitFor(() => slave.offsets.get(0) === 3, 5000, 'the offset committed to the slave');
      assert.deepEqual(seen, ['m1', 'm2']);
      assert.equal(pullsOf(master.b), 0);
      // The master registers again; the slave keeps pointing readers at it (suggests 0), which
      // the route does not have: the consumer reads the route again at once, not in 30 s.
      addrs = { 0: master.b.address, 1: slave.b.address };
      const t0 = Date.now();
      await master.b.waitFor(() => pullsOf(master.b) > 0, 5000, 'a pull at the master');
      const backMs = Date.now() - t0;
      assert.ok(backMs < 3000, `back at the master after ${backMs} ms`);
      // Nothing new was read, yet the master gets the offset: it only has what it had before.
      await master.b.waitFor(() => master.offsets.get(0) === 3, 5000, 'the offset committed to the master');
      await consumer.halt();
      await consumer.stop();
    } finally {
      await consumer.halt();
    }
    assert.equal(slave.b.requests.filter((r) => r.code === RequestCode.QUERY_CONSUMER_OFFSET).length, 1);
    assert.equal(master.b.requests.filter((r) => r.code === RequestCode.QUERY_CONSUMER_OFFSET).length, 0);
    // Between the slave's answers the reader waits rather than spinning (no long poll there).
    assert.ok(pullsOf(slave.b) < 20, `${pullsOf(slave.b)} pulls at the slave`);
  });
});

describe('MQClient: a route that misses a master, or a broker it had, is read again within seconds', () => {
  it('reads it at the short period while one is missing, at the long one once whole', async () => {
    const ns = await FakeBroker.start();
    let brokers: Record<string, Record<number, string>> = {
      a: { 0: '127.0.0.1:1' },
      b: { 1: '127.0.0.1:4' },
    };
    ns.respondWith(RequestCode.GET_ROUTEINFO_BY_TOPIC, () => ({
      code: 0,
      body: Buffer.from(
        JSON.stringify({
          brokerDatas: Object.entries(brokers).map(([brokerName, brokerAddrs]) => ({
            brokerName,
            brokerAddrs,
            cluster: 'c',
          })),
          queueDatas: Object.keys(brokers).map((brokerName) => ({
            brokerName,
            perm: 6,
            readQueueNums: 1,
            writeQueueNums: 1,
            topicSysFlag: 0,
          })),
        }),
      ),
    }));
    const client = new MQClient({
      namesrv: [ns.address],
      timeoutMs: 2000,
      degradedRouteRefreshIntervalMs: 100,
    });
    const reads = () => ns.requests.filter((r) => r.code === RequestCode.GET_ROUTEINFO_BY_TOPIC).length;
    const masters = () =>
      client
        .cachedRoute('t')
        ?.brokers.filter((b) => b.addrs.has(0))
        .map((b) => b.brokerName);
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    try {
      await client.route('t');
      // b's master is down: the next look at the route after the short period reads it again.
      brokers = { a: { 0: '127.0.0.1:1' }, b: { 0: '127.0.0.1:3', 1: '127.0.0.1:4' } };
      await sleep(150);
      client.cachedRoute('t');
      await ns.waitFor(() => reads() === 2, 2000, 'a second read');
      await sleep(50);
      assert.deepEqual(masters(), ['a', 'b']);
      // Whole again: the next read is due after the long period (30 s), not the short one.
      await sleep(1200);
      client.cachedRoute('t');
      await sleep(100);
      assert.equal(reads(), 2);
      // b gone altogether (a master without a slave, killed): missing too.
      brokers = { a: { 0: '127.0.0.1:1' } };
      await client.route('t', true);
      brokers = { a: { 0: '127.0.0.1:1' }, b: { 0: '127.0.0.1:3' } };
      await sleep(150);
      client.cachedRoute('t');
      await ns.waitFor(() => reads() === 4, 2000, 'a fourth read');
      await sleep(50);
      assert.deepEqual(masters(), ['a', 'b']);
    } finally {
      await client.shutdown();
      await ns.close();
    }
  });
});
