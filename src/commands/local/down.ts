import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { duration, localDirFlag } from '../../flags.js';
import { type DownResult, down } from '../../local/cluster.js';

export default class LocalDown extends BaseCommand<typeof LocalDown> {
  static override summary = 'Stop the local cluster started by `rmq local up`.';
  static override description = `Stops only the processes \`rmq local up\` started in --dir (checked against each process's command line, so a recycled pid is never signalled): SIGTERM, then SIGKILL after --timeout. Keeps the store unless --purge.

Succeeds (exit 0) when nothing was running, so it is safe in cleanup scripts.`;
  static override examples = [
    '<%= config.bin %> local down',
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
  };

  async run(): Promise<DownResult> {
    const progress = await this.progress(`stopping the local cluster in ${this.flags.dir}`);
    let result: DownResult;
    try {
      result = await down({
        dir: this.flags.dir,
        timeoutMs: this.flags.timeout,
        purge: this.flags.purge,
        onProgress: (msg) => progress.update(msg),
      });
    } catch (err) {
      progress.fail();
      throw err;
    }
    progress.stop();
    const names = { broker: 'broker', namesrv: 'name server' } as const;
    if (result.stopped.length > 0) {
      const parts = result.stopped.map(
        (p) => `${names[p.role]} (pid ${p.pid}${p.signal === 'SIGKILL' ? ', killed after --timeout' : ''})`,
      );
      this.log(`stopped ${parts.join(' and ')}`);
    } else {
      this.log(`no local cluster was running in ${result.dir}`);
    }
    if (result.purged) this.log(`deleted the store, logs and config in ${result.dir}`);
    return result;
  }
}
