/**
 * LITE_SUBSCRIPTION_CTL (200071, brokers 5.5+): a client tells a broker which lite topics of a
 * LITE parent topic it consumes (Java: LiteSubscriptionCtlRequestBody, LiteSubscriptionDTO,
 * LiteSubscriptionCtlProcessor, LiteSubscriptionRegistryImpl). The broker then queues an event
 * for the client whenever one of them has messages, and POP_LITE_MESSAGE serves those events.
 *
 * Request: no extFields (an RPC header; bname optional). Body, JSON:
 *   {"subscriptionSet":[{"action":"PARTIAL_ADD"|"PARTIAL_REMOVE"|"COMPLETE_ADD"|"COMPLETE_REMOVE",
 *     "clientId":"…","group":"G","topic":"<parent>","liteTopicSet":["L",…],
 *     "offsetOption":{"type":"POLICY","value":1},"version":0}]}
 *   offsetOption (PARTIAL_ADD only, optional) moves the group's offset in each lite topic:
 *   POLICY 1 to the first message, POLICY 2 to the end, OFFSET n, TAIL_N n (n before the current).
 * Response: SUCCESS; ILLEGAL_OPERATION (604) for an empty body or a group that may not consume;
 *   LITE_SUBSCRIPTION_QUOTA_EXCEEDED (2018) past the broker's maxLiteSubscriptionCount.
 *
 * A subscription lives on the connection's client id; the broker drops one not renewed (an ADD
 * again) within liteSubscriptionCheckTimeoutMills (3 min by default). It takes a lite topic only
 * on the broker the topic is sharded to (lite-sharding.ts) or where it has messages already.
 */
import { ResponseCode } from '../remoting/codes.js';

export const LITE_SUBSCRIPTION_CTL_ACCEPT: readonly number[] = [ResponseCode.SUCCESS];

export type LiteSubscriptionAction = 'PARTIAL_ADD' | 'PARTIAL_REMOVE' | 'COMPLETE_ADD' | 'COMPLETE_REMOVE';

/** Where a PARTIAL_ADD moves the group's offsets: the first message, or the end. */
export type LiteOffsetPolicy = 'first' | 'last';

export interface LiteSubscriptionEntry {
  action: LiteSubscriptionAction;
  clientId: string;
  group: string;
  topic: string;
  liteTopics: readonly string[];
  offset?: LiteOffsetPolicy | undefined;
}

export function encodeLiteSubscriptionCtl(entries: readonly LiteSubscriptionEntry[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      subscriptionSet: entries.map((e) => ({
        action: e.action,
        clientId: e.clientId,
        group: e.group,
        topic: e.topic,
        liteTopicSet: [...e.liteTopics],
        ...(e.offset ? { offsetOption: { type: 'POLICY', value: e.offset === 'first' ? 1 : 2 } } : {}),
        version: 0,
      })),
    }),
    'utf8',
  );
}
