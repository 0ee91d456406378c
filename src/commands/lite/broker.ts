import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { connectionFlags } from '../../flags.js';
import { brokerLiteInfo, type BrokerLiteInfoResult } from '../../services/lite.js';
import { renderBrokerLiteInfo } from '../../ui/lite.js';

export default class LiteBroker extends BaseCommand<typeof LiteBroker> {
  static override summary =
    "Show each broker's lite state: LMQs, subscriptions, LITE topics and bound groups (RocketMQ 5.5+).";
  static override description = `GET_BROKER_LITE_INFO on every master (or --cluster, --broker): its store type, LMQs in use and the most it allows (maxLmqConsumeQueueNum), active lite subscriptions, order infos and pending events, and its LITE parent topics with their expiration and bound groups (mqadmin getBrokerLiteInfo). Exits 2 for a broker older than 5.5.`;
  static override examples = [
    '<%= config.bin %> lite broker',
    '<%= config.bin %> lite broker --broker broker-a --json',
  ];
  static override flags = {
    ...connectionFlags,
    cluster: Flags.string({ char: 'c', summary: 'Only the masters of this cluster.', exclusive: ['broker'] }),
    broker: Flags.string({ char: 'b', summary: 'Only this broker (name or address).' }),
  };

  async run(): Promise<BrokerLiteInfoResult> {
    const r = await brokerLiteInfo(await this.admin(), {
      cluster: this.flags.cluster,
      broker: this.flags.broker,
    });
    this.log(this.forStdout(renderBrokerLiteInfo(r)));
    return r;
  }
}
