import { Args, Flags } from '@oclif/core';
import { connectionFlags } from '../../flags.js';
import { OffsetPlanCommand, offsetPlanFlags } from '../../offset-command.js';
import { type OffsetPlanResult, planGroupSkip } from '../../services/offsets.js';

export default class GroupSkip extends OffsetPlanCommand<typeof GroupSkip> {
  static override summary =
    "Skip a group's backlog (every queue to its max offset): prints the plan; --execute applies it.";
  static override description =
    'Without --topic, every topic the group has committed offsets for (not its retry topic). The same plan, --execute/--yes and --export as `group reset --to-last`.';
  static override examples = [
    '<%= config.bin %> group skip billing --topic orders',
    '<%= config.bin %> group skip billing --execute --yes',
  ];
  static override args = { group: Args.string({ required: true, description: 'Consumer group name.' }) };
  static override flags = {
    ...connectionFlags,
    topic: Flags.string({ char: 't', summary: 'Only this topic.' }),
    ...offsetPlanFlags,
  };

  async run(): Promise<OffsetPlanResult | undefined> {
    const admin = await this.admin();
    return this.carryOut(
      () => planGroupSkip(admin, { group: this.args.group, topic: this.flags.topic }),
      this.flags,
    );
  }
}
