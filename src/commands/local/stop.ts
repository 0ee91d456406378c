import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { duration, localDirFlag } from '../../flags.js';
import { type NodeActionResult, stopNode } from '../../local/nodes.js';

export default class LocalStop extends BaseCommand<typeof LocalStop> {
  static override summary = 'Stop one node of a multi-node local cluster (for failover drills).';
  static override description = `SIGTERM (RocketMQ shuts down cleanly), then SIGKILL after --timeout; --kill sends SIGKILL at once, as a crash would. Only a process that carries this dir's and this node's markers is signalled. \`rmq local start NODE\` brings it back with the same configuration; \`rmq local status\` lists the nodes. Succeeds (exit 0) when the node was not running.`;
  static override examples = [
    '<%= config.bin %> local stop broker-a-0 --dir /tmp/rmq-ha',
    '<%= config.bin %> local stop broker-a-0 --kill --dir /tmp/rmq-ha --json',
  ];
  static override args = {
    node: Args.string({
      description: 'Node name as `rmq local status` lists it (namesrv-1, broker-b-1 …, proxy).',
      required: true,
    }),
  };
  static override flags = {
    dir: localDirFlag(),
    kill: Flags.boolean({ summary: 'SIGKILL at once instead of a clean stop.' }),
    timeout: duration({
      summary: 'How long to wait for a clean stop before SIGKILL (e.g. 20s).',
      default: 20_000,
      defaultHelp: async () => '20s',
    }),
  };

  async run(): Promise<NodeActionResult> {
    const r = await stopNode({
      dir: this.flags.dir,
      node: this.args.node,
      kill: this.flags.kill,
      timeoutMs: this.flags.timeout,
    });
    this.log(
      r.wasRunning
        ? `${r.node} (pid ${r.pid}) stopped${r.signal ? ` with ${r.signal}` : ''} in ${(r.elapsedMs / 1000).toFixed(1)}s`
        : `${r.node} was not running`,
    );
    return r;
  }
}
