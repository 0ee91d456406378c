import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { connectionFlags } from '../../flags.js';
import { type ClusterListResult, listClusters, shownAddress } from '../../services/cluster.js';
import { renderTable } from '../../ui/table.js';

export default class ClusterList extends BaseCommand<typeof ClusterList> {
  static override summary = 'List clusters and their brokers (name, id, role, address, version).';
  static override examples = [
    '<%= config.bin %> cluster list',
    '<%= config.bin %> cluster list -n 10.0.0.5:9876 --json',
  ];
  static override flags = {
    ...connectionFlags,
    cluster: Flags.string({ char: 'c', summary: 'Only this cluster.' }),
  };

  async run(): Promise<ClusterListResult> {
    const result = await listClusters(await this.admin(), this.flags.cluster);
    const rows = result.clusters.flatMap((c) =>
      c.brokers.map((b) => [
        c.name,
        b.brokerName,
        b.brokerId,
        b.role,
        shownAddress(b),
        b.version ?? b.error ?? '-',
        b.putTps,
        b.getTps,
      ]),
    );
    this.log(
      renderTable(['CLUSTER', 'BROKER', 'ID', 'ROLE', 'ADDRESS', 'VERSION', 'PUT TPS', 'GET TPS'], rows),
    );
    return result;
  }
}
