/**
 * Which broker of a queue's group (master and slaves under one broker name) a consumer reads the
 * queue from, and where the group's offsets of the queue live, as the Java client chooses
 * (PullAPIWrapper.recalculatePullFromWhichNode, MQClientInstance.findBrokerAddressInSubscribe,
 * RemoteBrokerOffsetStore):
 *
 * - pulls go to the broker id the last pull reply suggested (suggestWhichBrokerId; the master
 *   until a reply says otherwise). A broker with slaveReadEnable suggests a slave to a group
 *   that reads far behind (its whichBrokerWhenConsumeSlowly), and a slave sends readers back to
 *   the master. When the route has no broker with that id, the next id is tried for a slave,
 *   then the lowest id the route has: a slave when the master is gone.
 * - offsets (query, commit) and min/max offsets go to the master, or to the lowest id when the
 *   route has no master: a slave keeps the group's offsets while its master is down.
 *
 * A reply that suggests a broker the route does not have (a slave pointing at a master that is
 * back) means the cached route is old: it is refreshed at once instead of at the next period.
 */
import type { MessageQueue } from '../protocol/admin.js';
import type { BrokerData } from '../protocol/route.js';
import type { MQClient } from './mq-client.js';
import { mqKey } from './offset-store.js';

export const MASTER_ID = 0;

export interface BrokerNode {
  brokerId: number;
  address: string;
}

/** Pulls a queue got from one broker of its group, and the messages they carried. */
export interface PulledFrom {
  brokerId: number;
  pulls: number;
  messages: number;
}

/** The broker of the group with id `id` or, failing that, the one Java would pick instead. */
export function findInGroup(b: BrokerData | undefined, id: number): BrokerNode | undefined {
  if (!b) return undefined;
  const ids = [...b.addrs.keys()].filter((k) => Number.isInteger(k) && k >= 0 && b.addrs.get(k));
  if (ids.length === 0) return undefined;
  for (const want of id === MASTER_ID ? [id] : [id, id + 1]) {
    if (ids.includes(want)) return { brokerId: want, address: b.addrs.get(want)! };
  }
  // Java takes the first entry of its HashMap of ids, which for small ids is the lowest.
  const lowest = Math.min(...ids);
  return { brokerId: lowest, address: b.addrs.get(lowest)! };
}

/** Emitted when a queue's pulls move to another broker of its group. */
export interface PullTargetChange {
  mq: MessageQueue;
  brokerId: number;
  address: string;
  /** What the last reply suggested (undefined before the first). */
  suggested: number | undefined;
}

export class PullTargets {
  private readonly suggested = new Map<string, number>();
  private readonly last = new Map<string, BrokerNode>();
  private readonly counts = new Map<string, Map<number, PulledFrom>>();

  constructor(
    private readonly client: MQClient,
    private readonly onChange: (c: PullTargetChange) => void = () => {},
  ) {}

  private group(mq: MessageQueue): BrokerData | undefined {
    return this.client.cachedRoute(mq.topic)?.brokers.find((b) => b.brokerName === mq.brokerName);
  }

  /** Where the queue's next pull goes; `fallback` (its offsets' broker) when the route has none. */
  pullFrom(mq: MessageQueue, fallback: string): BrokerNode {
    const key = mqKey(mq);
    const suggested = this.suggested.get(key);
    const node = findInGroup(this.group(mq), suggested ?? MASTER_ID) ?? {
      brokerId: MASTER_ID,
      address: fallback,
    };
    const before = this.last.get(key);
    if (before?.address !== node.address) {
      this.last.set(key, node);
      // The first choice is news only when it is not the master.
      if (before || node.brokerId !== MASTER_ID) this.onChange({ mq, ...node, suggested });
    }
    return node;
  }

  /** The broker that keeps the group's offsets of the queue: the master, else the lowest id. */
  offsetsAt(mq: MessageQueue): string | undefined {
    return findInGroup(this.group(mq), MASTER_ID)?.address;
  }

  /** Notes a pull reply: who answered, what it suggested, how many messages it carried. */
  answered(mq: MessageQueue, from: BrokerNode, suggested: number | undefined, messages: number): void {
    const key = mqKey(mq);
    let byId = this.counts.get(key);
    if (!byId) this.counts.set(key, (byId = new Map()));
    const c = byId.get(from.brokerId) ?? { brokerId: from.brokerId, pulls: 0, messages: 0 };
    c.pulls++;
    c.messages += messages;
    byId.set(from.brokerId, c);
    // A header value from the wire: anything but a broker id is ignored.
    if (suggested === undefined || !Number.isSafeInteger(suggested) || suggested < 0) return;
    this.suggested.set(key, suggested);
    if (findInGroup(this.group(mq), suggested)?.brokerId !== suggested)
      this.client.refreshRouteSoon(mq.topic);
  }

  /** Per broker id, the pulls of the queue so far (ascending ids). */
  pulledFrom(mq: MessageQueue): PulledFrom[] {
    return [...(this.counts.get(mqKey(mq))?.values() ?? [])]
      .map((c) => ({ ...c }))
      .sort((a, b) => a.brokerId - b.brokerId);
  }

  /** The broker id the last reply for the queue suggested, if any. */
  suggestion(mq: MessageQueue): number | undefined {
    return this.suggested.get(mqKey(mq));
  }
}
