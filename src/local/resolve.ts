/**
 * Finding java and mvn, and getting RocketMQ's jars from Maven Central into the per-user cache
 * exactly once: a version counts as cached only after a complete copy (marker file), and a line
 * spec ("5.3") remembers which release it settled on, so later `up`s neither run mvn nor touch
 * the network.
 */
import { execFile, spawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { takeDownloadLock } from './download-lock.js';
import { isAlive } from './process.js';
import { delimiter, join } from 'node:path';
import { EnvironmentError, InvalidArgumentError, TimeoutError } from '../core/errors.js';
import {
  childEnv,
  mavenArgs,
  parseJavaMajor,
  parseVersionSpec,
  PROXY_ARTIFACTS,
  ROCKETMQ_ARTIFACTS,
  runtimePom,
} from './config.js';
import { fetchReleases, lineReleases } from './releases.js';

type Env = Readonly<Record<string, string | undefined>>;
/** `transient` marks updates that only refresh a counter: worth a spinner, not a log line. */
export type ProgressFn = (msg: string, opts?: { transient?: boolean }) => void;

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, fsConstants.X_OK);
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** Absolute path of `name` on PATH, like `command -v`. */
export async function which(name: string, env: Env = process.env): Promise<string | undefined> {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export interface JavaInfo {
  path: string;
  major: number;
  /** First line of `java -version`, for status and error messages. */
  description: string;
}

/** $JAVA_HOME/bin/java when JAVA_HOME points at a JDK/JRE, else `java` on PATH. */
export async function findJava(env: Env = process.env): Promise<JavaInfo> {
  let path: string | undefined;
  if (env.JAVA_HOME && (await isExecutable(join(env.JAVA_HOME, 'bin', 'java')))) {
    path = join(env.JAVA_HOME, 'bin', 'java');
  } else {
    path = await which('java', env);
  }
  if (!path) {
    throw new EnvironmentError('java was not found on PATH (and JAVA_HOME is not set to a JDK)', {
      hint: 'install a JDK 17 (e.g. `apt-get install openjdk-17-jre-headless`, `brew install openjdk@17`) or set JAVA_HOME',
    });
  }
  const output = await new Promise<string>((resolve) => {
    execFile(path, ['-version'], { timeout: 15_000 }, (_err, stdout, stderr) =>
      resolve(`${stderr}${stdout}`),
    );
  });
  const major = parseJavaMajor(output);
  if (major === undefined) {
    throw new EnvironmentError(`${path} -version did not print a Java version`, {
      hint: 'check that it is a working Java installation (run `java -version`), or set JAVA_HOME to one',
    });
  }
  if (major < 8) {
    throw new EnvironmentError(`RocketMQ needs Java 8 or newer, ${path} is Java ${major}`, {
      hint: 'install a JDK 17 or set JAVA_HOME to one',
    });
  }
  return { path, major, description: output.split('\n')[0]?.trim() ?? '' };
}

interface CompleteMarker {
  version: string;
  jars: number;
  bytes: number;
  resolvedAt: string;
}

export interface ResolvedRuntime {
  version: string;
  libDir: string;
  jars: number;
  bytes: number;
  /** False when it came from the cache without running mvn. */
  downloaded: boolean;
  /** How a release line was settled (absent for an exact --version). */
  release?: ReleaseChoice | undefined;
}

export interface ReleaseChoice {
  /** The line asked for, e.g. "5.5". */
  line: string;
  /**
   * repository: from the Maven repository's list, read now; remembered: the pick of the last
   * day (or, offline, the last one); built-in: offline, from the table rmq was built with.
   */
  source: 'repository' | 'remembered' | 'built-in';
  /** The line's releases as the repository listed them, newest first (source repository). */
  listed?: string[] | undefined;
  /** Newer releases of the line that Maven Central does not serve completely, and why. */
  skipped: { version: string; reason: string }[];
}

/** How long one mvn run may take by default: a first download is ~100 MB over a slow link. */
export const DEFAULT_DOWNLOAD_TIMEOUT_MS = 10 * 60_000;

export interface ResolveOptions {
  /** Exact version ("5.3.3") or release line ("5.3"). */
  spec: string;
  cacheRoot: string;
  env?: Env;
  onProgress?: ProgressFn;
  /** Each mvn run is stopped (its whole process group) after this long. */
  downloadTimeoutMs?: number;
  /** Aborting stops a running mvn and rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
  /** Every release the Maven repository lists (tests replace the network). */
  listReleases?: () => Promise<string[]>;
}

/** A line's pick is trusted this long before the repository's list is read again (mvn's daily). */
export const LINE_RECHECK_MS = 24 * 3600_000;

/** resolved.json: what a line settled on and when the repository's list was last read for it. */
type Alias = string | { version: string; checkedAt: string };

/**
 * What one cache dir holds: the servers' runtime in <root>/<v>, the 5.x proxy's in <root>/<v>/proxy
 * (a closure of its own: adding it to the servers' lib would rewrite a dir running JVMs read).
 */
export interface RuntimeKind {
  artifacts: readonly string[];
  /** Below the version's dir; '' for the servers. */
  sub: string;
}

export const SERVER_RUNTIME: RuntimeKind = { artifacts: ROCKETMQ_ARTIFACTS, sub: '' };
export const PROXY_RUNTIME: RuntimeKind = { artifacts: PROXY_ARTIFACTS, sub: 'proxy' };

const versionDir = (root: string, v: string, sub = ''): string => (sub ? join(root, v, sub) : join(root, v));
const libDirOf = (root: string, v: string, sub = ''): string => join(versionDir(root, v, sub), 'lib');
const markerOf = (root: string, v: string, sub = ''): string =>
  join(versionDir(root, v, sub), 'complete.json');
const aliasFile = (root: string): string => join(root, 'resolved.json');

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`);
  await rename(tmp, file);
}

/** The cached runtime of `version` if its copy completed and nothing was removed since. */
export async function cachedRuntime(
  cacheRoot: string,
  version: string,
  kind: RuntimeKind = SERVER_RUNTIME,
): Promise<ResolvedRuntime | undefined> {
  const marker = await readJson<CompleteMarker>(markerOf(cacheRoot, version, kind.sub));
  if (!marker) return undefined;
  try {
    const jars = (await readdir(libDirOf(cacheRoot, version, kind.sub))).filter((f) => f.endsWith('.jar'));
    if (jars.length !== marker.jars) return undefined;
  } catch {
    return undefined;
  }
  return {
    version,
    libDir: libDirOf(cacheRoot, version, kind.sub),
    jars: marker.jars,
    bytes: marker.bytes,
    downloaded: false,
  };
}

/** The RocketMQ-relevant line of Maven's output, shortened to fit one terminal line or two. */
export function mavenKeyLine(output: string): string {
  const lines = output
    .replace(/\x1b\[[0-9;]*m/g, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  const error =
    lines.find((l) => l.startsWith('[ERROR]') && /Failed to execute goal|Could not/.test(l)) ??
    lines.find((l) => l.startsWith('[ERROR]')) ??
    lines.at(-1) ??
    'mvn failed without output';
  let text = error
    .replace(/^\[ERROR\]\s*/, '')
    .replace(/\s*->\s*\[Help 1\]\s*$/, '')
    .replace(/^Failed to execute goal on project [^:]+:\s*/, '')
    .replace(/^Could not resolve dependencies for project [^:]+:[^:]+:[^:]+:[^:]+:\s*/, '');
  const notFound = /Could not find artifact (\S+)/.exec(text);
  // Maven remembers a miss for a day and then says so at length; the artifact is what matters.
  const cachedMiss = /(\S+:jar:\S+) was not found in \S+ during a previous attempt/.exec(text);
  if (notFound) text = `${notFound[1]} is not on Maven Central`;
  else if (cachedMiss)
    text = `${cachedMiss[1]} is not on Maven Central (as of Maven's last check; -U rechecks)`;
  return text.length > 300 ? `${text.slice(0, 297)}…` : text;
}

/** True when Maven's failure means "this release is not (completely) on Central", not a network problem. */
export function isNotPublished(output: string): boolean {
  const text = output.replace(/\x1b\[[0-9;]*m/g, '');
  if (
    /Could not transfer|UnknownHost|Unknown host|Connection refused|timed out|Network is unreachable/i.test(
      text,
    )
  ) {
    return false;
  }
  return /Could not find artifact|was not found in|Failure to find/.test(text);
}

/** "10m", "90s", "1500ms": a duration as a user would have typed it. */
export function formatDuration(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

interface MavenRun {
  code: number;
  output: string;
  /** Stopped after the timeout. */
  timedOut: boolean;
}

/** Signals every process of a group; mvn is a shell script that runs java, which may fork more. */
function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Gone already.
  }
}

/**
 * Runs mvn in a process group of its own, so that a timeout or an abort stops the JVM it starts
 * too (killing the `mvn` script alone would leave that downloading). The group also keeps a
 * terminal's Ctrl-C from reaching mvn, hence the abort signal.
 */
export function runMaven(
  mvn: string,
  args: string[],
  cwd: string,
  env: Env,
  opts: { timeoutMs: number; signal?: AbortSignal | undefined },
): Promise<MavenRun> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(opts.signal.reason ?? new Error('aborted'));
      return;
    }
    const child = spawn(mvn, args, {
      cwd,
      env: childEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    let timedOut = false;
    let hardKill: NodeJS.Timeout | undefined;
    const stop = (): void => {
      if (child.pid === undefined || hardKill) return;
      killGroup(child.pid, 'SIGTERM');
      // Maven's JVM exits on SIGTERM within a second or two; a hung one gets SIGKILL. The pipes
      // stay open (so `close` waits) while any of the group holds them, which keeps its id ours.
      hardKill = setTimeout(() => killGroup(child.pid!, 'SIGKILL'), 5000);
      hardKill.unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, opts.timeoutMs);
    const onAbort = (): void => stop();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (): void => {
      clearTimeout(timer);
      if (hardKill) clearTimeout(hardKill);
      opts.signal?.removeEventListener('abort', onAbort);
      // No last SIGKILL to the group here: once its processes are gone, the id may name another.
    };
    child.on('error', (err) => {
      finish();
      reject(err);
    });
    child.on('close', (code) => {
      finish();
      if (opts.signal?.aborted) {
        reject(opts.signal.reason ?? new Error('aborted'));
        return;
      }
      resolve({ code: code ?? 1, output: Buffer.concat(chunks).toString('utf8'), timedOut });
    });
  });
}

