import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { InvalidArgumentError } from '../../core/errors.js';
import { connectionFlags } from '../../flags.js';
import { deleteGroup } from '../../services/group.js';
import { confirm } from '../../ui/confirm.js';

/** What `rmq group delete --json` prints (the shape deleteGroup returns). */
export interface GroupDeleteResult {
  group: string;
  deleted: true;
  /** The brokers it was deleted from. */
  brokers: { cluster: string; brokerName: string; address: string }[];
}

export default class GroupDelete extends BaseCommand<typeof GroupDelete> {
  static override summary = 'Delete a consumer group and its offsets.';
  static override description = 'Asks for confirmation on a terminal; needs --yes when not interactive.';
  static override examples = ['<%= config.bin %> group delete billing --yes'];
  static override args = { group: Args.string({ required: true, description: 'Consumer group name.' }) };
  static override flags = {
    ...connectionFlags,
    yes: Flags.boolean({ char: 'y', summary: 'Do not ask for confirmation.' }),
    cluster: Flags.string({ char: 'c', summary: 'Delete only from this cluster.' }),
  };

  async run(): Promise<GroupDeleteResult | undefined> {
    const { group } = this.args;
    if (!this.flags.yes) {
      if (!process.stdin.isTTY || this.jsonEnabled()) {
        throw new InvalidArgumentError(`refusing to delete group "${group}" without confirmation`, {
          hint: 'pass --yes when running non-interactively',
        });
      }
      if (!(await confirm(`Delete consumer group ${group} and its offsets?`))) {
        this.log('aborted');
        return undefined;
      }
    }
    const r = await deleteGroup(await this.admin(), group, { cluster: this.flags.cluster });
    this.log(this.forStdout(`deleted group ${group} from ${r.brokers.map((b) => b.brokerName).join(', ')}`));
    return r;
  }
}
