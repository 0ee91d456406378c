/**
 * The embedded single-node cluster: one name server and one broker as detached JVMs, owned by a
 * state dir. `up` refuses to start over a live cluster, `down` only signals JVMs that carry that
 * dir's marker, and every failure during `up` stops what it started.
 */
import { mkdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
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
import { checkTopologyPorts, type NodeStatus, nodeStatuses, startTopology } from './nodes.js';
import { claimDir, purgePlan } from './owner.js';
import { localLayout } from './paths.js';
import { diskUsage, ownershipCheck, sleep, stopProcess } from './process.js';
import { type LocalProfileResult, saveLocalProfile } from './profile.js';
import { findJava, type ProgressFn, resolveRuntime } from './resolve.js';
import {
  liveNodes,
  liveProcesses,
  type LocalState,
  type NodeState,
  probeTls,
  readState,
  writeState,
} from './state.js';
import {
  isMultiNode,
  type NodeSpec,
  topologyNamesrvAddr,
  topologyNodes,
  type TopologySpec,
  validateTopology,
  validateTopologyPorts,
} from './topology.js';

/** The first broker of a topology: the configured master of broker-a. */
function firstBroker(state: LocalState): NodeState | undefined {
  return state.topology?.nodes.find((n) => n.kind === 'broker');
}

/** How long `down` gives the broker to unregister before stopping the name server too. */
const UNREGISTER_WAIT_MS = 10_000;

// ---------------------------------------------------------------------------------------------
// up

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
  /** A multi-node topology's JVMs (pids above: the first name server and the first master). */
  nodes?: { name: string; kind: 'namesrv' | 'broker'; port: number; pid: number }[] | undefined;
  logs: { namesrv: string; broker: string };
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
  };
  validateSettings(pre);
  const topology = opts.topology && isMultiNode(opts.topology) ? opts.topology : undefined;
  let nodes: NodeSpec[] | undefined;
  if (topology) {
    validateTopology(topology, parseVersionSpec(opts.version).candidates[0]!);
    if (opts.acl || opts.tls) {
      throw new InvalidArgumentError('--acl and --tls are not supported with a multi-node topology yet', {
        hint: 'drop them, or run the one-node cluster (no --masters/--replicas/--namesrvs/--ha)',
      });
    }
    nodes = topologyNodes(topology, pre);
    validateTopologyPorts(nodes);
  }

  const previous = await readState(layout);
  const live = await liveProcesses(layout, previous);
  if (live.size > 0) {
    const addr = previous?.namesrvAddr ?? 'unknown address';
    const missing = (['namesrv', 'broker'] as const).filter((r) => !live.has(r));
    if (missing.length > 0) {
      // Half a cluster (typically a broker that died): "use it" would be wrong advice.
      const name = (r: Role) => (r === 'namesrv' ? 'name server' : 'broker');
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
  const firstCandidate = parseVersionSpec(opts.version).candidates[0]!;
  if (nodes) await checkTopologyPorts(nodes, firstCandidate);
  else await checkPorts({ ...pre, version: firstCandidate });
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
  const acl = opts.acl ? await resolveAccounts(layout, opts.acl, runtime.version) : undefined;
  const settings: ClusterSettings = { ...pre, version: runtime.version, acl, tls: opts.tls };
  // A download takes long enough for ports to change hands.
  if (runtime.downloaded) await (nodes ? checkTopologyPorts(nodes, runtime.version) : checkPorts(settings));

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
  const launch = async (role: Role): Promise<void> => {
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
            await client.call(master, RequestCode.GET_BROKER_RUNTIME_INFO, {});
            break;
          }
        } catch {
          // Not answering yet; the loop's deadline decides when that becomes an error.
        }
        if (Date.now() > deadline) throw notReady('broker', opts.waitMs, logFiles(layout, 'broker'));
        await pause(500, spawned, opts.signal);
      }
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
    downloaded: runtime.downloaded,
    logs: { namesrv: logFiles(layout, 'namesrv').main, broker: logFiles(layout, 'broker').main },
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

// ---------------------------------------------------------------------------------------------
// down

export interface DownOptions {
  dir: string;
  timeoutMs: number;
  purge: boolean;
  /** Stop and delete nothing; the result says what would be. */
  dryRun?: boolean | undefined;
  onProgress?: ProgressFn;
}

export interface StoppedProcess {
  role: Role;
  pid: number;
  /** The node of a multi-node topology (namesrv-1, broker-a-0 …). */
  node?: string | undefined;
  /** SIGTERM: stopped cleanly; SIGKILL: did not stop within --timeout. */
  signal: 'SIGTERM' | 'SIGKILL';
}

