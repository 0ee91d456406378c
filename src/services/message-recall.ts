/**
 * `rmq message recall <handle>`: cancel a timer message (sent with --delay or --deliver-at) before
 * it is due, with the handle its send returned (see core/protocol/recall-message.ts). The plan
 * names the message, its broker and how long it has left; the broker does the rest.
 */
import { type Admin, validateTopicName } from '../core/client/admin.js';
import { BrokerResponseError, InvalidArgumentError } from '../core/errors.js';
import {
  decodeRecallHandle,
  RECALL_MESSAGE_ACCEPT,
  recallMessageHeader,
} from '../core/protocol/recall-message.js';
import { RequestCode, ResponseCode } from '../core/remoting/codes.js';
import { VERSION_5_3_2 } from '../core/remoting/command.js';

/** The producer group the request names; the broker only records it on the tombstone. */
export const RECALL_PRODUCER_GROUP = 'rmq-recall';

export interface RecallPlan {
  msgId: string;
  topic: string;
  brokerName: string;
  brokerAddress: string;
  /** When the timer would have delivered it. */
  deliverAt: string;
  /** Time left before it is due, when the plan was made. */
  dueInMs: number;
  recalled: boolean;
}

export async function planRecall(
  admin: Admin,
  input: { handle: string; topic?: string | undefined; now?: number },
): Promise<{ plan: RecallPlan; apply: () => Promise<RecallPlan> }> {
  const h = decodeRecallHandle(input.handle.trim());
  if (input.topic !== undefined && input.topic !== h.topic) {
    throw new InvalidArgumentError(`the handle is for topic ${h.topic}, not ${input.topic}`, {
      hint: 'leave out --topic: the handle names its topic',
    });
  }
  validateTopicName(h.topic);
  const dueInMs = h.deliverAtMs - (input.now ?? Date.now());
  if (dueInMs <= 0) {
    throw new InvalidArgumentError(
      `message ${h.msgId} was due at ${new Date(h.deliverAtMs).toISOString()}: it is delivered already and cannot be recalled`,
    );
  }
  const [master] = await admin.masters({ broker: h.brokerName });
  const address = master!.address;
  const { serverVersion, table } = await admin.brokerRuntimeInfo(address);
  if (serverVersion < VERSION_5_3_2) {
    throw new InvalidArgumentError(
      `message recall needs RocketMQ 5.3.2 or newer; broker ${h.brokerName} runs ${table.brokerVersionDesc ?? `version ${serverVersion}`}`,
    );
  }
  const plan: RecallPlan = {
    msgId: h.msgId,
    topic: h.topic,
    brokerName: h.brokerName,
    brokerAddress: address,
    deliverAt: new Date(h.deliverAtMs).toISOString(),
    dueInMs,
    recalled: false,
  };
  const apply = async (): Promise<RecallPlan> => {
    const res = await admin.client.call(
      address,
      RequestCode.RECALL_MESSAGE,
      recallMessageHeader({
        producerGroup: RECALL_PRODUCER_GROUP,
        topic: h.topic,
        handle: input.handle.trim(),
        brokerName: h.brokerName,
      }),
      { accept: [...RECALL_MESSAGE_ACCEPT, ResponseCode.NO_PERMISSION] },
    );
    if (res.code === ResponseCode.NO_PERMISSION && /forbidden/i.test(res.remark ?? '')) {
      throw new BrokerResponseError(res.code, res.remark, address, {
        hint: `broker ${h.brokerName} has recallMessageEnable=false (RocketMQ's default); it applies recallMessageEnable=true at run time`,
      });
    }
    if (res.code !== ResponseCode.SUCCESS) throw new BrokerResponseError(res.code, res.remark, address);
    return { ...plan, recalled: true };
  };
  return { plan, apply };
}
