import { Flags } from '@oclif/core';
import { writeFileSync } from 'node:fs';
import { BaseCommand } from '../base-command.js';
import { InvalidArgumentError } from '../core/errors.js';
import { connectionFlags } from '../flags.js';
import { exportMetadata, type IncludeSkipped } from '../services/metadata/cluster.js';
import type { MetadataDocument } from '../services/metadata/document.js';
import { type DocumentFormat, formatMetadataDocument } from '../services/metadata/parse.js';

export interface ExportResult {
  document: MetadataDocument;
  /** Where the document was written (-o), or null: stdout. */
  file: string | null;
  format: DocumentFormat;
  topics: number;
  groups: number;
  /** --include parts not exported, and why. */
  skipped: IncludeSkipped[];
}

export default class Export extends BaseCommand<typeof Export> {
  static override summary = "Write the cluster's topics and consumer groups as one YAML or JSON document.";
  static override description = `The document (see "Metadata as code" in the README, and schemas/metadata-document.json) lists each topic with its queues, permission, order flag, message type and other attributes, and each group with its retry and consumption settings; a topic's per-broker values only where its brokers differ. \`rmq diff\` compares it with a cluster, \`rmq apply\` makes a cluster (this one or another) match it.

System topics and groups (TBW102, RMQ_SYS_*, %RETRY%…, TOOLS_CONSUMER, …) are left out unless --system. --prefix exports only names starting with it and writes the prefix into the document's scope, so that diff and apply look at those names only. --include acl adds ACL 2.0 users (type, status; passwords only with --with-secrets, the file then written mode 0600) and each user's custom policy (RocketMQ 5.3+); a broker without ACL 2.0 (4.x plain ACL) is reported and acl skipped. With --json the document is the result's "document" field.`;
  static override examples = [
    '<%= config.bin %> export -o cluster.yaml',
    '<%= config.bin %> export --include topics --format json',
    '<%= config.bin %> export --prefix team_a_ -o team-a.yaml',
  ];
  static override flags = {
    ...connectionFlags,
    cluster: Flags.string({ char: 'c', summary: "Export this cluster's masters only." }),
    include: Flags.string({
      summary: 'What to export, comma-separated: topics, groups, acl (default topics,groups).',
      multiple: true,
    }),
    format: Flags.option({
      options: ['yaml', 'json'] as const,
      default: 'yaml',
      summary: 'Document format.',
    })(),
    system: Flags.boolean({ summary: 'Include system topics and groups.' }),
    prefix: Flags.string({ summary: 'Only names starting with this; recorded as the document scope.' }),
    output: Flags.string({ char: 'o', summary: 'Write the document to this file instead of stdout.' }),
    'with-secrets': Flags.boolean({
      summary: "Export secrets (ACL users' keys) too; without it none is written.",
    }),
  };

  async run(): Promise<ExportResult> {
    const prefix = this.flags.prefix;
    if (prefix !== undefined && !/^[%|a-zA-Z0-9_-]+$/.test(prefix)) {
      throw new InvalidArgumentError(`--prefix must be the start of a topic or group name, got "${prefix}"`);
    }
    const c = await this.connection();
    const r = await exportMetadata(await this.admin(), {
      cluster: this.flags.cluster,
      include: this.flags.include,
      system: this.flags.system,
      prefix,
      namesrv: c.namesrv.join(';'),
      withSecrets: this.flags['with-secrets'],
    });
    for (const s of r.skipped) this.note(`${s.include}: ${s.reason}; left out of the document`);
    if (this.flags['with-secrets'] && r.skipped.some((s) => s.include === 'acl')) {
      this.note('--with-secrets: nothing secret to export without acl');
    }
    const format = this.flags.format;
    const text = formatMetadataDocument(r.document, format);
    const file = this.flags.output ?? null;
    if (file !== null) {
      try {
        writeFileSync(file, text, this.flags['with-secrets'] ? { mode: 0o600 } : {});
      } catch (err) {
        throw new InvalidArgumentError(
          `cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        );
      }
      if (!this.jsonEnabled()) {
        const n = (k: number, what: string) => `${k} ${what}${k === 1 ? '' : 's'}`;
        process.stderr.write(`wrote ${n(r.topics, 'topic')} and ${n(r.groups, 'group')} to ${file}\n`);
      }
    } else if (!this.jsonEnabled()) {
      // As is: YAML and JSON escape control characters themselves, and a redirect must get the exact document.
      process.stdout.write(text);
    }
    return { document: r.document, file, format, topics: r.topics, groups: r.groups, skipped: r.skipped };
  }
}
