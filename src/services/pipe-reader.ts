/**
 * Does anyone still read our stdout pipe? A writer only learns that its reader left (e.g.
 * `head -n 3` exited) on its next write (EPIPE). A consumer that has written everything and is
 * waiting for new messages would never write again, and the shell pipeline would hang. On Linux
 * we can look: the pipe's other end is an fd in /proc/<pid>/fd with the same `pipe:[inode]`,
 * opened read-only. Only processes of our own session are searched (a shell pipeline shares it,
 * and their /proc entries are readable without privileges).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

const O_ACCMODE = 3;
const O_RDONLY = 0;

function sessionOf(pid: string): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid pgrp session …"; comm may hold spaces and parentheses.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3];
  } catch {
    return undefined;
  }
}

/** The anonymous pipe behind fd, as /proc names it ("pipe:[1234]"), or undefined. */
export function anonymousPipeOf(fd: number): string | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const link = readlinkSync(`/proc/self/fd/${fd}`);
    return link.startsWith('pipe:[') ? link : undefined;
  } catch {
    return undefined;
  }
}

/** True if a process of our session other than us holds `pipe` open for reading. */
export function pipeHasReader(pipe: string): boolean {
  const session = sessionOf('self');
  const self = String(process.pid);
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || pid === self || sessionOf(pid) !== session) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) !== pipe) continue;
        const flags = /flags:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
        if (flags && (Number.parseInt(flags[1]!, 8) & O_ACCMODE) === O_RDONLY) return true;
      } catch {
        // the process or fd went away meanwhile
      }
    }
  }
  return false;
}
