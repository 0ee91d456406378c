/**
 * UPDATE_AND_CREATE_TOPIC (17), to each selected master: create a topic or change its config
 * (Java: CreateTopicRequestHeader, AdminBrokerProcessor.updateAndCreateTopic; attribute syntax in
 * AttributeParser).
 *
 * Request extFields: topic string | defaultTopic "TBW102" | readQueueNums int | writeQueueNums int
 *   | perm int (PermName bits) | topicFilterType "SINGLE_TAG" | topicSysFlag int ("0" on create;
 *   an update sends the topic's own) | order bool
 *   | attributes string (5.x: "+message.type=<TYPE>,+k=v,-k"; sent only with a type or
 *   attribute changes, which 4.x lacks).
 * No body. Response codes: SUCCESS only.
 *
 * The broker replaces the whole config with these fields (an update must send every one of them
 * as it was, changing only what it means to) but merges attributes: none sent keeps the topic's.
 * It then registers with the name servers at once, so the route shows the change.
 */
import { ResponseCode } from '../remoting/codes.js';

export const CREATE_TOPIC_ACCEPT: readonly number[] = [ResponseCode.SUCCESS];

export interface CreateTopic {
  topic: string;
  readQueues: number;
  writeQueues: number;
  perm: number;
  order: boolean;
  /** The topic's sys flag (unit mode bits), kept by an update; 0 when absent. */
  topicSysFlag?: number | undefined;
  /** 5.x topic type (NORMAL, FIFO, DELAY, TRANSACTION); sent only when given. */
  messageType?: string | undefined;
  /**
   * 5.x attribute changes, each "+key=value" (add or change) or "-key" (remove), sent as given
   * after the message type's; AttributeParser reads them comma-separated.
   */
  attributes?: readonly string[] | undefined;
}

export function createTopicHeader(t: CreateTopic): Record<string, string> {
  const ext: Record<string, string> = {
    topic: t.topic,
    defaultTopic: 'TBW102',
    readQueueNums: String(t.readQueues),
    writeQueueNums: String(t.writeQueues),
    perm: String(t.perm),
    topicFilterType: 'SINGLE_TAG',
    topicSysFlag: String(t.topicSysFlag ?? 0),
    order: String(t.order),
  };
  const attributes = [...(t.messageType ? [`+message.type=${t.messageType}`] : []), ...(t.attributes ?? [])];
  if (attributes.length > 0) ext.attributes = attributes.join(',');
  return ext;
}
