import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { connectionFlags } from '../../flags.js';
import { type BrokerPermResult, planBrokerPerm } from '../../services/broker-perm.js';
import { renderBrokerPerm } from '../../ui/perm.js';

export default class BrokerPerm extends BaseCommand<typeof BrokerPerm> {
  static override summary =
    'Make a master broker read-only (producers stop sending to it) or read-write again.';
  static override description = `Sets the broker's brokerPermission (what mqadmin updateBrokerConfig -k brokerPermission does), not only the name servers' routes (mqadmin wipeWritePerm): the broker reports its topics read-only to the name servers at once and at every registration, so producers send elsewhere, and it keeps the setting across restarts of itself and of the name servers. It refuses sends to ordered topics; consumers keep reading it, so its messages drain.

Prints the plan first; asks on a terminal; needs --yes otherwise; --dry-run prints the plan and changes nothing. Exits 9 when the broker reads back another value.`;
  static override examples = [
    '<%= config.bin %> broker perm broker-a --read-only --dry-run',
    '<%= config.bin %> broker perm broker-a --read-only --yes',
    '<%= config.bin %> broker perm broker-a --read-write --yes --json',
  ];
  static override args = {
    broker: Args.string({ required: true, description: 'Broker name (its master) or master address.' }),
  };
  static override flags = {
    ...connectionFlags,
    'read-only': Flags.boolean({
      summary: 'Refuse sends; keep serving reads.',
      exactlyOne: ['read-only', 'read-write'],
    }),
    'read-write': Flags.boolean({ summary: 'Take sends again.', exactlyOne: ['read-only', 'read-write'] }),
    yes: Flags.boolean({ char: 'y', summary: 'Do not ask for confirmation.' }),
    'dry-run': Flags.boolean({ summary: 'Print the plan only; change nothing.' }),
  };

  async run(): Promise<BrokerPermResult | undefined> {
    const dryRun = this.flags['dry-run'] === true;
    const { plan, apply } = await planBrokerPerm(await this.admin(), {
      broker: this.args.broker,
      mode: this.flags['read-only'] ? 'read-only' : 'read-write',
      dryRun,
    });
    if (!plan.changed) {
      this.logLines(renderBrokerPerm(plan, false));
      return plan;
    }
    const go = await this.confirmPlan(renderBrokerPerm(plan, false), {
      yes: this.flags.yes,
      dryRun,
      refusal: `refusing to make broker ${plan.broker.brokerName} ${plan.mode} without confirmation`,
    });
    if (!go) return dryRun ? plan : undefined;
    const r = await apply();
    this.logLines(renderBrokerPerm(r, true));
    if (!r.applied) this.setOutcome('check-failed');
    return r;
  }
}
