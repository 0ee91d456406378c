/**
 * DELETE_TOPIC_IN_BROKER (215) and DELETE_TOPIC_IN_NAMESRV (216): remove a topic from a broker,
 * then its route from every name server (Java: DeleteTopicRequestHeader, namesrv
 * DeleteTopicFromNamesrvRequestHeader). One module for both: they are the two halves of one
 * deletion and share their header.
 *
 * Request extFields: topic string; to a name server also clusterName string (optional: only that
 *   cluster's brokers lose the route).
 * No body. Response codes: SUCCESS only.
 */
import { ResponseCode } from '../remoting/codes.js';

export const DELETE_TOPIC_ACCEPT: readonly number[] = [ResponseCode.SUCCESS];

export function deleteTopicInBrokerHeader(topic: string): Record<string, string> {
  return { topic };
}

export function deleteTopicInNamesrvHeader(topic: string, clusterName?: string): Record<string, string> {
  const ext: Record<string, string> = { topic };
  if (clusterName) ext.clusterName = clusterName;
  return ext;
}
