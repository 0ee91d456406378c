import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { connectionFlags } from '../../flags.js';
import { type BrokerListResult, listBrokers } from '../../services/broker.js';
import { renderBrokerList } from '../../ui/broker.js';

export default class BrokerList extends BaseCommand<typeof BrokerList> {
  static override summary =
    'Brokers with their runtime stats: TPS, disk use, commit-log offset, dispatch and timer backlog.';
  static override description =
    'A broker that does not answer is listed with its error and the command still exits 0; see `rmq broker status` for one broker in full.';
  static override examples = [
    '<%= config.bin %> broker list',
    '<%= config.bin %> broker list --cluster DefaultCluster --json',
  ];
  static override flags = {
    ...connectionFlags,
    cluster: Flags.string({ char: 'c', summary: 'Only brokers of this cluster.' }),
  };

  async run(): Promise<BrokerListResult> {
    const r = await listBrokers(await this.admin(), { cluster: this.flags.cluster });
    this.log(renderBrokerList(r.brokers));
    return r;
  }
}
