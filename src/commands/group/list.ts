import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { connectionFlags } from '../../flags.js';
import { type GroupListItem, listGroups } from '../../services/group.js';
import { renderTable } from '../../ui/table.js';

/** What `rmq group list --json` prints. */
export interface GroupListResult {
  groups: GroupListItem[];
}

export default class GroupList extends BaseCommand<typeof GroupList> {
  static override summary = 'List consumer groups.';
  static override examples = ['<%= config.bin %> group list', '<%= config.bin %> group list --system --json'];
  static override flags = {
    ...connectionFlags,
    cluster: Flags.string({ char: 'c', summary: 'Only groups on this cluster.' }),
    system: Flags.boolean({ summary: 'Include system groups.' }),
  };

  async run(): Promise<GroupListResult> {
    const r = await listGroups(await this.admin(), {
      cluster: this.flags.cluster,
      system: this.flags.system,
    });
    this.log(
      renderTable(
        ['GROUP', 'RETRY MAX', 'BROADCAST', 'ORDERLY', 'ENABLED', 'BROKERS'],
        r.groups.map((g) => [
          g.name,
          g.retryMaxTimes,
          g.broadcast,
          g.orderly,
          g.consumeEnable,
          g.brokers.join(','),
        ]),
      ),
    );
    return r;
  }
}
