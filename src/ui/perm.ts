/** Human output of `rmq topic update` and `rmq broker perm`: plans, escaped by the caller as a whole. */
import type { BrokerPermResult } from '../services/broker-perm.js';
import { asIs } from '../services/message-record.js';
import type { Change, TopicUpdateResult } from '../services/topic-update.js';
import { renderTable } from './table.js';

const change = <T>(c: Change<T>): string => (c.old === c.new ? String(c.old) : `${c.old} → ${c.new}`);

export function renderTopicUpdate(r: TopicUpdateResult, applied: boolean): string {
  const lines = [
    renderTable(
      ['BROKER', 'ADDRESS', 'PERM', 'READ QUEUES', 'WRITE QUEUES', applied ? 'RESULT' : 'ACTION'],
      r.brokers.map((b) => [
        b.brokerName,
        b.address,
        change(b.perm),
        change(b.readQueues),
        change(b.writeQueues),
        !b.changed ? 'unchanged' : applied ? (b.applied ? 'updated' : 'reads back otherwise') : 'update',
      ]),
      { escape: asIs },
    ),
    ...r.notes,
  ];
  if (r.changes === 0) lines.push(`nothing to change: topic ${r.topic} is like that on every broker`);
  else if (!applied)
    lines.push(`Plan: update topic ${r.topic} on ${r.changes} broker${r.changes === 1 ? '' : 's'}.`);
  return lines.join('\n');
}

export function renderBrokerPerm(r: BrokerPermResult, applied: boolean): string {
  const b = r.broker;
  const p = r.permission;
  if (!r.changed)
    return `broker ${b.brokerName} (${b.address}) is ${r.mode} already (brokerPermission ${p.old}, ${p.oldText})`;
  if (applied) {
    return r.applied
      ? `broker ${b.brokerName} (${b.address}) is ${r.mode} now (brokerPermission ${p.new}, ${p.newText})`
      : `broker ${b.brokerName} (${b.address}) reads back another brokerPermission than ${p.new}`;
  }
  return [
    `Plan: make broker ${b.brokerName} (${b.address}) ${r.mode}: brokerPermission ${p.old} (${p.oldText}) → ${p.new} (${p.newText}).`,
    r.mode === 'read-only'
      ? 'The broker then reports its topics read-only to the name servers, so producers send to other brokers (clients that cached the route follow within their refresh, 30 s for Java); it refuses sends to ordered topics and consumers keep reading it.'
      : 'The broker then reports its topics with their own permissions to the name servers, and producers send to it again.',
    `The broker saves it by rewriting ${r.configFile ?? 'its config file'} with all ${r.keysWritten} keys it knows (comments and order are lost).`,
  ].join('\n');
}