/** Removes copies left by an interrupted mvn run (their pid in the name is gone). */
async function removeStalePartials(dir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return;
  }
  for (const e of entries) {
    const m = /^lib\.partial-(\d+)$/.exec(e);
    if (m && !(await isAlive(Number(m[1])))) await rm(join(dir, e), { recursive: true, force: true });
  }
}

async function dirJars(dir: string): Promise<{ jars: number; bytes: number }> {
  let jars = 0;
  let bytes = 0;
  for (const f of await readdir(dir)) {
    if (!f.endsWith('.jar')) continue;
    jars++;
    bytes += (await stat(join(dir, f))).size;
  }
  return { jars, bytes };
}

type Attempt =
  | { ok: true; runtime: ResolvedRuntime }
  | {
      ok: false;
      notPublished: boolean;
      keyLine: string;
      timedOut?: boolean;
      /** Timed out waiting for another process's download of the same release (its pid). */
      waitedFor?: number;
    };

interface DownloadRun {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Another process is downloading the same release: this one waits for it (see download-lock.ts). */
  onWait?: (holderPid: number) => void;
}

async function download(
  mvn: string,
  cacheRoot: string,
  version: string,
  env: Env,
  run: DownloadRun,
  kind: RuntimeKind = SERVER_RUNTIME,
): Promise<Attempt> {
  const vdir = versionDir(cacheRoot, version, kind.sub);
  await mkdir(vdir, { recursive: true });
  const lock = await takeDownloadLock(join(vdir, 'download.lock'), {
    timeoutMs: run.timeoutMs,
    signal: run.signal,
    isDone: async () => (await cachedRuntime(cacheRoot, version, kind)) !== undefined,
    onWait: run.onWait,
  });
  if (lock.kind === 'timeout') {
    return {
      ok: false,
      notPublished: false,
      keyLine: `another rmq (pid ${lock.holderPid}) was still downloading it`,
      timedOut: true,
      waitedFor: lock.holderPid,
    };
  }
  // The holder finished it (or it was cached by the time this process got the lock).
  const cached = await cachedRuntime(cacheRoot, version, kind);
  if (cached) {
    if (lock.kind === 'held') await lock.release();
    return { ok: true, runtime: cached };
  }
  // Done, yet gone again before this read (a purge of the cache meanwhile): start over.
  if (lock.kind === 'done') return download(mvn, cacheRoot, version, env, run, kind);
  try {
    return await downloadLocked(mvn, cacheRoot, version, env, run, kind);
  } finally {
    await lock.release();
  }
}

