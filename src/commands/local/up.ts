import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { InvalidArgumentError } from '../../core/errors.js';
import { exitCodeFor } from '../../exit-codes.js';
import { duration, localDirFlag } from '../../flags.js';
import { DEFAULT_ACL_USER } from '../../local/accounts.js';
import { type UpResult, up, withSecretsMasked } from '../../local/cluster.js';
import { DEFAULT_ROCKETMQ_VERSION } from '../../local/config.js';
import { rocketmqCacheRoot } from '../../local/paths.js';
import { type HaMode, portsFromBase, type SyncMode } from '../../local/topology.js';
import { DEFAULT_DOWNLOAD_TIMEOUT_MS, formatDuration } from '../../local/resolve.js';
import { LOCAL_PROFILE, makeCurrent } from '../../local/profile.js';
import { PROFILE_NAME } from '../../services/profiles.js';

export default class LocalUp extends BaseCommand<typeof LocalUp> {
  static override summary = 'Start a RocketMQ on this machine: one name server and broker, or a topology.';
  static override description = `Downloads RocketMQ's jars from Maven Central with mvn once (into $RMQ_CACHE_DIR/rocketmq, default \${XDG_CACHE_HOME:-~/.cache}/rmq/rocketmq), then runs a name server and a broker as background java processes that listen on 127.0.0.1 only and keep config, store and logs in --dir. Returns when the broker shows up in the name server's cluster info, and prints the name server address.

Needs java (17 recommended) and, for the first run of a version, mvn; a download that takes longer than --download-timeout is stopped (exit 4). The broker uses --broker-port, --broker-port − 2 and --broker-port + 1; use other ports and another --dir to run a second cluster beside the first. --dir is created mode 0700 and marked as the cluster's own (.rmq-local.json); a dir of another user, one that others may write to, or a non-empty one that is not a cluster's is refused (exit 8), and so are / and your home directory (exit 2).

--acl turns on authentication and authorization (5.x: ACL 2.0 with --acl-user as a super user; 4.x: plain ACL with an admin account and a read-only "rmq-readonly" one). Without --acl-password a random password is generated at the first --acl up and kept (mode 0600) in --dir and in the profile; the output shows it as ******** unless --show-secret (it would end up in CI logs). --tls makes both servers refuse plain connections; they use RocketMQ's TLS test mode, a self-signed certificate, so clients need --tls --tls-insecure.

Topologies: --masters N (groups broker-a, broker-b …), --replicas R (slaves per master), --namesrvs K, --ha controller (5.x: the controller runs inside the name servers, brokers get their ids from it and a slave is elected when a master dies), --ha dledger (4.9: each group is a raft group of 3 brokers, --replicas 2; the leader is the master, a new one is elected when it dies, a write is acknowledged once a majority has it), --flush and --replication sync|async. Name server i listens on --namesrv-port + i (its controller on + 5 + i), broker j (groups in order, master first) on --broker-port + 4j (− 2 and + 1 too; with --ha dledger − 2 and − 1, its raft port); --port-base B sets both (B and B + 22). Each node keeps config, store and logs in <dir>/nodes/<name>; \`rmq local status\` lists them, \`rmq local stop|start NODE\` stops and restarts one. --acl and --tls are not available with a topology yet.

--proxy (5.x) also runs RocketMQ's proxy in cluster mode (org.apache.rocketmq.proxy.ProxyStartup from rocketmq-proxy of the same release, fetched once into the cache beside the servers' jars), with the one-node cluster or any topology: its remoting port is --namesrv-port + 10, its gRPC port + 11 (--port-base B: B + 10, B + 11), and it binds them on every interface (RocketMQ's proxy has no bind address). rmq reaches it like a name server: \`-n 127.0.0.1:<remoting port>\` sends, consumes and benches through it (the proxy answers routes with itself as the broker), while administration still needs the name server, which stays the profile's address. It is the node "proxy" of \`rmq local status\`, \`logs --node proxy\` and \`stop|start proxy\`.

Every successful up writes the connection profile "local" (--profile-name) with the name server, and the credentials and TLS settings, so \`rmq --profile local …\` reaches the cluster; it becomes the current profile only with --use. Its credentials and --tls-insecure are used only with this cluster's name server, never with another one given by --namesrv or NAMESRV_ADDR.`;
  static override examples = [
    '<%= config.bin %> local up',
    'export NAMESRV_ADDR=$(<%= config.bin %> local up)',
    '<%= config.bin %> local up --version 4.9 --dir /tmp/rmq49 --namesrv-port 19876 --broker-port 20911',
    '<%= config.bin %> local up --no-auto-create-topic --json',
    '<%= config.bin %> local up --acl --tls && <%= config.bin %> cluster list --profile local',
    '<%= config.bin %> local up --dir /tmp/rmq-ha --port-base 30000 --masters 2 --replicas 1 --namesrvs 2',
    '<%= config.bin %> local up --dir /tmp/rmq-ctl --port-base 30200 --replicas 1 --ha controller --replication sync',
    '<%= config.bin %> local up --proxy && <%= config.bin %> send -n 127.0.0.1:9886 -t TestTopic hello',
    '<%= config.bin %> local up --dir /tmp/rmq-raft --port-base 30300 --version 4.9.7 --replicas 2 --ha dledger',
  ];
  static override flags = {
    dir: localDirFlag('State dir of the cluster: config, store, logs, pids.'),
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
    acl: Flags.boolean({
      summary: 'Require signed requests (ACL): authentication and authorization on.',
      env: 'RMQ_LOCAL_ACL',
    }),
    'acl-user': Flags.string({
      summary: `Access key of the ACL admin account (with --acl; default ${DEFAULT_ACL_USER}, or the one stored in --dir).`,
      env: 'RMQ_LOCAL_ACL_USER',
    }),
    'acl-password': Flags.string({
      summary:
        'Secret key of the ACL admin account (with --acl; default: stored in --dir, generated at the first --acl up).',
      description: 'Prefer RMQ_LOCAL_ACL_PASSWORD: a flag shows in `ps` and shell history.',
      env: 'RMQ_LOCAL_ACL_PASSWORD',
    }),
    'show-secret': Flags.boolean({
      summary: 'Print the ACL secret keys (human output and --json) instead of ********.',
    }),
    tls: Flags.boolean({
      summary: 'Accept TLS connections only (self-signed test-mode certificate).',
      env: 'RMQ_LOCAL_TLS',
    }),
    'profile-name': Flags.string({
      summary: 'Connection profile to write for this cluster.',
      default: LOCAL_PROFILE,
    }),
    'save-profile': Flags.boolean({
      summary: 'Write the connection profile (--no-save-profile leaves the profiles file alone).',
      default: true,
      allowNo: true,
    }),
    'download-timeout': duration({
      summary: 'How long the download of a version with mvn may take before it is stopped (e.g. 10m, 30m).',
      env: 'RMQ_LOCAL_DOWNLOAD_TIMEOUT',
      default: DEFAULT_DOWNLOAD_TIMEOUT_MS,
      defaultHelp: async () => formatDuration(DEFAULT_DOWNLOAD_TIMEOUT_MS),
    }),
    use: Flags.boolean({
      summary: 'Make the written profile the current one (default: leave the current profile as it is).',
    }),
    masters: Flags.integer({
      summary: 'Broker groups (broker-a, broker-b, …): a multi-node topology when above 1.',
      default: 1,
      helpGroup: 'TOPOLOGY',
    }),
    replicas: Flags.integer({
      summary: 'Slaves per master (brokerId 1, 2 …).',
      default: 0,
      helpGroup: 'TOPOLOGY',
    }),
    namesrvs: Flags.integer({ summary: 'Name servers.', default: 1, helpGroup: 'TOPOLOGY' }),
    ha: Flags.string({
      summary:
        'Failover: none (classic master/slave), controller (5.x, the controller inside the name servers), dledger (4.9, a raft group per broker group; needs --replicas 2).',
      options: ['none', 'controller', 'dledger'],
      default: 'none',
      helpGroup: 'TOPOLOGY',
    }),
    flush: Flags.string({
      summary: 'flushDiskType: sync (SYNC_FLUSH) or async.',
      options: ['sync', 'async'],
      default: 'async',
      helpGroup: 'TOPOLOGY',
    }),
    replication: Flags.string({
      summary: 'Masters acknowledge after the slaves have a write (sync: SYNC_MASTER) or not (async).',
      options: ['sync', 'async'],
      default: 'async',
      helpGroup: 'TOPOLOGY',
    }),
    'port-base': Flags.integer({
      summary: 'Derive every port from one base: name servers from it, brokers from base + 22.',
      helpGroup: 'TOPOLOGY',
      exclusive: ['namesrv-port', 'broker-port'],
    }),
    proxy: Flags.boolean({
      summary: "Also run a 5.x proxy in cluster mode: remoting on the name server's port + 10, gRPC on + 11.",
      helpGroup: 'TOPOLOGY',
    }),
    // Test-only: a broker whose advertised address nothing answers at (--broker-address-map's tests).
    'advertise-ip': Flags.string({
      summary: "The broker's advertised IP (brokerIP1), a loopback IPv4 address other than 127.0.0.1.",
      hidden: true,
    }),
    wait: duration({
      summary: 'How long to wait for the broker to become ready (e.g. 90s, 3m).',
      env: 'RMQ_LOCAL_WAIT',
      default: 90_000,
      defaultHelp: async () => '90s',
    }),
  };

