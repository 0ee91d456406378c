/**
 * Where the embedded RocketMQ keeps things: jars in a per-user cache shared by every cluster,
 * and one state dir per cluster (config, store, logs, state file).
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Root of the jar cache: `$RMQ_CACHE_DIR/rocketmq`, else `${XDG_CACHE_HOME:-~/.cache}/rmq/rocketmq`.
 * RMQ_CACHE_DIR names rmq's whole cache (not just RocketMQ's part) so other caches can live beside it.
 */
export function rocketmqCacheRoot(env: Env = process.env): string {
  const rmqCache = env.RMQ_CACHE_DIR || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'rmq');
  return resolve(rmqCache, 'rocketmq');
}

/** Default state dir of `rmq local`: `$RMQ_LOCAL_DIR`, else `${XDG_STATE_HOME:-~/.local/state}/rmq/local`. */
export function defaultLocalDir(env: Env = process.env): string {
  if (env.RMQ_LOCAL_DIR) return resolve(env.RMQ_LOCAL_DIR);
  return resolve(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'rmq', 'local');
}

/** Every path inside one cluster's state dir, in one place so up/down/status/logs agree. */
export interface LocalLayout {
  dir: string;
  stateFile: string;
  /** Written by `up` with the dir's absolute path: the proof `down --purge` needs (see owner.ts). */
  ownerFile: string;
  confDir: string;
  namesrvConf: string;
  brokerConf: string;
  /** Passed as -Duser.home so RocketMQ's own logs (and anything else it puts in ~) stay here. */
  homeDir: string;
  /** RocketMQ's rolling logs (namesrv.log, broker.log, store.log, …). */
  rocketmqLogsDir: string;
  /** The JVMs' stdout+stderr. */
  logsDir: string;
  namesrvOut: string;
  brokerOut: string;
  storeDir: string;
  namesrvDataDir: string;
  /** java.io.tmpdir: 5.x writes a self-signed TLS cert and key per start there. */
  tmpDir: string;
  /** 4.x plain ACL accounts ($ROCKETMQ_HOME/conf/plain_acl.yml, where PlainPermissionManager looks). */
  plainAclFile: string;
  /** The --acl accounts `up` generated or was given (mode 0600), reused by the next `up`. */
  aclFile: string;
  /** One dir per JVM of a multi-node topology (config, store, home, stdout). */
  nodesDir: string;
}

export function localLayout(dir: string): LocalLayout {
  const d = resolve(dir);
  const homeDir = join(d, 'home');
  const logsDir = join(d, 'logs');
  const confDir = join(d, 'conf');
  return {
    dir: d,
    stateFile: join(d, 'state.json'),
    ownerFile: join(d, '.rmq-local.json'),
    confDir,
    namesrvConf: join(confDir, 'namesrv.conf'),
    brokerConf: join(confDir, 'broker.conf'),
    homeDir,
    rocketmqLogsDir: join(homeDir, 'logs', 'rocketmqlogs'),
    logsDir,
    namesrvOut: join(logsDir, 'namesrv.out'),
    brokerOut: join(logsDir, 'broker.out'),
    storeDir: join(d, 'store'),
    namesrvDataDir: join(d, 'namesrv'),
    tmpDir: join(d, 'tmp'),
    plainAclFile: join(confDir, 'plain_acl.yml'),
    aclFile: join(confDir, 'acl-accounts.json'),
    nodesDir: join(d, 'nodes'),
  };
}

/**
 * The entries `up` creates in a state dir; `down --purge` removes these and nothing else, in this
 * order: the owner file last, so that a purge cut short can be run again.
 */
export function createdEntries(layout: LocalLayout): string[] {
  return [
    layout.storeDir,
    layout.namesrvDataDir,
    layout.confDir,
    layout.homeDir,
    layout.logsDir,
    layout.tmpDir,
    layout.nodesDir,
    layout.stateFile,
    layout.ownerFile,
  ];
}
