/**
 * Where a consumer keeps its offsets. Clustering groups keep them on the broker
 * (RemoteOffsetStore); broadcasting consumers keep them locally, in a JSON file per group (as
 * Java's LocalFileOffsetStore does).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { MessageQueue } from '../protocol/admin.js';
import {
  QUERY_CONSUMER_OFFSET_ACCEPT,
  queryConsumerOffsetHeader,
  readConsumerOffset,
} from '../protocol/query-consumer-offset.js';
import {
  UPDATE_CONSUMER_OFFSET_ACCEPT,
  updateConsumerOffsetHeader,
} from '../protocol/update-consumer-offset.js';
import { RequestCode } from '../remoting/codes.js';
import type { MQClient } from './mq-client.js';

export const mqKey = (mq: MessageQueue): string => `${mq.topic}@${mq.brokerName}@${mq.queueId}`;

export interface LocalOffsetStore {
  read(mq: MessageQueue): Promise<number | undefined>;
  write(offsets: Map<string, number>): Promise<void>;
}

export class FileOffsetStore implements LocalOffsetStore {
  private cache: Record<string, number> | undefined;

  constructor(readonly path: string) {}

  private async load(): Promise<Record<string, number>> {
    if (!this.cache) {
      try {
        this.cache = JSON.parse(await readFile(this.path, 'utf8')) as Record<string, number>;
      } catch {
        this.cache = {};
      }
    }
    return this.cache;
  }

  async read(mq: MessageQueue): Promise<number | undefined> {
    return (await this.load())[mqKey(mq)];
  }

  async write(offsets: Map<string, number>): Promise<void> {
    const all = await this.load();
    for (const [k, v] of offsets) all[k] = v;
    await mkdir(dirname(this.path), { recursive: true });
    // Write-then-rename: a crash mid-write never leaves a torn offsets file.
    const tmp = `${this.path}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(all, null, 1));
    await rename(tmp, this.path);
  }
}

/** A queue whose offset is committed: `committable` is read as its commit is sent. */
export interface CommittingQueue {
  mq: MessageQueue;
  /** The broker that keeps the queue's offsets; commit() moves it where `where` says. */
  address: string;
  committable: number;
  /** Raised to what the broker has confirmed. */
  committed: number;
  /** The broker `committed` is on. */
  committedAt?: string | undefined;
}

/** A clustering group's offsets, on the brokers of its queues. */
export class RemoteOffsetStore {
  constructor(
    private readonly client: MQClient,
    private readonly group: string,
  ) {}

  /** The group's committed offset of a queue, or undefined when it has none there. */
  async read(address: string, mq: MessageQueue): Promise<number | undefined> {
    const res = await this.client.remoting.call(
      address,
      RequestCode.QUERY_CONSUMER_OFFSET,
      queryConsumerOffsetHeader({ consumerGroup: this.group, ...mq }),
      { accept: QUERY_CONSUMER_OFFSET_ACCEPT },
    );
    return readConsumerOffset(res);
  }

  /**
   * Commits each queue's committable offset that the broker keeping it does not have yet. The
   * caller runs one commit() at a time: the broker applies UPDATE_CONSUMER_OFFSET on a thread
   * pool, so two in flight for a queue may land in either order.
   *
   * `where` says which broker keeps a queue's offsets now. When that changes (a slave kept them
   * while its master was down, and the master is back), the offset is committed again there even
   * if it did not move: the returning master has only what it had when it went down, and its
   * slave copies the master's offsets over its own.
   */
  async commit(qs: CommittingQueue[], where?: (mq: MessageQueue) => string | undefined): Promise<void> {
    for (const q of qs) q.address = where?.(q.mq) ?? q.address;
    const changed = qs.filter((q) => q.committable !== q.committed || q.committedAt !== q.address);
    const send = async (q: CommittingQueue): Promise<void> => {
      const offset = q.committable;
      const address = q.address;
      await this.client.remoting.call(
        address,
        RequestCode.UPDATE_CONSUMER_OFFSET,
        updateConsumerOffsetHeader({
          consumerGroup: this.group,
          ...q.mq,
          commitOffset: offset,
        }),
        { accept: UPDATE_CONSUMER_OFFSET_ACCEPT },
      );
      q.committed = Math.max(q.committed, offset);
      q.committedAt = address;
    };
    // The broker keeps a group's offsets of a topic in one map, which the first commit creates
    // with a get-then-put that is not atomic (ConsumerOffsetManager.commitOffset, 4.9.7 and 5.3.3):
    // two commits arriving together for a topic@group without a map each create one and the
    // later put drops the other's queue, answering SUCCESS to both. So per broker and topic one
    // commit goes first, alone; once it is answered the map exists and the rest may go at once.
    const byKey = new Map<string, CommittingQueue[]>();
    for (const q of changed) {
      const key = `${q.address}\u0000${q.mq.topic}`;
      byKey.set(key, [...(byKey.get(key) ?? []), q]);
    }
    await Promise.all(
      [...byKey.values()].map(async ([first, ...rest]) => {
        await send(first!);
        await Promise.all(rest.map(send));
      }),
    );
  }
}
