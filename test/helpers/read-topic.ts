/**
 * Reads back every message of a topic straight from the broker, for tests that must check what
 * was stored: every queue from offset 0 through MessageQuery.pull (PULL_MESSAGE with the
 * subscription in the header), so no heartbeat-registered consumer is needed.
 */
import { Admin } from '../../src/core/client/admin.js';
import { MessageQuery } from '../../src/core/client/query.js';
import { parseNamesrvList } from '../../src/core/client/namesrv.js';
import { NotFoundError } from '../../src/core/errors.js';
import type { MessageExt } from '../../src/core/protocol/message.js';
import { masterAddress } from '../../src/core/protocol/route.js';
import { TEST_NAMESRV } from './cli.js';

export interface ReadOptions {
  /** Inflate compressed bodies (default true); false keeps them as stored. */
  inflate?: boolean;
}

/** A reader with its own consumer group; close() deletes the group it created. */
export class TopicReader {
  readonly admin: Admin;
  private used = false;

  constructor(
    readonly group: string,
    namesrv = TEST_NAMESRV,
  ) {
    this.admin = new Admin({ namesrv: parseNamesrvList(namesrv), timeoutMs: 5000 });
  }

  /** Every message of the topic, sorted by commit-log offset (the order the broker stored them). */
  async read(topic: string, options: ReadOptions = {}): Promise<MessageExt[]> {
    let route: Awaited<ReturnType<Admin['namesrv']['getTopicRoute']>>;
    try {
      route = await this.admin.namesrv.getTopicRoute(topic);
    } catch (err) {
      if (err instanceof NotFoundError) return [];
      throw err;
    }
    const out: MessageExt[] = [];
    for (const q of route.queues) {
      const broker = route.brokers.find((b) => b.brokerName === q.brokerName);
      const address = broker && masterAddress(broker);
      if (!address) continue;
      for (let queueId = 0; queueId < q.readQueueNums; queueId++) {
        out.push(...(await this.readQueue(address, topic, queueId, options)));
      }
    }
    return out.sort((a, b) => a.commitLogOffset - b.commitLogOffset);
  }

  /** Reads the topic every 250 ms until `done` holds or `withinMs` passed; returns the last read. */
  async readUntil(
    topic: string,
    done: (messages: MessageExt[]) => boolean,
    withinMs: number,
  ): Promise<MessageExt[]> {
    let last: MessageExt[] = [];
    await poll(async () => {
      last = await this.read(topic);
      return done(last);
    }, withinMs);
    return last;
  }

  /** Message count of a topic from the broker's offsets (0 if it does not exist). */
  async count(topic: string): Promise<number> {
    let route: Awaited<ReturnType<Admin['namesrv']['getTopicRoute']>>;
    try {
      route = await this.admin.namesrv.getTopicRoute(topic);
    } catch (err) {
      if (err instanceof NotFoundError) return 0;
      throw err;
    }
    let n = 0;
    for (const b of route.brokers) {
      const address = masterAddress(b);
      if (!address) continue;
      for (const s of await this.admin.topicStats(address, topic)) n += s.maxOffset - s.minOffset;
    }
    return n;
  }

  private async readQueue(
    address: string,
    topic: string,
    queueId: number,
    options: ReadOptions,
  ): Promise<MessageExt[]> {
    this.used = true;
    const { messages } = await new MessageQuery(this.admin.client, this.admin.namesrv).pull(
      address,
      topic,
      queueId,
      0,
      Number.POSITIVE_INFINITY,
      { group: this.group, inflate: options.inflate ?? true },
    );
    return messages;
  }

  /** Deletes the reader's consumer group (pulling auto-created it) and closes the connections. */
  async close(): Promise<void> {
    if (this.used) await this.admin.deleteGroup(this.group).catch(() => {});
    this.admin.close();
  }
}

/** Polls `fn` every `everyMs` until it returns true or `withinMs` passed; returns the last answer. */
export async function poll(fn: () => Promise<boolean>, withinMs: number, everyMs = 250): Promise<boolean> {
  const end = Date.now() + withinMs;
  for (;;) {
    if (await fn()) return true;
    if (Date.now() >= end) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
