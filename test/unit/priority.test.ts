/**
 * Priority messages (5.4+): what goes on the wire, and what is refused before anything is sent.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { MQClient } from '../../src/core/client/mq-client.js';
import { MAX_PRIORITY, prepareMessage } from '../../src/core/client/outgoing-message.js';
import { Producer } from '../../src/core/client/producer.js';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { createTopicHeader } from '../../src/core/protocol/create-topic.js';
import { decodeProperties, Prop, UniqueIdGenerator } from '../../src/core/protocol/message.js';
import { RequestCode } from '../../src/core/remoting/codes.js';
import { VERSION_5_4_0, VERSION_5_5_0, versionName } from '../../src/core/remoting/command.js';
import { planSend, type SendRequest } from '../../src/services/send/plan.js';
import { FakeBroker } from '../helpers/fake-broker.js';

describe('versionName', () => {
  it('names 5.x releases from their MQVersion ordinal', () => {
    assert.equal(versionName(413), '5.0.0');
    assert.equal(versionName(477), '5.3.2');
    assert.equal(versionName(479), '5.3.3');
    assert.equal(versionName(VERSION_5_4_0), '5.4.0');
    assert.equal(versionName(VERSION_5_5_0), '5.5.0');
    assert.equal(versionName(515), '5.5.1');
    assert.equal(versionName(398), '4.x');
  });
});

describe('priority on the wire', () => {
  const ids = new UniqueIdGenerator();
  const props = (p: number, extra?: Record<string, string>) =>
    decodeProperties(
      prepareMessage(
        { topic: 't', body: Buffer.from('x'), priority: p, ...(extra ? { properties: extra } : {}) },
        undefined,
        ids,
        Infinity,
      ).properties,
    );

  it('is the _SYS_MSG_PRIORITY_ property, replacing a user property of that name', () => {
    assert.equal(Prop.PRIORITY, '_SYS_MSG_PRIORITY_');
    assert.equal(props(7)[Prop.PRIORITY], '7');
    assert.equal(props(0)[Prop.PRIORITY], '0');
    assert.equal(props(3, { [Prop.PRIORITY]: '9' })[Prop.PRIORITY], '3');
    const none = decodeProperties(
      prepareMessage({ topic: 't', body: Buffer.from('x') }, undefined, ids, Infinity).properties,
    );
    assert.equal(none[Prop.PRIORITY], undefined);
  });

  it('a PRIORITY topic is the message.type attribute', () => {
    const h = createTopicHeader({
      topic: 't',
      readQueues: 4,
      writeQueues: 4,
      perm: 6,
      order: false,
      messageType: 'PRIORITY',
    });
    assert.equal(h.attributes, '+message.type=PRIORITY');
  });
});

describe('Producer: a priority message and the broker version', () => {
  let server: FakeBroker;
  let version = 479;
  before(async () => {
    server = await FakeBroker.start();
    const route = {
      brokerDatas: [{ brokerAddrs: { 0: server.address }, brokerName: 'b', cluster: 'c' }],
      queueDatas: [{ brokerName: 'b', perm: 6, readQueueNums: 4, writeQueueNums: 4, topicSysFlag: 0 }],
    };
    server.respondWith(RequestCode.GET_ROUTEINFO_BY_TOPIC, () => ({
      code: 0,
      version,
      body: Buffer.from(JSON.stringify(route)),
    }));
    server.respondWith(RequestCode.GET_BROKER_RUNTIME_INFO, () => ({
      code: 0,
      version,
      body: Buffer.from('{"table":{}}'),
    }));
    server.respondWith(RequestCode.SEND_MESSAGE_V2, () => ({
      code: 0,
      version,
      extFields: { msgId: '0A', queueId: '3', queueOffset: '7' },
    }));
  });
  after(() => server.close());

  const withClient = async (fn: (p: Producer) => Promise<void>) => {
    const client = new MQClient({ namesrv: [server.address], timeoutMs: 2000 });
    try {
      await fn(new Producer(client, { group: 'pg' }));
    } finally {
      client.remoting.close();
    }
  };
  const sends = () => server.requests.filter((r) => r.code === RequestCode.SEND_MESSAGE_V2).length;

  it('is refused, before anything is sent, by a broker older than 5.4, naming the version needed', async () => {
    version = 479;
    const before = sends();
    await withClient(async (p) => {
      await assert.rejects(p.requireSupport('t', { priority: 2 }), (e: unknown) => {
        assert.ok(e instanceof InvalidArgumentError);
        assert.equal(e.message, 'priority messages need RocketMQ 5.4 or newer; broker b runs 5.3.3');
        assert.equal(e.reason, 'priority-unsupported');
        return true;
      });
      await assert.rejects(p.send({ topic: 't', body: Buffer.from('x'), priority: 2 }), /need RocketMQ 5\.4/);
      // Nothing else is checked: an ordinary message goes.
      await p.send({ topic: 't', body: Buffer.from('x') });
    });
    assert.equal(sends(), before + 1);
  });

  it('goes to a 5.4+ broker with its priority property', async () => {
    version = VERSION_5_5_0;
    await withClient(async (p) => {
      await p.requireSupport('t', { priority: 2 });
      const r = await p.send({ topic: 't', body: Buffer.from('x'), priority: 2 });
      assert.equal(r.queueId, 3);
    });
    const req = server.requests.filter((r) => r.code === RequestCode.SEND_MESSAGE_V2).at(-1)!;
    assert.equal(decodeProperties(req.extFields.i!)[Prop.PRIORITY], '2');
  });
});

describe('planSend --priority', () => {
  const base: SendRequest = {
    topic: 'T',
    namesrv: '127.0.0.1:9876',
    timeoutMs: 3000,
    group: 'g',
    input: 'lines',
    mode: 'sync',
    concurrency: 64,
    checkResult: 'commit',
    waitCheckMs: 0,
    retries: 2,
    compress: true,
    failFast: false,
    stdin: Readable.from([]),
    body: 'x',
  };

  it('takes 0 up to the largest int, into the template', async () => {
    for (const p of [0, 1, 9, MAX_PRIORITY]) {
      assert.equal((await planSend({ ...base, priority: p })).template.priority, p);
    }
    assert.equal((await planSend(base)).template.priority, undefined);
  });

  it('refuses what is out of range, and what the broker would strip it from', async () => {
    const bad: [Partial<SendRequest>, RegExp][] = [
      [{ priority: -1 }, /--priority must be a whole number from 0 to 2147483647, got -1/],
      [{ priority: 1.5 }, /--priority must be a whole number/],
      [{ priority: MAX_PRIORITY + 1 }, /--priority must be a whole number/],
      [{ priority: 1, delayMs: 1000 }, /--priority cannot be combined with a delayed message/],
      [{ priority: 1, delayLevel: 2 }, /--priority cannot be combined with a delayed message/],
      [{ priority: 1, transaction: 'commit' }, /--priority cannot be combined with a transaction message/],
      [{ priority: 1, messageGroup: 'g1' }, /--priority cannot be combined with a FIFO message/],
      [{ priority: 1, batch: 10 }, /--priority cannot be combined with --batch/],
    ];
    for (const [patch, re] of bad) {
      await assert.rejects(planSend({ ...base, ...patch }), re, JSON.stringify(patch));
    }
  });
});
