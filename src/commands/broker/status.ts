import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { connectionFlags } from '../../flags.js';
import { brokerStatus, type BrokerStatusResult } from '../../services/broker.js';
import { renderBrokerStatus } from '../../ui/broker.js';

export default class BrokerStatus extends BaseCommand<typeof BrokerStatus> {
  static override summary = 'Runtime stats of one broker (or of all), with disk use per store path.';
  static override description =
    'Page-cache lock time is how long the commit log has been locked by the put in progress: past osPageCacheBusyTimeOutMills the broker refuses sends. --json adds the raw runtime table.';
  static override examples = [
    '<%= config.bin %> broker status broker-a',
    '<%= config.bin %> broker status 10.0.0.5:10911 --json',
  ];
  static override args = {
    broker: Args.string({
      required: false,
      description: 'Broker name (its master) or address; all brokers when omitted.',
    }),
  };
  static override flags = { ...connectionFlags };

  async run(): Promise<BrokerStatusResult> {
    const r = await brokerStatus(await this.admin(), { broker: this.args.broker });
    this.log(r.brokers.map((b) => renderBrokerStatus(b)).join('\n\n'));
    return r;
  }
}
