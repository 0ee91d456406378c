/**
 * Rebalance inputs for a clustering consumer: a topic's readable queues, the group's members as
 * the brokers know them, and the average allocation of the one among the other, in the order
 * the Java client uses, so rmq and Java members of one group agree on who reads what.
 */
import { RocketMQError } from '../errors.js';
import type { MessageQueue } from '../protocol/admin.js';
import {
  GET_CONSUMER_LIST_ACCEPT,
  getConsumerListHeader,
  readConsumerList,
} from '../protocol/get-consumer-list.js';
import { RequestCode } from '../remoting/codes.js';
import type { MQClient } from './mq-client.js';
import { findInGroup, MASTER_ID } from './pull-target.js';

/** AllocateMessageQueueAveragely. */
export function allocateAveragely<T>(all: T[], cids: string[], me: string): T[] {
  const i = cids.indexOf(me);
  if (i < 0 || all.length === 0) return [];
  const n = cids.length;
  const mod = all.length % n;
  const avg =
    all.length <= n ? 1 : mod > 0 && i < mod ? Math.floor(all.length / n) + 1 : Math.floor(all.length / n);
  const start = mod > 0 && i < mod ? i * avg : i * avg + mod;
  const range = Math.min(avg, all.length - start);
  return range > 0 ? all.slice(start, start + range) : [];
}

/** Java String.compareTo order, which the allocation depends on (not locale order). */
const javaCompare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const compareMq = (a: MessageQueue, b: MessageQueue): number =>
  javaCompare(a.topic, b.topic) || javaCompare(a.brokerName, b.brokerName) || a.queueId - b.queueId;

/**
 * A topic's readable queues, in allocation order (route read afresh), each with the broker that
 * keeps its offsets: the master, or a slave while the master is down (its queues stay assigned
 * and are read from the slave, as the Java client does, also while a new master is elected in a
 * controller or DLedger group). `masterless`: brokers of the route with no address at all.
 */
export async function readableQueues(
  client: MQClient,
  topic: string,
): Promise<{ queues: { mq: MessageQueue; address: string }[]; masterless: string[] }> {
  const route = await client.route(topic, true);
  const out: { mq: MessageQueue; address: string }[] = [];
  const masterless: string[] = [];
  for (const q of route.queues) {
    if ((q.perm & 4) === 0) continue;
    const b = route.brokers.find((x) => x.brokerName === q.brokerName);
    const address = findInGroup(b, MASTER_ID)?.address;
    if (!address) {
      if (b && b.addrs.size > 0) masterless.push(q.brokerName);
      continue;
    }
    for (let i = 0; i < q.readQueueNums; i++)
      out.push({ mq: { topic, brokerName: q.brokerName, queueId: i }, address });
  }
  return { queues: out.sort((a, b) => compareMq(a.mq, b.mq)), masterless };
}

/** The group's members as the first broker that answers lists them, or the last failure. */
async function consumerIds(
  client: MQClient,
  group: string,
  addresses: string[],
): Promise<{ ids: string[] } | { error: unknown }> {
  let error: unknown;
  for (const addr of addresses) {
    try {
      const res = await client.remoting.call(
        addr,
        RequestCode.GET_CONSUMER_LIST_BY_GROUP,
        getConsumerListHeader(group),
        { accept: GET_CONSUMER_LIST_ACCEPT },
      );
      return { ids: readConsumerList(res.body).sort(javaCompare) };
    } catch (err) {
      error = err; // try the next broker
    }
  }
  return addresses.length === 0 ? { ids: [] } : { error };
}

/**
 * The member list to allocate by. A broker that restarted knows no consumer until our next
 * heartbeat (up to 30 s away) and answers "no consumer for this group", or a list without us:
 * register again and ask once more. If still no broker answers, the rebalance fails and the
 * current queues are kept (as the Java client does) instead of all being dropped.
 */
export async function groupMembers(client: MQClient, group: string, addresses: string[]): Promise<string[]> {
  let got = await consumerIds(client, group, addresses);
  if (!('ids' in got) || !got.ids.includes(client.clientId)) {
    await client.heartbeat();
    got = await consumerIds(client, group, addresses);
  }
  if ('ids' in got) return got.ids;
  const cause = got.error instanceof Error ? got.error.message : String(got.error);
  throw new RocketMQError(
    got.error instanceof RocketMQError ? got.error.kind : 'connection',
    `could not list the members of group ${group} (${cause}); keeping the current queues`,
    { retriable: true, cause: got.error },
  );
}
