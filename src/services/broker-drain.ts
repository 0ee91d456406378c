/**
 * `rmq broker drain <broker>`: take write permission away from a master (what `broker perm
 * --read-only` does, see broker-perm.ts), then wait until every online consumer group has read
 * everything of its queues on that broker; `rmq broker undrain` gives write permission back.
 *
 * When is a broker drained? Taking write permission away changes the routes the name servers
 * hand out at once, but clients keep the route they have until their next refresh (30 s for the
 * Java client and for rmq), and the broker goes on storing ordinary sends meanwhile (it checks
 * its permission only for ordered topics). So lag 0 right after the change proves nothing: a
 * group counts as drained once the settle period (default 30 s, the clients' refresh) has passed
 * since the change, its lag on the broker is 0, and no message reached its queues there since the
 * previous look. Groups without an online consumer cannot catch up: they are reported with their
 * lag, not waited for.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type Admin, isSystemGroup } from '../core/client/admin.js';
import type { QueueConsumeOffsets } from '../core/protocol/admin.js';
import type { BrokerRef } from './broker.js';
import { type BrokerPermResult, planBrokerPerm } from './broker-perm.js';

export interface DrainGroupRow {
  group: string;
  /** Whether a consumer of the group was connected to the broker when the drain started. */
  online: boolean;
  /** Messages of the group's queues on the broker not yet consumed, at the start and at the end. */
  lagAtStart: number;
  finalLag: number;
  /** When the group was drained, ms after write permission was taken away; null: not drained. */
  drainedAfterMs: number | null;
  status: 'drained' | 'lagging' | 'offline';
}

export interface BrokerDrainResult {
  broker: BrokerRef;
  /** The write-permission change (brokerPermission), as `broker perm --read-only` plans it. */
  permission: BrokerPermResult['permission'];
  /** False when the broker was read-only already: the drain only waits. */
  permissionChanged: boolean;
  /** After applying: whether the broker reads back the new brokerPermission. */
  permissionApplied?: boolean;
  configFile: string | null;
  keysWritten: number;
  dryRun: boolean;
  /** The longest wait (--wait) and the settle period (--settle), ms. */
  waitMs: number;
  settleMs: number;
  /** Every non-system group with queues on the broker, online ones first. */
  groups: DrainGroupRow[];
  /** The last time a message reached these groups' queues on the broker, ms after the change; null: none seen. */
  lastWriteAfterMs: number | null;
  elapsedMs: number;
  /** Every online group drained within the wait. */
  drained: boolean;
}

interface Snapshot {
  lag: number;
  /** Sum of the queues' max offsets: it moves when a message is stored. */
  stored: number;
}

function snapshot(offsets: readonly QueueConsumeOffsets[], brokerName: string): Snapshot | undefined {
  const mine = offsets.filter((o) => o.mq.brokerName === brokerName);
  if (mine.length === 0) return undefined;
  return {
    lag: mine.reduce((n, o) => n + Math.max(0, o.brokerOffset - Math.max(0, o.consumerOffset)), 0),
    stored: mine.reduce((n, o) => n + o.brokerOffset, 0),
  };
}

