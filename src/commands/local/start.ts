import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { duration, localDirFlag } from '../../flags.js';
import { type NodeActionResult, startNode } from '../../local/nodes.js';

export default class LocalStart extends BaseCommand<typeof LocalStart> {
  static override summary = 'Start again one stopped node of a multi-node local cluster.';
  static override description = `Runs the node with the configuration \`rmq local up\` gave it and waits until it serves: a name server until it listens, a broker until a name server lists it, the proxy (of a cluster started with --proxy, one-node or not) until it answers a route request. Succeeds (exit 0) at once when the node is already running; a cluster that is down is refused (exit 8): start it with \`rmq local up\`.`;
  static override examples = ['<%= config.bin %> local start broker-a-0 --dir /tmp/rmq-ha'];
  static override args = {
    node: Args.string({
      description: 'Node name as `rmq local status` lists it (namesrv-1, broker-b-1 …, proxy).',
      required: true,
    }),
  };
  static override flags = {
    dir: localDirFlag(),
    wait: duration({
      summary: 'How long to wait for the node to become ready (e.g. 90s, 3m).',
      env: 'RMQ_LOCAL_WAIT',
      default: 90_000,
      defaultHelp: async () => '90s',
    }),
  };

  async run(): Promise<NodeActionResult> {
    const r = await startNode({ dir: this.flags.dir, node: this.args.node, waitMs: this.flags.wait });
    this.log(
      r.wasRunning
        ? `${r.node} is already running (pid ${r.pid})`
        : `${r.node} started (pid ${r.pid}) in ${(r.elapsedMs / 1000).toFixed(1)}s`,
    );
    return r;
  }
}
