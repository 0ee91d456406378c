/**
 * GET_CONSUME_STATS (208), to a broker: a group's offsets on each queue there and its TPS (Java:
 * GetConsumeStatsRequestHeader, ConsumeStats).
 *
 * Request extFields: consumerGroup string | topic string (optional: all the group's topics).
 * No body.
 * Response codes (GET_CONSUME_STATS_ACCEPT): SUCCESS with a ConsumeStats body (decodeConsumeStats
 * in admin.ts); SYSTEM_ERROR and CONSUMER_NOT_ONLINE when the group has no offsets on that broker,
 * which the caller reads as "none here", not as a failure.
 */
import { ResponseCode } from '../remoting/codes.js';

export const GET_CONSUME_STATS_ACCEPT: readonly number[] = [
  ResponseCode.SUCCESS,
  ResponseCode.SYSTEM_ERROR,
  ResponseCode.CONSUMER_NOT_ONLINE,
];

export function getConsumeStatsHeader(consumerGroup: string, topic?: string): Record<string, string> {
  const ext: Record<string, string> = { consumerGroup };
  if (topic) ext.topic = topic;
  return ext;
}
