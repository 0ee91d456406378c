import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../../base-command.js';
import { connectionFlags } from '../../../flags.js';
import { type KvChangeResult, planKvChange } from '../../../services/namesrv-kv.js';
import { renderKvChange } from '../../../ui/namesrv.js';

export default class NamesrvKvPut extends BaseCommand<typeof NamesrvKvPut> {
  static override summary =
    'Set a KV-config key on every name server, with a plan (old → new per name server).';
  static override description = `Every name server of --namesrv (or the profile) must answer: the plan shows each one's current value. Prints the plan first; asks on a terminal; needs --yes otherwise; --dry-run prints the plan and changes nothing. Each name server saves its kvConfig.json; the value is read back and the run exits 9 when one reads back otherwise.`;
  static override examples = [
    '<%= config.bin %> namesrv kv put --namespace my-app feature-x on --dry-run',
    '<%= config.bin %> namesrv kv put --namespace my-app feature-x on --yes --json',
  ];
  static override args = {
    key: Args.string({ required: true, description: 'Key.' }),
    value: Args.string({ required: true, description: 'Value.' }),
  };
  static override flags = {
    ...connectionFlags,
    namespace: Flags.string({ required: true, summary: 'KV namespace.' }),
    yes: Flags.boolean({ char: 'y', summary: 'Do not ask for confirmation.' }),
    'dry-run': Flags.boolean({ summary: 'Print the plan only; change nothing.' }),
  };

  async run(): Promise<KvChangeResult | undefined> {
    const dryRun = this.flags['dry-run'] === true;
    const { plan, apply } = await planKvChange(await this.admin(), {
      action: 'put',
      namespace: this.flags.namespace,
      key: this.args.key,
      value: this.args.value,
      dryRun,
    });
    if (plan.changes === 0) {
      this.logLines(renderKvChange(plan, false));
      return plan;
    }
    const go = await this.confirmPlan(renderKvChange(plan, false), {
      yes: this.flags.yes,
      dryRun,
      refusal: `refusing to put ${plan.namespace}/${plan.key} without confirmation`,
    });
    if (!go) return dryRun ? plan : undefined;
    const r = await apply();
    this.logLines(renderKvChange(r, true));
    if (r.namesrvs.some((n) => n.changed && !n.applied)) this.setOutcome('check-failed');
    return r;
  }
}
