import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { connectionFlags } from '../../flags.js';
import { type BrokerPermResult, planBrokerPerm } from '../../services/broker-perm.js';
import { renderBrokerPerm } from '../../ui/perm.js';

export default class BrokerUndrain extends BaseCommand<typeof BrokerUndrain> {
  static override summary = 'Put a drained master back in service: give it write permission again.';
  static override description = `What \`rmq broker perm --read-write\` does: the broker reports its topics with their own permissions to the name servers, and producers send to it again as their routes refresh (within 30 s). Prints the plan first; asks on a terminal; needs --yes otherwise; --dry-run prints the plan and changes nothing. Exits 9 when the broker reads back another value.`;
  static override examples = [
    '<%= config.bin %> broker undrain broker-b --yes',
    '<%= config.bin %> broker undrain broker-b --dry-run',
  ];
  static override args = {
    broker: Args.string({ required: true, description: 'Broker name (its master) or master address.' }),
  };
  static override flags = {
    ...connectionFlags,
    yes: Flags.boolean({ char: 'y', summary: 'Do not ask for confirmation.' }),
    'dry-run': Flags.boolean({ summary: 'Print the plan only; change nothing.' }),
  };

  async run(): Promise<BrokerPermResult | undefined> {
    const dryRun = this.flags['dry-run'] === true;
    const { plan, apply } = await planBrokerPerm(await this.admin(), {
      broker: this.args.broker,
      mode: 'read-write',
      dryRun,
    });
    if (!plan.changed) {
      this.logLines(renderBrokerPerm(plan, false));
      return plan;
    }
    const go = await this.confirmPlan(renderBrokerPerm(plan, false), {
      yes: this.flags.yes,
      dryRun,
      refusal: `refusing to undrain broker ${plan.broker.brokerName} without confirmation`,
    });
    if (!go) return dryRun ? plan : undefined;
    const r = await apply();
    this.logLines(renderBrokerPerm(r, true));
    if (!r.applied) this.setOutcome('check-failed');
    return r;
  }
}
