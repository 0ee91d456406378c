/**
 * What a send puts in the message properties (SEND_MESSAGE_V2 header field `i`), read off the
 * wire by a scripted server that plays name server and broker at once.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { after, before, describe, it } from 'node:test';
import { MQClient } from '../../src/core/client/mq-client.js';
import { Producer } from '../../src/core/client/producer.js';
import { decodeProperties, Prop, UniqueIdGenerator } from '../../src/core/protocol/message.js';
import { SendHeaderJson, sendHeaderV2 } from '../../src/core/protocol/send-message.js';
import { RequestCode } from '../../src/core/remoting/codes.js';
import { FakeBroker } from '../helpers/fake-broker.js';

describe('Producer: message properties on the wire', () => {
  let server: FakeBroker;
  let client: MQClient;
  let producer: Producer;

  before(async () => {
    server = await FakeBroker.start();
    const route = {
      brokerDatas: [{ brokerAddrs: { 0: server.address }, brokerName: 'b', cluster: 'c' }],
      queueDatas: [{ brokerName: 'b', perm: 6, readQueueNums: 1, writeQueueNums: 1, topicSysFlag: 0 }],
    };
    server.respondWith(RequestCode.GET_ROUTEINFO_BY_TOPIC, () => ({
      code: 0,
      body: Buffer.from(JSON.stringify(route)),
    }));
    server.respondWith(RequestCode.SEND_MESSAGE_V2, () => ({
      code: 0,
      extFields: { msgId: '0A', queueId: '0', queueOffset: '7' },
    }));
    client = new MQClient({ namesrv: [server.address], timeoutMs: 2000 });
    producer = new Producer(client, { group: 'pg' });
  });

  after(async () => {
    client.remoting.close();
    await server.close();
  });

  /** Sends one message and returns the properties the server received, and the result. */
  async function sent(...args: Parameters<Producer['send']>) {
    const before = server.requests.length;
    const result = await producer.send(...args);
    const req = server.requests.slice(before).find((r) => r.code === RequestCode.SEND_MESSAGE_V2);
    assert.ok(req, 'a SEND_MESSAGE_V2 reached the server');
    const raw = req.extFields.i!;
    // Each name once: a repeated name would leave the broker to pick one.
    const names = raw
      .split('\u0002')
      .filter(Boolean)
      .map((e) => e.slice(0, e.indexOf('\u0001')));
    assert.equal(new Set(names).size, names.length, `no repeated names in ${JSON.stringify(raw)}`);
    return { props: decodeProperties(raw), result };
  }

  it('sends user properties, the message fields, a generated UNIQ_KEY (the msgId) and WAIT', async () => {
    const { props, result } = await sent({
      topic: 't',
      body: Buffer.from('x'),
      properties: { a: '1', b: '2' },
      keys: ['k1', 'k2'],
      tags: 'tg',
    });
    assert.equal(props.a, '1');
    assert.equal(props.b, '2');
    assert.equal(props[Prop.KEYS], 'k1 k2');
    assert.equal(props[Prop.TAGS], 'tg');
    assert.equal(props[Prop.WAIT], 'true');
    assert.match(props[Prop.UNIQ_KEY]!, /^[0-9A-F]{32}$/);
    assert.equal(result.msgId, props[Prop.UNIQ_KEY]);
  });

  it('sends the header fields a Java producer sends (from the per-queue header text)', async () => {
    const before = server.requests.length;
    const t0 = Date.now();
    await producer.send({ topic: 't', body: Buffer.from('x') });
    await producer.send({ topic: 't', body: Buffer.from('y'), flag: 3 });
    const reqs = server.requests.slice(before).filter((r) => r.code === RequestCode.SEND_MESSAGE_V2);
    assert.equal(reqs.length, 2);
    for (const [i, r] of reqs.entries()) {
      const { g, i: props, ...rest } = r.extFields;
      assert.deepEqual(rest, {
        a: 'pg',
        b: 't',
        c: 'TBW102',
        d: '4',
        e: '0',
        f: '0',
        h: i === 0 ? '0' : '3',
        j: '0',
        k: 'false',
        n: 'b',
      });
      assert.ok(Number(g) >= t0 && Number(g) <= Date.now(), `bornTimestamp ${g}`);
      assert.equal(decodeProperties(props!)[Prop.WAIT], 'true');
    }
  });

  it('a oneway send carries the same header, timestamp and properties', async () => {
    const before = server.requests.length;
    const t0 = Date.now();
    const { msgId } = await producer.sendOneway({ topic: 't', body: Buffer.from('x'), tags: 'tg' });
    for (
      let i = 0;
      i < 100 && !server.requests.slice(before).some((r) => r.code === RequestCode.SEND_MESSAGE_V2);
      i++
    ) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const req = server.requests.slice(before).find((r) => r.code === RequestCode.SEND_MESSAGE_V2);
    assert.ok(req, 'the oneway request reached the server');
    const { g, i: props, ...rest } = req.extFields;
    assert.deepEqual(rest, {
      a: 'pg',
      b: 't',
      c: 'TBW102',
      d: '4',
      e: '0',
      f: '0',
      h: '0',
      j: '0',
      k: 'false',
      n: 'b',
    });
    assert.ok(Number(g) >= t0 && Number(g) <= Date.now(), `bornTimestamp ${g}`);
    const decoded = decodeProperties(props!);
    assert.equal(decoded[Prop.TAGS], 'tg');
    assert.equal(decoded[Prop.UNIQ_KEY], msgId);
  });

  it('lets the message fields replace user properties of the same name', async () => {
    const { props } = await sent({
      topic: 't',
      body: Buffer.from('x'),
      properties: { [Prop.TAGS]: 'user', [Prop.KEYS]: 'user', [Prop.DELAY]: '9', other: 'o' },
      tags: 'field',
      keys: ['fk'],
    });
    assert.equal(props[Prop.TAGS], 'field');
    assert.equal(props[Prop.KEYS], 'fk');
    // No delay level on the message: the user's property stands.
    assert.equal(props[Prop.DELAY], '9');
    assert.equal(props.other, 'o');
  });

  it("keeps a user's UNIQ_KEY and WAIT, and lets extra properties replace anything", async () => {
    const own = await sent({
      topic: 't',
      body: Buffer.from('x'),
      properties: { [Prop.UNIQ_KEY]: 'MINE', [Prop.WAIT]: 'false' },
    });
    assert.equal(own.props[Prop.UNIQ_KEY], 'MINE');
    assert.equal(own.props[Prop.WAIT], 'false');
    assert.equal(own.result.msgId, 'MINE');

    const extra = await sent(
      { topic: 't', body: Buffer.from('x'), properties: { [Prop.UNIQ_KEY]: 'MINE', x: 'user' }, tags: 'tg' },
      { extraProps: { [Prop.UNIQ_KEY]: 'EXTRA', x: 'extra', [Prop.TAGS]: 'e' } },
    );
    assert.equal(extra.props[Prop.UNIQ_KEY], 'EXTRA');
    assert.equal(extra.result.msgId, 'EXTRA');
    assert.equal(extra.props.x, 'extra');
    assert.equal(extra.props[Prop.TAGS], 'e');
  });
});

