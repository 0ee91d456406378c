/** Human output of `rmq dlq list | resend` and `rmq message resend`. */
import type { DlqListResult } from '../services/dlq.js';
import type { DlqResendResult } from '../services/dlq-resend.js';
import type { MessageResendResult } from '../services/message-resend.js';
import { asIs } from '../services/message-record.js';
import { renderTable } from './table.js';
import { escapeFor } from './terminal-text.js';

export function renderDlqList(r: DlqListResult): string {
  if (r.messages.length === 0) {
    return r.total === 0
      ? `${r.topic} is empty: group ${r.group} has no dead letters`
      : `none of the ${r.total} dead letters in ${r.topic} match`;
  }
  const table = renderTable(
    ['MSG ID', 'ORIGINAL TOPIC', 'TAGS', 'KEYS', 'RECONSUMES', 'FIRST FAILURE', 'LAST FAILURE'],
    r.messages.map((m) => [
      m.msgId,
      m.originTopic,
      m.tags,
      m.keys.join(' '),
      m.reconsumeTimes,
      m.firstFailureTime,
      m.lastFailureTime,
    ]),
  );
  const more = r.truncated ? ' (--limit reached: more may match)' : '';
  return `${table}\n${r.count} of ${r.total} dead letters in ${r.topic}${more}`;
}

/** The plan (and, once applied, the outcome) of a resend; escaped by the caller as a whole. */
export function renderDlqResend(r: DlqResendResult, applied: boolean): string {
  const lines: string[] = [];
  if (r.messages.length === 0) {
    lines.push(`nothing to resend: no dead letter in ${r.topic} matches`);
    return lines.join('\n');
  }
  lines.push(
    renderTable(
      ['MSG ID', 'TO', 'IN THE DLQ AT', applied ? 'RESULT' : 'ACTION', 'WHY'],
      r.messages.map((m) => [
        m.msgId,
        m.to,
        `${m.brokerName}/${m.queueId}@${m.queueOffset}`,
        m.status === 'planned' ? 'resend' : m.status,
        m.reason,
      ]),
      { escape: asIs },
    ),
  );
  if (applied) {
    lines.push(`resent ${r.resent}, skipped ${r.skipped}, failed ${r.failed} (log: ${r.logFile})`);
  } else {
    lines.push(
      `Plan: send ${r.planned} of ${r.messages.length} dead letters of group ${r.group} back to ${r.to ?? 'their original topics'}` +
        ` (skip ${r.skipped} already resent, ${r.failed} cannot be sent).` +
        (r.truncated ? ' --limit reached: more may match.' : ''),
    );
  }
  return lines.join('\n');
}

export function renderMessageResend(r: MessageResendResult): string {
  const rows = r.clients.map((c) => [
    c.clientId,
    c.ok ? c.consumeResult : 'no answer',
    c.ok ? `${c.spentTimeMills} ms` : null,
    c.ok ? c.remark : c.error,
  ]);
  const line = `message ${r.msgId} (${r.topic}, stored on ${r.brokerName ?? '?'}) delivered to group ${r.group}`;
  return `${renderTable(['CLIENT', 'RESULT', 'SPENT', 'REMARK'], rows)}\n${escapeFor(process.stdout)(line)}`;
}
