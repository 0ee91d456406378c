/**
 * What `group reset`, `group skip` and `group copy-offsets` share: a plan is printed and applied
 * only when asked. Like kafka-consumer-groups, a plan is all they do by default; --execute
 * applies it (asking first on a terminal unless --yes; --yes alone also applies, as the other
 * plan commands take it). --dry-run says "plan only" explicitly and contradicts both.
 */
import { type Command, Flags } from '@oclif/core';
import { writeFile } from 'node:fs/promises';
import { BaseCommand } from './base-command.js';
import { InvalidArgumentError } from './core/errors.js';
import { ExitCode } from './exit-codes.js';
import { exportPlanText, type OffsetPlanResult, type PlannedOffsets } from './services/offsets.js';
import { confirm } from './ui/confirm.js';
import { renderApplied, renderOffsetPlan } from './ui/offsets.js';

export const offsetPlanFlags = {
  execute: Flags.boolean({ summary: 'Apply the plan (without it, or with --dry-run, nothing changes).' }),
  yes: Flags.boolean({ char: 'y', summary: 'Apply without asking (implies --execute).' }),
  'dry-run': Flags.boolean({ summary: 'Print the plan only (the default).' }),
  export: Flags.string({
    summary: 'Also write the plan to FILE (.csv or .json), for --from-file.',
    helpValue: 'FILE',
  }),
};

export abstract class OffsetPlanCommand<T extends typeof Command> extends BaseCommand<T> {
  protected async carryOut(
    planned: () => Promise<PlannedOffsets>,
    f: { execute: boolean; yes: boolean; 'dry-run': boolean; export?: string | undefined },
  ): Promise<OffsetPlanResult | undefined> {
    if (f['dry-run'] && (f.execute || f.yes)) {
      throw new InvalidArgumentError(`--dry-run contradicts ${f.execute ? '--execute' : '--yes'}`);
    }
    const { plan, apply } = await planned();
    if (f.export) {
      try {
        await writeFile(f.export, exportPlanText(plan, f.export));
      } catch (err) {
        if (err instanceof InvalidArgumentError) throw err;
        throw new InvalidArgumentError(`cannot write ${f.export}: ${(err as Error).message}`);
      }
      plan.exported = f.export;
    }
    const text = this.forStdout(renderOffsetPlan(plan));
    if (!f.execute && !f.yes) {
      this.log(text);
      if (f.export) this.log(`plan written to ${f.export}`);
      // With --json the document says so itself (executed: false); this is not a warning.
      if (!this.jsonEnabled())
        process.stderr.write('dry run: nothing changed (--execute applies the plan)\n');
      return plan;
    }
    if (!f.yes && process.stdin.isTTY && !this.jsonEnabled()) {
      process.stderr.write(`${text}\n`);
      if (!(await confirm('Apply?'))) {
        this.log('aborted');
        return undefined;
      }
    } else {
      this.log(text);
    }
    const r = await apply();
    this.log(this.forStdout(renderApplied(r)));
    if ((r.applied ?? []).some((a) => !a.ok)) process.exitCode = ExitCode.CHECK_FAILED;
    return r;
  }
}
