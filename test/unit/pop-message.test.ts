/** POP replies come from a broker: their offset lists are read within budgets; ack handles as Java builds them. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProtocolError } from '../../src/core/errors.js';
import { ackMessageHeader } from '../../src/core/protocol/ack-message.js';
import { changeInvisibleTimeHeader } from '../../src/core/protocol/change-invisible-time.js';
import {
  ackTopic,
  buildExtraInfo,
  parseExtraInfo,
  popMessageHeader,
  readPopResponse,
  retryFlag,
} from '../../src/core/protocol/pop-message.js';
import type { RemotingCommand } from '../../src/core/remoting/command.js';

const reply = (code: number, extFields: Record<string, string>): RemotingCommand =>
  ({
    code,
    extFields,
    remark: undefined,
    body: undefined,
    version: 0,
    opaque: 1,
    flag: 1,
  }) as unknown as RemotingCommand;

// What a 5.3.3 broker answered to a pop of 3 from queue 0 (see the protocol module's layout).
const REAL = {
  invisibleTime: '20000',
  startOffsetInfo: '0 0 0',
  restNum: '47',
  popTime: '1796199987037',
  reviveQid: '6',
  msgOffsetInfo: '0 0 0,1,2',
};

describe('POP reply', () => {
  test('a real reply gives each message the handle Java would build', () => {
    const h = readPopResponse(reply(0, REAL));
    assert.equal(h.restNum, 47);
    assert.deepEqual(h.msgOffsets.get('0@0'), [0, 1, 2]);
    const handle = buildExtraInfo(h, { topic: 'pop-t', queueId: 0, queueOffset: 1 }, 'broker-a', 1);
    assert.equal(handle, '0 1796199987037 20000 6 0 broker-a 0 1');
    assert.deepEqual(ackMessageHeader('g', 'pop-t', handle), {
      consumerGroup: 'g',
      topic: 'pop-t',
      queueId: '0',
      extraInfo: handle,
      offset: '1',
      bname: 'broker-a',
    });
    assert.equal(changeInvisibleTimeHeader('g', 'pop-t', handle, 10_000).invisibleTime, '10000');
  });

  test("a retry topic's message is acked on the group's POP retry topic", () => {
    assert.equal(retryFlag('%RETRY%g+pop-t'), '2');
    assert.equal(retryFlag('%RETRY%g_pop-t'), '1');
    assert.equal(retryFlag('pop-t'), '0');
    assert.equal(ackTopic('pop-t', 'g', '2'), '%RETRY%g+pop-t');
    assert.equal(ackTopic('pop-t', 'g', '1'), '%RETRY%g_pop-t');
  });

  test('an empty reply has no offsets and needs no pop time', () => {
    const h = readPopResponse(reply(210, { restNum: '0' }));
    assert.equal(h.startOffsets.size, 0);
    assert.equal(h.popTime, 0);
  });

  test('hostile offset lists fail with a typed error, within budgets', () => {
    const bad: Record<string, string>[] = [
      { ...REAL, popTime: 'soon' },
      { ...REAL, startOffsetInfo: '0 0' },
      { ...REAL, startOffsetInfo: '7 0 0' },
      { ...REAL, msgOffsetInfo: '0 0 1,x' },
      { ...REAL, msgOffsetInfo: '0 0 99999999999999999999' },
      { ...REAL, startOffsetInfo: Array.from({ length: 1025 }, (_, i) => `0 ${i} 0`).join(';') },
      { ...REAL, msgOffsetInfo: `0 0 ${Array.from({ length: 4097 }, (_, i) => i).join(',')}` },
    ];
    for (const ext of bad) assert.throws(() => readPopResponse(reply(0, ext)), ProtocolError);
    assert.throws(() => parseExtraInfo('1 2 3'), ProtocolError);
    assert.throws(() => parseExtraInfo('0 1 2 3 9 b 0 1'), ProtocolError);
  });

  test('the request asks any queue of the broker, starting a new group where asked', () => {
    const h = popMessageHeader(
      {
        consumerGroup: 'g',
        topic: 't',
        brokerName: 'broker-a',
        maxMsgNums: 32,
        invisibleTimeMs: 60_000,
        pollTimeMs: 0,
        initMode: 'first',
        expressionType: 'TAG',
        expression: '*',
      },
      1000,
    );
    assert.equal(h.queueId, '-1');
    assert.equal(h.initMode, '0');
    assert.equal(h.bornTime, '1000');
  });
});
