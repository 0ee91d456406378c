/**
 * GET_TOPIC_STATS_INFO (202), to a broker: min and max offset of each of a topic's queues there
 * (Java: GetTopicStatsInfoRequestHeader, TopicStatsTable).
 *
 * Request extFields: topic string. No body.
 * Response codes: SUCCESS only, with a TopicStatsTable body (decodeTopicStats in admin.ts).
 */
import { ResponseCode } from '../remoting/codes.js';

export const GET_TOPIC_STATS_INFO_ACCEPT: readonly number[] = [ResponseCode.SUCCESS];

export function getTopicStatsInfoHeader(topic: string): Record<string, string> {
  return { topic };
}
