import { Args, Flags } from '@oclif/core';
import { connectionFlags } from '../../flags.js';
import { OffsetPlanCommand, offsetPlanFlags } from '../../offset-command.js';
import { type OffsetPlanResult, planCopyOffsets } from '../../services/offsets.js';

export default class GroupCopyOffsets extends OffsetPlanCommand<typeof GroupCopyOffsets> {
  static override summary = "Give a group another group's offsets: prints the plan; --execute applies it.";
  static override description =
    'Queue by queue, the committed offsets of <from> become those of <to> (both groups must exist). Without --topic, every topic <from> has committed offsets for; queues where <from> has none are left alone. The same plan, --execute/--yes and --export as `group reset`.';
  static override examples = [
    '<%= config.bin %> group copy-offsets billing billing-v2 --topic orders',
    '<%= config.bin %> group copy-offsets billing billing-v2 --execute --yes --json',
  ];
  static override args = {
    from: Args.string({ required: true, description: 'The group whose offsets are copied.' }),
    to: Args.string({ required: true, description: 'The group that gets them.' }),
  };
  static override flags = {
    ...connectionFlags,
    topic: Flags.string({ char: 't', summary: 'Only this topic.' }),
    ...offsetPlanFlags,
  };

  async run(): Promise<OffsetPlanResult | undefined> {
    const admin = await this.admin();
    return this.carryOut(
      () => planCopyOffsets(admin, { from: this.args.from, to: this.args.to, topic: this.flags.topic }),
      this.flags,
    );
  }
}
