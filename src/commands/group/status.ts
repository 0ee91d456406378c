import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { connectionFlags } from '../../flags.js';
import { type GroupStatusResult, groupStatus } from '../../services/connections.js';
import { renderGroupStatus } from '../../ui/connections.js';

export default class GroupStatus extends BaseCommand<typeof GroupStatus> {
  static override summary =
    "Each consumer's running info: per-queue committed offset and cached messages, consume RT and TPS.";
  static override description =
    "The request goes through a broker to each client (Java clients, and rmq's own consumer, answer it); a client that does not answer within the broker's 10 s is shown with the reason and the command still exits 0. --jstack asks Java clients for a thread dump as well.";
  static override examples = [
    '<%= config.bin %> group status billing',
    '<%= config.bin %> group status billing --client 10.0.0.5@4711#1 --jstack',
  ];
  static override args = { group: Args.string({ required: true, description: 'Consumer group name.' }) };
  static override flags = {
    ...connectionFlags,
    client: Flags.string({ summary: 'Only this client id (see `rmq group clients`).' }),
    jstack: Flags.boolean({ summary: "Include the client's thread dump (Java clients)." }),
  };

  async run(): Promise<GroupStatusResult> {
    const r = await groupStatus(await this.admin(), {
      group: this.args.group,
      client: this.flags.client,
      jstack: this.flags.jstack === true,
    });
    this.log(renderGroupStatus(r));
    return r;
  }
}
