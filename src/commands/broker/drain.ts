import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { InvalidArgumentError } from '../../core/errors.js';
import { connectionFlags, duration } from '../../flags.js';
import { type BrokerDrainResult, planBrokerDrain } from '../../services/broker-drain.js';
import { renderDrainPlan, renderDrainReport } from '../../ui/drain.js';

export default class BrokerDrain extends BaseCommand<typeof BrokerDrain> {
  static override summary =
    'Take a master out of service: make it read-only, then wait until every consumer group has read everything on it.';
  static override description = `Takes write permission away as \`rmq broker perm --read-only\` does (the broker's brokerPermission): producers stop choosing the broker as their routes refresh, and consumers keep reading it. Then waits, with progress on stderr, until every group with an online consumer has lag 0 on the broker's queues, the settle period (--settle, clients' route refresh) has passed, and no new message arrived there since the previous look. Groups with no online consumer cannot catch up: they are reported with their lag, not waited for.

Reports per group the lag at start, when it drained and the final lag. Prints the plan first; asks on a terminal; needs --yes otherwise; --dry-run prints the plan (with each group's lag now) and changes nothing. Exit 0: drained. Exit 4: the wait ran out with lag left (the broker stays read-only). Exit 9: the broker read back another permission. Undo with \`rmq broker undrain\`.`;
  static override examples = [
    '<%= config.bin %> broker drain broker-b --dry-run',
    '<%= config.bin %> broker drain broker-b --yes --wait 30m',
    '<%= config.bin %> broker drain broker-b --yes --json | jq ".groups[] | {group, finalLag}"',
  ];
  static override args = {
    broker: Args.string({ required: true, description: 'Broker name (its master) or master address.' }),
  };
  static override flags = {
    ...connectionFlags,
    wait: duration({
      summary: 'Longest wait for the groups to catch up (--timeout is the per-request timeout).',
      default: 600_000,
      defaultHelp: async () => '10m',
    }),
    settle: duration({
      summary: 'Do not call it drained before this long after the change: clients refresh routes every 30 s.',
      default: 30_000,
      defaultHelp: async () => '30s',
    }),
    yes: Flags.boolean({ char: 'y', summary: 'Do not ask for confirmation.' }),
    'dry-run': Flags.boolean({ summary: 'Print the plan only; change nothing.' }),
  };

  async run(): Promise<BrokerDrainResult | undefined> {
    const dryRun = this.flags['dry-run'] === true;
    if (this.flags.settle > this.flags.wait) {
      throw new InvalidArgumentError('--settle is longer than --wait: the drain could never end in time');
    }
    const { plan, apply } = await planBrokerDrain(await this.admin(), {
      broker: this.args.broker,
      waitMs: this.flags.wait,
      settleMs: this.flags.settle,
      dryRun,
    });
    const text = renderDrainPlan(plan);
    if (plan.permissionChanged) {
      const go = await this.confirmPlan(text, {
        yes: this.flags.yes,
        dryRun,
        refusal: `refusing to drain broker ${plan.broker.brokerName} without confirmation`,
      });
      if (!go) return dryRun ? plan : undefined;
    } else if (dryRun) {
      this.logLines(text);
      return plan;
    } else if (!this.jsonEnabled()) {
      process.stderr.write(`${text}\n`);
    }
    const progress = await this.progress(`draining ${plan.broker.brokerName}`);
    let r: BrokerDrainResult;
    try {
      r = await apply({ onProgress: (t) => progress.update(t), signal: this.interruptSignal() });
    } finally {
      progress.stop();
    }
    this.logLines(renderDrainReport(r));
    if (r.permissionApplied === false) this.setOutcome('check-failed');
    else if (!r.drained) this.setOutcome('timeout');
    return r;
  }
}