describe('UniqueIdGenerator', () => {
  it('writes ip, pid, a 4-byte tag, ms since the month began (int32 bits) and a counter, in hex', () => {
    const ids = new UniqueIdGenerator(Buffer.from([10, 0, 0, 7]), 0x1234);
    const month = new Date(2026, 10, 1).getTime();
    // 27 days into the month is past 2^31 ms: Java's int keeps the low 32 bits.
    const late = month + 27 * 86_400_000 + 5;
    const a = ids.next(month + 0x1a2b);
    const b = ids.next(late);
    assert.match(a, /^0A0000071234[0-9A-F]{8}00001A2B0000$/);
    assert.equal(b.slice(0, 20), a.slice(0, 20));
    assert.equal(
      b.slice(20),
      `${((27 * 86_400_000 + 5) >>> 0).toString(16).toUpperCase().padStart(8, '0')}0001`,
    );
    assert.ok(27 * 86_400_000 > 2 ** 31);
  });
});

describe('SendHeaderJson', () => {
  it('renders exactly JSON.stringify(sendHeaderV2(…)), across topics, flags and odd text', () => {
    const text = fc.string({ maxLength: 12, unit: 'binary' });
    fc.assert(
      fc.property(
        text,
        fc.nat(64),
        text,
        fc.array(fc.record({ topic: text, sysFlag: fc.nat(255), born: fc.nat(), properties: text }), {
          minLength: 1,
          maxLength: 4,
        }),
        (group, queueId, brokerName, sends) => {
          const h = new SendHeaderJson(group, queueId, brokerName);
          for (const m of sends) {
            const want = JSON.stringify(
              sendHeaderV2({
                producerGroup: group,
                topic: m.topic,
                queueId,
                sysFlag: m.sysFlag,
                bornTimestamp: m.born,
                flag: 0,
                properties: m.properties,
                brokerName,
              }),
            );
            assert.equal(h.render(m.topic, m.sysFlag, m.born, m.properties), want);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