  async run(): Promise<UpResult> {
    const profileName = this.flags['profile-name'];
    if (!PROFILE_NAME.test(profileName)) {
      throw new InvalidArgumentError(`invalid --profile-name "${profileName}"`, {
        hint: 'use letters, digits, _ . - (at most 64)',
      });
    }
    if (this.flags.use && !this.flags['save-profile']) {
      throw new InvalidArgumentError('--use needs the profile that --no-save-profile skips', {
        hint: 'drop one of --use and --no-save-profile',
      });
    }
    const given = (flag: string): boolean => this.argv.some((a) => a === flag || a.startsWith(`${flag}=`));
    // Not oclif's dependsOn: that also fires on RMQ_LOCAL_ACL_* in the environment, which are
    // meant to lie there unused until an up with --acl.
    for (const flag of ['--acl-user', '--acl-password']) {
      if (given(flag) && !this.flags.acl) {
        throw new InvalidArgumentError(`${flag} needs --acl`, { hint: `add --acl to turn ACL on` });
      }
    }
    if (this.flags['download-timeout'] <= 0) {
      throw new InvalidArgumentError('--download-timeout must be longer than 0', { hint: 'e.g. 10m, 30m' });
    }
    if (given('--acl-password')) {
      this.note('a password passed as a flag shows in `ps` and shell history: prefer RMQ_LOCAL_ACL_PASSWORD');
    }
    const progress = await this.progress(`starting RocketMQ ${this.flags.version}`);
    // The JVMs run in their own session, so a Ctrl-C would not reach them: stop them ourselves.
    const signal = this.interruptSignal();
    let started: UpResult;
    try {
      started = await up({
        dir: this.flags.dir,
        version: this.flags.version,
        ...(this.flags['port-base'] === undefined
          ? { namesrvPort: this.flags['namesrv-port'], brokerPort: this.flags['broker-port'] }
          : portsFromBase(this.flags['port-base'])),
        topology: {
          masters: this.flags.masters,
          replicas: this.flags.replicas,
          namesrvs: this.flags.namesrvs,
          ha: this.flags.ha as HaMode,
          flush: this.flags.flush as SyncMode,
          replication: this.flags.replication as SyncMode,
        },
        clusterName: this.flags['cluster-name'],
        brokerName: this.flags['broker-name'],
        autoCreateTopic: this.flags['auto-create-topic'],
        acl: this.flags.acl
          ? { user: this.flags['acl-user'], password: this.flags['acl-password'] }
          : undefined,
        tls: this.flags.tls,
        proxy: this.flags.proxy,
        advertiseIp: this.flags['advertise-ip'],
        profile: this.flags['save-profile'] ? profileName : undefined,
        waitMs: this.flags.wait,
        cacheRoot: rocketmqCacheRoot(),
        downloadTimeoutMs: this.flags['download-timeout'],
        onProgress: (msg, o) => {
          // Plain-line progress (no TTY) would print a line per tick of the download timer.
          if (!o?.transient || process.stderr.isTTY) progress.update(msg);
        },
        signal,
      });
    } catch (err) {
      progress.fail();
      if (signal.aborted) {
        process.stderr.write('interrupted: stopped the processes this run had started\n');
        process.exit(exitCodeFor('interrupted'));
      }
      throw err;
    }
    const result = this.flags['show-secret'] ? started : withSecretsMasked(started);
    progress.succeed(
      result.nodes
        ? `RocketMQ ${result.version} is up in ${(result.elapsedMs / 1000).toFixed(1)}s: ${result.nodes.length} nodes (${result.nodes.map((n) => `${n.name} :${n.port}`).join(', ')}), cluster ${result.clusterName} (dir ${result.dir})`
        : `RocketMQ ${result.version} is up in ${(result.elapsedMs / 1000).toFixed(1)}s: name server ${result.namesrvAddr}, broker ${result.brokerName} ${result.brokerAddr}, cluster ${result.clusterName} (dir ${result.dir})`,
    );
    // After up, not inside it: the profile is written by the cluster code, made current only here.
    if (result.profile && this.flags.use) {
      try {
        await makeCurrent(result.profile.name);
        result.profile.current = true;
      } catch (err) {
        result.profileError = (err as Error).message;
      }
    }
    // stderr, like the line above: stdout stays the bare address for `export NAMESRV_ADDR=$(…)`.
    const info = (text: string): void => {
      if (!this.jsonEnabled()) process.stderr.write(`  ${text}\n`);
    };
    if (result.acl) {
      info(`ACL on: access key ${result.acl.accessKey}, secret key ${result.acl.secretKey}`);
      if (result.acl.readOnly) {
        info(
          `  read-only account: access key ${result.acl.readOnly.accessKey}, secret key ${result.acl.readOnly.secretKey}`,
        );
      }
      if (!this.flags['show-secret']) {
        const profile = result.profile ? ` (the admin's also in profile ${result.profile.name})` : '';
        info(`  secret keys kept in ${result.acl.accountsFile}${profile}; --show-secret prints them`);
      }
    }
    if (result.tls) info('TLS only: connect with --tls --tls-insecure (self-signed test-mode certificate)');
    if (result.proxy) {
      info(
        `proxy: remoting ${result.proxy.remotingAddr}, gRPC ${result.proxy.grpcAddr} (pid ${result.proxy.pid}, serving after ${(result.proxy.startMs / 1000).toFixed(1)}s)`,
      );
      info(
        `  send, consume and bench through it with -n ${result.proxy.remotingAddr}; administration needs the name server`,
      );
    }
    if (result.profile) {
      info(
        `profile ${result.profile.name}${result.profile.current ? ' (current)' : ''} written to ${result.profile.file}: use --profile ${result.profile.name}`,
      );
    }
    if (result.profileError) this.note(`could not write the connection profile: ${result.profileError}`);
    this.log(result.namesrvAddr);
    return result;
  }
}
