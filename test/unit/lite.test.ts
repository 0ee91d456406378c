/**
 * Lite topics (5.5): the queue a lite message goes to is the one the broker shards it to, the
 * lite admin bodies are read within budgets, and lite pops are acked as Java's client acks them.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { consistentHash, liteQueueIndex } from '../../src/core/client/lite-sharding.js';
import { MQClient } from '../../src/core/client/mq-client.js';
import { prepareMessage } from '../../src/core/client/outgoing-message.js';
import { Producer } from '../../src/core/client/producer.js';
import { InvalidArgumentError, ProtocolError } from '../../src/core/errors.js';
import {
  decodeBrokerLiteInfo,
  decodeLiteClientInfo,
  decodeLiteGroupInfo,
  decodeLiteTopicInfo,
  decodeParentTopicInfo,
  getLiteGroupInfoHeader,
  liteTopicOf,
  lmqName,
  MAX_LITE_ENTRIES,
  validateLiteTopicName,
} from '../../src/core/protocol/lite-info.js';
import { encodeLiteSubscriptionCtl } from '../../src/core/protocol/lite-subscription-ctl.js';
import {
  decodeProperties,
  javaHashCode,
  type MessageExt,
  UniqueIdGenerator,
} from '../../src/core/protocol/message.js';
import {
  ackLiteHeader,
  litePosition,
  popLiteMessageHeader,
  readPopLiteResponse,
} from '../../src/core/protocol/pop-lite-message.js';
import { RequestCode } from '../../src/core/remoting/codes.js';
import type { RemotingCommand } from '../../src/core/remoting/command.js';
import { planSend, type SendRequest } from '../../src/services/send/plan.js';
import { FakeBroker } from '../helpers/fake-broker.js';

describe('lite sharding', () => {
  // Computed with Guava 32.0.1 (the jar RocketMQ 5.5.0 ships):
  //   Hashing.consistentHash(key.hashCode(), buckets) for buckets 1 2 3 4 8 16 100.
  const GUAVA: [string, number, number[]][] = [
    ['a', 97, [0, 0, 0, 0, 0, 0, 29]],
    ['user-1', -836031825, [0, 1, 1, 1, 1, 1, 39]],
    ['order-42', 1234255197, [0, 0, 2, 3, 3, 10, 25]],
    ['chat/room#7', -1856301786, [0, 1, 1, 1, 5, 5, 29]],
    ['\u00e9t\u00e9', 227742, [0, 1, 1, 1, 7, 7, 46]],
    ['x', 120, [0, 1, 1, 1, 4, 12, 36]],
  ];
  const BUCKETS = [1, 2, 3, 4, 8, 16, 100];

  test("matches Guava's consistentHash over Java's String.hashCode", () => {
    for (const [key, hash, expected] of GUAVA) {
      assert.equal(javaHashCode(key), hash, key);
      assert.deepEqual(
        BUCKETS.map((b) => consistentHash(hash, b)),
        expected,
        key,
      );
      assert.deepEqual(
        BUCKETS.map((b) => liteQueueIndex(key, b)),
        expected,
        key,
      );
    }
  });

  test('stays within the buckets and refuses none', () => {
    for (let i = -1000; i < 1000; i += 7) {
      const n = consistentHash(i * 7919, 5);
      assert.ok(n >= 0 && n < 5);
    }
    assert.throws(() => consistentHash(1, 0), RangeError);
  });
});

describe('lite topic names', () => {
  test('the proxy rules: letters, digits, - and _, up to 64', () => {
    validateLiteTopicName('room-7_A');
    validateLiteTopicName('x'.repeat(64));
    for (const bad of ['', 'a b', 'a$b', 'a/b', 'é', 'x'.repeat(65)]) {
      assert.throws(() => validateLiteTopicName(bad), InvalidArgumentError, bad);
    }
  });

  test('LMQ names split back as the broker splits them', () => {
    assert.equal(lmqName('chats', 'room-7'), '%LMQ%$chats$room-7');
    assert.equal(liteTopicOf('%LMQ%$chats$room-7'), 'room-7');
    assert.equal(liteTopicOf('%LMQ%$chats$room-7', 'chats'), 'room-7');
    assert.equal(liteTopicOf('%LMQ%$chats$room-7', 'other'), undefined);
    for (const bad of ['chats$room', '%LMQ%$chats', '%LMQ%$chats$', '%LMQ%$$x', '%LMQ%$a$b$c']) {
      assert.equal(liteTopicOf(bad), undefined, bad);
    }
  });
});

const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

describe('lite admin bodies', () => {
  test('broker lite info, as a 5.5.0 broker writes it', () => {
    const b = Buffer.from(
      '{"cqTableSize":5,"currentLmqNum":2,"eventMapSize":0,"groupMeta":{"chats":["g2","g1"]},"liteSubscriptionCount":1,"maxLmqNum":20000,"offsetTableSize":4,"orderInfoCount":1,"storeType":"default","topicMeta":{"chats":-1,"__proto__":5}}',
    );
    const r = decodeBrokerLiteInfo(b);
    assert.equal(r.currentLmqNum, 2);
    assert.equal(r.maxLmqNum, 20000);
    assert.deepEqual(r.groupMeta.chats, ['g1', 'g2']);
    assert.equal(r.topicMeta.chats, -1);
    assert.equal(Object.getPrototypeOf(r.topicMeta), Object.prototype, 'a "__proto__" topic stays data');
    assert.deepEqual(Object.keys(r.topicMeta).sort(), ['__proto__', 'chats']);
  });

  test('parent, lite topic, client and group bodies', () => {
    assert.deepEqual(
      decodeParentTopicInfo(json({ topic: 'p', ttl: 30, groups: ['b', 'a'], lmqNum: 3, liteTopicCount: 2 })),
      {
        topic: 'p',
        ttl: 30,
        groups: ['a', 'b'],
        lmqNum: 3,
        liteTopicCount: 2,
      },
    );
    const t = decodeLiteTopicInfo(
      json({
        parentTopic: 'p',
        liteTopic: 'l',
        subscriber: [
          { clientId: 'c2', group: 'g' },
          { clientId: '*', group: 'a' },
        ],
        topicOffset: { minOffset: 0, maxOffset: 3, lastUpdateTimestamp: 1700000000000 },
        shardingToBroker: true,
      }),
    );
    assert.deepEqual(t.subscribers, [
      { clientId: '*', group: 'a' },
      { clientId: 'c2', group: 'g' },
    ]);
    assert.equal(t.maxOffset, 3);
    assert.equal(t.shardingToBroker, true);
    const c = decodeLiteClientInfo(
      json({
        parentTopic: 'p',
        group: 'g',
        clientId: 'c',
        liteTopicCount: 2,
        liteTopicSet: ['%LMQ%$p$b', '%LMQ%$p$a'],
      }),
    );
    assert.deepEqual(c.liteTopics, ['a', 'b'], 'LMQ names shown as lite topics');
    assert.equal(
      decodeLiteClientInfo(json({ parentTopic: 'p' })).liteTopicCount,
      -1,
      'none: -1, as the broker says',
    );
    const g = decodeLiteGroupInfo(
      json({
        group: 'g',
        parentTopic: 'p',
        liteTopic: 'l',
        totalLagCount: 2,
        earliestUnconsumedTimestamp: 5,
        liteTopicOffsetWrapper: { brokerOffset: 5, consumerOffset: 3, lastTimestamp: 4 },
        lagCountTopK: [{ liteTopic: '%LMQ%$p$l', lagCount: 2, earliestUnconsumedTimestamp: 5 }],
      }),
    );
    assert.deepEqual(g.offsets, { brokerOffset: 5, consumerOffset: 3, lastTimestamp: 4 });
    assert.equal(g.lagCountTopK[0]!.liteTopic, 'l');
    const none = decodeLiteGroupInfo(json({ group: 'g', parentTopic: 'p', totalLagCount: -1 }));
    assert.equal(none.offsets, null);
    assert.equal(none.liteTopic, null);
    assert.equal(none.earliestUnconsumedTimestamp, -1);
  });

  test('hostile bodies end as ProtocolError', () => {
    assert.throws(() => decodeBrokerLiteInfo(Buffer.from('[1]')), ProtocolError);
    assert.throws(() => decodeParentTopicInfo(Buffer.from('{"groups":"x"}')), ProtocolError);
    assert.throws(() => decodeLiteTopicInfo(Buffer.from('{"subscriber":[1]}')), ProtocolError);
    assert.throws(() => decodeLiteGroupInfo(Buffer.from('{"lagCountTopK":{}}')), ProtocolError);
    assert.throws(() => decodeLiteClientInfo(Buffer.from('{"liteTopicSet":[')), ProtocolError);
    const many = `{"liteTopicSet":[${'"a",'.repeat(MAX_LITE_ENTRIES)}"a"]}`;
    assert.throws(() => decodeLiteClientInfo(Buffer.from(many)), ProtocolError);
    assert.throws(
      () => decodeBrokerLiteInfo(Buffer.from(`${'['.repeat(600)}${']'.repeat(600)}`)),
      ProtocolError,
    );
  });

  test('group info without a lite topic sends none', () => {
    assert.deepEqual(getLiteGroupInfoHeader('g', undefined, 20), { group: 'g', topK: '20' });
    assert.deepEqual(getLiteGroupInfoHeader('g', 'l', 0), { group: 'g', topK: '0', liteTopic: 'l' });
  });
});

const msg = (properties: Record<string, string>): MessageExt => ({ properties }) as unknown as MessageExt;

describe('lite POP and ack', () => {
  test('the subscription body names enums as fastjson reads them', () => {
    const body = JSON.parse(
      encodeLiteSubscriptionCtl([
        { action: 'PARTIAL_ADD', clientId: 'c', group: 'g', topic: 'p', liteTopics: ['a'], offset: 'first' },
        { action: 'COMPLETE_REMOVE', clientId: 'c', group: 'g', topic: 'p', liteTopics: [] },
      ]).toString(),
    ) as { subscriptionSet: Record<string, unknown>[] };
    assert.deepEqual(body.subscriptionSet[0], {
      action: 'PARTIAL_ADD',
      clientId: 'c',
      group: 'g',
      topic: 'p',
      liteTopicSet: ['a'],
      offsetOption: { type: 'POLICY', value: 1 },
      version: 0,
    });
    assert.equal(body.subscriptionSet[1]!.offsetOption, undefined);
  });

  test('pop header and the ack of what it returned', () => {
    assert.deepEqual(
      popLiteMessageHeader(
        {
          clientId: 'c',
          consumerGroup: 'g',
          topic: 'p',
          maxMsgNum: 32,
          invisibleTimeMs: 60000,
          pollTimeMs: 5000,
        },
        42,
      ),
      {
        clientId: 'c',
        consumerGroup: 'g',
        topic: 'p',
        maxMsgNum: '32',
        invisibleTime: '60000',
        pollTime: '5000',
        bornTime: '42',
      },
    );
    const res = { code: 0, extFields: { popTime: '1000', invisibleTime: '60000', reviveQid: '999' } };
    const h = readPopLiteResponse(res as unknown as RemotingCommand);
    const pos = litePosition(
      msg({ INNER_MULTI_DISPATCH: '%LMQ%$p$room-7', INNER_MULTI_QUEUE_OFFSET: '4' }),
      'p',
    );
    assert.deepEqual(pos, { liteTopic: 'room-7', offset: 4 });
    // Java: ExtraInfoUtil.buildExtraInfo(0, popTime, invisibleTime, 999, topic, brokerName, 0, offset)
    assert.deepEqual(ackLiteHeader('g', 'p', 'broker-a', h, pos), {
      consumerGroup: 'g',
      topic: 'p',
      queueId: '0',
      extraInfo: '0 1000 60000 999 0 broker-a 0 4',
      offset: '4',
      liteTopic: 'room-7',
      bname: 'broker-a',
    });
  });

  test('a popped message without its one LMQ is a protocol error', () => {
    for (const props of <Record<string, string>[]>[
      {},
      { INNER_MULTI_DISPATCH: '%LMQ%$p$a,%LMQ%$p$b', INNER_MULTI_QUEUE_OFFSET: '1,2' },
      { INNER_MULTI_DISPATCH: '%LMQ%$other$a', INNER_MULTI_QUEUE_OFFSET: '1' },
      { INNER_MULTI_DISPATCH: '%LMQ%$p$a', INNER_MULTI_QUEUE_OFFSET: 'x' },
    ]) {
      assert.throws(() => litePosition(msg(props), 'p'), ProtocolError, JSON.stringify(props));
    }
    const bad = { code: 0, extFields: { popTime: 'soon', invisibleTime: '1' } };
    assert.throws(() => readPopLiteResponse(bad as unknown as RemotingCommand), ProtocolError);
  });
});

describe('send --lite-topic', () => {
  test('the lite topic goes into the properties, in place of a user property of that name', () => {
    const p = prepareMessage(
      {
        topic: 'p',
        body: Buffer.from('x'),
        liteTopic: 'room-7',
        properties: { __LITE_TOPIC: 'other', a: '1' },
      },
      undefined,
      new UniqueIdGenerator(),
      4096,
    );
    const props = decodeProperties(p.properties);
    assert.equal(props.__LITE_TOPIC, 'room-7');
    assert.equal(props.a, '1');
    assert.equal(p.properties.split('__LITE_TOPIC').length, 2, 'named once');
  });

  test('refused with a batch, a transaction, a delay, or a name the proxy would refuse', async () => {
    const base: SendRequest = {
      topic: 'p',
      namesrv: '127.0.0.1:9876',
      timeoutMs: 3000,
      group: 'g',
      input: 'lines',
      mode: 'sync',
      concurrency: 1,
      checkResult: 'commit',
      waitCheckMs: 0,
      retries: 2,
      compress: true,
      failFast: false,
      stdin: Readable.from([]),
      body: 'x',
      liteTopic: 'room-7',
    };
    assert.equal((await planSend(base)).template.liteTopic, 'room-7');
    for (const [extra, message] of [
      [{ batch: 4, count: 4 }, /does not go with --batch/],
      [{ transaction: 'commit' as const }, /does not go with --transaction/],
      [{ delayMs: 1000 }, /does not go with a delay/],
      [{ liteTopic: 'room 7' }, /may contain only letters/],
      [{ priority: 3 }, /does not go with --priority/],
    ] as const) {
      await assert.rejects(planSend({ ...base, ...extra }), message);
    }
  });
});

describe('Producer: a lite message goes to the queue its lite topic is sharded to', () => {
  test('over 2 brokers x 4 queues, as the broker computes it', async () => {
    const server = await FakeBroker.start();
    const route = {
      brokerDatas: ['b', 'a'].map((n) => ({
        brokerAddrs: { 0: server.address },
        brokerName: n,
        cluster: 'c',
      })),
      queueDatas: ['b', 'a'].map((n) => ({
        brokerName: n,
        perm: 6,
        readQueueNums: 4,
        writeQueueNums: 4,
        topicSysFlag: 0,
      })),
    };
    server.respondWith(RequestCode.GET_ROUTEINFO_BY_TOPIC, () => ({
      code: 0,
      body: Buffer.from(JSON.stringify(route)),
    }));
    server.respondWith(RequestCode.SEND_MESSAGE_V2, () => ({
      code: 0,
      extFields: { msgId: '0A', queueId: '0', queueOffset: '1' },
    }));
    const client = new MQClient({ namesrv: [server.address], timeoutMs: 2000 });
    try {
      const producer = new Producer(client, { group: 'pg' });
      for (const lite of ['user-1', 'order-42', 'x', 'a']) {
        await producer.send({ topic: 'p', body: Buffer.from('m'), liteTopic: lite });
        const req = server.requests.filter((x) => x.code === RequestCode.SEND_MESSAGE_V2).at(-1)!;
        // Queues as the broker lists them: broker a's 0..3, then b's 0..3.
        const i = consistentHash(javaHashCode(lite), 8);
        assert.deepEqual([req.extFields.n, req.extFields.e], [i < 4 ? 'a' : 'b', String(i % 4)], lite);
      }
    } finally {
      client.remoting.close();
      await server.close();
    }
  });
});
