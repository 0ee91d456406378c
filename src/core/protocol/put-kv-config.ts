/**
 * PUT_KV_CONFIG (100), to every name server: one key of a name-server namespace. rmq sets the
 * order config of an ordered topic with it, as `mqadmin updateTopic -o true` does (Java:
 * namesrv PutKVConfigRequestHeader, KVConfigManager).
 *
 * Request extFields: namespace string | key string | value string. For ordered topics: namespace
 *   ORDER_TOPIC_CONFIG, key the topic, value "brokerName:queues;brokerName:queues…".
 * No body. Response codes: SUCCESS only.
 */
import { ResponseCode } from '../remoting/codes.js';

export const PUT_KV_CONFIG_ACCEPT: readonly number[] = [ResponseCode.SUCCESS];

export const ORDER_TOPIC_CONFIG = 'ORDER_TOPIC_CONFIG';

export function putKvConfigHeader(namespace: string, key: string, value: string): Record<string, string> {
  return { namespace, key, value };
}

/** The ORDER_TOPIC_CONFIG value: each broker with its write queue count. */
export function orderTopicConfigValue(brokers: readonly { brokerName: string; queues: number }[]): string {
  return brokers.map((b) => `${b.brokerName}:${b.queues}`).join(';');
}
