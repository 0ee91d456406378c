/**
 * Request headers built by the protocol codecs: the extFields each request carries on the wire
 * (docs/protocol.md, the Java request headers named on top of each module), and the reader of
 * the broker's transaction check-back, which must survive a header with fields missing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readCheckTransactionState } from '../../src/core/protocol/check-transaction-state.js';
import { createTopicHeader } from '../../src/core/protocol/create-topic.js';
import { deleteSubscriptionGroupHeader } from '../../src/core/protocol/delete-subscription-group.js';
import { deleteTopicInNamesrvHeader } from '../../src/core/protocol/delete-topic.js';
import {
  GET_CONSUME_STATS_ACCEPT,
  getConsumeStatsHeader,
} from '../../src/core/protocol/get-consume-stats.js';
import { GET_ROUTEINFO_ACCEPT, getRouteInfoHeader } from '../../src/core/protocol/get-routeinfo-by-topic.js';
import type { MessageExt } from '../../src/core/protocol/message.js';
import { orderTopicConfigValue, putKvConfigHeader } from '../../src/core/protocol/put-kv-config.js';
import {
  isQueryHit,
  QUERY_MESSAGE_ACCEPT,
  queryMessageHeader,
} from '../../src/core/protocol/query-message.js';
import { unregisterClientHeader } from '../../src/core/protocol/unregister-client.js';
import {
  VIEW_MESSAGE_BY_ID_ACCEPT,
  viewMessageByIdHeader,
} from '../../src/core/protocol/view-message-by-id.js';
import { ResponseCode } from '../../src/core/remoting/codes.js';
import { type RemotingCommand, SerializeType } from '../../src/core/remoting/command.js';

describe('QUERY_MESSAGE', () => {
  it('asks for a key with the broker caps as defaults', () => {
    assert.deepEqual(queryMessageHeader({ topic: 'T', key: 'k', unique: false }), {
      topic: 'T',
      key: 'k',
      maxNum: '64',
      beginTimestamp: '0',
      endTimestamp: String(Number.MAX_SAFE_INTEGER),
      _UNIQUE_KEY_QUERY: 'false',
    });
    const u = queryMessageHeader({ topic: 'T', key: 'ID', unique: true, beginMs: 1.7, endMs: 99.9 });
    assert.deepEqual(
      [u.maxNum, u.beginTimestamp, u.endTimestamp, u._UNIQUE_KEY_QUERY],
      ['32', '1', '99', 'true'],
    );
    assert.deepEqual(QUERY_MESSAGE_ACCEPT, [ResponseCode.SUCCESS, ResponseCode.QUERY_NOT_FOUND]);
  });

  it('keeps only real hits, not index hash neighbours', () => {
    const m = (topic: string, msgId: string, keys?: string) =>
      ({ topic, msgId, properties: keys === undefined ? {} : { KEYS: keys } }) as unknown as MessageExt;
    const byKey = { topic: 'T', key: 'k1', unique: false };
    assert.equal(isQueryHit(byKey, m('T', 'x', 'k0 k1')), true);
    assert.equal(isQueryHit(byKey, m('T', 'x', 'k10')), false);
    assert.equal(isQueryHit(byKey, m('U', 'x', 'k1')), false);
    assert.equal(isQueryHit(byKey, m('T', 'x')), false);
    const byId = { topic: 'T', key: 'ID1', unique: true };
    assert.equal(isQueryHit(byId, m('other', 'ID1')), true);
    assert.equal(isQueryHit(byId, m('T', 'ID2', 'ID1')), false);
  });
});

describe('VIEW_MESSAGE_BY_ID', () => {
  it('sends the 64-bit offset exactly', () => {
    assert.deepEqual(viewMessageByIdHeader(9007199254740993n), { offset: '9007199254740993' });
    assert.deepEqual(VIEW_MESSAGE_BY_ID_ACCEPT, [ResponseCode.SUCCESS, ResponseCode.SYSTEM_ERROR]);
  });
});

describe('CHECK_TRANSACTION_STATE', () => {
  const check = (extFields: Record<string, string>): RemotingCommand => ({
    code: 39,
    language: 0,
    version: 479,
    opaque: 1,
    flag: 0,
    extFields,
    body: undefined,
    serializeType: SerializeType.JSON,
  });

  it('reads the header the broker sends', () => {
    const c = readCheckTransactionState(
      check({
        topic: 'T',
        tranStateTableOffset: '12',
        commitLogOffset: '34',
        msgId: 'M',
        transactionId: 'X',
        offsetMsgId: 'O',
      }),
    );
    assert.deepEqual(
      { ...c, message: c.message ?? null },
      {
        message: null,
        msgId: 'M',
        transactionId: 'X',
        producerGroup: undefined,
        tranStateTableOffset: '12',
        commitLogOffset: '34',
        topic: 'T',
      },
    );
  });

  it('answers with what came when fields are missing', () => {
    const c = readCheckTransactionState(check({ msgId: 'M' }));
    assert.equal(c.transactionId, 'M');
    assert.equal(c.tranStateTableOffset, '0');
    assert.equal(c.commitLogOffset, '0');
    assert.equal(c.topic, undefined);
    assert.equal(readCheckTransactionState(check({})).msgId, '');
  });
});

describe('admin, name-server and client headers', () => {
  it('UPDATE_AND_CREATE_TOPIC carries the topic config, and a 5.x type only when given', () => {
    const base = { topic: 'T', readQueues: 8, writeQueues: 4, perm: 6, order: false };
    assert.deepEqual(createTopicHeader(base), {
      topic: 'T',
      defaultTopic: 'TBW102',
      readQueueNums: '8',
      writeQueueNums: '4',
      perm: '6',
      topicFilterType: 'SINGLE_TAG',
      topicSysFlag: '0',
      order: 'false',
    });
    assert.equal(createTopicHeader({ ...base, messageType: 'FIFO' }).attributes, '+message.type=FIFO');
  });

  it('PUT_KV_CONFIG of an ordered topic lists each broker with its queues', () => {
    const value = orderTopicConfigValue([
      { brokerName: 'a', queues: 4 },
      { brokerName: 'b', queues: 4 },
    ]);
    assert.deepEqual(putKvConfigHeader('ORDER_TOPIC_CONFIG', 'T', value), {
      namespace: 'ORDER_TOPIC_CONFIG',
      key: 'T',
      value: 'a:4;b:4',
    });
  });

  it('optional fields are left out, not sent empty', () => {
    assert.deepEqual(deleteTopicInNamesrvHeader('T'), { topic: 'T' });
    assert.deepEqual(deleteTopicInNamesrvHeader('T', 'C'), { topic: 'T', clusterName: 'C' });
    assert.deepEqual(getConsumeStatsHeader('G'), { consumerGroup: 'G' });
    assert.deepEqual(getConsumeStatsHeader('G', 'T'), { consumerGroup: 'G', topic: 'T' });
    assert.ok(GET_CONSUME_STATS_ACCEPT.includes(ResponseCode.CONSUMER_NOT_ONLINE));
  });

  it('route, group deletion and unregistering', () => {
    assert.deepEqual(getRouteInfoHeader('T'), { topic: 'T', acceptStandardJsonOnly: 'true' });
    assert.deepEqual(GET_ROUTEINFO_ACCEPT, [ResponseCode.SUCCESS, ResponseCode.TOPIC_NOT_EXIST]);
    assert.deepEqual(deleteSubscriptionGroupHeader('G'), { groupName: 'G', cleanOffset: 'true' });
    assert.deepEqual(unregisterClientHeader('cid', { consumerGroup: 'G' }), {
      clientID: 'cid',
      consumerGroup: 'G',
    });
    assert.deepEqual(unregisterClientHeader('cid', { producerGroup: 'P' }), {
      clientID: 'cid',
      producerGroup: 'P',
    });
  });
});
