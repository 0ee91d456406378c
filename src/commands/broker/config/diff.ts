import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../../base-command.js';
import { InvalidArgumentError } from '../../../core/errors.js';
import { connectionFlags } from '../../../flags.js';
import { rocketmqCacheRoot } from '../../../local/paths.js';
import { type BrokerConfigDiffResult, diffBrokerConfig } from '../../../services/broker.js';
import { renderConfigDiff } from '../../../ui/broker.js';

export default class BrokerConfigDiff extends BaseCommand<typeof BrokerConfigDiff> {
  static override summary =
    "Keys whose values differ between two brokers, or from the broker version's defaults.";
  static override description = `Keys that name the broker or its machine (brokerName, brokerId, IPs, ports, store paths, …) always differ and are left out unless --all. Exits 0 whether or not there are differences; --json's differences is empty when there are none.

--defaults compares one broker with the defaults of its own RocketMQ version, as that version prints them (BrokerStartup -p, run here with the same jars \`rmq local\` uses: java is needed, and Maven once if the version is not cached yet). Keys whose default depends on the machine (processor count, memory, paths) are left out and listed.`;
  static override examples = [
    '<%= config.bin %> broker config diff broker-a broker-b',
    '<%= config.bin %> broker config diff broker-a 10.0.0.6:10911 --json',
    '<%= config.bin %> broker config diff broker-a --defaults',
  ];
  static override args = {
    a: Args.string({ required: true, description: 'First broker: name (its master) or address.' }),
    b: Args.string({ required: false, description: 'Second broker: name (its master) or address.' }),
  };
  static override flags = {
    ...connectionFlags,
    all: Flags.boolean({ summary: 'Also compare the keys that name the broker and its machine.' }),
    defaults: Flags.boolean({ summary: "Compare with the defaults of the broker's RocketMQ version." }),
  };

  async run(): Promise<BrokerConfigDiffResult> {
    if (this.flags.defaults === (this.args.b !== undefined)) {
      throw new InvalidArgumentError(
        this.flags.defaults
          ? 'give one broker with --defaults, not two'
          : 'name a second broker, or pass --defaults',
        { hint: 'rmq broker config diff A B, or rmq broker config diff A --defaults' },
      );
    }
    const r = await diffBrokerConfig(await this.admin(), {
      a: this.args.a,
      b: this.args.b,
      includeIdentity: this.flags.all,
      defaults: this.flags.defaults
        ? { cacheRoot: rocketmqCacheRoot(), onProgress: (m) => this.note(m) }
        : undefined,
    });
    this.log(renderConfigDiff(r));
    return r;
  }
}
