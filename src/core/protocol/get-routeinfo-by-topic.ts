/**
 * GET_ROUTEINFO_BY_TOPIC (105), to a name server: which brokers serve a topic, and its queues
 * there (Java: GetRouteInfoRequestHeader, TopicRouteData, DefaultRequestProcessor).
 *
 * Request extFields: topic string | acceptStandardJsonOnly "true" (name servers from 4.9.4 on
 *   then write standard JSON; older ones ignore it and write fastjson, which route.ts reads too).
 * No body.
 * Response codes (GET_ROUTEINFO_ACCEPT): SUCCESS with a TopicRouteData body (decodeTopicRoute in
 * route.ts); TOPIC_NOT_EXIST when no broker serves the topic.
 */
import { ResponseCode } from '../remoting/codes.js';

export const GET_ROUTEINFO_ACCEPT: readonly number[] = [ResponseCode.SUCCESS, ResponseCode.TOPIC_NOT_EXIST];

export function getRouteInfoHeader(topic: string): Record<string, string> {
  return { topic, acceptStandardJsonOnly: 'true' };
}
