/** Human rendering of an offset plan (group reset, skip, copy-offsets) and of its outcome. */
import type { OffsetPlanResult } from '../services/offsets.js';
import { renderTable } from './table.js';

const signed = (n: number | null): string => (n === null ? '-' : n > 0 ? `+${n}` : String(n));

export function renderOffsetPlan(p: OffsetPlanResult): string {
  const head =
    p.action === 'copy'
      ? `Copy offsets of ${p.from} to ${p.group}`
      : `${p.action === 'skip' ? 'Skip the backlog of' : 'Reset'} group ${p.group} ${p.target}`;
  const lines = [
    `${head}  (topic${p.topics.length === 1 ? '' : 's'} ${p.topics.join(', ')}; group ${p.online ? 'online' : 'offline'})`,
    '',
    renderTable(
      ['TOPIC', 'BROKER', 'QUEUE', 'CURRENT', '', 'NEW', 'MIN', 'MAX', 'REPLAYED(+)/SKIPPED(-)', 'NOTE'],
      p.queues.map((q) => [
        q.topic,
        q.brokerName,
        q.queueId,
        q.currentOffset ?? '-',
        '→',
        q.newOffset,
        q.minOffset,
        q.maxOffset,
        signed(q.change),
        q.clamped ? `clamped to ${q.clamped} (asked ${q.requestedOffset})` : '',
      ]),
    ),
    '',
    `${p.summary.queues} queue${p.summary.queues === 1 ? '' : 's'}, ${p.summary.changed} moving: ${p.summary.replayed} message${p.summary.replayed === 1 ? '' : 's'} replayed, ${p.summary.skipped} skipped${p.summary.clamped > 0 ? `, ${p.summary.clamped} clamped to the queue's range` : ''}`,
  ];
  for (const b of p.brokers) lines.push(`${b.brokerName}: ${b.method}, ${b.reason}`);
  return lines.join('\n');
}

export function renderApplied(p: OffsetPlanResult): string {
  const applied = p.applied ?? [];
  const bad = applied.filter((a) => !a.ok);
  if (bad.length === 0) {
    return `moved ${applied.length} queue${applied.length === 1 ? '' : 's'} of group ${p.group}`;
  }
  return `${bad.length} queue${bad.length === 1 ? '' : 's'} read back elsewhere than planned: ${bad
    .map((a) => `${a.topic}/${a.brokerName}/${a.queueId} at ${a.offset ?? 'none'}`)
    .join(', ')}`;
}
