/**
 * The resend log of `rmq dlq resend`: which dead letters were sent back already, so a second run
 * skips them. One file per cluster and group, NDJSON, appended one line per message right after
 * the broker took it (a run that dies midway keeps what it did), in the tool's own state dir
 * next to the profiles file: `<dir of profiles.json>/dlq-resend/<cluster>/<group>.ndjson`.
 * Names are percent-encoded, so no cluster or group name leaves that dir.
 *
 * A dead letter is known by where it is stored (broker name, queue, queue offset) and its message
 * id together: a DLQ deleted and written again reuses offsets, never the same id at one.
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { profilesPath } from './profiles.js';

export interface ResendLogEntry {
  at: string;
  brokerName: string;
  queueId: number;
  queueOffset: number;
  msgId: string;
  to: string;
  newMsgId: string;
}

/** A log larger than this is not read whole: 64 MiB holds about 300,000 entries. */
const MAX_LOG_BYTES = 64 * 1024 * 1024;

const segment = (name: string): string => encodeURIComponent(name).replace(/\./g, '%2E');

export function resendLogPath(cluster: string, group: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(dirname(profilesPath(env)), 'dlq-resend', segment(cluster), `${segment(group)}.ndjson`);
}

export const entryKey = (e: {
  brokerName: string;
  queueId: number;
  queueOffset: number;
  msgId: string;
}): string => `${e.brokerName}/${e.queueId}/${e.queueOffset}/${e.msgId}`;

/** Keys of the dead letters the log says were resent; lines that do not parse are skipped. */
export async function readResendLog(file: string): Promise<Set<string>> {
  let text: string;
  try {
    const buf = await readFile(file);
    text = buf.subarray(Math.max(0, buf.length - MAX_LOG_BYTES)).toString('utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Set();
    throw err;
  }
  const keys = new Set<string>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line) as Partial<ResendLogEntry>;
      if (
        typeof e.brokerName === 'string' &&
        typeof e.queueId === 'number' &&
        typeof e.queueOffset === 'number' &&
        typeof e.msgId === 'string'
      ) {
        keys.add(entryKey(e as ResendLogEntry));
      }
    } catch {
      // A line cut short by a crash: the message may be sent again, never lost.
    }
  }
  return keys;
}

export async function appendResendLog(file: string, entry: ResendLogEntry): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await appendFile(file, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
}
