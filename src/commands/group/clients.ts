import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { connectionFlags } from '../../flags.js';
import { type GroupClientsResult, groupClients } from '../../services/connections.js';
import { renderGroupClients } from '../../ui/connections.js';

export default class GroupClients extends BaseCommand<typeof GroupClients> {
  static override summary = "A consumer group's connected clients, and whether they all subscribe alike.";
  static override description =
    "Lists each client (id, address, language, version, brokers it is connected to) with the group's consume type, message model and where it starts. Each client is also asked, through a broker, for its own subscriptions: the brokers keep only one subscription table per group (the last heartbeat wins), so members that disagree show only this way. A mismatch is flagged (subscriptionsConsistent false) but exits 0. A group that does not exist exits 6; a group with nobody online is not an error.";
  static override examples = [
    '<%= config.bin %> group clients billing',
    '<%= config.bin %> group clients billing --json | jq .subscriptionsConsistent',
  ];
  static override args = { group: Args.string({ required: true, description: 'Consumer group name.' }) };
  static override flags = { ...connectionFlags };

  async run(): Promise<GroupClientsResult> {
    const r = await groupClients(await this.admin(), { group: this.args.group });
    this.log(renderGroupClients(r));
    return r;
  }
}