async function downloadLocked(
  mvn: string,
  cacheRoot: string,
  version: string,
  env: Env,
  run: DownloadRun,
  kind: RuntimeKind,
): Promise<Attempt> {
  const vdir = versionDir(cacheRoot, version, kind.sub);
  await removeStalePartials(vdir);
  const pom = join(vdir, 'pom.xml');
  await writeFile(pom, runtimePom(version, kind.artifacts));
  const partial = join(vdir, `lib.partial-${process.pid}`);
  await rm(partial, { recursive: true, force: true });
  let result: MavenRun;
  try {
    result = await runMaven(mvn, mavenArgs(pom, partial), vdir, env, run);
  } catch (err) {
    await rm(partial, { recursive: true, force: true });
    throw err;
  }
  const { code, output, timedOut } = result;
  if (code !== 0 || timedOut) {
    await rm(partial, { recursive: true, force: true });
    if (timedOut) return { ok: false, notPublished: false, keyLine: mavenKeyLine(output), timedOut: true };
    return { ok: false, notPublished: isNotPublished(output), keyLine: mavenKeyLine(output) };
  }
  const { jars, bytes } = await dirJars(partial);
  if (jars === 0) {
    await rm(partial, { recursive: true, force: true });
    return { ok: false, notPublished: false, keyLine: 'mvn succeeded but copied no jars' };
  }
  // Another `up` may have finished the same copy meanwhile; theirs is as good as ours.
  const already = await cachedRuntime(cacheRoot, version, kind);
  if (already) {
    await rm(partial, { recursive: true, force: true });
    return { ok: true, runtime: { ...already, downloaded: true } };
  }
  const lib = libDirOf(cacheRoot, version, kind.sub);
  await rm(lib, { recursive: true, force: true });
  await rename(partial, lib);
  const marker: CompleteMarker = { version, jars, bytes, resolvedAt: new Date().toISOString() };
  await writeJsonAtomic(markerOf(cacheRoot, version, kind.sub), marker);
  return { ok: true, runtime: { version, libDir: lib, jars, bytes, downloaded: true } };
}

