import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { connectionFlags } from '../../flags.js';
import { PERM_CHOICES, planTopicUpdate, type TopicUpdateResult } from '../../services/topic-update.js';
import { renderTopicUpdate } from '../../ui/perm.js';

export default class TopicUpdate extends BaseCommand<typeof TopicUpdate> {
  static override summary = "Change a topic's permission or queue counts on every broker that has it.";
  static override description = `Prints the plan first: per broker, the permission and read/write queue counts old → new, and what a queue-count change means for messages (queues no longer read, or written but not read). Asks on a terminal; needs --yes otherwise; --dry-run prints the plan and changes nothing.

--perm r makes the topic read-only: the name servers route it so, and producers stop sending to it (RocketMQ brokers do not check a topic's write permission on send: a client still holding the old route may write until it refreshes, 30 s for Java); consumers keep reading. --perm w stops reads: brokers refuse pulls (NO_PERMISSION). --perm rw restores it. Fields not named keep each broker's own value. Exits 9 when a broker reads back other values than planned.`;
  static override examples = [
    '<%= config.bin %> topic update orders --perm r --dry-run',
    '<%= config.bin %> topic update orders --perm rw --yes',
    '<%= config.bin %> topic update orders --read-queues 16 --write-queues 16 --yes --json',
  ];
  static override args = { topic: Args.string({ required: true, description: 'Topic name.' }) };
  static override flags = {
    ...connectionFlags,
    perm: Flags.option({
      options: PERM_CHOICES,
      summary: 'Permission: rw, r (read-only), w (write-only) or - (neither).',
    })(),
    'read-queues': Flags.integer({ summary: 'Read queue count.' }),
    'write-queues': Flags.integer({ summary: 'Write queue count.' }),
    yes: Flags.boolean({ char: 'y', summary: 'Do not ask for confirmation.' }),
    'dry-run': Flags.boolean({ summary: 'Print the plan only; change nothing.' }),
  };

  async run(): Promise<TopicUpdateResult | undefined> {
    const dryRun = this.flags['dry-run'] === true;
    const { plan, apply } = await planTopicUpdate(await this.admin(), {
      topic: this.args.topic,
      perm: this.flags.perm,
      readQueues: this.flags['read-queues'],
      writeQueues: this.flags['write-queues'],
      dryRun,
    });
    if (plan.changes === 0) {
      this.logLines(renderTopicUpdate(plan, false));
      return plan;
    }
    const go = await this.confirmPlan(renderTopicUpdate(plan, false), {
      yes: this.flags.yes,
      dryRun,
      refusal: `refusing to update topic ${plan.topic} without confirmation`,
    });
    if (!go) return dryRun ? plan : undefined;
    const r = await apply();
    this.logLines(renderTopicUpdate(r, true));
    if (r.brokers.some((b) => b.changed && !b.applied)) this.setOutcome('check-failed');
    return r;
  }
}
