import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { connectionFlags } from '../../flags.js';
import { createGroup, type GroupCreateResult } from '../../services/group.js';

export default class GroupCreate extends BaseCommand<typeof GroupCreate> {
  static override summary = 'Create a consumer group, or update it if it exists (idempotent).';
  static override examples = [
    '<%= config.bin %> group create billing',
    '<%= config.bin %> group create billing --retry-max-times 3 --json',
    '<%= config.bin %> group create billing --topic orders --consume-mode pop',
  ];
  static override args = { group: Args.string({ required: true, description: 'Consumer group name.' }) };
  static override flags = {
    ...connectionFlags,
    cluster: Flags.string({
      char: 'c',
      summary: 'Create on every master of this cluster.',
      exclusive: ['broker'],
    }),
    broker: Flags.string({ char: 'b', summary: 'Create on this broker only (name or address).' }),
    'retry-max-times': Flags.integer({
      summary: 'Deliveries before a message goes to the DLQ (default 16).',
      min: 0,
    }),
    broadcast: Flags.boolean({ summary: 'Allow broadcast consumption.', allowNo: true }),
    orderly: Flags.boolean({ summary: 'Mark the group as an orderly consumer (5.x).', allowNo: true }),
    'consume-enable': Flags.boolean({ summary: 'Allow the group to consume.', allowNo: true }),
    'consume-mode': Flags.option({
      options: ['pop', 'pull'] as const,
      summary:
        "With --topic (RocketMQ 5.x): the group's Java push consumers that leave rebalancing to the broker (setClientRebalance(false)) POP that topic or pull it.",
      dependsOn: ['topic'],
    })(),
    topic: Flags.string({
      char: 't',
      summary: 'The topic --consume-mode applies to.',
      dependsOn: ['consume-mode'],
    }),
  };

  async run(): Promise<GroupCreateResult> {
    const mode = this.flags['consume-mode'];
    const r = await createGroup(await this.admin(), {
      group: this.args.group,
      cluster: this.flags.cluster,
      broker: this.flags.broker,
      retryMaxTimes: this.flags['retry-max-times'],
      broadcast: this.flags.broadcast,
      orderly: this.flags.orderly,
      consumeEnable: this.flags['consume-enable'],
      consumeMode: mode === undefined ? undefined : mode === 'pop' ? 'POP' : 'PULL',
      topic: this.flags.topic,
    });
    this.log(
      this.forStdout(`${r.action} group ${r.group} on ${r.brokers.map((b) => b.brokerName).join(', ')}`),
    );
    if (r.consumeMode) {
      this.log(
        this.forStdout(
          `consume mode of topic ${r.consumeMode.topic}: ${r.consumeMode.mode} on ${r.consumeMode.brokers.join(', ')}`,
        ),
      );
    }
    return r;
  }
}