export async function planBrokerDrain(
  admin: Admin,
  input: { broker: string; waitMs: number; settleMs: number; pollMs?: number; dryRun: boolean },
): Promise<{
  plan: BrokerDrainResult;
  apply: (o: {
    onProgress?: (text: string) => void;
    signal?: AbortSignal | undefined;
  }) => Promise<BrokerDrainResult>;
}> {
  const perm = await planBrokerPerm(admin, { broker: input.broker, mode: 'read-only', dryRun: input.dryRun });
  const broker = perm.plan.broker;
  const stats = async (group: string): Promise<Snapshot | undefined> =>
    snapshot((await admin.consumeStats(broker.address, group)).offsets, broker.brokerName);
  const groups = [...(await admin.listGroups({ broker: broker.address })).keys()]
    .filter((g) => !isSystemGroup(g))
    .sort();
  const rows: (DrainGroupRow & { last: Snapshot })[] = [];
  await Promise.all(
    groups.map(async (group) => {
      const s = await stats(group);
      if (!s) return; // no queue of this group on the broker
      // A SUCCESS answer is not enough: right after its consumer left, CI saw the broker answer
      // SUCCESS with an empty connection set (it keeps a group's entry while its channel table
      // holds nothing; the exact race was not pinned down), and `online` would wait for nobody.
      const conns = await admin.consumerConnections(broker.address, group);
      const online = (conns?.connections.length ?? 0) > 0;
      rows.push({
        group,
        online,
        lagAtStart: s.lag,
        finalLag: s.lag,
        drainedAfterMs: null,
        status: online ? 'lagging' : 'offline',
        last: s,
      });
    }),
  );
  rows.sort((a, b) => Number(b.online) - Number(a.online) || a.group.localeCompare(b.group));
  const strip = (r: (typeof rows)[number]): DrainGroupRow => ({
    group: r.group,
    online: r.online,
    lagAtStart: r.lagAtStart,
    finalLag: r.finalLag,
    drainedAfterMs: r.drainedAfterMs,
    status: r.status,
  });
  const plan: BrokerDrainResult = {
    broker,
    permission: perm.plan.permission,
    permissionChanged: perm.plan.changed,
    configFile: perm.plan.configFile,
    keysWritten: perm.plan.keysWritten,
    dryRun: input.dryRun,
    waitMs: input.waitMs,
    settleMs: input.settleMs,
    groups: rows.map(strip),
    lastWriteAfterMs: null,
    elapsedMs: 0,
    drained: false,
  };

  const apply = async (o: {
    onProgress?: (text: string) => void;
    signal?: AbortSignal | undefined;
  }): Promise<BrokerDrainResult> => {
    let permissionApplied: boolean | undefined;
    if (perm.plan.changed) permissionApplied = (await perm.apply()).applied === true;
    const start = Date.now();
    let lastWriteAt: number | undefined;
    const waited = rows.filter((r) => r.online);
    const pollMs = input.pollMs ?? 1000;
    for (;;) {
      const now = Date.now();
      const settled = now - start >= input.settleMs;
      await Promise.all(
        waited.map(async (r) => {
          const s = (await stats(r.group)) ?? { lag: 0, stored: r.last.stored };
          const wrote = s.stored !== r.last.stored;
          if (wrote) lastWriteAt = now;
          r.finalLag = s.lag;
          const done = settled && s.lag === 0 && !wrote;
          // A write after a group looked drained (a client with an old route) undoes it.
          if (!done) r.drainedAfterMs = null;
          else r.drainedAfterMs ??= now - start;
          r.status = r.drainedAfterMs === null ? 'lagging' : 'drained';
          r.last = s;
        }),
      );
      const all = waited.every((r) => r.status === 'drained');
      const elapsed = Date.now() - start;
      if (all || elapsed >= input.waitMs || o.signal?.aborted) break;
      o.onProgress?.(
        `draining ${broker.brokerName} (${Math.round(elapsed / 1000)} s): ` +
          (waited.length === 0
            ? 'no online group'
            : waited
                .map((r) => `${r.group} lag ${r.finalLag}${r.status === 'drained' ? ' ✓' : ''}`)
                .join(', ')) +
          (settled ? '' : ` (clients follow the route within ${Math.round(input.settleMs / 1000)} s)`),
      );
      await sleep(Math.min(pollMs, Math.max(0, input.waitMs - elapsed)), undefined, {
        signal: o.signal,
      }).catch(() => {});
    }
    // Offline groups: their lag now, as reported.
    await Promise.all(
      rows
        .filter((r) => !r.online)
        .map(async (r) => {
          r.finalLag = (await stats(r.group))?.lag ?? 0;
        }),
    );
    return {
      ...plan,
      ...(permissionApplied === undefined ? {} : { permissionApplied }),
      groups: rows.map(strip),
      lastWriteAfterMs: lastWriteAt === undefined ? null : Math.max(0, lastWriteAt - start),
      elapsedMs: Date.now() - start,
      drained: waited.every((r) => r.status === 'drained'),
    };
  };
  return { plan, apply };
}
