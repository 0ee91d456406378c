/**
 * A group's offsets on one broker, read and moved: the queue's range, the group's committed
 * offset, search by time, and the three ways to move it (the broker's own reset, the broker's
 * reset by time that it relays to online clients, and a plain commit). Which one fits a broker
 * is the caller's choice (services/offsets.ts); see protocol/reset-offset.ts for what each does.
 */
import { BrokerResponseError } from '../errors.js';
import type { MessageQueue } from '../protocol/admin.js';
import {
  QUERY_CONSUMER_OFFSET_ACCEPT,
  queryConsumerOffsetHeader,
  readConsumerOffset,
} from '../protocol/query-consumer-offset.js';
import {
  QUEUE_OFFSET_ACCEPT,
  queueOffsetHeader,
  readQueueOffset,
  searchOffsetHeader,
} from '../protocol/queue-offset.js';
import {
  decodeResetOffsetBody,
  RESET_OFFSET_ACCEPT,
  resetByTimestampHeader,
  resetQueueOffsetHeader,
} from '../protocol/reset-offset.js';
import {
  UPDATE_CONSUMER_OFFSET_ACCEPT,
  updateConsumerOffsetHeader,
} from '../protocol/update-consumer-offset.js';
import { RequestCode, ResponseCode } from '../remoting/codes.js';
import type { RemotingClient } from './remoting-client.js';

export type ResetOutcome =
  { ok: true; offsets: { mq: MessageQueue; offset: number }[] } | { ok: false; error: BrokerResponseError };

export class OffsetAdmin {
  constructor(readonly client: RemotingClient) {}

  async minOffset(address: string, mq: MessageQueue): Promise<number> {
    return this.queueCall(address, RequestCode.GET_MIN_OFFSET, queueOffsetHeader(mq));
  }

  async maxOffset(address: string, mq: MessageQueue): Promise<number> {
    return this.queueCall(address, RequestCode.GET_MAX_OFFSET, queueOffsetHeader(mq));
  }

  /** The first offset stored at or after the time (the max offset when nothing is). */
  async searchOffset(address: string, mq: MessageQueue, timestampMs: number): Promise<number> {
    return this.queueCall(
      address,
      RequestCode.SEARCH_OFFSET_BY_TIMESTAMP,
      searchOffsetHeader(mq, timestampMs),
    );
  }

  /** The group's committed offset of the queue; undefined when it has none there. */
  async consumerOffset(address: string, group: string, mq: MessageQueue): Promise<number | undefined> {
    const res = await this.client.call(
      address,
      RequestCode.QUERY_CONSUMER_OFFSET,
      queryConsumerOffsetHeader({ consumerGroup: group, ...mq }),
      { accept: QUERY_CONSUMER_OFFSET_ACCEPT },
    );
    return readConsumerOffset(res);
  }

  /** Commits an offset as a consumer would (what 4.9's mqadmin does for a group that is offline). */
  async commitOffset(address: string, group: string, mq: MessageQueue, offset: number): Promise<void> {
    await this.client.call(
      address,
      RequestCode.UPDATE_CONSUMER_OFFSET,
      updateConsumerOffsetHeader({ consumerGroup: group, ...mq, commitOffset: offset }),
      { accept: UPDATE_CONSUMER_OFFSET_ACCEPT },
    );
  }

  /** Server-side reset of one queue to an exact offset; the broker's refusal comes back as data. */
  async resetQueue(address: string, group: string, mq: MessageQueue, offset: number): Promise<ResetOutcome> {
    return this.reset(
      address,
      resetQueueOffsetHeader({ group, topic: mq.topic, queueId: mq.queueId, offset }),
    );
  }

  /** Reset of every queue of the topic by time (-1: to the max offset), relayed to online clients. */
  async resetByTimestamp(
    address: string,
    group: string,
    topic: string,
    timestampMs: number,
  ): Promise<ResetOutcome> {
    return this.reset(address, resetByTimestampHeader({ group, topic, timestampMs }));
  }

  private async reset(address: string, ext: Record<string, string>): Promise<ResetOutcome> {
    const res = await this.client.call(address, RequestCode.INVOKE_BROKER_TO_RESET_OFFSET, ext, {
      accept: RESET_OFFSET_ACCEPT,
    });
    if (res.code !== ResponseCode.SUCCESS) {
      return { ok: false, error: new BrokerResponseError(res.code, res.remark, address) };
    }
    return { ok: true, offsets: decodeResetOffsetBody(res.body) };
  }

  private async queueCall(address: string, code: number, ext: Record<string, string>): Promise<number> {
    return readQueueOffset(await this.client.call(address, code, ext, { accept: QUEUE_OFFSET_ACCEPT }));
  }
}
