/**
 * GET_CONSUMER_CONNECTION_LIST (203), to a broker: a group's online members as that broker knows
 * them from heartbeats, with their subscriptions (Java: GetConsumerConnectionListRequestHeader,
 * ConsumerConnection).
 *
 * Request extFields: consumerGroup string. No body.
 * Response codes (GET_CONSUMER_CONNECTION_LIST_ACCEPT): SUCCESS with a ConsumerConnection body
 * (decodeConsumerConnection in admin.ts); CONSUMER_NOT_ONLINE when no member is online, read as
 * "nobody", not a failure (SYSTEM_ERROR is read alike).
 */
import { ResponseCode } from '../remoting/codes.js';

export const GET_CONSUMER_CONNECTION_LIST_ACCEPT: readonly number[] = [
  ResponseCode.SUCCESS,
  ResponseCode.CONSUMER_NOT_ONLINE,
  ResponseCode.SYSTEM_ERROR,
];

export function getConsumerConnectionListHeader(consumerGroup: string): Record<string, string> {
  return { consumerGroup };
}
