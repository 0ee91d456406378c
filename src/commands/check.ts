import { Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { InvalidArgumentError } from '../core/errors.js';
import { nagiosExitCode } from '../exit-codes.js';
import { connectionFlags } from '../flags.js';
import { type CheckResult, runCheck } from '../services/check.js';
import { checkStatePath } from '../services/check-state.js';
import {
  parseDiskThreshold,
  parseDlqGrowthThreshold,
  parseExpectBrokers,
  parseLagThreshold,
} from '../services/check-thresholds.js';
import { renderCheckText, renderNagios, renderOpenMetrics } from '../ui/check-output.js';
import { escapeFor } from '../ui/terminal-text.js';

const FORMATS = ['text', 'json', 'nagios', 'prometheus'] as const;
type Format = (typeof FORMATS)[number];

/** --format as given on the command line: known before (or without) a successful parse. */
function formatOnArgv(argv: string[]): string | undefined {
  let found: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a === '--format') found = argv[i + 1];
    else if (a.startsWith('--format=')) found = a.slice('--format='.length);
  }
  return found;
}

export default class Check extends BaseCommand<typeof Check> {
  static override summary =
    'Health check for cron and monitors: name servers, brokers, disk, lag, DLQ growth.';
  static override description = `Runs every check and reports each as ok, warning, critical or unknown. Thresholds are CRIT or WARN,CRIT (e.g. --max-disk 80%,90%): above WARN is a warning, above CRIT critical. Every name server given is asked on its own, every master must be writable; disk use is reported for every broker.
--format nagios prints one plugin line with performance data and exits 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN; the other formats exit 9 when a check is warning or critical, 0 otherwise. --format prometheus prints OpenMetrics text for a textfile collector. DLQ growth is a rate between two runs: the first run records a baseline (unknown), in \${XDG_STATE_HOME:-~/.local/state}/rmq/check-state.json.`;
  static override examples = [
    '<%= config.bin %> check -n "ns1:9876;ns2:9876" --expect-brokers 2 --max-disk 80%,90%',
    '<%= config.bin %> check --max-lag orders=1000 --max-lag billing=500,5000 --format nagios',
    '<%= config.bin %> check --max-dlq-growth 10/h --format prometheus > /var/lib/node_exporter/rmq.prom.tmp',
  ];
  static override flags = {
    ...connectionFlags,
    format: Flags.option({
      options: FORMATS,
      default: 'text' as const,
      summary: 'Output: a table, the JSON document, a Nagios plugin line, or OpenMetrics text.',
    })(),
    'expect-brokers': Flags.string({
      summary: 'Masters that must be registered: a count, or broker names separated by ",".',
    }),
    'max-disk': Flags.string({
      summary: 'Disk use of each commit-log store path: CRIT or WARN,CRIT in percent (e.g. 80%,90%).',
    }),
    'max-lag': Flags.string({
      summary: "A group's lag summed over its queues: GROUP=CRIT or GROUP=WARN,CRIT (repeatable).",
      multiple: true,
    }),
    'max-dlq-growth': Flags.string({
      summary:
        'DLQ growth between runs: [GROUP=]CRIT/h or WARN,CRIT/h (/s /m /h /d); no GROUP: every DLQ (repeatable).',
      multiple: true,
    }),
  };

  /** --format json is --json: the document is run()'s result. */
  public override jsonEnabled(): boolean {
    return super.jsonEnabled() || formatOnArgv(this.argv) === 'json';
  }

  async run(): Promise<CheckResult> {
    const f = this.flags;
    const maxLag = (f['max-lag'] ?? []).map(parseLagThreshold);
    const dupLag = maxLag.find((r, i) => maxLag.findIndex((x) => x.group === r.group) !== i);
    const maxDlqGrowth = (f['max-dlq-growth'] ?? []).map(parseDlqGrowthThreshold);
    const dupDlq = maxDlqGrowth.find((r, i) => maxDlqGrowth.findIndex((x) => x.group === r.group) !== i);
    if (dupLag || dupDlq) {
      throw new InvalidArgumentError(
        dupLag
          ? `--max-lag: group ${dupLag.group} is given twice`
          : `--max-dlq-growth: ${dupDlq!.group === null ? 'the every-group rate' : `group ${dupDlq!.group}`} is given twice`,
      );
    }
    const input = {
      expectBrokers: f['expect-brokers'] === undefined ? undefined : parseExpectBrokers(f['expect-brokers']),
      maxDisk: f['max-disk'] === undefined ? undefined : parseDiskThreshold(f['max-disk']),
      maxLag,
      maxDlqGrowth,
    };
    const connection = await this.connection();
    const r = await runCheck(await this.admin(), {
      ...input,
      namesrv: [...new Set(connection.namesrv)],
      statePath: checkStatePath(),
    });
    const format: Format = f.format;
    if (format === 'nagios' && !super.jsonEnabled()) {
      process.exitCode = nagiosExitCode(r.status);
      for (const w of r.warnings) this.note(w);
      this.log(renderNagios(r));
      return r;
    }
    this.setOutcome(r.status === 'warning' || r.status === 'critical' ? 'check-failed' : 'ok');
    if (this.jsonEnabled()) return r;
    for (const w of r.warnings) this.note(w);
    // Label values may hold any byte the cluster sent: a terminal shows them escaped, a file gets them as they are.
    if (format === 'prometheus') process.stdout.write(escapeFor(process.stdout)(renderOpenMetrics(r), true));
    else if (format === 'text') this.log(renderCheckText(r));
    return r;
  }

  protected override async catch(
    err: Error & { exitCode?: number; oclif?: { exit?: number } },
  ): Promise<void> {
    await super.catch(err);
    if (formatOnArgv(this.argv) === 'nagios' && !super.jsonEnabled() && process.exitCode !== 0) {
      // A plugin that cannot run says UNKNOWN, on stdout, where the monitor reads it.
      const line = (err.message ?? String(err)).replace(/\s+/g, ' ').replaceAll('|', '/').trim();
      process.stdout.write(`RMQ UNKNOWN - ${line}\n`);
      process.exitCode = nagiosExitCode('unknown');
    }
  }
}
