import { Args } from '@oclif/core';
import { BaseCommand } from '../../../base-command.js';
import { connectionFlags } from '../../../flags.js';
import { type BrokerConfigGetResult, getBrokerConfig } from '../../../services/broker.js';
import { renderConfig } from '../../../ui/broker.js';

export default class BrokerConfigGet extends BaseCommand<typeof BrokerConfigGet> {
  static override summary = "A broker's configuration as it runs with it: all keys, or the ones named.";
  static override description = 'An unknown key exits 2 and names the nearest keys the broker has.';
  static override strict = false;
  static override examples = [
    '<%= config.bin %> broker config get broker-a',
    '<%= config.bin %> broker config get broker-a fileReservedTime deleteWhen --json',
  ];
  static override args = {
    broker: Args.string({ required: true, description: 'Broker name (its master) or address.' }),
    keys: Args.string({ required: false, description: 'Config keys to show (any number).' }),
  };
  static override flags = { ...connectionFlags };

  async run(): Promise<BrokerConfigGetResult> {
    const { argv } = await this.parse(BrokerConfigGet);
    const keys = argv.map(String).slice(1);
    const r = await getBrokerConfig(await this.admin(), { broker: this.args.broker, keys });
    this.log(renderConfig(r.config));
    return r;
  }
}
