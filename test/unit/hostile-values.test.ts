/**
 * Every JSON body decoder, fed random trees made of RocketMQ's own keys whose values include
 * objects with "toString" and "valueOf" keys that are not functions: a decoder may return or throw
 * a typed (RocketMQError) error, never a TypeError. String() or Number() of such an object throws
 * one, which the CLI would report as a bug (found in the older decoders during the ACL work).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RocketMQError } from '../../src/core/errors.js';
import * as admin from '../../src/core/protocol/admin.js';
import { decodeRuntimeInfo } from '../../src/core/protocol/broker-runtime-info.js';
import * as conn from '../../src/core/protocol/connection-list.js';
import { decodeConsumeMessageDirectlyResult } from '../../src/core/protocol/consume-message-directly.js';
import { decodeConsumerRunningInfo } from '../../src/core/protocol/consumer-running-info.js';
import { readLockedQueues } from '../../src/core/protocol/lock-batch-mq.js';
import { decodeResetOffsetBody } from '../../src/core/protocol/reset-offset.js';
import * as route from '../../src/core/protocol/route.js';
import { jsonNumber, jsonText } from '../../src/core/remoting/fastjson.js';

const KEYS = (
  'SUCCESS attributes autoCommit brokerAddrs brokerId brokerName brokerOffset cachedMsgCount clientAddr clientId ' +
  'cluster commitOffset consumeEnable consumeResult consumerOffset groupName jstack language lastTimestamp ' +
  'lastUpdateTimestamp maxOffset minOffset order perm properties queueId readQueueNums remark retryMaxTimes ' +
  'spentTimeMills status subString subVersion topic topicName topicSysFlag version writeQueueNums addrs ' +
  'brokerAddrTable brokerDatas clusterAddrTable connectionSet consumeFromWhere consumeTps consumeType ' +
  'expressionType messageModel mq mqTable offsetTable orderTopicConf queueDatas statusTable ' +
  'subscriptionGroupTable subscriptionSet subscriptionTable table topicConfigTable topicList lockOKMQSet'
).split(' ');

const HOSTILE = { toString: 1, valueOf: 1 };

/** A small deterministic generator (no Math.random: a failure must replay). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function tree(r: () => number, depth: number): unknown {
  const pick = r();
  if (depth <= 0 || pick < 0.35) return [HOSTILE, 'x', 7, true, null][Math.floor(r() * 5)];
  if (pick < 0.55) return Array.from({ length: 1 + Math.floor(r() * 3) }, () => tree(r, depth - 1));
  const o: Record<string, unknown> = {};
  for (let i = 0, n = 1 + Math.floor(r() * 6); i < n; i++)
    o[KEYS[Math.floor(r() * KEYS.length)]!] = tree(r, depth - 1);
  return o;
}

const DECODERS: [string, (b: Buffer) => unknown][] = [
  ['decodeTopicStats', admin.decodeTopicStats],
  ['decodeConsumeStats', admin.decodeConsumeStats],
  ['decodeAllTopicConfig', admin.decodeAllTopicConfig],
  ['decodeSubscriptionGroups', admin.decodeSubscriptionGroups],
  ['decodeConsumerConnection', admin.decodeConsumerConnection],
  ['decodeKvTable', admin.decodeKvTable],
  ['decodeClusterInfo', route.decodeClusterInfo],
  ['decodeTopicRoute', route.decodeTopicRoute],
  ['decodeTopicList', route.decodeTopicList],
  ['decodeConsumerConnectionList', conn.decodeConsumerConnectionList],
  ['decodeProducerConnectionList', conn.decodeProducerConnectionList],
  ['decodeConsumerRunningInfo', decodeConsumerRunningInfo],
  ['decodeRuntimeInfo', decodeRuntimeInfo],
  ['decodeConsumeMessageDirectlyResult', decodeConsumeMessageDirectlyResult],
  ['decodeResetOffsetBody', decodeResetOffsetBody],
  ['readLockedQueues', readLockedQueues],
];

describe('decoders and hostile values', () => {
  test('jsonText and jsonNumber never call a value’s own methods', () => {
    assert.equal(jsonText(HOSTILE), '');
    assert.equal(jsonText(12), '12');
    assert.ok(Number.isNaN(jsonNumber(HOSTILE)));
    assert.equal(jsonNumber('42'), 42);
  });

  for (const [name, decode] of DECODERS) {
    test(`${name}: a typed error or a result, never a TypeError`, () => {
      const r = rng(name.length * 7919);
      for (let i = 0; i < 400; i++) {
        const body = Buffer.from(JSON.stringify(tree(r, 5)));
        try {
          decode(body);
        } catch (err) {
          assert.ok(
            err instanceof RocketMQError,
            `${name} threw ${String(err)} on ${body.toString().slice(0, 300)}`,
          );
        }
      }
    });
  }
});
