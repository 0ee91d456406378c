/**
 * A group's consume mode for one topic (5.x): whether its Java push consumers pull their queues
 * or POP them (see core/protocol/message-request-mode.ts). Each broker keeps its own, so it is
 * set on, and read from, every broker of the group that holds the topic.
 */
import { type Admin, type BrokerTarget, type MasterBroker, validateTopicName } from '../core/client/admin.js';
import { BrokerResponseError, InvalidArgumentError, NotFoundError } from '../core/errors.js';
import {
  type ConsumeMode,
  decodeAssignmentMode,
  queryAssignmentBody,
  setMessageRequestModeBody,
} from '../core/protocol/message-request-mode.js';
import { RequestCode, ResponseCode } from '../core/remoting/codes.js';
import { VERSION_5_0_0 } from '../core/remoting/command.js';

export interface ConsumeModeRow {
  topic: string;
  brokerName: string;
  /** null: the broker does not answer the question (4.x) or does not know the topic. */
  mode: ConsumeMode | null;
}

/**
 * The masters of `target` that hold `topic`, each checked to run 5.x; throws before anything
 * changes, so that a group is not created when its mode cannot be set.
 */
export async function consumeModeBrokers(
  admin: Admin,
  topic: string,
  target: BrokerTarget,
): Promise<MasterBroker[]> {
  validateTopicName(topic);
  if (topic.startsWith('%RETRY%')) {
    throw new InvalidArgumentError(`${topic} is a retry topic: its consumers always pull`);
  }
  let route;
  try {
    route = await admin.namesrv.getTopicRoute(topic);
  } catch (err) {
    if (err instanceof NotFoundError) {
      throw new NotFoundError(`topic ${topic} does not exist`, { reason: 'topic-not-found', cause: err });
    }
    throw err;
  }
  const holding = new Set(route.brokers.map((b) => b.brokerName));
  const brokers = (await admin.masters(target)).filter((m) => holding.has(m.brokerName));
  if (brokers.length === 0) {
    throw new NotFoundError(`topic ${topic} is on none of the brokers selected`, {
      reason: 'topic-not-found',
    });
  }
  for (const b of brokers) {
    const { serverVersion } = await admin.brokerRuntimeInfo(b.address);
    if (serverVersion < VERSION_5_0_0) {
      throw new InvalidArgumentError(
        `consume modes need RocketMQ 5.0 or newer; broker ${b.brokerName} runs 4.x`,
      );
    }
  }
  return brokers;
}

/** SET_MESSAGE_REQUEST_MODE on each broker; the group must exist there. */
export async function setConsumeMode(
  admin: Admin,
  input: { group: string; topic: string; mode: ConsumeMode; brokers: MasterBroker[] },
): Promise<void> {
  const body = setMessageRequestModeBody({
    topic: input.topic,
    consumerGroup: input.group,
    mode: input.mode,
    popShareQueueNum: 0,
  });
  for (const b of input.brokers) {
    const res = await admin.client.call(
      b.address,
      RequestCode.SET_MESSAGE_REQUEST_MODE,
      {},
      { body, accept: [ResponseCode.SUCCESS, ResponseCode.TOPIC_NOT_EXIST] },
    );
    if (res.code === ResponseCode.TOPIC_NOT_EXIST) {
      throw new NotFoundError(`broker ${b.brokerName} does not hold topic ${input.topic}`, {
        reason: 'topic-not-found',
      });
    }
    if (res.code !== ResponseCode.SUCCESS) throw new BrokerResponseError(res.code, res.remark, b.address);
  }
}

/**
 * What each broker answers QUERY_ASSIGNMENT with for the group and topic: the mode its Java
 * push consumers are told. 4.x brokers do not know the request: null.
 */
export async function readConsumeModes(
  admin: Admin,
  group: string,
  topic: string,
  brokers: MasterBroker[],
): Promise<ConsumeModeRow[]> {
  const body = queryAssignmentBody(topic, group);
  return Promise.all(
    brokers.map(async (b) => {
      const res = await admin.client.call(
        b.address,
        RequestCode.QUERY_ASSIGNMENT,
        {},
        { body, accept: [ResponseCode.SUCCESS, ResponseCode.REQUEST_CODE_NOT_SUPPORTED] },
      );
      const mode = res.code === ResponseCode.SUCCESS ? (decodeAssignmentMode(res.body) ?? null) : null;
      return { topic, brokerName: b.brokerName, mode };
    }),
  );
}
