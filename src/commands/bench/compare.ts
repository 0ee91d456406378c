import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { type Comparison, compareResults } from '../../bench/compare.js';
import { readResult } from '../../bench/merge.js';
import { InvalidArgumentError } from '../../core/errors.js';
import { renderComparison } from '../../ui/bench-report.js';
import { stdoutColor } from '../../ui/color.js';
import { forTerminal } from '../../ui/terminal-text.js';

export default class BenchCompare extends BaseCommand<typeof BenchCompare> {
  static override summary =
    'Compare two bench results: per-metric deltas and a verdict that accounts for noise.';
  static override description =
    "Metrics with a per-interval series (send/receive TPS, p50 and p99 of send and e2e, errors) are judged by Welch's t-test on the two series: a change counts when |t| ≥ 2 and it is at least --threshold of the base. The other quantiles show their delta only. With --fail-on-regression the exit code is 99 when a metric got significantly worse.";
  static override examples = [
    '<%= config.bin %> bench compare base.json new.json',
    '<%= config.bin %> bench compare base.json new.json --fail-on-regression --threshold 5',
  ];
  static override args = {
    base: Args.string({ description: 'The baseline result.', required: true }),
    next: Args.string({ description: 'The result to judge.', required: true }),
  };
  static override flags = {
    threshold: Flags.string({ summary: 'Smallest change in % that counts.', default: '2' }),
    'fail-on-regression': Flags.boolean({ summary: 'Exit 99 when a metric got significantly worse.' }),
  };

  async run(): Promise<Comparison> {
    const pct = Number(this.flags.threshold);
    if (!(pct >= 0) || !Number.isFinite(pct)) {
      throw new InvalidArgumentError(
        `--threshold must be a percentage of 0 or more, got "${this.flags.threshold}"`,
        {
          hint: 'e.g. --threshold 5',
        },
      );
    }
    const cmp = compareResults(readResult(this.args.base), readResult(this.args.next), {
      threshold: pct / 100,
      names: [this.args.base, this.args.next],
    });
    if (!this.jsonEnabled())
      process.stdout.write(renderComparison(forTerminal(cmp), { color: stdoutColor().level > 0 }));
    if (this.flags['fail-on-regression'] && cmp.verdict === 'regression') this.setOutcome('slo-failed');
    return cmp;
  }
}
