import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { connectionFlags } from '../../flags.js';
import { planRecall, type RecallPlan } from '../../services/message-recall.js';
import { renderRecall } from '../../ui/message-recall.js';

export default class MessageRecall extends BaseCommand<typeof MessageRecall> {
  static override summary = 'Cancel a delayed (timer) message before it is delivered (RocketMQ 5.3.2+).';
  static override description = `Takes the recall handle that \`rmq send --delay …\` or \`--deliver-at …\` printed for the message (--json: recallHandle). The broker that stores the message marks it deleted in its timer, so it is never delivered. Only timer messages have a handle (not --delay-level ones), only brokers 5.3.2 and newer give one, and the broker must have recallMessageEnable=true (RocketMQ's default is false; \`rmq local up\` sets it; \`rmq broker config set <broker> recallMessageEnable=true --yes\` applies it at run time).

Prints the plan first; asks on a terminal; needs --yes otherwise; --dry-run prints the plan and changes nothing. Exits 2 for a malformed handle, a message already due, or a broker older than 5.3.2.`;
  static override examples = [
    '<%= config.bin %> message recall djEgb3JkZXJzIGJyb2tlci1hIDE3… --dry-run',
    '<%= config.bin %> message recall djEgb3JkZXJzIGJyb2tlci1hIDE3… --yes --json',
  ];
  static override args = {
    handle: Args.string({ required: true, description: 'The recall handle the send returned.' }),
  };
  static override flags = {
    ...connectionFlags,
    topic: Flags.string({ summary: 'Expected topic (the handle names it; a mismatch is refused).' }),
    yes: Flags.boolean({ char: 'y', summary: 'Do not ask for confirmation.' }),
    'dry-run': Flags.boolean({ summary: 'Print the plan only; change nothing.' }),
  };

  async run(): Promise<RecallPlan | undefined> {
    const dryRun = this.flags['dry-run'] === true;
    const { plan, apply } = await planRecall(await this.admin(), {
      handle: this.args.handle,
      topic: this.flags.topic,
    });
    const go = await this.confirmPlan(renderRecall(plan, false), {
      yes: this.flags.yes,
      dryRun,
      refusal: `refusing to recall message ${plan.msgId} without confirmation`,
    });
    if (!go) return dryRun ? plan : undefined;
    const r = await apply();
    this.log(renderRecall(r, true));
    return r;
  }
}