/**
 * A line's releases as the Maven repository lists them, newest first; undefined (with a progress
 * note) when the list cannot be read, so the caller falls back on what it knows.
 */
async function lineFromRepository(
  line: string,
  opts: ResolveOptions,
  env: Env,
  progress: ProgressFn,
): Promise<string[] | undefined> {
  const list =
    opts.listReleases ??
    (() => fetchReleases({ repo: env.RMQ_MAVEN_REPO || undefined, signal: opts.signal }));
  try {
    const releases = lineReleases(await list(), line);
    if (releases.length > 0) progress(`RocketMQ ${line}: the Maven repository lists ${releases.join(', ')}`);
    return releases;
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    progress(
      `could not read the list of RocketMQ releases (${(err as Error).message}); trying the releases rmq knows`,
    );
    return undefined;
  }
}

/**
 * A line rmq's table does not know (a typo like "9.9", or a line newer than this rmq) is checked
 * against the repository's list at once, before ports or the dir are looked at: one the list lacks
 * is bad input. Known lines and exact releases pass untouched (resolveRuntime settles them).
 */
export async function checkLineExists(
  specText: string,
  opts: { env?: Env; listReleases?: () => Promise<string[]>; signal?: AbortSignal | undefined } = {},
): Promise<void> {
  const spec = parseVersionSpec(specText);
  if (spec.exact || spec.candidates.length > 0) return;
  const env = opts.env ?? process.env;
  let all: string[];
  try {
    all = await (
      opts.listReleases ??
      (() => fetchReleases({ repo: env.RMQ_MAVEN_REPO || undefined, signal: opts.signal }))
    )();
  } catch (err) {
    throw new EnvironmentError(
      `cannot tell whether RocketMQ ${spec.spec} exists: the list of releases could not be read (${(err as Error).message})`,
      {
        hint: 'check access to Maven Central (RMQ_MAVEN_REPO for a mirror), or give an exact release, e.g. --version 5.3.3',
      },
    );
  }
  if (lineReleases(all, spec.spec).length === 0) {
    const lines = [...new Set(all.map((v) => v.split('.').slice(0, 2).join('.')))].filter(
      (l) => Number(l.split('.')[0]) >= 4,
    );
    throw new InvalidArgumentError(
      `unknown RocketMQ version "${specText}": Maven Central has no ${spec.spec}.x release`,
      {
        hint: `release lines there: ${lines.join(', ')}`,
      },
    );
  }
}

