import { writeFileSync } from 'node:fs';
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { readResult } from '../../bench/merge.js';
import { renderPlotHtml, renderPlotSvg } from '../../bench/plot.js';

/** What `rmq bench plot --json` prints. */
export interface BenchPlotResult {
  /** The file written. */
  out: string;
  /** Its size in bytes. */
  bytes: number;
}

export default class BenchPlot extends BaseCommand<typeof BenchPlot> {
  static override summary =
    'Chart a bench result: latency by percentile, TPS and p99 over time (HTML or SVG).';
  static override description =
    'Writes a self-contained file (no scripts, no external assets): .svg for the charts alone, anything else for an HTML page with the parameters.';
  static override examples = [
    '<%= config.bin %> bench plot result.json --out result.html',
    '<%= config.bin %> bench plot result.json --out result.svg',
  ];
  static override args = {
    file: Args.string({ description: 'A `rmq bench --json` result.', required: true }),
  };
  static override flags = {
    out: Flags.string({ char: 'o', summary: 'Output file (.html or .svg).', required: true }),
  };

  async run(): Promise<BenchPlotResult> {
    const r = readResult(this.args.file);
    const text = this.flags.out.toLowerCase().endsWith('.svg') ? renderPlotSvg(r) : renderPlotHtml(r);
    writeFileSync(this.flags.out, text);
    this.log(`wrote ${this.flags.out}`);
    return { out: this.flags.out, bytes: Buffer.byteLength(text) };
  }
}
