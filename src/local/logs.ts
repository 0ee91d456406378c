/**
 * The logs of a local cluster: which file `rmq local logs` shows, reading its end, following it,
 * and what of a dead JVM's output is worth showing.
 */
import { open, stat } from 'node:fs/promises';
import { NotFoundError } from '../core/errors.js';
import type { Role } from './config.js';
import { localLayout, type LocalLayout } from './paths.js';
import { exists } from './process.js';

export interface LogFiles {
  /** RocketMQ's own log (preferred). */
  main: string;
  /** The JVM's stdout+stderr (startup errors land here). */
  stdout: string;
}

export function logFiles(layout: LocalLayout, role: Role): LogFiles {
  return {
    main: `${layout.rocketmqLogsDir}/${role}.log`,
    stdout: role === 'broker' ? layout.brokerOut : layout.namesrvOut,
  };
}

/** The log `rmq local logs` shows: RocketMQ's own file when there is one, else the JVM's stdout. */
export async function pickLogFile(dir: string, role: Role): Promise<string> {
  const files = logFiles(localLayout(dir), role);
  if (await exists(files.main)) return files.main;
  if (await exists(files.stdout)) return files.stdout;
  throw new NotFoundError(`no ${role} log in ${localLayout(dir).dir}`, {
    hint: 'nothing has run in this dir yet: start a cluster with `rmq local up` (or pass the --dir it used)',
  });
}

/** The last `n` lines of a file, reading only its end. */
export async function tailLines(file: string, n: number): Promise<{ lines: string[]; size: number }> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    if (n <= 0) return { lines: [], size };
    const chunk = 64 * 1024;
    let pos = size;
    let text = '';
    while (pos > 0) {
      const len = Math.min(chunk, pos);
      pos -= len;
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, pos);
      text = buf.toString('utf8') + text;
      // n lines need n+1 newlines when the file ends with one.
      if ((text.match(/\n/g)?.length ?? 0) > n) break;
    }
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    return { lines: lines.slice(-n), size };
  } finally {
    await fh.close();
  }
}

/**
 * Polls a file for appended bytes until the signal aborts. A file that shrinks (rolled over or
 * truncated by a new `up`) is read again from its start.
 */
export async function followFile(
  file: string,
  from: number,
  onData: (text: string) => void,
  signal: AbortSignal,
  intervalMs = 500,
): Promise<void> {
  let pos = from;
  while (!signal.aborted) {
    try {
      const { size } = await stat(file);
      if (size < pos) pos = 0;
      if (size > pos) {
        const fh = await open(file, 'r');
        try {
          const buf = Buffer.alloc(size - pos);
          const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
          pos += bytesRead;
          onData(buf.subarray(0, bytesRead).toString('utf8'));
        } finally {
          await fh.close();
        }
      }
    } catch {
      // The file may be briefly absent while a new `up` recreates it.
    }
    await new Promise<void>((resolve) => {
      const onAbort = (): void => {
        clearTimeout(t);
        resolve();
      };
      const t = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, intervalMs);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/**
 * The lines of a JVM's output worth showing after it died: no logback status chatter, no stack
 * frames, the last few that remain.
 */
export function meaningfulLines(text: string, max = 6): string[] {
  return text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter(
      (l) =>
        l.trim() !== '' &&
        !/\|-(INFO|WARN|ERROR|DEBUG) in /.test(l) &&
        !/^\s+at /.test(l) &&
        !/^\s*\.\.\. \d+ more$/.test(l) &&
        !/^OpenJDK .*(Warning|warning)/.test(l),
    )
    .slice(-max);
}

/** Lines appended to a file since byte `offset` (at most the last 256 KiB of them). */
export async function linesSince(file: string, offset: number): Promise<string[]> {
  try {
    const fh = await open(file, 'r');
    try {
      const { size } = await fh.stat();
      const from = Math.max(offset > size ? 0 : offset, size - 256 * 1024);
      const buf = Buffer.alloc(size - from);
      await fh.read(buf, 0, buf.length, from);
      return buf.toString('utf8').split('\n');
    } finally {
      await fh.close();
    }
  } catch {
    return [];
  }
}

/**
 * What to show of a JVM that died: this run's ERROR lines of RocketMQ's own log (they name the
 * cause, as in "load …/topics.json failed") and the end of its stdout (the exception that ended it).
 */
export async function lastMeaningful(files: LogFiles, mainLogOffset: number): Promise<string[]> {
  const errors = (await linesSince(files.main, mainLogOffset)).filter((l) => / ERROR /.test(l)).slice(-3);
  const out = meaningfulLines((await linesSince(files.stdout, 0)).join('\n'), 6 - errors.length);
  return [...errors, ...out];
}
