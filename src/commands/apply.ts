import { Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { metadataFlags } from '../flags.js';
import { type IncludeSkipped, planAgainstCluster } from '../services/metadata/cluster.js';
import { readMetadataFile } from '../services/metadata/parse.js';
import type { MetadataPlan } from '../services/metadata/plan.js';
import { renderPlan } from '../ui/metadata.js';

export interface ApplyResult {
  file: string;
  dryRun: boolean;
  /** Nothing to do: the cluster is as the document says already. */
  noop: boolean;
  /** Whether changes were sent. */
  applied: boolean;
  prefix: string | null;
  plan: MetadataPlan;
  /** After applying: the plan against the cluster read again (no drift unless something failed). */
  after: MetadataPlan | null;
  /** Changes the brokers refused, one line each. */
  errors: string[];
  skipped: IncludeSkipped[];
}

export default class Apply extends BaseCommand<typeof Apply> {
  static override summary = 'Make a cluster match a metadata document: create and update topics and groups.';
  static override description = `Prints the plan (as \`rmq diff\` does), then creates the topics and groups the cluster lacks and updates the fields that differ, broker by broker. Asks on a terminal; needs --yes otherwise; --dry-run prints the plan and changes nothing. A cluster that is as the document says already: says so and changes nothing.

Topics and groups on the cluster that the document lacks are left alone unless --prune, which deletes them: only names in scope (--prefix, or the document's scope.prefix) and never system ones (unless --system), so a prefix keeps a shared cluster's other names safe. The same document applies to another cluster (a migration), 4.9 or 5.x: fields a broker's version lacks are reported and left out. After applying, the cluster is read again; exits 9 when it is not as planned (a change refused, or read back otherwise).`;
  static override examples = [
    '<%= config.bin %> apply -f cluster.yaml --dry-run',
    '<%= config.bin %> apply -f cluster.yaml --yes',
    '<%= config.bin %> apply -f team-a.yaml --prune --yes -n other-namesrv:9876',
  ];
  static override flags = {
    ...metadataFlags,
    prune: Flags.boolean({ summary: 'Delete topics and groups in scope that the document does not have.' }),
    yes: Flags.boolean({ char: 'y', summary: 'Do not ask for confirmation.' }),
    'dry-run': Flags.boolean({ summary: 'Print the plan only; change nothing.' }),
  };

  async run(): Promise<ApplyResult | undefined> {
    const file = this.flags.file;
    const dryRun = this.flags['dry-run'] === true;
    const document = readMetadataFile(file);
    const p = await planAgainstCluster(await this.admin(), {
      document,
      cluster: this.flags.cluster,
      include: this.flags.include,
      system: this.flags.system,
      prefix: this.flags.prefix,
      prune: this.flags.prune,
    });
    const result: ApplyResult = {
      file,
      dryRun,
      noop: false,
      applied: false,
      prefix: p.prefix,
      plan: p.plan,
      after: null,
      errors: [],
      skipped: p.skipped,
    };
    const rendered = renderPlan(p.plan, p.skipped, p.prefix);
    const todo = p.plan.items.filter((i) => i.action !== 'extra').length;
    if (todo === 0) {
      result.noop = true;
      if (!this.jsonEnabled()) {
        this.logLines(
          `${rendered}\nNothing to apply: no changes (a second apply of the same document is a no-op).`,
        );
      }
      return result;
    }
    const go = await this.confirmPlan(rendered, {
      yes: this.flags.yes,
      dryRun,
      refusal: `refusing to apply ${file} without confirmation`,
    });
    if (!go) return dryRun ? result : undefined;
    const { errors, after } = await p.apply();
    result.applied = true;
    result.errors = errors;
    result.after = after;
    // ACL extras stay with --prune too (never pruned): not a failure.
    const acl = (kind: string) => kind === 'user' || kind === 'policy';
    const left = after.items.filter((i) => i.action !== 'extra' || (this.flags.prune && !acl(i.kind)));
    if (!this.jsonEnabled()) {
      for (const e of errors) this.note(e);
      this.logLines(
        left.length === 0
          ? `Applied ${todo} change${todo === 1 ? '' : 's'}: the cluster is as the document says now.`
          : `Applied with ${errors.length} error${errors.length === 1 ? '' : 's'}; still differing:\n${renderPlan(after, [], p.prefix)}`,
      );
    }
    if (errors.length > 0 || left.length > 0) this.setOutcome('check-failed');
    return result;
  }
}
