/**
 * `rmq topic update`: a topic's permission and queue counts, on every master that has it,
 * planned first. Each broker keeps its own config of the topic (they may differ), so the plan is
 * per broker: old → new for each field; only the fields named change. Sent with
 * UPDATE_AND_CREATE_TOPIC as `topic create` does, with the topic's own order flag, sys flag and
 * attributes kept; the broker registers the change with the name servers at once.
 */
import { type Admin, validateTopicName } from '../core/client/admin.js';
import { Ops } from '../core/client/ops.js';
import { InvalidArgumentError, NotFoundError } from '../core/errors.js';
import { Perm, permToString, type TopicConfig } from '../core/protocol/admin.js';
import { masterAddress } from '../core/protocol/route.js';

export const PERM_CHOICES = ['rw', 'r', 'w', '-'] as const;
export type PermChoice = (typeof PERM_CHOICES)[number];

const PERM_BITS: Record<PermChoice, number> = {
  rw: Perm.READ | Perm.WRITE,
  r: Perm.READ,
  w: Perm.WRITE,
  '-': 0,
};

export interface Change<T> {
  old: T;
  new: T;
}

export interface TopicUpdateBroker {
  cluster: string;
  brokerName: string;
  address: string;
  perm: Change<string>;
  readQueues: Change<number>;
  writeQueues: Change<number>;
  changed: boolean;
  /** After applying: whether the broker's config reads back as planned. */
  applied?: boolean;
}

export interface TopicUpdateResult {
  topic: string;
  dryRun: boolean;
  brokers: TopicUpdateBroker[];
  /** What the queue-count changes mean for messages, one line each. */
  notes: string[];
  /** Brokers whose config changes. */
  changes: number;
}

export interface TopicUpdateInput {
  topic: string;
  perm?: PermChoice | undefined;
  readQueues?: number | undefined;
  writeQueues?: number | undefined;
  dryRun: boolean;
}

const range = (from: number, to: number) => (from === to ? `${from}` : `${from}–${to}`);

function queueNotes(b: TopicUpdateBroker): string[] {
  const notes: string[] = [];
  const { readQueues: r, writeQueues: w } = b;
  if (r.new < r.old) {
    notes.push(
      `${b.brokerName}: queues ${range(r.new, r.old - 1)} are no longer read; messages still in them wait there until --read-queues grows again`,
    );
  }
  if (w.new > r.new) {
    notes.push(
      `${b.brokerName}: queues ${range(r.new, w.new - 1)} are written but not read: their messages wait until --read-queues reaches ${w.new}`,
    );
  }
  if (w.new < w.old && r.new >= w.old) {
    notes.push(
      `${b.brokerName}: queues ${range(w.new, w.old - 1)} take no new messages; consumers drain them (the usual first step of shrinking a topic)`,
    );
  }
  return notes;
}

export async function planTopicUpdate(
  admin: Admin,
  input: TopicUpdateInput,
): Promise<{ plan: TopicUpdateResult; apply: () => Promise<TopicUpdateResult> }> {
  validateTopicName(input.topic);
  if (input.perm === undefined && input.readQueues === undefined && input.writeQueues === undefined) {
    throw new InvalidArgumentError('nothing to change: pass --perm, --read-queues or --write-queues');
  }
  for (const [name, v] of [
    ['--read-queues', input.readQueues],
    ['--write-queues', input.writeQueues],
  ] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 1 || v > 1024)) {
      throw new InvalidArgumentError(`${name} must be a whole number from 1 to 1024, got ${v}`);
    }
  }
  const route = await admin.namesrv.getTopicRoute(input.topic);
  const ops = new Ops(admin.client);
  const current: {
    b: Omit<TopicUpdateBroker, 'perm' | 'readQueues' | 'writeQueues' | 'changed'>;
    config: TopicConfig;
  }[] = [];
  for (const bd of route.brokers) {
    const address = masterAddress(bd);
    if (!address) continue; // no master: nothing can be updated there now
    const config = await ops.topicConfig(address, input.topic);
    if (config) current.push({ b: { cluster: bd.cluster, brokerName: bd.brokerName, address }, config });
  }
  if (current.length === 0) {
    throw new NotFoundError(`no master broker has topic "${input.topic}"`, {
      hint: 'see `rmq topic describe`',
    });
  }
  current.sort((a, b) => a.b.brokerName.localeCompare(b.b.brokerName));
  const planned = current.map(({ b, config }) => {
    const perm =
      input.perm === undefined
        ? config.perm
        : (config.perm & ~(Perm.READ | Perm.WRITE)) | PERM_BITS[input.perm];
    const readQueues = input.readQueues ?? config.readQueueNums;
    const writeQueues = input.writeQueues ?? config.writeQueueNums;
    const row: TopicUpdateBroker = {
      ...b,
      perm: { old: permToString(config.perm), new: permToString(perm) },
      readQueues: { old: config.readQueueNums, new: readQueues },
      writeQueues: { old: config.writeQueueNums, new: writeQueues },
      changed:
        perm !== config.perm || readQueues !== config.readQueueNums || writeQueues !== config.writeQueueNums,
    };
    return { row, config, perm };
  });
  const result = (): TopicUpdateResult => ({
    topic: input.topic,
    dryRun: input.dryRun,
    brokers: planned.map((p) => p.row),
    notes: planned.filter((p) => p.row.changed).flatMap((p) => queueNotes(p.row)),
    changes: planned.filter((p) => p.row.changed).length,
  });
  const apply = async (): Promise<TopicUpdateResult> => {
    for (const p of planned) {
      if (!p.row.changed) continue;
      await ops.updateTopic(p.row.address, {
        topic: input.topic,
        readQueues: p.row.readQueues.new,
        writeQueues: p.row.writeQueues.new,
        perm: p.perm,
        order: p.config.order,
        topicSysFlag: p.config.topicSysFlag,
      });
      const after = await ops.topicConfig(p.row.address, input.topic);
      p.row.applied =
        after !== undefined &&
        after.perm === p.perm &&
        after.readQueueNums === p.row.readQueues.new &&
        after.writeQueueNums === p.row.writeQueues.new;
    }
    return result();
  };
  return { plan: result(), apply };
}
