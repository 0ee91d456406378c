import { Args, Flags } from '@oclif/core';
import { connectionFlags } from '../../flags.js';
import { OffsetPlanCommand, offsetPlanFlags } from '../../offset-command.js';
import { type OffsetPlanResult, planGroupReset, resetTargetFromFlags } from '../../services/offsets.js';

export default class GroupReset extends OffsetPlanCommand<typeof GroupReset> {
  static override summary = "Move a group's offsets on a topic: prints the plan; --execute applies it.";
  static override description = `One target: --to-time, --to-first, --to-last, --to-offset, --shift-by or --from-file. The plan shows each queue's committed offset → new offset, the queue's min and max, and the messages replayed (+) or skipped (−); an offset outside [min, max] is clamped and the plan says so.

Nothing changes without --execute (or --yes). --execute asks on a terminal; --yes does not. Works whether the group's consumers are running or not: a broker with server-side reset (RocketMQ 5.2+, the default there) resets the queues itself and running consumers move at their next pull; on 4.9 (and 5.0/5.1 by default) a stopped group's offsets are committed, and a running group can only be moved by time (--to-time, --to-first, --to-last), which the broker relays to its consumers.

--export FILE writes the plan as CSV or JSON (by extension); --from-file FILE applies such a file (only the queues it lists; each row is checked, the first bad one is named).`;
  static override examples = [
    '<%= config.bin %> group reset billing --topic orders --to-time 2026-11-22T10:00:00Z',
    '<%= config.bin %> group reset billing --topic orders --shift-by=-100 --execute',
    '<%= config.bin %> group reset billing --topic orders --to-first --export plan.csv',
    '<%= config.bin %> group reset billing --from-file plan.csv --execute --yes --json',
  ];
  static override args = { group: Args.string({ required: true, description: 'Consumer group name.' }) };
  static override flags = {
    ...connectionFlags,
    topic: Flags.string({ char: 't', summary: 'The topic whose offsets move (optional with --from-file).' }),
    'to-time': Flags.string({ summary: 'The first message stored at or after this time (ISO or epoch ms).' }),
    'to-first': Flags.boolean({ summary: "Each queue's first offset (replay everything kept)." }),
    'to-last': Flags.boolean({ summary: "Each queue's max offset (skip everything)." }),
    'to-offset': Flags.integer({ summary: 'This offset on every queue (clamped to each queue).' }),
    'shift-by': Flags.integer({
      summary: 'Move by N (negative: back, replays); write --shift-by=-N for a negative N.',
    }),
    'from-file': Flags.string({
      summary: 'A plan file (CSV or JSON) as --export writes it.',
      helpValue: 'FILE',
    }),
    ...offsetPlanFlags,
  };

  async run(): Promise<OffsetPlanResult | undefined> {
    const f = this.flags;
    const target = await resetTargetFromFlags({
      toTime: f['to-time'],
      toFirst: f['to-first'],
      toLast: f['to-last'],
      toOffset: f['to-offset'],
      shiftBy: f['shift-by'],
      fromFile: f['from-file'],
    });
    const admin = await this.admin();
    return this.carryOut(() => planGroupReset(admin, { group: this.args.group, topic: f.topic, target }), f);
  }
}
