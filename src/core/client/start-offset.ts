/**
 * Where a consumer starts reading a queue it was just assigned: the group's committed offset if
 * there is one (on the broker that keeps the group's offsets, or in the local store of a
 * broadcasting consumer), else the first or last offset or the one at a time; a deliberate
 * reset to a time wins over what was committed.
 */
import type { MessageQueue } from '../protocol/admin.js';
import type { MessageModel } from '../protocol/heartbeat.js';
import {
  QUEUE_OFFSET_ACCEPT,
  queueOffsetHeader,
  readQueueOffset,
  searchOffsetHeader,
} from '../protocol/queue-offset.js';
import { RequestCode } from '../remoting/codes.js';
import type { MQClient } from './mq-client.js';
import type { LocalOffsetStore, RemoteOffsetStore } from './offset-store.js';

export type StartFrom = { kind: 'first' } | { kind: 'last' } | { kind: 'timestamp'; ms: number };

export interface StartOffsetSources {
  client: MQClient;
  model: MessageModel;
  remote: RemoteOffsetStore;
  local?: LocalOffsetStore | undefined;
  /** Where a queue without a committed offset starts (default: last). */
  from?: StartFrom | undefined;
  /** Start at this time, whatever was committed (retry queues excepted). */
  resetToMs?: number | undefined;
}

/** fromCommitted: the offset is the group's own, so it need not be committed again. */
export async function startOffset(
  s: StartOffsetSources,
  mq: MessageQueue,
  address: string,
  retry: boolean,
): Promise<{ offset: number; fromCommitted: boolean }> {
  const ask = async (code: number, ext: Record<string, string>): Promise<number> =>
    readQueueOffset(await s.client.remoting.call(address, code, ext, { accept: QUEUE_OFFSET_ACCEPT }));
  const computed = (offset: number) => ({ offset, fromCommitted: false });
  const search = (ms: number) => ask(RequestCode.SEARCH_OFFSET_BY_TIMESTAMP, searchOffsetHeader(mq, ms));
  if (s.resetToMs !== undefined && !retry) return computed(await search(s.resetToMs));
  const committed = s.model === 'BROADCASTING' ? await s.local!.read(mq) : await s.remote.read(address, mq);
  if (committed !== undefined) return { offset: committed, fromCommitted: true };
  if (retry) return computed(0);
  const from = s.from ?? { kind: 'last' };
  if (from.kind === 'first') return computed(await ask(RequestCode.GET_MIN_OFFSET, queueOffsetHeader(mq)));
  if (from.kind === 'last') return computed(await ask(RequestCode.GET_MAX_OFFSET, queueOffsetHeader(mq)));
  return computed(await search(from.ms));
}
