import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { duration } from '../../flags.js';
import { type UpResult, up } from '../../local/cluster.js';
import { DEFAULT_ROCKETMQ_VERSION } from '../../local/config.js';
import { defaultLocalDir, rocketmqCacheRoot } from '../../local/paths.js';

export default class LocalUp extends BaseCommand<typeof LocalUp> {
  static override summary = 'Start a single-node RocketMQ (name server + broker) on this machine.';
  static override description = `Downloads RocketMQ's jars from Maven Central with mvn once (into $RMQ_CACHE_DIR/rocketmq, default \${XDG_CACHE_HOME:-~/.cache}/rmq/rocketmq), then runs a name server and a broker as background java processes that listen on 127.0.0.1 only and keep config, store and logs in --dir. Returns when the broker shows up in the name server's cluster info, and prints the name server address.

Needs java (17 recommended) and, for the first run of a version, mvn. The broker uses --broker-port, --broker-port − 2 and --broker-port + 1; use other ports and another --dir to run a second cluster beside the first.`;
  static override examples = [
    '<%= config.bin %> local up',
    'export NAMESRV_ADDR=$(<%= config.bin %> local up)',
    '<%= config.bin %> local up --version 4.9 --dir /tmp/rmq49 --namesrv-port 19876 --broker-port 20911',
    '<%= config.bin %> local up --no-auto-create-topic --json',
  ];
  static override flags = {
    dir: Flags.string({
      summary: 'State dir of the cluster: config, store, logs, pids.',
      env: 'RMQ_LOCAL_DIR',
      default: async () => defaultLocalDir(),
      defaultHelp: async () => '$XDG_STATE_HOME/rmq/local or ~/.local/state/rmq/local',
    }),
    version: Flags.string({
      summary: 'RocketMQ release (5.3.3) or release line (5.3, 4.9: its newest release that resolves).',
      env: 'RMQ_ROCKETMQ_VERSION',
      default: DEFAULT_ROCKETMQ_VERSION,
    }),
    'namesrv-port': Flags.integer({
      summary: 'Name server port.',
      env: 'RMQ_LOCAL_NAMESRV_PORT',
      default: 9876,
    }),
    'broker-port': Flags.integer({
      summary: 'Broker port (port − 2 and port + 1 are used too).',
      env: 'RMQ_LOCAL_BROKER_PORT',
      default: 10911,
    }),
    'cluster-name': Flags.string({ summary: 'Cluster name.', default: 'DefaultCluster' }),
    'broker-name': Flags.string({ summary: 'Broker name.', default: 'broker-a' }),
    'auto-create-topic': Flags.boolean({
      summary: 'Let producers create topics on first send (autoCreateTopicEnable).',
      default: true,
      allowNo: true,
    }),
    wait: duration({
      summary: 'How long to wait for the broker to become ready (e.g. 90s, 3m).',
      env: 'RMQ_LOCAL_WAIT',
      default: 90_000,
      defaultHelp: async () => '90s',
    }),
  };

  async run(): Promise<UpResult> {
    const progress = await this.progress(`starting RocketMQ ${this.flags.version}`);
    // The JVMs run in their own session, so a Ctrl-C would not reach them: stop them ourselves.
    const interrupt = new AbortController();
    const onSigint = (): void => interrupt.abort(new Error('interrupted'));
    process.once('SIGINT', onSigint);
    let result: UpResult;
    try {
      result = await up({
        dir: this.flags.dir,
        version: this.flags.version,
        namesrvPort: this.flags['namesrv-port'],
        brokerPort: this.flags['broker-port'],
        clusterName: this.flags['cluster-name'],
        brokerName: this.flags['broker-name'],
        autoCreateTopic: this.flags['auto-create-topic'],
        waitMs: this.flags.wait,
        cacheRoot: rocketmqCacheRoot(),
        onProgress: (msg, o) => {
          // Plain-line progress (no TTY) would print a line per tick of the download timer.
          if (!o?.transient || process.stderr.isTTY) progress.update(msg);
        },
        signal: interrupt.signal,
      });
    } catch (err) {
      progress.fail();
      if (interrupt.signal.aborted) {
        process.stderr.write('interrupted: stopped the processes this run had started\n');
        process.exit(130);
      }
      throw err;
    } finally {
      process.removeListener('SIGINT', onSigint);
    }
    progress.succeed(
      `RocketMQ ${result.version} is up in ${(result.elapsedMs / 1000).toFixed(1)}s: name server ${result.namesrvAddr}, broker ${result.brokerName} ${result.brokerAddr}, cluster ${result.clusterName} (dir ${result.dir})`,
    );
    this.log(result.namesrvAddr);
    return result;
  }
}
