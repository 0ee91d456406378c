/**
 * INVOKE_BROKER_TO_RESET_OFFSET (222), to a broker, and RESET_CONSUMER_CLIENT_OFFSET (220), from a
 * broker to a client (Java: ResetOffsetRequestHeader, ResetOffsetBody, AdminBrokerProcessor
 * .resetOffset, Broker2Client.resetOffset).
 *
 * 222 request extFields: group string | topic string | timestamp int64 (epoch ms; -1: the queue's
 *   max offset) | isForce bool (4.9: false only ever moves a group backwards) | queueId int and
 *   offset int64 (5.1+ only; a queueId of -1 or no offset means "by timestamp, every queue").
 *   No body.
 * What the broker does depends on its version and its useServerSideResetOffset (5.1: default
 * false; 5.2+: default true):
 *   - server-side (5.2+ default): it checks the group and topic exist (SUBSCRIPTION_GROUP_NOT_EXIST,
 *     TOPIC_NOT_EXIST), checks offset in [min, max + 1] (SYSTEM_ERROR otherwise), writes the offset
 *     to its own offset table and remembers it as a reset: a consumer's next pull of that queue is
 *     answered PULL_OFFSET_MOVED with the new offset, and its commits for the queue are ignored
 *     until then. Works whether the group is online or not. Slaves answer SYSTEM_ERROR.
 *   - otherwise (4.9, 5.0, 5.1 by default): queueId and offset are ignored; the broker computes
 *     an offset per write queue from the timestamp and sends it to every online client of the
 *     group in a oneway 220; it changes nothing itself (the clients commit). No client online:
 *     CONSUMER_NOT_ONLINE.
 * Response: SUCCESS with a ResetOffsetBody, the offsets set:
 *   {"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:12, …}}
 *
 * 220 request (broker → client, oneway): extFields group, topic, timestamp, isForce; body a
 *   ResetOffsetBody as above (C++ clients get a list form, which rmq never asks for: it registers
 *   as Java). The client moves each listed queue to its offset and commits.
 */
import { ProtocolError } from '../errors.js';
import { jsonNumber, mapEntries, parseFastjson } from '../remoting/fastjson.js';
import { ResponseCode } from '../remoting/codes.js';
import { decodeMessageQueue, type MessageQueue } from './admin.js';

/** Accepted so the caller can say what each means (not online, no such group, out of range). */
export const RESET_OFFSET_ACCEPT: readonly number[] = [
  ResponseCode.SUCCESS,
  ResponseCode.SYSTEM_ERROR,
  ResponseCode.CONSUMER_NOT_ONLINE,
  ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST,
  ResponseCode.TOPIC_NOT_EXIST,
];

/** One queue to an exact offset (server-side reset, 5.1+ with useServerSideResetOffset). */
export function resetQueueOffsetHeader(r: {
  group: string;
  topic: string;
  queueId: number;
  offset: number;
}): Record<string, string> {
  return {
    group: r.group,
    topic: r.topic,
    queueId: String(r.queueId),
    offset: String(r.offset),
    // Required by the header's checks, unused when an offset is given.
    timestamp: '0',
    isForce: 'true',
  };
}

/** Every queue of the topic by time (-1: the max offset), the only form 4.9 knows. */
export function resetByTimestampHeader(r: {
  group: string;
  topic: string;
  timestampMs: number;
}): Record<string, string> {
  return { group: r.group, topic: r.topic, timestamp: String(r.timestampMs), isForce: 'true' };
}

/** Largest ResetOffsetBody read: a topic has at most a few thousand queues. */
const MAX_RESET_BODY_BYTES = 1024 * 1024;

/** A ResetOffsetBody: queue → offset. */
export function decodeResetOffsetBody(body: Buffer | undefined): { mq: MessageQueue; offset: number }[] {
  if (!body || body.length === 0) return [];
  const root = parseFastjson(body, { maxDepth: 8, maxLength: MAX_RESET_BODY_BYTES });
  if (!root || typeof root !== 'object' || Array.isArray(root)) {
    throw new ProtocolError('reset offset body is not an object');
  }
  return mapEntries((root as Record<string, unknown>).offsetTable).map(([k, v]) => {
    const offset = jsonNumber(v);
    if (!Number.isSafeInteger(offset))
      throw new ProtocolError('reset offset body holds a non-integer offset');
    return { mq: decodeMessageQueue(k), offset };
  });
}
