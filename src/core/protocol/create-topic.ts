/**
 * UPDATE_AND_CREATE_TOPIC (17), to each selected master: create a topic or change its config
 * (Java: CreateTopicRequestHeader, AdminBrokerProcessor.updateAndCreateTopic; attribute syntax in
 * AttributeParser).
 *
 * Request extFields: topic string | defaultTopic "TBW102" | readQueueNums int | writeQueueNums int
 *   | perm int (PermName bits) | topicFilterType "SINGLE_TAG" | topicSysFlag "0" | order bool
 *   | attributes string (5.x: "+message.type=<TYPE>"; sent only with a type, which 4.x lacks).
 * No body. Response codes: SUCCESS only.
 */
import { ResponseCode } from '../remoting/codes.js';

export const CREATE_TOPIC_ACCEPT: readonly number[] = [ResponseCode.SUCCESS];

export interface CreateTopic {
  topic: string;
  readQueues: number;
  writeQueues: number;
  perm: number;
  order: boolean;
  /** 5.x topic type (NORMAL, FIFO, DELAY, TRANSACTION); sent only when given. */
  messageType?: string | undefined;
}

export function createTopicHeader(t: CreateTopic): Record<string, string> {
  const ext: Record<string, string> = {
    topic: t.topic,
    defaultTopic: 'TBW102',
    readQueueNums: String(t.readQueues),
    writeQueueNums: String(t.writeQueues),
    perm: String(t.perm),
    topicFilterType: 'SINGLE_TAG',
    topicSysFlag: '0',
    order: String(t.order),
  };
  if (t.messageType) ext.attributes = `+message.type=${t.messageType}`;
  return ext;
}
