/** Human output of `rmq broker drain`: the plan, and the per-group report. */
import type { BrokerDrainResult } from '../services/broker-drain.js';
import { asIs } from '../services/message-record.js';
import { renderTable } from './table.js';

const secs = (ms: number | null): string => (ms === null ? '-' : `${(ms / 1000).toFixed(1)} s`);

export function renderDrainPlan(r: BrokerDrainResult): string {
  const b = r.broker;
  const p = r.permission;
  const lines = [
    r.permissionChanged
      ? `Plan: drain broker ${b.brokerName} (${b.address}): take write permission away, brokerPermission ${p.old} (${p.oldText}) → ${p.new} (${p.newText}), saved by rewriting ${r.configFile ?? 'its config file'} with all ${r.keysWritten} keys.`
      : `Plan: broker ${b.brokerName} (${b.address}) is read-only already (brokerPermission ${p.old}, ${p.oldText}): only wait for its groups.`,
    `Producers stop choosing it as their routes refresh (within ${secs(r.settleMs)}); then wait up to ${secs(r.waitMs)} until every online group has lag 0 on it.`,
  ];
  if (r.groups.length === 0) lines.push('No consumer group has queues on this broker.');
  else
    lines.push(
      renderTable(
        ['GROUP', 'ONLINE', 'LAG NOW', 'WAIT'],
        r.groups.map((g) => [
          g.group,
          g.online ? 'yes' : 'no',
          g.lagAtStart,
          g.online ? 'yes' : 'no: nobody consumes it',
        ]),
        { escape: asIs },
      ),
    );
  lines.push(`Undo with \`rmq broker undrain ${b.brokerName}\`.`);
  return lines.join('\n');
}

export function renderDrainReport(r: BrokerDrainResult): string {
  const b = r.broker;
  const lines = [
    renderTable(
      ['GROUP', 'LAG AT START', 'DRAINED AFTER', 'FINAL LAG', 'STATUS'],
      r.groups.map((g) => [g.group, g.lagAtStart, secs(g.drainedAfterMs), g.finalLag, g.status]),
      { escape: asIs },
    ),
  ];
  if (r.permissionApplied === false)
    lines.push(`broker ${b.brokerName} reads back another brokerPermission than ${r.permission.new}`);
  lines.push(
    r.drained
      ? `broker ${b.brokerName} (${b.address}) is drained: read-only, every online group caught up (${secs(r.elapsedMs)}; last write seen ${secs(r.lastWriteAfterMs)} after the change)`
      : `broker ${b.brokerName} (${b.address}) is read-only, but not drained after ${secs(r.elapsedMs)}: ${r.groups
          .filter((g) => g.status === 'lagging')
          .map((g) => `${g.group} lag ${g.finalLag}`)
          .join(', ')}`,
  );
  return lines.join('\n');
}
