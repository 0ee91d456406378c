import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { InvalidArgumentError } from '../../core/errors.js';
import { followFile, pickLogFile, tailLines } from '../../local/logs.js';
import { pickNodeLogFile } from '../../local/nodes.js';
import { localDirFlag } from '../../flags.js';

export interface LogsResult {
  file: string;
  lines: string[];
}

export default class LocalLogs extends BaseCommand<typeof LocalLogs> {
  static override summary = "Print the local broker's (or name server's) log.";
  static override description = `Shows RocketMQ's own log (<dir>/home/logs/rocketmqlogs/broker.log or namesrv.log), or the process's stdout (<dir>/logs/*.out) when that does not exist yet. --follow keeps printing new lines until Ctrl-C (exit 0).`;
  static override examples = [
    '<%= config.bin %> local logs',
    '<%= config.bin %> local logs --namesrv --tail 20',
    '<%= config.bin %> local logs -f',
    '<%= config.bin %> local logs --node broker-b-1 --dir /tmp/rmq-ha',
  ];
  static override flags = {
    dir: localDirFlag(),
    namesrv: Flags.boolean({
      summary: "The name server's log instead of the broker's.",
      exclusive: ['node'],
    }),
    node: Flags.string({
      summary: 'A node of a multi-node cluster (broker-b-1, namesrv-2 …; see `rmq local status`), or proxy.',
    }),
    tail: Flags.integer({ summary: 'Number of lines from the end.', default: 100, min: 0 }),
    follow: Flags.boolean({ char: 'f', summary: 'Keep printing lines as they are written.' }),
  };

  async run(): Promise<LogsResult> {
    if (this.flags.follow && this.jsonEnabled()) {
      throw new InvalidArgumentError('--follow cannot be combined with --json', {
        hint: 'use --tail N --json for a snapshot',
      });
    }
    const file =
      this.flags.node === undefined
        ? await pickLogFile(this.flags.dir, this.flags.namesrv ? 'namesrv' : 'broker')
        : await pickNodeLogFile(this.flags.dir, this.flags.node);
    const { lines, size } = await tailLines(file, this.flags.tail);
    if (lines.length > 0) this.log(lines.join('\n'));
    if (this.flags.follow) {
      // Ctrl-C ends --follow with exit 0: following until told to stop is what was asked.
      const signal = this.interruptSignal();
      await followFile(file, size, (text) => process.stdout.write(text), signal);
    }
    return { file, lines };
  }
}
