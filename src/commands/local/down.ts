import { Flags } from '@oclif/core';
import { basename } from 'node:path';
import { BaseCommand } from '../../base-command.js';
import { duration, localDirFlag } from '../../flags.js';
import { type DownResult, down } from '../../local/down.js';

export default class LocalDown extends BaseCommand<typeof LocalDown> {
  static override summary = 'Stop the local cluster started by `rmq local up`.';
  static override description = `Stops only the processes \`rmq local up\` started in --dir (checked against each process's command line and start time right before every signal, so a recycled pid is never signalled): SIGTERM, then SIGKILL after --timeout. Keeps the store unless --purge.

--purge deletes what \`up\` created (store, logs, config, state), and only in a dir \`up\` made its own: one whose .rmq-local.json and state.json both name it. Any other dir that holds such names, a copy or a move of a cluster dir, /, and your home directory are refused (exit 8 or 2) before anything is stopped. --dry-run prints what would be stopped and deleted, and changes nothing.

Succeeds (exit 0) when nothing was running, so it is safe in cleanup scripts.`;
  static override examples = [
    '<%= config.bin %> local down',
    '<%= config.bin %> local down --purge --dry-run',
    '<%= config.bin %> local down --purge',
    '<%= config.bin %> local down --dir /tmp/rmq49 --timeout 5s --json',
  ];
  static override flags = {
    dir: localDirFlag(),
    timeout: duration({
      summary: 'How long to wait for a clean stop before SIGKILL (e.g. 20s).',
      default: 20_000,
      defaultHelp: async () => '20s',
    }),
    purge: Flags.boolean({ summary: 'Also delete the store, logs and config that `up` created in --dir.' }),
    'dry-run': Flags.boolean({
      summary: 'Stop and delete nothing: print what would be stopped and (with --purge) deleted.',
    }),
  };

  async run(): Promise<DownResult> {
    const dryRun = this.flags['dry-run'];
    const progress = await this.progress(
      dryRun
        ? `looking at the local cluster in ${this.flags.dir}`
        : `stopping the local cluster in ${this.flags.dir}`,
    );
    let result: DownResult;
    try {
      result = await down({
        dir: this.flags.dir,
        timeoutMs: this.flags.timeout,
        purge: this.flags.purge,
        dryRun,
        onProgress: (msg) => progress.update(msg),
      });
    } catch (err) {
      progress.fail();
      throw err;
    }
    progress.stop();
    const names = { broker: 'broker', namesrv: 'name server', proxy: 'proxy' } as const;
    if (result.dryRun) {
      const running = result.running ?? [];
      this.log(
        running.length > 0
          ? `dry run: would stop ${running.map((p) => `${names[p.role]} (pid ${p.pid})`).join(' and ')}`
          : `dry run: no local cluster is running in ${result.dir}`,
      );
    } else if (result.stopped.length > 0) {
      const parts = result.stopped.map(
        (p) => `${names[p.role]} (pid ${p.pid}${p.signal === 'SIGKILL' ? ', killed after --timeout' : ''})`,
      );
      this.log(`stopped ${parts.join(' and ')}`);
    } else {
      this.log(`no local cluster was running in ${result.dir}`);
    }
    if (this.flags.purge) this.log(purgeLine(result));
    return result;
  }
}

/** One line naming every deleted entry, relative to the dir. */
function purgeLine(r: DownResult): string {
  const prefix = r.dryRun ? 'dry run: would delete' : 'deleted';
  const entries = r.removed.filter((p) => p !== r.dir).map((p) => basename(p));
  if (entries.length === 0)
    return `${r.dryRun ? 'dry run: ' : ''}nothing of a local cluster to delete in ${r.dir}`;
  const dirToo = r.removed.includes(r.dir) ? `, then ${r.dir} itself` : '';
  return `${prefix} in ${r.dir}: ${entries.join(', ')}${dirToo}`;
}
