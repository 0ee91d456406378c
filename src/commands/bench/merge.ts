import { writeFileSync } from 'node:fs';
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { mergeResults, readResult } from '../../bench/merge.js';
import type { BenchResult } from '../../bench/result.js';
import { evaluateSlos, parseSlo } from '../../bench/slo.js';
import { renderBenchReport } from '../../ui/bench-report.js';
import { stdoutColor } from '../../ui/color.js';
import { forTerminal } from '../../ui/terminal-text.js';

export default class BenchMerge extends BaseCommand<typeof BenchMerge> {
  static override summary = 'Combine bench results from several hosts: histograms added, rates summed.';
  static override description =
    'Each file is a `rmq bench --json` result. Latency histograms are added exactly; counts and rates are summed; intervals are aligned by index (start the runs together, with the same --interval). --slo evaluates thresholds on the combined result (exit 99 when one fails).';
  static override examples = [
    '<%= config.bin %> bench merge host-a.json host-b.json --out all.json',
    "<%= config.bin %> bench merge *.json --slo 'p99(send)<20ms' --slo 'tps>=50000'",
  ];
  static override strict = false;
  static override args = { files: Args.string({ description: 'Result files.', required: true }) };
  static override flags = {
    out: Flags.string({ char: 'o', summary: 'Also write the combined result (JSON) to this file.' }),
    slo: Flags.string({ summary: 'Threshold on the combined result (repeatable).', multiple: true }),
  };

  async run(): Promise<BenchResult> {
    const { argv } = await this.parse(BenchMerge);
    const files = argv.map(String);
    const slos = (this.flags.slo ?? []).map(parseSlo);
    const { result, histograms } = mergeResults(files.map(readResult));
    if (slos.length > 0) {
      result.slo = evaluateSlos(slos, result, (n) => histograms[n]);
      if (!result.slo.passed) this.setOutcome('slo-failed');
    }
    if (this.flags.out) writeFileSync(this.flags.out, `${JSON.stringify(result, null, 2)}\n`);
    if (!this.jsonEnabled())
      process.stdout.write(renderBenchReport(forTerminal(result), { color: stdoutColor().level > 0 }));
    return result;
  }
}
