import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { readResult } from '../../bench/merge.js';
import { capacityPlan } from '../../bench/plan.js';
import type { CapacityPlan } from '../../bench/result.js';
import { InvalidArgumentError } from '../../core/errors.js';
import { renderPlan } from '../../ui/bench-report.js';
import { stdoutColor } from '../../ui/color.js';

export default class BenchPlan extends BaseCommand<typeof BenchPlan> {
  static override summary = "Capacity plan from a bench result for a target peak rate (Little's law).";
  static override description =
    'From the measured throughput and mean send latency: requests in flight = rate × latency, then producers, consumers, queues and brokers for the target, each shown with its arithmetic.';
  static override examples = ['<%= config.bin %> bench plan result.json --target 50000'];
  static override args = {
    file: Args.string({ description: 'A `rmq bench --json` result.', required: true }),
  };
  static override flags = {
    target: Flags.string({ char: 't', summary: 'Peak msg/s to plan for.', required: true }),
  };

  async run(): Promise<CapacityPlan> {
    const target = Number(this.flags.target);
    if (!(target > 0))
      throw new InvalidArgumentError('--target must be a rate above 0', { hint: 'e.g. --target 50000' });
    const plan = capacityPlan(readResult(this.args.file), target);
    if (!plan) {
      throw new InvalidArgumentError('the result has no acknowledged sends to plan from', {
        hint: 'plan from a run that sent messages',
      });
    }
    if (!this.jsonEnabled()) process.stdout.write(renderPlan(plan, { color: stdoutColor().level > 0 }));
    return plan;
  }
}
