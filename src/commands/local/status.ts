import { BaseCommand } from '../../base-command.js';
import { formatBytes } from '../../core/util/units.js';
import { type StatusResult, status } from '../../local/status.js';
import { localDirFlag } from '../../flags.js';

function formatUptime(ms: number): string {
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h ${m}m`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

export default class LocalStatus extends BaseCommand<typeof LocalStatus> {
  static override summary = 'Show whether the local cluster runs, its address, pids, version, store size.';
  static override description =
    'Exits 0 whether the cluster runs or not; scripts read "state" (running, stopped, partial) from --json.';
  static override examples = ['<%= config.bin %> local status', '<%= config.bin %> local status --json'];
  static override flags = {
    dir: localDirFlag(),
  };

  async run(): Promise<StatusResult> {
    const r = await status({ dir: this.flags.dir });
    const pid = (p: { pid: number | null; running: boolean }): string =>
      p.running ? `pid ${p.pid}` : 'not running';
    const rows: [string, string][] = [['state', r.state]];
    if (r.version) rows.push(['version', r.version]);
    if (r.namesrvAddr) rows.push(['name server', `${r.namesrvAddr} (${pid(r.processes.namesrv)})`]);
    if (r.brokerAddr) {
      const reg = r.brokerRegistered === null ? '' : r.brokerRegistered ? ', registered' : ', NOT registered';
      rows.push(['broker', `${r.brokerName} ${r.brokerAddr} (${pid(r.processes.broker)}${reg})`]);
    }
    if (r.proxy && !r.nodes) {
      rows.push([
        'proxy',
        `${r.proxy.address} remoting, ${r.proxy.grpcAddress ?? '?'} gRPC (${r.proxy.pid === null ? 'down' : `pid ${r.proxy.pid}`})`,
      ]);
    }
    if (r.clusterName) rows.push(['cluster', r.clusterName]);
    if (r.uptimeMs !== null) rows.push(['uptime', formatUptime(r.uptimeMs)]);
    rows.push(['store', `${r.store.dir} (${formatBytes(r.store.bytes)})`]);
    rows.push(['broker log', r.logs.broker]);
    rows.push(['dir', r.dir]);
    const width = Math.max(...rows.map(([k]) => k.length)) + 2;
    this.log(rows.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}`).join('\n'));
    if (r.nodes) {
      // DLedger topologies: what each node's raft says, beside what the name servers list.
      const raft = r.nodes.some((n) => n.raft !== undefined);
      const table = [
        ['NODE', 'ROLE', 'ID', ...(raft ? ['RAFT'] : []), 'ADDRESS', 'PID', 'STATE'],
        ...r.nodes.map((n) => [
          n.name,
          n.role ?? (n.up ? 'unregistered' : '-'),
          n.brokerId === null ? '-' : String(n.brokerId),
          ...(raft ? [n.raft ? `${n.raft.selfId} ${n.raft.role}` : '-'] : []),
          n.grpcAddress ? `${n.address} (gRPC ${n.grpcAddress})` : n.address,
          n.pid === null ? '-' : String(n.pid),
          n.up ? 'up' : 'down',
        ]),
      ];
      const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
      this.log(
        `\n${table
          .map((row) =>
            row
              .map((c, i) => c.padEnd(widths[i]!))
              .join('  ')
              .trimEnd(),
          )
          .join('\n')}`,
      );
    }
    if (r.state === 'partial') {
      this.note(
        r.nodes
          ? 'only part of the cluster runs: `rmq local start NODE` brings a node back'
          : 'only part of the cluster runs: `rmq local down` then `rmq local up` restarts it',
      );
    }
    return r;
  }
}