export interface DownResult {
  dir: string;
  /** Whether anything of this dir was running. */
  wasRunning: boolean;
  stopped: StoppedProcess[];
  /** Whether --purge ran (false with --dry-run). */
  purged: boolean;
  /**
   * --purge: the absolute paths deleted (with --dry-run: that would be), the dir itself last
   * when nothing else was in it. Empty when the dir holds nothing `up` created.
   */
  removed: string[];
  /** --dry-run: nothing was stopped or deleted. */
  dryRun: boolean;
  /** --dry-run: the processes `down` would stop. */
  running?: { role: Role; pid: number; node?: string | undefined }[] | undefined;
}

/** Resolves when the name server no longer lists the broker, the broker has exited, or after a while. */
async function untilUnregistered(state: LocalState | undefined, brokerStop: Promise<unknown>): Promise<void> {
  let exited = false;
  void brokerStop.then(() => {
    exited = true;
  });
  if (!state) {
    await Promise.race([brokerStop, sleep(3000)]);
    return;
  }
  const client = new RemotingClient({ timeoutMs: 1000, tls: probeTls(state.tls) });
  const namesrv = new NameServerClient(client, [state.namesrvAddr]);
  const deadline = Date.now() + UNREGISTER_WAIT_MS;
  try {
    while (!exited && Date.now() < deadline) {
      const info = await namesrv.getClusterInfo();
      if (!info.brokers.some((b) => b.brokerName === state.brokerName && b.addrs.size > 0)) return;
      await Promise.race([brokerStop, sleep(200)]);
    }
  } catch {
    // A name server that does not answer has nothing to wait for.
  } finally {
    client.close();
  }
}

export async function down(opts: DownOptions): Promise<DownResult> {
  const progress = opts.onProgress ?? (() => {});
  const layout = localLayout(opts.dir);
  const state = await readState(layout);
  // Settled before anything is stopped: a refused purge leaves the cluster as it was.
  const plan = opts.purge ? await purgePlan(layout, state?.dir) : undefined;
  const live = await liveProcesses(layout, state);
  // A topology: every JVM of the dir, brokers first.
  const multi = state?.topology ? await liveNodes(layout, state) : undefined;
  const targets: { role: Role; pid: number; node?: string | undefined }[] = multi
    ? [...multi.filter((n) => n.role === 'broker'), ...multi.filter((n) => n.role !== 'broker')].map((n) => ({
        role: n.role,
        pid: n.pid,
        node: n.node,
      }))
    : (['broker', 'namesrv'] as const).flatMap((role) => {
        const pid = live.get(role);
        return pid === undefined ? [] : [{ role, pid }];
      });
  if (opts.dryRun) {
    return {
      dir: layout.dir,
      wasRunning: live.size > 0,
      stopped: [],
      purged: false,
      removed: plan ? [...plan.entries, ...(plan.dir ? [layout.dir] : [])] : [],
      dryRun: true,
      running: targets,
    };
  }
  if (targets.length > 0) {
    const names = targets.map(
      (t) => `${t.node ?? (t.role === 'broker' ? 'broker' : 'name server')} (pid ${t.pid})`,
    );
    progress(`stopping ${names.join(' and ')}`);
  }
  // Broker first, and the name server once the broker has unregistered from it (else the broker's
  // log fills with connection-refused traces) rather than after the broker's whole shutdown
  // (~12 s on 5.3; 5.x unregisters at once, 4.9 only near the end).
  let brokerStop: Promise<unknown> = Promise.resolve();
  const brokerStops: Promise<unknown>[] = [];
  // Identities taken before any signal: each kill is then checked against the process found here.
  const checks = await Promise.all(
    targets.map(async (t) => ({ t, isOurs: await ownershipCheck(t.pid, ownerMarker(layout), t.role) })),
  );
  const outcomes = await Promise.all(
    checks.map(async ({ t, isOurs }) => {
      if (t.role === 'broker') {
        const p = stopProcess(t.pid, opts.timeoutMs, isOurs);
        brokerStop = p;
        brokerStops.push(p);
        return p;
      }
      if (multi) await Promise.race([Promise.all(brokerStops), sleep(UNREGISTER_WAIT_MS)]);
      else if (live.has('broker')) await untilUnregistered(state, brokerStop);
      return stopProcess(t.pid, opts.timeoutMs, isOurs);
    }),
  );
  const stopped: StoppedProcess[] = [];
  targets.forEach((t, i) => {
    const outcome = outcomes[i];
    if (outcome && outcome !== 'gone') {
      stopped.push({ role: t.role, pid: t.pid, signal: outcome, ...(t.node ? { node: t.node } : {}) });
    }
  });
  if (state && !state.stoppedAt) {
    await writeState(layout, { ...state, pids: {}, stoppedAt: new Date().toISOString() });
  }
  const removed: string[] = [];
  if (plan) {
    if (plan.entries.length > 0) {
      progress(`deleting ${plan.entries.map((p) => basename(p)).join(', ')} in ${layout.dir}`);
    }
    for (const entry of plan.entries) {
      await rm(entry, { recursive: true, force: true });
      removed.push(entry);
    }
    // Still only if nothing else is there: something may have been put there since the plan.
    if (
      plan.dir &&
      (await rmdir(layout.dir).then(
        () => true,
        () => false,
      ))
    )
      removed.push(layout.dir);
  }
  return {
    dir: layout.dir,
    wasRunning: live.size > 0,
    stopped,
    purged: plan !== undefined,
    removed,
    dryRun: false,
  };
}

