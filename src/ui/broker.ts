/** Human rendering of broker status, configuration, plans and diffs. */
import type { BrokerConfigDiffResult, BrokerConfigSetResult, BrokerStatusRow } from '../services/broker.js';
import { shownAddress } from '../services/cluster.js';
import { renderTable } from './table.js';

const pct = (r: number | null | undefined): string | null =>
  r === null || r === undefined ? null : `${(r * 100).toFixed(1)}%`;
const maxDisk = (b: BrokerStatusRow): number | null =>
  b.commitLogDisk && b.commitLogDisk.length > 0 ? Math.max(...b.commitLogDisk.map((d) => d.usedRatio)) : null;

export function renderBrokerList(brokers: BrokerStatusRow[]): string {
  return renderTable(
    [
      'CLUSTER',
      'BROKER',
      'ID',
      'ROLE',
      'ADDRESS',
      'VERSION',
      'PUT TPS',
      'GET TPS',
      'DISK',
      'MAX OFFSET',
      'DISPATCH BEHIND',
      'TIMER BACKLOG',
    ],
    brokers.map((b) =>
      b.error
        ? [b.cluster, b.brokerName, b.brokerId, b.role, shownAddress(b), `error: ${b.error}`]
        : [
            b.cluster,
            b.brokerName,
            b.brokerId,
            b.role,
            shownAddress(b),
            b.version,
            b.putTps,
            b.getTps,
            pct(maxDisk(b)),
            b.commitLogMaxOffset,
            b.dispatchBehindBytes,
            b.timerOffsetBehind,
          ],
    ),
  );
}

export function renderBrokerStatus(b: BrokerStatusRow): string {
  const head = `${b.brokerName} (${b.role} id ${b.brokerId}, cluster ${b.cluster}) ${shownAddress(b)}`;
  if (b.error) return `${head}\n  error: ${b.error}`;
  const rows: [string, unknown][] = [
    ['version', b.version],
    ['put TPS (10s)', b.putTps],
    ['get TPS (10s)', b.getTps],
    ['commit log offsets', `${b.commitLogMinOffset ?? '-'} .. ${b.commitLogMaxOffset ?? '-'}`],
    ...(b.commitLogDisk ?? []).map((d): [string, unknown] => [
      `disk used ${d.path || '(commit log)'}`,
      pct(d.usedRatio),
    ]),
    ['disk used (consume queues)', pct(b.consumeQueueDiskRatio)],
    ['page cache lock held (ms)', b.pageCacheLockTimeMs],
    ['dispatch behind (bytes)', b.dispatchBehindBytes],
    ['timer: not yet enqueued', b.timerOffsetBehind],
    ['timer: not yet delivered', b.timerReadBehind],
    ['timer: congested', b.timerCongestNum],
    ['send / pull queue', `${b.sendQueueSize ?? '-'} / ${b.pullQueueSize ?? '-'}`],
    ['booted', b.bootTimestamp ? new Date(b.bootTimestamp).toISOString() : null],
  ];
  return `${head}\n${renderTable(
    ['STAT', 'VALUE'],
    rows.map(([k, v]) => [k, v as string]),
  )}`;
}

export function renderConfig(config: Record<string, string>): string {
  return renderTable(['KEY', 'VALUE'], Object.entries(config));
}

export function renderConfigPlan(p: BrokerConfigSetResult): string {
  const lines: string[] = [];
  lines.push(`Broker ${p.broker.brokerName} (${p.broker.address}):`);
  if (p.changes.length === 0) {
    lines.push('  nothing to change: every key already has that value');
    return lines.join('\n');
  }
  lines.push(
    renderTable(
      ['KEY', 'OLD', '', 'NEW', 'TAKES EFFECT'],
      p.changes.map((c) => [c.key, c.old, '→', c.new, c.appliesAtRunTime ? 'now' : 'after a restart']),
    ),
  );
  if (p.unchanged.length > 0) lines.push(`unchanged (already set): ${p.unchanged.join(', ')}`);
  lines.push(
    `The broker then rewrites ${p.configFile ?? 'its config file (the one it was started with, -c, else ~/store/config/broker.properties)'} with all ${p.keysWritten} keys it knows ` +
      `(the values \`rmq broker config get\` shows), not only these: comments and order are lost; the previous file is kept as .bak (one generation).`,
  );
  if (p.restartNeeded)
    lines.push('Keys marked "after a restart" are saved but the running broker keeps the old value.');
  return lines.join('\n');
}

export function renderConfigDiff(d: BrokerConfigDiffResult): string {
  const other = d.b ? `${d.b.brokerName} (${d.b.address})` : `RocketMQ ${d.defaults?.version ?? ''} default`;
  const lines: string[] = [];
  if (d.differences.length === 0) lines.push(`no differences in ${d.compared} keys`);
  else
    lines.push(
      renderTable(
        ['KEY', `${d.a.brokerName} (${d.a.address})`, other],
        d.differences.map((x) => [x.key, x.a ?? '(absent)', x.b ?? '(absent)']),
      ),
    );
  if (d.defaults && d.defaults.machineDependent.length > 0) {
    lines.push(
      `not compared, their defaults depend on the machine: ${d.defaults.machineDependent.join(', ')}`,
    );
  }
  if (d.defaults && d.defaults.noDefault.length > 0) {
    lines.push(
      `not compared, RocketMQ ${d.defaults.version} prints no default for: ${d.defaults.noDefault.join(', ')}`,
    );
  }
  return lines.join('\n');
}
