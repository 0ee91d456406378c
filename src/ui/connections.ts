/** Human rendering of group clients, group status and topic producers. */
import type {
  GroupClientsResult,
  GroupStatusResult,
  SubscriptionMismatch,
  TopicProducersResult,
} from '../services/connections.js';
import { renderTable } from './table.js';

const subs = (
  list: { topic: string; expression: string; expressionType: string }[] | null | undefined,
): string =>
  list
    ? list
        .map((s) => `${s.topic}: ${s.expressionType === 'TAG' ? '' : `${s.expressionType} `}${s.expression}`)
        .join('\n')
    : '?';

function mismatchText(m: SubscriptionMismatch[]): string {
  return m
    .map(
      (x) =>
        `MISMATCH on ${x.topic}: ${x.members.map((e) => `${e.clientId} ${e.expression === null ? '(not subscribed)' : `"${e.expression}"`}`).join(', ')}`,
    )
    .join('\n');
}

export function renderGroupClients(r: GroupClientsResult): string {
  if (!r.online) return `Group ${r.group}: no consumer online`;
  const lines = [
    `Group ${r.group}: ${r.clients.length} online, ${r.consumeType ?? '?'} ${r.messageModel ?? '?'}, from ${r.consumeFromWhere ?? '?'}`,
    '',
    renderTable(
      ['CLIENT ID', 'ADDRESS', 'LANGUAGE', 'VERSION', 'BROKERS', 'SUBSCRIPTIONS'],
      r.clients.map((c) => [
        c.clientId,
        c.clientAddr,
        c.language,
        c.version,
        c.brokers.join(','),
        c.subscriptions ? subs(c.subscriptions) : `? (${c.subscriptionsError ?? 'no answer'})`,
      ]),
    ),
  ];
  if (r.mismatches.length > 0) {
    lines.push(
      '',
      mismatchText(r.mismatches),
      'Members of one group must subscribe alike: messages of a queue given to a member that filters them out are lost to the group.',
    );
  }
  return lines.join('\n');
}

export function renderGroupStatus(r: GroupStatusResult): string {
  if (r.clients.length === 0) return `Group ${r.group}: no consumer online`;
  const parts: string[] = [];
  for (const c of r.clients) {
    parts.push(`${c.clientId} (${c.clientAddr}, via ${c.broker})`);
    if (!c.ok) {
      parts.push(`  no running info: ${c.error ?? 'no answer'}`, '');
      continue;
    }
    if ((c.status ?? []).length > 0) {
      parts.push(
        renderTable(
          ['TOPIC', 'CONSUME RT (ms)', 'OK TPS', 'FAILED TPS', 'FAILED (1 min)', 'PULL RT (ms)', 'PULL TPS'],
          c.status!.map((s) => [
            s.topic,
            s.consumeRT,
            s.consumeOKTPS,
            s.consumeFailedTPS,
            s.consumeFailedMsgs,
            s.pullRT,
            s.pullTPS,
          ]),
        ),
      );
    }
    parts.push(
      renderTable(
        [
          'TOPIC',
          'BROKER',
          'QUEUE',
          'COMMITTED',
          'CACHED',
          'CACHED MiB',
          'LOCKED',
          'DROPPED',
          'LAST CONSUMED',
        ],
        (c.queues ?? []).map((q) => [
          q.topic,
          q.brokerName,
          q.queueId,
          q.commitOffset,
          q.cachedMsgCount,
          q.cachedMsgSizeInMiB,
          q.locked,
          q.dropped,
          q.lastConsumeTimestamp > 0 ? new Date(q.lastConsumeTimestamp).toISOString() : null,
        ]),
      ),
    );
    if (c.jstack) parts.push('', c.jstack);
    parts.push('');
  }
  if (r.mismatches.length > 0) parts.push(mismatchText(r.mismatches));
  return parts.join('\n').trimEnd();
}

export function renderTopicProducers(r: TopicProducersResult): string {
  if (r.producers.length === 0)
    return `no producer of group ${r.group} is connected to the brokers of ${r.topic}`;
  return renderTable(
    ['CLIENT ID', 'ADDRESS', 'LANGUAGE', 'VERSION', 'BROKERS'],
    r.producers.map((p) => [p.clientId, p.clientAddr, p.language, p.version, p.brokers.join(',')]),
  );
}