/**
 * The runtime jars for a --version value: from the cache when present, else via mvn, trying a
 * line's releases newest-first and skipping those Central does not (completely) hold.
 */
export async function resolveRuntime(opts: ResolveOptions): Promise<ResolvedRuntime> {
  const env = opts.env ?? process.env;
  const progress = opts.onProgress ?? (() => {});
  const timeoutMs = opts.downloadTimeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS;
  const spec = parseVersionSpec(opts.spec);
  const aliases = (await readJson<Record<string, Alias>>(aliasFile(opts.cacheRoot))) ?? {};
  const alias = spec.exact ? undefined : aliases[spec.spec];
  const remembered = spec.exact ? spec.spec : typeof alias === 'string' ? alias : alias?.version;
  const checkedAt = typeof alias === 'object' ? Date.parse(alias.checkedAt) : NaN;
  const fresh = spec.exact || Date.now() - checkedAt < LINE_RECHECK_MS;
  const release: ReleaseChoice = { line: spec.spec, source: 'remembered', skipped: [] };
  const chosen = (r: ResolvedRuntime): ResolvedRuntime => (spec.exact ? r : { ...r, release });
  if (remembered && fresh) {
    const hit = await cachedRuntime(opts.cacheRoot, remembered);
    if (hit) return chosen(hit);
  }
  if (!spec.exact) {
    const listed = await lineFromRepository(spec.spec, opts, env, progress);
    release.source = listed ? 'repository' : 'built-in';
    release.listed = listed;
    if (listed) spec.candidates = listed;
    else if (remembered) {
      // Offline: what this line settled on before beats the hand-kept table.
      const hit = await cachedRuntime(opts.cacheRoot, remembered);
      if (hit) {
        release.source = 'remembered';
        return chosen(hit);
      }
    }
    if (spec.candidates.length === 0) {
      throw new EnvironmentError(`RocketMQ ${spec.spec} has no releases rmq can find`, {
        hint: listed
          ? 'Maven Central lists none of that line; pick another, e.g. --version 5.5'
          : 'check access to Maven Central (RMQ_MAVEN_REPO for a mirror), or give an exact release, e.g. --version 5.3.3',
      });
    }
  }
  const mvn = await which('mvn', env);
  if (!mvn) {
    // Offline and without Maven, any cached release of the line beats failing.
    for (const v of spec.candidates) {
      const hit = await cachedRuntime(opts.cacheRoot, v);
      if (hit) return chosen(hit);
    }
    throw new EnvironmentError(
      `mvn was not found on PATH; it is needed once to download RocketMQ ${spec.spec}`,
      {
        hint: 'install Maven 3.8+ (e.g. `apt-get install maven`, `brew install maven`) and rerun; later runs use the cache',
      },
    );
  }

  const skipped: string[] = [];
  for (const v of spec.candidates) {
    // A cached older release is only used once every newer one is known not to resolve.
    const hit = await cachedRuntime(opts.cacheRoot, v);
    let runtime: ResolvedRuntime | undefined = hit;
    if (!runtime) {
      const started = Date.now();
      const label = `downloading RocketMQ ${v} from Maven Central`;
      progress(`${label}…`);
      const timer = setInterval(
        () => progress(`${label} (${Math.round((Date.now() - started) / 1000)}s)…`, { transient: true }),
        1000,
      );
      let attempt: Attempt;
      try {
        attempt = await download(mvn, opts.cacheRoot, v, env, {
          timeoutMs,
          signal: opts.signal,
          onWait: (pid) => progress(`another rmq (pid ${pid}) is downloading RocketMQ ${v}: waiting for it…`),
        });
      } finally {
        clearInterval(timer);
      }
      if (!attempt.ok && attempt.timedOut) {
        throw new TimeoutError(
          attempt.waitedFor === undefined
            ? `mvn did not finish downloading RocketMQ ${v} within ${formatDuration(timeoutMs)} and was stopped`
            : `RocketMQ ${v} was not downloaded within ${formatDuration(timeoutMs)}: ${attempt.keyLine}`,
          timeoutMs,
          {
            hint: 'a slow link needs a longer --download-timeout (RMQ_LOCAL_DOWNLOAD_TIMEOUT); check access to Maven Central and the proxy/mirror settings in ~/.m2/settings.xml',
          },
        );
      }
      if (!attempt.ok) {
        if (attempt.notPublished && !spec.exact) {
          skipped.push(v);
          release.skipped.push({ version: v, reason: attempt.keyLine });
          progress(
            `RocketMQ ${v} is not completely on Maven Central (${attempt.keyLine}); trying an older ${spec.spec}.x`,
          );
          continue;
        }
        throw new EnvironmentError(`Maven could not resolve RocketMQ ${v}: ${attempt.keyLine}`, {
          hint: attempt.notPublished
            ? `pick another release, e.g. --version ${v.split('.').slice(0, 2).join('.')} takes the newest of that line that resolves`
            : 'check network access to Maven Central (and proxy/mirror settings in ~/.m2/settings.xml), then rerun',
        });
      }
      runtime = attempt.runtime;
      progress(`RocketMQ ${v}: ${runtime.jars} jars (${Math.round(runtime.bytes / 1048576)} MB) cached`);
    }
    if (!spec.exact) {
      aliases[spec.spec] = { version: v, checkedAt: new Date().toISOString() };
      await writeJsonAtomic(aliasFile(opts.cacheRoot), aliases);
    }
    return chosen(runtime);
  }
  throw new EnvironmentError(
    `no RocketMQ ${spec.spec}.x release resolves completely from Maven Central (tried ${skipped.join(', ')})`,
    { hint: 'pick another release line with --version, e.g. --version 5.3' },
  );
}

