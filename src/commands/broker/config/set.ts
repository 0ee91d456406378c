import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../../base-command.js';
import { InvalidArgumentError } from '../../../core/errors.js';
import { ExitCode } from '../../../exit-codes.js';
import { connectionFlags } from '../../../flags.js';
import {
  type BrokerConfigSetResult,
  parseAssignments,
  planBrokerConfigSet,
} from '../../../services/broker.js';
import { renderConfigPlan } from '../../../ui/broker.js';
import { confirm } from '../../../ui/confirm.js';

export default class BrokerConfigSet extends BaseCommand<typeof BrokerConfigSet> {
  static override summary =
    "Change a broker's configuration: shows old → new and which keys take effect now, then applies.";
  static override description = `Prints the plan first: each key's old and new value, whether the running broker applies it at once or only after a restart, and the file the broker rewrites (it writes all of its keys there, not only these). Asks on a terminal; needs --yes otherwise; --dry-run prints the plan and changes nothing.

Unknown keys, keys the broker refuses (brokerConfigPath, rocketmqHome, configBlackList) and values of the wrong type (a word for a number, anything but true/false for a flag) exit 2 before anything is sent. After the change the configuration is read back and each key checked.`;
  static override strict = false;
  static override examples = [
    '<%= config.bin %> broker config set broker-a fileReservedTime=48 --dry-run',
    '<%= config.bin %> broker config set broker-a autoCreateTopicEnable=false --yes --json',
  ];
  static override args = {
    broker: Args.string({ required: true, description: 'Broker name (its master) or address.' }),
    assignments: Args.string({ required: false, description: 'KEY=VALUE pairs (any number).' }),
  };
  static override flags = {
    ...connectionFlags,
    yes: Flags.boolean({ char: 'y', summary: 'Do not ask for confirmation.' }),
    'dry-run': Flags.boolean({ summary: 'Print the plan only; change nothing.' }),
  };

  async run(): Promise<BrokerConfigSetResult | undefined> {
    const { argv } = await this.parse(BrokerConfigSet);
    const assignments = parseAssignments(argv.map(String).slice(1));
    const dryRun = this.flags['dry-run'];
    const { plan, apply } = await planBrokerConfigSet(await this.admin(), {
      broker: this.args.broker,
      assignments,
      dryRun,
    });
    const text = renderConfigPlan(plan);
    if (dryRun || plan.changes.length === 0) {
      this.log(this.forStdout(text));
      return plan;
    }
    if (!this.flags.yes) {
      if (!process.stdin.isTTY || this.jsonEnabled()) {
        throw new InvalidArgumentError(
          `refusing to change broker ${plan.broker.brokerName} without confirmation`,
          {
            hint: 'pass --yes when running non-interactively, or --dry-run to see the plan',
          },
        );
      }
      process.stderr.write(`${text}\n`);
      if (!(await confirm('Apply?'))) {
        this.log('aborted');
        return undefined;
      }
    } else {
      this.note(text);
    }
    const r = await apply();
    const failed = (r.applied ?? []).filter((a) => !a.ok);
    this.log(
      this.forStdout(
        failed.length === 0
          ? `updated ${r.changes.length} key${r.changes.length === 1 ? '' : 's'} on ${r.broker.brokerName}`
          : `the broker reports other values for ${failed.map((f) => `${f.key}=${f.value}`).join(', ')}`,
      ),
    );
    if (failed.length > 0) process.exitCode = ExitCode.CHECK_FAILED;
    return r;
  }
}
