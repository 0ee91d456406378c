import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { connectionFlags } from '../../flags.js';
import {
  type ClusterListResult,
  listClusters,
  namesrvWarnings,
  shownAddress,
} from '../../services/cluster.js';
import { replicationCell } from '../../services/cluster-ha.js';
import { renderTable } from '../../ui/table.js';

export default class ClusterList extends BaseCommand<typeof ClusterList> {
  static override summary = 'List clusters and their brokers (name, id, role, address, version).';
  static override description =
    'Every name server given is asked (they know nothing of each other): a broker that one of them does not list, and a name server that does not answer, are warned about; with several name servers the NAME SERVERS column says how many list each broker. HA says how each broker replicates now: a master its slaves in sync ("1/1 in sync"), a broker in controller mode its epoch, a slave how far it is behind its master, a DLedger node its raft role.';
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
    const several = result.namesrvs.length > 1;
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
        replicationCell(b.replication),
        ...(several ? [`${b.namesrvs.length}/${result.namesrvs.length}`] : []),
      ]),
    );
    this.log(
      renderTable(
        [
          'CLUSTER',
          'BROKER',
          'ID',
          'ROLE',
          'ADDRESS',
          'VERSION',
          'PUT TPS',
          'GET TPS',
          'HA',
          ...(several ? ['NAME SERVERS'] : []),
        ],
        rows,
      ),
    );
    for (const w of namesrvWarnings(result)) this.note(w);
    return result;
  }
}
