/**
 * Who is connected, as one broker sees it.
 *
 * GET_CONSUMER_CONNECTION_LIST (203), to a broker: extFields `consumerGroup!`.
 *   SUCCESS (0): body ConsumerConnection, fastjson:
 *     {"connectionSet":[{"clientAddr":"10.0.0.5:51234","clientId":"10.0.0.5@123#456","language":"JAVA","version":479}],
 *      "consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING",
 *      "subscriptionTable":{"T":{"subString":"a||b","subVersion":1,"expressionType":"TAG","tagsSet":["a","b"],"topic":"T"}}}
 *   CONSUMER_NOT_ONLINE (206): nobody of the group is connected to this broker (not an error here).
 * The subscription table is the group's, merged from heartbeats: the last member to beat wins,
 * so members that disagree only show in their own running info (consumer-running-info.ts).
 *
 * GET_PRODUCER_CONNECTION_LIST (204), to a broker: extFields `producerGroup!`.
 *   SUCCESS (0): body {"connectionSet":[Connection…]}.
 *   SYSTEM_ERROR (1) "the producer group not exist": no producer of the group is connected here.
 */
import { ProtocolError } from '../errors.js';
import { jsonNumber, jsonText, mapEntries, parseFastjson } from '../remoting/fastjson.js';

export const ACCEPTED_CONSUMER_CONNECTION_CODES = ['SUCCESS', 'CONSUMER_NOT_ONLINE'] as const;
export const ACCEPTED_PRODUCER_CONNECTION_CODES = ['SUCCESS', 'SYSTEM_ERROR'] as const;

/** Thousands of clients are a few hundred KiB; 8 MiB bounds a hostile body. */
const MAX_CONNECTION_BODY = 8 * 1024 * 1024;
const LIMITS = { maxLength: MAX_CONNECTION_BODY, maxDepth: 16 };

export interface ClientConnection {
  clientId: string;
  clientAddr: string;
  language: string;
  /** MQVersion ordinal the client reports. */
  version: number;
}

export interface Subscription {
  topic: string;
  expression: string;
  expressionType: string;
  subVersion: number;
}

export interface ConsumerConnectionList {
  connections: ClientConnection[];
  consumeType: string;
  messageModel: string;
  consumeFromWhere: string;
  subscriptions: Subscription[];
}

const obj = (v: unknown, what: string): Record<string, unknown> => {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new ProtocolError(`${what} is not an object`);
  return v as Record<string, unknown>;
};
const str = jsonText;
const num = (v: unknown): number => jsonNumber(v ?? 0) || 0;

function connections(v: unknown): ClientConnection[] {
  return (Array.isArray(v) ? v : []).map((c) => {
    const o = obj(c, 'connection');
    return {
      clientId: str(o.clientId),
      clientAddr: str(o.clientAddr),
      language: str(o.language),
      version: num(o.version),
    };
  });
}

export function decodeSubscription(v: unknown, topic?: unknown): Subscription {
  const o = obj(v, 'subscription');
  return {
    topic: str(o.topic) || str(topic),
    expression: str(o.subString),
    expressionType: str(o.expressionType) || 'TAG',
    subVersion: num(o.subVersion),
  };
}

export function decodeConsumerConnectionList(body: Buffer | undefined): ConsumerConnectionList {
  const root = obj(parseFastjson(body ?? '{}', LIMITS), 'consumer connection');
  return {
    connections: connections(root.connectionSet),
    consumeType: str(root.consumeType),
    messageModel: str(root.messageModel),
    consumeFromWhere: str(root.consumeFromWhere),
    subscriptions: mapEntries(root.subscriptionTable)
      .map(([k, v]) => decodeSubscription(v, k))
      .sort((a, b) => a.topic.localeCompare(b.topic)),
  };
}

export function decodeProducerConnectionList(body: Buffer | undefined): ClientConnection[] {
  const root = obj(parseFastjson(body ?? '{}', LIMITS), 'producer connection');
  return connections(root.connectionSet);
}
