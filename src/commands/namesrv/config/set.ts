import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../../base-command.js';
import { connectionFlags } from '../../../flags.js';
import { parseAssignments } from '../../../services/config-plan.js';
import { type NamesrvConfigSetResult, planNamesrvConfigSet } from '../../../services/namesrv.js';
import { renderNamesrvConfigPlan } from '../../../ui/namesrv.js';

export default class NamesrvConfigSet extends BaseCommand<typeof NamesrvConfigSet> {
  static override summary =
    'Change the configuration of every name server: shows old → new per name server and which keys take effect now, then applies.';
  static override description = `Every name server of --namesrv (or the profile) is changed, one after the other; each must answer, since the plan shows its current values. Prints the plan first; asks on a terminal; needs --yes otherwise; --dry-run prints the plan and changes nothing.

Unknown keys, keys the name server refuses (configBlackList, configStorePath, kvConfigPath, rocketmqHome and its own configBlackList) and values of the wrong type exit 2 before anything is sent. Each name server rewrites its config file with all its keys. After the change each one's configuration is read back; exits 9 when a key reads back otherwise.`;
  static override strict = false;
  static override examples = [
    '<%= config.bin %> namesrv config set orderMessageEnable=true --dry-run',
    '<%= config.bin %> namesrv config set waitSecondsForService=30 --yes --json',
  ];
  static override args = {
    assignments: Args.string({ required: false, description: 'KEY=VALUE pairs (any number).' }),
  };
  static override flags = {
    ...connectionFlags,
    yes: Flags.boolean({ char: 'y', summary: 'Do not ask for confirmation.' }),
    'dry-run': Flags.boolean({ summary: 'Print the plan only; change nothing.' }),
  };

  async run(): Promise<NamesrvConfigSetResult | undefined> {
    const { argv } = await this.parse(NamesrvConfigSet);
    const dryRun = this.flags['dry-run'] === true;
    const { plan, apply } = await planNamesrvConfigSet(await this.admin(), {
      assignments: parseAssignments(argv.map(String), 'orderMessageEnable=true'),
      dryRun,
    });
    if (plan.changes === 0) {
      this.logLines(renderNamesrvConfigPlan(plan, false));
      return plan;
    }
    const go = await this.confirmPlan(renderNamesrvConfigPlan(plan, false), {
      yes: this.flags.yes,
      dryRun,
      refusal: `refusing to change the configuration of ${plan.namesrvs.length === 1 ? 'the name server' : `${plan.namesrvs.length} name servers`} without confirmation`,
    });
    if (!go) return dryRun ? plan : undefined;
    const r = await apply();
    this.logLines(renderNamesrvConfigPlan(r, true));
    if (r.namesrvs.some((n) => (n.applied ?? []).some((a) => !a.ok))) this.setOutcome('check-failed');
    return r;
  }
}
