/**
 * A RocketMQ version's default configuration, as that version prints it itself: `mqbroker -p`
 * (BrokerStartup -p) builds the broker's config objects with no config file, prints every field
 * and exits without starting anything. The same jars `rmq local` runs are used (from the cache,
 * downloaded once if missing), so the defaults are exactly the version's own, not a table kept
 * by hand.
 *
 * Some defaults depend on the machine that computes them (processor count, memory, home and
 * store paths, the host's IP). The probe runs twice at once under different processor counts,
 * heaps and homes; keys whose values differ between the two runs are reported as machine-
 * dependent, since this machine's value says nothing about the broker's host.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvironmentError } from '../core/errors.js';
import { childEnv, isLegacy, JDK_OPENS, MAIN_CLASS } from './config.js';
import { findJava, type ProgressFn, resolveRuntime } from './resolve.js';

export interface VersionDefaults {
  version: string;
  defaults: Map<string, string>;
  /** Keys whose default differs with the machine (left out of `defaults`). */
  machineDependent: string[];
}

/** A key=value line of the console logger ("2026-12-02 07:59:36 INFO main - key=value"). */
const LINE_RE = /^\S+ \S+ [A-Z]+ \S+ - ([A-Za-z][A-Za-z0-9_.]*)=(.*)$/;

/** 4.x needs a logback file under $ROCKETMQ_HOME/conf; this one prints only the console logger. */
const LEGACY_LOGBACK = `<?xml version="1.0" encoding="UTF-8"?>
<configuration>
  <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%d{yyyy-MM-dd HH:mm:ss} %p %t - %m%n</pattern></encoder>
  </appender>
  <logger name="RocketmqConsole" level="INFO" additivity="false"><appender-ref ref="OUT"/></logger>
  <root level="OFF"/>
</configuration>
`;

/** Parses the printed fields; a key printed twice (listenPort: BrokerConfig, then Netty) keeps the last, as the broker's Configuration does. */
export function parsePrintedConfig(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const m = LINE_RE.exec(line.replace(/\r$/, ''));
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

/** Keys whose values differ between two probes: they depend on the machine. */
export function machineDependentKeys(
  a: ReadonlyMap<string, string>,
  b: ReadonlyMap<string, string>,
): string[] {
  return [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k)).sort();
}

async function probe(
  java: string,
  javaMajor: number,
  libDir: string,
  version: string,
  machine: { cpus: number; heap: string },
): Promise<Map<string, string>> {
  const home = await mkdtemp(join(tmpdir(), 'rmq-defaults-'));
  try {
    const args = [`-Xmx${machine.heap}`, `-XX:ActiveProcessorCount=${machine.cpus}`];
    if (javaMajor >= 9) args.push(...JDK_OPENS);
    args.push(`-Duser.home=${home}`, `-Drocketmq.home.dir=${home}`, `-Djava.io.tmpdir=${home}`);
    if (isLegacy(version)) {
      await mkdir(join(home, 'conf'));
      await writeFile(join(home, 'conf', 'logback_broker.xml'), LEGACY_LOGBACK);
    } else {
      args.push('-Drmq.logback.configurationFile=rmq.broker.logback.xml');
    }
    args.push('-cp', `${libDir}/*`, MAIN_CLASS.broker, '-p');
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        java,
        args,
        {
          env: { ...childEnv(process.env), ROCKETMQ_HOME: home },
          timeout: 120_000,
          maxBuffer: 4 * 1024 * 1024,
        },
        (err, out, errOut) => {
          if (err) {
            const last = `${errOut}`.trim().split('\n').at(-1) ?? '';
            reject(
              new EnvironmentError(
                `RocketMQ ${version}'s BrokerStartup -p failed: ${err.message.split('\n')[0]}`,
                {
                  hint: last || undefined,
                },
              ),
            );
          } else resolve(out);
        },
      );
    });
    const printed = parsePrintedConfig(stdout);
    if (printed.size < 50) {
      throw new EnvironmentError(
        `RocketMQ ${version}'s BrokerStartup -p printed ${printed.size} config keys; expected hundreds`,
      );
    }
    return printed;
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/** The broker defaults of an exact RocketMQ version ("5.3.3"). */
export async function brokerDefaults(
  version: string,
  o: { cacheRoot: string; onProgress?: ProgressFn; signal?: AbortSignal | undefined },
): Promise<VersionDefaults> {
  const runtime = await resolveRuntime({
    spec: version,
    cacheRoot: o.cacheRoot,
    onProgress: o.onProgress,
    signal: o.signal,
  });
  const java = await findJava();
  const [a, b] = await Promise.all([
    probe(java.path, java.major, runtime.libDir, runtime.version, { cpus: 1, heap: '96m' }),
    probe(java.path, java.major, runtime.libDir, runtime.version, { cpus: 3, heap: '160m' }),
  ]);
  const machineDependent = machineDependentKeys(a, b);
  for (const k of machineDependent) a.delete(k);
  return { version: runtime.version, defaults: a, machineDependent };
}
