/**
 * The embedded cluster's `up`: one name server and one broker (or a topology of them) as detached
 * JVMs, owned by a state dir. It refuses to start over a live cluster, and every failure during
 * `up` stops what it started. `down` (down.ts) only signals JVMs that carry the dir's marker;
 * `status` is status.ts.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { NameServerClient } from '../core/client/namesrv.js';
import { RemotingClient } from '../core/client/remoting-client.js';
import { EnvironmentError, InvalidArgumentError } from '../core/errors.js';
import { RequestCode } from '../core/remoting/codes.js';
import { type AclWish, resolveAccounts, type StoredAccounts, writeSecretFile } from './accounts.js';
import {
  type AclAccount,
  brokerAddress,
  type ClusterSettings,
  confFiles,
  javaArgs,
  namesrvAddress,
  isLegacy,
  ownerMarker,
  parseVersionSpec,
  type Role,
  validateSettings,
} from './config.js';
import {
  checkDisk,
  checkPorts,
  exitedError,
  notReady,
  pause,
  portOf,
  type Spawned,
  spawnJvm,
  tcpReachable,
} from './launch.js';
import { logFiles } from './logs.js';
import { checkTopologyPorts, startTopology } from './nodes.js';
import { type ProxyStarted, startProxy, validateProxy } from './proxy.js';
import { claimDir } from './owner.js';
import { localLayout } from './paths.js';
import { ownershipCheck, stopProcess } from './process.js';
import { type LocalProfileResult, saveLocalProfile } from './profile.js';
import {
  checkLineExists,
  findJava,
  type ProgressFn,
  type ReleaseChoice,
  resolveProxyRuntime,
  resolveRuntime,
} from './resolve.js';
import { firstBroker, liveProcesses, type LocalState, probeTls, readState, writeState } from './state.js';
import {
  isMultiNode,
  type NodeKind,
  type NodeSpec,
  proxyNode,
  topologyNamesrvAddr,
  topologyNodes,
  type TopologySpec,
  validateTopology,
  validateTopologyPorts,
} from './topology.js';

/** The cluster's settings as asked for: `version` may still be a release line, and ACL a wish. */
export interface UpOptions extends Omit<ClusterSettings, 'acl' | 'tls'> {
  dir: string;
  /** --masters/--replicas/--namesrvs/--ha/--flush/--replication; absent or one node: the one-node cluster. */
  topology?: TopologySpec | undefined;
  /** --version: exact release or release line. */
  version: string;
  /** --acl: turn authentication and authorization on; the fields override the stored account. */
  acl?: AclWish | undefined;
  /** --tls: servers accept TLS connections only. */
  tls?: boolean | undefined;
  /** --proxy: a 5.x proxy in cluster mode beside the brokers (ports: topology.ts). */
  proxy?: boolean | undefined;
  /** Name of the connection profile to write on success; undefined writes none. */
  profile?: string | undefined;
  /** How long to wait for the broker to show up in the name server's cluster info. */
  waitMs: number;
  cacheRoot: string;
  /** How long one mvn run may take (default DEFAULT_DOWNLOAD_TIMEOUT_MS). */
  downloadTimeoutMs?: number | undefined;
  env?: Readonly<Record<string, string | undefined>>;
  onProgress?: ProgressFn;
  /** Aborting stops whatever was started and rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface UpResult {
  status: 'started';
  dir: string;
  version: string;
  namesrvAddr: string;
  brokerAddr: string;
  clusterName: string;
  brokerName: string;
  ports: LocalState['ports'];
  pids: { namesrv: number; broker: number };
  startedAt: string;
  /** Wall time of the whole `up`, download included. */
  elapsedMs: number;
  /** Whether the jars were fetched with mvn during this `up`. */
  downloaded: boolean;
  /** How a release line (--version 5.5) was settled: listed releases, skipped ones. */
  release?: ReleaseChoice | undefined;
  /** A multi-node topology's JVMs (pids above: the first name server and the first master). */
  nodes?: { name: string; kind: NodeKind; port: number; pid: number }[] | undefined;
  logs: { namesrv: string; broker: string };
  /**
   * --proxy: its remoting address (what `-n` takes to send and consume through it; it serves no
   * administration) and gRPC address, pid, how long it took to serve, and its log.
   */
  proxy?: ProxyStarted | undefined;
  /**
   * --acl: the account to connect with (and, on 4.x, a read-only one), and the file that keeps
   * them. The secret keys read "********" unless --show-secret: this output ends up in CI logs.
   */
  acl?: (AclAccount & { readOnly?: AclAccount | undefined; accountsFile: string }) | undefined;
  tls: boolean;
  /** The profile written for this cluster. */
  profile?: LocalProfileResult | undefined;
  /** Why the profile could not be written (the cluster runs regardless). */
  profileError?: string | undefined;
}
export async function up(opts: UpOptions): Promise<UpResult> {
  const started = Date.now();
  const progress = opts.onProgress ?? (() => {});
  const env = opts.env ?? process.env;
  const layout = localLayout(opts.dir);

  // Version is settled later (a line spec may resolve to an older patch); ports and names now.
  const pre: ClusterSettings = {
    version: opts.version,
    namesrvPort: opts.namesrvPort,
    brokerPort: opts.brokerPort,
    clusterName: opts.clusterName,
    brokerName: opts.brokerName,
    autoCreateTopic: opts.autoCreateTopic,
    advertiseIp: opts.advertiseIp,
  };
  validateSettings(pre);
  await checkLineExists(opts.version, { env, signal: opts.signal });
  const topology = opts.topology && isMultiNode(opts.topology) ? opts.topology : undefined;
  let nodes: NodeSpec[] | undefined;
  if (topology) {
    validateTopology(topology, parseVersionSpec(opts.version).representative);
    if (opts.acl || opts.tls || opts.advertiseIp) {
      throw new InvalidArgumentError(
        '--acl, --tls and --advertise-ip are not supported with a multi-node topology yet',
        {
          hint: 'drop them, or run the one-node cluster (no --masters/--replicas/--namesrvs/--ha)',
        },
      );
    }
    nodes = topologyNodes(topology, pre);
    validateTopologyPorts(nodes);
  }
  if (opts.proxy) {
    validateProxy(parseVersionSpec(opts.version).representative, opts);
    // The proxy's ports against every other port of the plan (the one-node cluster's as nodes).
    const oneNode: NodeSpec[] = [
      { name: 'namesrv', kind: 'namesrv', port: pre.namesrvPort, ports: [pre.namesrvPort] },
      {
        name: 'broker',
        kind: 'broker',
        port: pre.brokerPort,
        ports: [pre.brokerPort - 2, pre.brokerPort, pre.brokerPort + 1],
      },
    ];
    validateTopologyPorts([...(nodes ?? oneNode), proxyNode(pre.namesrvPort)]);
  }

  const previous = await readState(layout);
  const live = await liveProcesses(layout, previous);
  if (live.size > 0) {
    const addr = previous?.namesrvAddr ?? 'unknown address';
    const missing = (['namesrv', 'broker'] as const).filter((r) => !live.has(r));
    if (missing.length > 0) {
      // Half a cluster (typically a broker that died): "use it" would be wrong advice.
      const name = (r: Role) => (r === 'namesrv' ? 'name server' : r);
      const running = [...live].map(([r, pid]) => `${name(r)} pid ${pid}`).join(', ');
      throw new EnvironmentError(
        `the local cluster in ${layout.dir} is half running: its ${missing.map(name).join(' and ')} is not (${running} is)`,
        {
          hint: `stop the rest with \`rmq local down --dir ${layout.dir}\`, then run \`rmq local up\` again; \`rmq local logs --dir ${layout.dir}\` shows why it stopped`,
        },
      );
    }
    throw new EnvironmentError(`a local cluster is already running in ${layout.dir} (name server ${addr})`, {
      hint: `use it (--namesrv ${addr}), stop it with \`rmq local down --dir ${layout.dir}\`, or pick another --dir`,
    });
  }

  // Before anything slow (a download): a dir that is not ours should fail at once.
  await claimDir(layout, previous?.dir);

  const java = await findJava(env);
  // Every candidate of a spec shares its major version, which is all the port check needs.
  const firstCandidate = parseVersionSpec(opts.version).representative;
  const proxySpec = opts.proxy ? [proxyNode(pre.namesrvPort)] : [];
  if (nodes) await checkTopologyPorts([...nodes, ...proxySpec], firstCandidate);
  else await checkPorts({ ...pre, version: firstCandidate });
  if (!nodes && opts.proxy) await checkTopologyPorts(proxySpec, firstCandidate);
  await checkDisk(layout);

  progress(`resolving RocketMQ ${opts.version}`);
  const runtime = await resolveRuntime({
    spec: opts.version,
    cacheRoot: opts.cacheRoot,
    env,
    onProgress: progress,
    downloadTimeoutMs: opts.downloadTimeoutMs,
    signal: opts.signal,
  });
  const proxyRuntime = opts.proxy
    ? await resolveProxyRuntime({
        version: runtime.version,
        cacheRoot: opts.cacheRoot,
        env,
        onProgress: progress,
        downloadTimeoutMs: opts.downloadTimeoutMs,
        signal: opts.signal,
      })
    : undefined;
  const acl = opts.acl ? await resolveAccounts(layout, opts.acl, runtime.version) : undefined;
  const settings: ClusterSettings = { ...pre, version: runtime.version, acl, tls: opts.tls };
  // A download takes long enough for ports to change hands.
  if (runtime.downloaded || proxyRuntime?.downloaded) {
    await (nodes ? checkTopologyPorts([...nodes, ...proxySpec], runtime.version) : checkPorts(settings));
    if (!nodes && opts.proxy) await checkTopologyPorts(proxySpec, runtime.version);
  }

  const state: LocalState = {
    schema: 1,
    version: runtime.version,
    dir: layout.dir,
    namesrvAddr: nodes ? topologyNamesrvAddr(nodes) : namesrvAddress(settings),
    brokerAddr: brokerAddress(settings),
    clusterName: settings.clusterName,
    brokerName: settings.brokerName,
    autoCreateTopic: settings.autoCreateTopic,
    ports: {
      namesrv: settings.namesrvPort,
      broker: settings.brokerPort,
      brokerFast: settings.brokerPort - 2,
      brokerHa: settings.brokerPort + 1,
    },
    pids: {},
    java: java.path,
    libDir: runtime.libDir,
    startedAt: new Date().toISOString(),
    acl: acl !== undefined,
    tls: opts.tls === true,
  };

  const spawned: Spawned[] = [];
  let proxy: ProxyStarted | undefined;
  // The name server checks no signature (4.9 and 5.3 alike); signing costs nothing and keeps the
  // probe working should one start to.
  const client = new RemotingClient({
    timeoutMs: 2000,
    credentials: acl?.admin,
    tls: probeTls(opts.tls),
  });
  // The wait covers the JVMs only, not a first download.
  const deadline = Date.now() + opts.waitMs;
  const checkAbort = (): void => {
    if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('aborted');
  };
  // Recorded in the state file as soon as it exists, so `down` can stop it whatever happens next.
  const launch = async (role: 'namesrv' | 'broker'): Promise<void> => {
    const p = spawnJvm(
      role,
      java.path,
      javaArgs(role, settings, layout, runtime.libDir, java.major),
      layout,
      env,
    );
    spawned.push(p);
    state.pids[role] = p.child.pid;
    await writeState(layout, state);
  };
  const checkExited = async (): Promise<void> => {
    const dead = spawned.find((p) => p.exit !== undefined);
    if (dead) throw await exitedError(dead);
  };

  try {
    // The state file first: with the owner file it is what lets `down --purge` clean up after this
    // `up`, however far it gets.
    await writeState(layout, state);
    if (nodes) {
      await mkdir(layout.tmpDir, { recursive: true });
      await startTopology({
        spec: topology!,
        nodes,
        settings,
        layout,
        java: { path: java.path, major: java.major },
        libDir: runtime.libDir,
        env,
        state,
        spawned,
        deadline,
        waitMs: opts.waitMs,
        client,
        progress,
        signal: opts.signal,
      });
    } else {
      for (const dir of [
        layout.confDir,
        layout.homeDir,
        layout.logsDir,
        layout.storeDir,
        layout.namesrvDataDir,
        layout.tmpDir,
      ]) {
        await mkdir(dir, { recursive: true });
      }
      for (const f of confFiles(settings, layout)) {
        if (f.secret) await writeSecretFile(f.path, f.content);
        else await writeFile(f.path, f.content);
      }
      if (acl) {
        const stored: StoredAccounts = { schema: 1, ...acl };
        await writeSecretFile(layout.aclFile, `${JSON.stringify(stored, null, 2)}\n`);
      }

      checkAbort();
      progress(`starting name server on ${state.namesrvAddr} (RocketMQ ${runtime.version})`);
      await launch('namesrv');

      // The broker registers once at start and then only every 30 s: start it after namesrv listens.
      while (!(await tcpReachable(settings.namesrvPort, 1000))) {
        checkAbort();
        await checkExited();
        if (Date.now() > deadline) throw notReady('name server', opts.waitMs, logFiles(layout, 'namesrv'));
        await pause(200, spawned, opts.signal);
      }
      checkAbort();

      progress(`starting broker ${settings.brokerName} on ${state.brokerAddr}`);
      await launch('broker');

      progress(`waiting for broker ${settings.brokerName} to register with the name server`);
      const namesrv = new NameServerClient(client, [state.namesrvAddr]);
      for (;;) {
        checkAbort();
        await checkExited();
        try {
          const info = await namesrv.getClusterInfo();
          const b = info.brokers.find(
            (x) => x.brokerName === settings.brokerName && x.cluster === settings.clusterName,
          );
          const master = b?.addrs.get(0);
          // Registered is not yet serving: a broker registers before every part of it is up, and
          // an admin request that early fails (CI saw `cluster list` get no version that way).
          if (master && portOf(master) === settings.brokerPort) {
            // Where it listens, not what it advertises (--advertise-ip names an address nothing answers at).
            await client.call(state.brokerAddr, RequestCode.GET_BROKER_RUNTIME_INFO, {});
            break;
          }
        } catch {
          // Not answering yet; the loop's deadline decides when that becomes an error.
        }
        if (Date.now() > deadline) throw notReady('broker', opts.waitMs, logFiles(layout, 'broker'));
        await pause(500, spawned, opts.signal);
      }
    }
    if (proxyRuntime) {
      proxy = await startProxy({
        layout,
        settings,
        namesrvPort: settings.namesrvPort,
        namesrvAddr: state.namesrvAddr,
        java: { path: java.path, major: java.major },
        libDir: proxyRuntime.libDir,
        env,
        state,
        spawned,
        deadline,
        waitMs: opts.waitMs,
        client,
        progress,
        signal: opts.signal,
      });
    }
  } catch (err) {
    progress('stopping the processes started so far');
    await Promise.all(
      spawned
        .filter((p) => p.exit === undefined && p.child.pid)
        .map(async (p) =>
          stopProcess(p.child.pid!, 10_000, await ownershipCheck(p.child.pid!, ownerMarker(layout), p.role)),
        ),
    );
    // Kept, marked stopped: `status` says what was tried, `down --purge` may clean up.
    await writeState(layout, { ...state, pids: {}, stoppedAt: new Date().toISOString() }).catch(() => {});
    throw err;
  } finally {
    client.close();
  }

  let profile: LocalProfileResult | undefined;
  let profileError: string | undefined;
  if (opts.profile) {
    try {
      profile = await saveLocalProfile(
        opts.profile,
        { namesrvAddr: state.namesrvAddr, acl: acl?.admin, tls: opts.tls === true },
        env,
      );
    } catch (err) {
      // The cluster runs: a broken profiles file is worth a warning, not a teardown.
      profileError = (err as Error).message;
    }
  }

  return {
    status: 'started',
    dir: layout.dir,
    version: runtime.version,
    namesrvAddr: state.namesrvAddr,
    brokerAddr: state.brokerAddr,
    clusterName: state.clusterName,
    brokerName: state.brokerName,
    ports: state.ports,
    pids: nodes
      ? { namesrv: state.topology!.nodes[0]!.pid!, broker: firstBroker(state)!.pid! }
      : { namesrv: state.pids.namesrv!, broker: state.pids.broker! },
    nodes: state.topology?.nodes.map((n) => ({ name: n.name, kind: n.kind, port: n.port, pid: n.pid! })),
    startedAt: state.startedAt,
    elapsedMs: Date.now() - started,
    downloaded: runtime.downloaded || proxyRuntime?.downloaded === true,
    release: runtime.release,
    logs: { namesrv: logFiles(layout, 'namesrv').main, broker: logFiles(layout, 'broker').main },
    proxy,
    acl: acl && {
      ...acl.admin,
      accountsFile: layout.aclFile,
      // Only 4.x gets the read-only account: 5.x users live in the broker's store.
      readOnly: isLegacy(runtime.version) ? acl.readOnly : undefined,
    },
    tls: opts.tls === true,
    profile,
    profileError,
  };
}

export const MASKED_SECRET = '********';

/** The result as it may be shown anywhere: secret keys replaced. */
export function withSecretsMasked(r: UpResult): UpResult {
  if (!r.acl) return r;
  const { readOnly } = r.acl;
  return {
    ...r,
    acl: {
      ...r.acl,
      secretKey: MASKED_SECRET,
      readOnly: readOnly && { ...readOnly, secretKey: MASKED_SECRET },
    },
  };
}