/**
 * The 5.x proxy's jars for an exact release (the one the servers' runtime settled on): from the
 * cache, else via mvn into <cache>/<version>/proxy.
 */
export async function resolveProxyRuntime(opts: {
  version: string;
  cacheRoot: string;
  env?: Env;
  onProgress?: ProgressFn;
  downloadTimeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
}): Promise<ResolvedRuntime> {
  const env = opts.env ?? process.env;
  const progress = opts.onProgress ?? (() => {});
  const timeoutMs = opts.downloadTimeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS;
  const hit = await cachedRuntime(opts.cacheRoot, opts.version, PROXY_RUNTIME);
  if (hit) return hit;
  const mvn = await which('mvn', env);
  if (!mvn) {
    throw new EnvironmentError(
      `mvn was not found on PATH; it is needed once to download the RocketMQ ${opts.version} proxy`,
      { hint: 'install Maven 3.8+ (e.g. `apt-get install maven`) and rerun; later runs use the cache' },
    );
  }
  const label = `downloading the RocketMQ ${opts.version} proxy from Maven Central`;
  const started = Date.now();
  progress(`${label}…`);
  const timer = setInterval(
    () => progress(`${label} (${Math.round((Date.now() - started) / 1000)}s)…`, { transient: true }),
    1000,
  );
  let attempt: Attempt;
  try {
    attempt = await download(
      mvn,
      opts.cacheRoot,
      opts.version,
      env,
      {
        timeoutMs,
        signal: opts.signal,
        onWait: (pid) =>
          progress(
            `another rmq (pid ${pid}) is downloading the RocketMQ ${opts.version} proxy: waiting for it…`,
          ),
      },
      PROXY_RUNTIME,
    );
  } finally {
    clearInterval(timer);
  }
  if (!attempt.ok && attempt.timedOut) {
    throw new TimeoutError(
      attempt.waitedFor === undefined
        ? `mvn did not finish downloading the RocketMQ ${opts.version} proxy within ${formatDuration(timeoutMs)} and was stopped`
        : `the RocketMQ ${opts.version} proxy was not downloaded within ${formatDuration(timeoutMs)}: ${attempt.keyLine}`,
      timeoutMs,
      { hint: 'a slow link needs a longer --download-timeout (RMQ_LOCAL_DOWNLOAD_TIMEOUT)' },
    );
  }
  if (!attempt.ok) {
    throw new EnvironmentError(
      `Maven could not resolve the RocketMQ ${opts.version} proxy: ${attempt.keyLine}`,
      {
        hint: attempt.notPublished
          ? 'pick another release with --version (e.g. an exact 5.x one), or drop --proxy'
          : 'check network access to Maven Central (and proxy/mirror settings in ~/.m2/settings.xml), then rerun',
      },
    );
  }
  progress(
    `RocketMQ ${opts.version} proxy: ${attempt.runtime.jars} jars (${Math.round(attempt.runtime.bytes / 1048576)} MB) cached`,
  );
  return attempt.runtime;
}
