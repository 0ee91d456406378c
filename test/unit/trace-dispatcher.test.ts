/**
 * TraceDispatcher against a fake server that is both name server and broker: what trace
 * messages it sends (topic, group, keys, batching per traced topic), and that failures and a
 * full queue never reach the caller.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { SendResult } from '../../src/core/client/producer.js';
import { TraceDispatcher } from '../../src/core/client/trace.js';
import { decodeProperties, type MessageExt } from '../../src/core/protocol/message.js';
import { decodeTraceData, type SubBeforeRecord } from '../../src/core/protocol/trace.js';
import { RequestCode } from '../../src/core/remoting/codes.js';
import type { RemotingCommand } from '../../src/core/remoting/command.js';
import { FakeBroker } from '../helpers/fake-broker.js';

let broker: FakeBroker;
let failSends = false;

const sends = (): RemotingCommand[] => broker.requests.filter((r) => r.code === RequestCode.SEND_MESSAGE_V2);
/** The V2 send header: b = topic, a = producer group, i = properties. */
const props = (r: RemotingCommand) => decodeProperties(r.extFields.i ?? '');

before(async () => {
  broker = await FakeBroker.start();
  broker.respondWith(RequestCode.GET_ROUTEINFO_BY_TOPIC, () => ({
    body: Buffer.from(
      JSON.stringify({
        brokerDatas: [{ brokerAddrs: { '0': broker.address }, brokerName: 'b', cluster: 'c' }],
        queueDatas: [{ brokerName: 'b', perm: 6, readQueueNums: 1, writeQueueNums: 1, topicSysFlag: 0 }],
      }),
    ),
  }));
  broker.respondWith(RequestCode.SEND_MESSAGE_V2, () =>
    failSends
      ? { code: 13, remark: 'MESSAGE_ILLEGAL' }
      : { extFields: { msgId: '7F0000010000000000000000000000AA', queueId: '0', queueOffset: '0' } },
  );
});

after(async () => {
  await broker.close();
});

beforeEach(() => {
  broker.requests.length = 0;
  failSends = false;
});

const dispatcher = (extra: Partial<ConstructorParameters<typeof TraceDispatcher>[0]> = {}) =>
  new TraceDispatcher({ namesrv: [broker.address], timeoutMs: 2000, group: 'G', role: 'CONSUME', ...extra });

const message = (msgId: string, keys?: string): MessageExt =>
  ({
    topic: 'T',
    msgId,
    reconsumeTimes: 0,
    properties: { ...(keys ? { KEYS: keys } : {}), MSG_REGION: 'R1' },
  }) as unknown as MessageExt;

describe('TraceDispatcher', () => {
  test('batches records per traced topic into trace messages the Java tools can find', async () => {
    const d = dispatcher({ batchSize: 10 });
    for (let i = 0; i < 12; i++)
      d.consumeEnded(d.consumeStarted(message(`M${i}`, `k${i}`)), { success: true });
    d.append('Other', {
      type: 'SubBefore',
      timestamp: 1,
      regionId: 'R',
      group: 'G',
      requestId: 'Q',
      msgId: 'X1',
      retryTimes: 0,
      keys: null,
    });
    await d.shutdown();
    const s = d.stats();
    assert.equal(s.records, 25);
    assert.equal(s.recordsSent, 25);
    assert.equal(s.messagesFailed, 0);
    assert.match(s.producerGroup, /^_INNER_TRACE_PRODUCER-G-CONSUME-\d+$/);
    const msgs = sends();
    assert.ok(
      msgs.every((r) => r.extFields.b === 'RMQ_SYS_TRACE_TOPIC' && r.extFields.a === s.producerGroup),
    );
    const decoded = msgs.map((r) => decodeTraceData(r.body!.toString('utf8')).records);
    assert.equal(decoded.flat().length, 25);
    // A trace message holds records of one traced topic only, at most batchSize of them.
    for (const rs of decoded) assert.ok(rs.length <= 10);
    const other = msgs.find((r) =>
      decodeTraceData(r.body!.toString()).records.some((x) => x.msgId === 'X1'),
    )!;
    assert.equal(decodeTraceData(other.body!.toString()).records.length, 1);
    // KEYS: every msgId and the traced messages' own keys.
    const first = msgs[0]!;
    const keys = new Set((props(first).KEYS ?? '').split(' '));
    for (const r of decodeTraceData(first.body!.toString()).records) {
      assert.ok(keys.has(r.msgId));
      if ('keys' in r && r.keys) assert.ok(keys.has(r.keys));
    }
    const before = decoded.flat().find((r) => r.type === 'SubBefore' && r.msgId === 'M0') as SubBeforeRecord;
    assert.equal(before.regionId, 'R1');
    assert.equal(before.group, 'G');
  });

  test('a Pub is skipped when the broker turned tracing off; TRACE_ON=false messages are not traced', async () => {
    const d = dispatcher();
    const result = { traceOn: false, msgId: 'M', regionId: 'R' } as SendResult;
    d.published({ topic: 'T', body: Buffer.from('x') }, result, Date.now());
    const m = message('M2');
    m.properties.TRACE_ON = 'false';
    assert.equal(d.consumeStarted(m), undefined);
    await d.shutdown();
    assert.equal(d.stats().records, 0);
    assert.equal(sends().length, 0);
  });

  test('failed trace sends are counted, never thrown; a full queue drops records', async () => {
    failSends = true;
    const errors: unknown[] = [];
    const d = dispatcher({ maxQueued: 5, onError: (e) => errors.push(e) });
    for (let i = 0; i < 8; i++) d.consumeStarted(message(`F${i}`));
    await d.shutdown();
    const s = d.stats();
    assert.equal(s.records, 5);
    assert.equal(s.dropped, 3);
    assert.equal(s.recordsFailed, 5);
    assert.equal(s.recordsSent, 0);
    assert.ok(errors.length >= 1);
  });
});
