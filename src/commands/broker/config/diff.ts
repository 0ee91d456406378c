import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../../base-command.js';
import { connectionFlags } from '../../../flags.js';
import { type BrokerConfigDiffResult, diffBrokerConfig } from '../../../services/broker.js';
import { renderConfigDiff } from '../../../ui/broker.js';

export default class BrokerConfigDiff extends BaseCommand<typeof BrokerConfigDiff> {
  static override summary = 'Keys whose values differ between two brokers.';
  static override description =
    "Keys that name the broker or its machine (brokerName, brokerId, IPs, ports, store paths, …) always differ and are left out unless --all. Exits 0 whether or not there are differences; --json's differences is empty when there are none.";
  static override examples = [
    '<%= config.bin %> broker config diff broker-a broker-b',
    '<%= config.bin %> broker config diff broker-a 10.0.0.6:10911 --json',
  ];
  static override args = {
    a: Args.string({ required: true, description: 'First broker: name (its master) or address.' }),
    b: Args.string({ required: true, description: 'Second broker: name (its master) or address.' }),
  };
  static override flags = {
    ...connectionFlags,
    all: Flags.boolean({ summary: 'Also compare the keys that name the broker and its machine.' }),
  };

  async run(): Promise<BrokerConfigDiffResult> {
    const r = await diffBrokerConfig(await this.admin(), {
      a: this.args.a,
      b: this.args.b,
      includeIdentity: this.flags.all,
    });
    this.log(renderConfigDiff(r));
    return r;
  }
}
