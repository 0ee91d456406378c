import { BaseCommand } from '../base-command.js';
import { metadataFlags } from '../flags.js';
import { type IncludeSkipped, planAgainstCluster } from '../services/metadata/cluster.js';
import { readMetadataFile } from '../services/metadata/parse.js';
import type { MetadataPlan } from '../services/metadata/plan.js';
import { renderPlan } from '../ui/metadata.js';

export interface DiffResult {
  file: string;
  /** True when the cluster is not as the document says (exit 9). */
  drift: boolean;
  /** The names looked at: those starting with it, or null: all. */
  prefix: string | null;
  plan: MetadataPlan;
  skipped: IncludeSkipped[];
}

export default class Diff extends BaseCommand<typeof Diff> {
  static override summary = 'Show how a cluster differs from a metadata document; exit 9 on drift.';
  static override description = `Prints what \`rmq apply\` would do: topics and groups to create, fields to update (old → new, per broker where brokers differ), and topics and groups on the cluster that the document does not have (extra). Exits 0 when there is no drift, 9 when there is: for CI.

Fields the brokers' version lacks (a message type on 4.9) are reported as not supported and are not drift. Names outside the scope (--prefix, or the document's scope.prefix), system names (unless --system) and parts not included are not looked at.`;
  static override examples = [
    '<%= config.bin %> diff -f cluster.yaml',
    '<%= config.bin %> diff -f team-a.yaml --json',
  ];
  static override flags = metadataFlags;

  async run(): Promise<DiffResult> {
    const document = readMetadataFile(this.flags.file);
    const p = await planAgainstCluster(await this.admin(), {
      document,
      cluster: this.flags.cluster,
      include: this.flags.include,
      system: this.flags.system,
      prefix: this.flags.prefix,
      prune: false,
    });
    if (!this.jsonEnabled()) this.logLines(renderPlan(p.plan, p.skipped, p.prefix));
    const drift = p.plan.drift > 0;
    if (drift) this.setOutcome('drift');
    return { file: this.flags.file, drift, prefix: p.prefix, plan: p.plan, skipped: p.skipped };
  }
}
