/**
 * GET_CONSUMER_LIST_BY_GROUP (38): the client ids of a group's online members, as one broker
 * knows them from heartbeats (Java: GetConsumerListByGroupRequestHeader,
 * GetConsumerListByGroupResponseBody; 4.9 and 5.x alike).
 *
 * Request extFields: consumerGroup string. No body.
 * Response codes (GET_CONSUMER_LIST_ACCEPT): SUCCESS with fastjson body
 *   {"consumerIdList":[string]}. (SYSTEM_ERROR when the broker knows no consumer of the group,
 *   e.g. right after it restarted: an error for the caller to handle.)
 */
import { ResponseCode } from '../remoting/codes.js';
import { parseFastjson } from '../remoting/fastjson.js';

export const GET_CONSUMER_LIST_ACCEPT: readonly number[] = [ResponseCode.SUCCESS];

export function getConsumerListHeader(consumerGroup: string): Record<string, string> {
  return { consumerGroup };
}

/** The member ids, as sent (unsorted). */
export function readConsumerList(body: Buffer | undefined): string[] {
  const parsed = parseFastjson(body ?? '{}') as { consumerIdList?: unknown };
  return Array.isArray(parsed.consumerIdList) ? parsed.consumerIdList.map(String) : [];
}
