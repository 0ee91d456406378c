/**
 * HEART_BEAT (34) body, fastjson-lenient JSON:
 *   {"clientID":"127.0.0.1@4711#123","consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET",
 *    "consumeType":"CONSUME_PASSIVELY","groupName":"G","messageModel":"CLUSTERING",
 *    "subscriptionDataSet":[{"classFilterMode":false,"codeSet":[2598919],"expressionType":"TAG",
 *    "subString":"TagA","subVersion":1700000000000,"tagsSet":["TagA"],"topic":"T"}],"unitMode":false}],
 *    "heartbeatFingerprint":0,"producerDataSet":[{"groupName":"P"}],"withoutSub":false}
 * heartbeatFingerprint stays 0: a non-zero value switches 5.x brokers to heartbeat v2.
 */
import { javaHashCode } from './message.js';

export type ExpressionType = 'TAG' | 'SQL92';
export type MessageModel = 'CLUSTERING' | 'BROADCASTING';
export type ConsumeFromWhere =
  'CONSUME_FROM_LAST_OFFSET' | 'CONSUME_FROM_FIRST_OFFSET' | 'CONSUME_FROM_TIMESTAMP';

export interface SubscriptionData {
  topic: string;
  subString: string;
  expressionType: ExpressionType;
  tagsSet: string[];
  codeSet: number[];
  subVersion: number;
}

export interface ConsumerData {
  groupName: string;
  consumeType: 'CONSUME_ACTIVELY' | 'CONSUME_PASSIVELY';
  messageModel: MessageModel;
  consumeFromWhere: ConsumeFromWhere;
  subscriptionDataSet: SubscriptionData[];
  unitMode: false;
}

/** Builds subscription data as FilterAPI.buildSubscriptionData does. */
export function buildSubscription(
  topic: string,
  expression: string,
  type: ExpressionType = 'TAG',
): SubscriptionData {
  const sub: SubscriptionData = {
    topic,
    subString: expression.trim() || '*',
    expressionType: type,
    tagsSet: [],
    codeSet: [],
    subVersion: Date.now(),
  };
  if (type === 'TAG' && sub.subString !== '*') {
    for (const t of sub.subString.split('||')) {
      const tag = t.trim();
      if (tag && !sub.tagsSet.includes(tag)) {
        sub.tagsSet.push(tag);
        sub.codeSet.push(javaHashCode(tag));
      }
    }
  }
  return sub;
}

/** Whether a message's TAGS match a TAG subscription (the broker only compares hash codes). */
export function tagMatches(sub: SubscriptionData, tags: string | undefined): boolean {
  if (sub.expressionType !== 'TAG' || sub.subString === '*') return true;
  return tags !== undefined && sub.tagsSet.includes(tags);
}

export function encodeHeartbeat(
  clientID: string,
  producerGroups: string[],
  consumers: ConsumerData[],
): Buffer {
  const body = {
    clientID,
    consumerDataSet: consumers.map((c) => ({
      consumeFromWhere: c.consumeFromWhere,
      consumeType: c.consumeType,
      groupName: c.groupName,
      messageModel: c.messageModel,
      subscriptionDataSet: c.subscriptionDataSet.map((s) => ({
        classFilterMode: false,
        codeSet: s.codeSet,
        expressionType: s.expressionType,
        subString: s.subString,
        subVersion: s.subVersion,
        tagsSet: s.tagsSet,
        topic: s.topic,
      })),
      unitMode: false,
    })),
    heartbeatFingerprint: 0,
    producerDataSet: producerGroups.map((groupName) => ({ groupName })),
    withoutSub: false,
  };
  return Buffer.from(JSON.stringify(body), 'utf8');
}
