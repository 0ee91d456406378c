/**
 * GET_TOPIC_CONFIG (351, 5.x), to a broker: one topic's config (Java: GetTopicConfigRequestHeader,
 * TopicConfigAndQueueMapping).
 *
 * Request extFields: topic string. No body.
 * Response codes (GET_TOPIC_CONFIG_ACCEPT): SUCCESS with a TopicConfig body plus queue-mapping
 * fields beside its own (decodeTopicConfig in admin.ts); TOPIC_NOT_EXIST when the broker lacks
 * the topic; REQUEST_CODE_NOT_SUPPORTED from 4.9, which has no such request.
 */
import { ResponseCode } from '../remoting/codes.js';

export const GET_TOPIC_CONFIG_ACCEPT: readonly number[] = [
  ResponseCode.SUCCESS,
  ResponseCode.REQUEST_CODE_NOT_SUPPORTED,
  ResponseCode.TOPIC_NOT_EXIST,
];

export function getTopicConfigHeader(topic: string): Record<string, string> {
  return { topic };
}