// ---------------------------------------------------------------------------------------------
// status

export interface ProcessStatus {
  pid: number | null;
  running: boolean;
}

export interface StatusResult {
  dir: string;
  state: 'running' | 'stopped' | 'partial';
  version: string | null;
  namesrvAddr: string | null;
  brokerAddr: string | null;
  clusterName: string | null;
  brokerName: string | null;
  ports: LocalState['ports'] | null;
  processes: { namesrv: ProcessStatus; broker: ProcessStatus };
  /** Whether the name server lists the broker right now; null when not both are running. */
  brokerRegistered: boolean | null;
  /** Whether the last `up` turned ACL / TLS on. */
  acl: boolean;
  tls: boolean;
  startedAt: string | null;
  uptimeMs: number | null;
  store: { dir: string; bytes: number };
  logs: { namesrv: string; broker: string };
  /** A multi-node topology: every node, up or down, with the role the name servers give it now. */
  nodes?: NodeStatus[] | undefined;
}

export async function status(opts: { dir: string }): Promise<StatusResult> {
  const layout = localLayout(opts.dir);
  const state = await readState(layout);
  const live = await liveProcesses(layout, state);
  const ns = live.get('namesrv');
  const br = live.get('broker');
  let cluster: StatusResult['state'] =
    ns !== undefined && br !== undefined ? 'running' : live.size > 0 ? 'partial' : 'stopped';
  let nodes: NodeStatus[] | undefined;
  if (state?.topology) {
    nodes = await nodeStatuses(state, await liveNodes(layout, state));
    const up = nodes.filter((n) => n.up).length;
    cluster = up === nodes.length ? 'running' : up > 0 ? 'partial' : 'stopped';
  }

  let brokerRegistered: boolean | null = null;
  if (cluster === 'running' && state && !nodes) {
    const client = new RemotingClient({ timeoutMs: 2000, tls: probeTls(state.tls) });
    try {
      const info = await new NameServerClient(client, [state.namesrvAddr]).getClusterInfo();
      brokerRegistered = info.brokers.some((b) => b.brokerName === state.brokerName && b.addrs.has(0));
    } catch {
      brokerRegistered = false;
    } finally {
      client.close();
    }
  }
  const running = cluster !== 'stopped';
  const startedAt = running ? (state?.startedAt ?? null) : null;
  return {
    dir: layout.dir,
    state: cluster,
    version: state?.version ?? null,
    namesrvAddr: state?.namesrvAddr ?? null,
    brokerAddr: state?.brokerAddr ?? null,
    clusterName: state?.clusterName ?? null,
    brokerName: state?.brokerName ?? null,
    ports: state?.ports ?? null,
    processes: {
      namesrv: { pid: ns ?? null, running: ns !== undefined },
      broker: { pid: br ?? null, running: br !== undefined },
    },
    brokerRegistered,
    acl: state?.acl === true,
    tls: state?.tls === true,
    startedAt,
    uptimeMs: startedAt ? Date.now() - Date.parse(startedAt) : null,
    store: nodes
      ? { dir: layout.nodesDir, bytes: await diskUsage(layout.nodesDir) }
      : { dir: layout.storeDir, bytes: await diskUsage(layout.storeDir) },
    logs:
      nodes && state?.topology
        ? { namesrv: state.topology.nodes[0]!.mainLog, broker: firstBroker(state)!.mainLog }
        : { namesrv: logFiles(layout, 'namesrv').main, broker: logFiles(layout, 'broker').main },
    nodes,
  };
}
