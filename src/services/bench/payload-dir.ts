/**
 * --payload-dir: the regular files of one directory, read once, sent as bodies in turn (by file
 * name). The directory is someone else's: every entry is checked before a byte is read, and the
 * reading is bounded.
 *
 * - Only the directory's own entries (no recursion); names starting with "." are skipped.
 * - A symbolic link is followed only to a regular file inside the directory; one that leads out
 *   (or nowhere) is an error, as is a FIFO, socket or device (reading one could block forever).
 * - Each file is opened without following links and checked on its descriptor (fstat), so what
 *   is read is what was checked even if the entry is swapped meanwhile; it is read up to its size
 *   plus one byte, so a file that grows is noticed rather than read without end.
 * - Limits: MAX_FILES files, MAX_BODY_BYTES per file (RocketMQ's body limit), MAX_TOTAL_BYTES in all.
 */
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  readSync,
  realpathSync,
} from 'node:fs';
import { join, relative, sep } from 'node:path';
import { MAX_BODY_BYTES } from '../../core/client/outgoing-message.js';
import { InvalidArgumentError } from '../../core/errors.js';

export const MAX_FILES = 10_000;
export const MAX_TOTAL_BYTES = 256 * 1024 * 1024;

export interface PayloadDir {
  dir: string;
  bodies: Buffer[];
  files: number;
  bytes: number;
  minSize: number;
  maxSize: number;
  /** entries skipped: subdirectories and dot files */
  skipped: number;
}

function bad(message: string, hint: string): InvalidArgumentError {
  return new InvalidArgumentError(message, { hint });
}

/** A printable rendering of a name from the directory (it may hold control characters). */
const shown = (name: string): string => JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);

export function loadPayloadDir(dir: string): PayloadDir {
  let root: string;
  let names: string[];
  try {
    root = realpathSync(dir);
    if (!lstatSync(root).isDirectory()) throw new Error('not a directory');
    names = readdirSync(root);
  } catch (err) {
    throw bad(
      `cannot read --payload-dir ${shown(dir)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      'give a directory of files to send as bodies',
    );
  }
  names.sort();
  const bodies: Buffer[] = [];
  let total = 0;
  let skipped = 0;
  for (const name of names) {
    if (name.startsWith('.')) {
      skipped++;
      continue;
    }
    const path = join(root, name);
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(path);
    } catch {
      throw bad(
        `--payload-dir: ${shown(name)} vanished while the directory was read`,
        'use a directory nothing changes during the run',
      );
    }
    let target = path;
    if (st.isSymbolicLink()) {
      let real: string;
      try {
        real = realpathSync(path);
      } catch {
        throw bad(`--payload-dir: ${shown(name)} is a link to nothing`, 'remove the link');
      }
      const rel = relative(root, real);
      if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || rel.startsWith(sep)) {
        throw bad(
          `--payload-dir: ${shown(name)} links out of the directory`,
          'copy the file in instead of linking to it',
        );
      }
      target = real;
    } else if (st.isDirectory()) {
      skipped++;
      continue;
    } else if (!st.isFile()) {
      throw bad(
        `--payload-dir: ${shown(name)} is not a regular file (a FIFO, socket or device)`,
        'keep only regular files in the directory',
      );
    }
    if (bodies.length >= MAX_FILES) {
      throw bad(
        `--payload-dir holds more than ${MAX_FILES.toLocaleString('en-US')} files`,
        'use a directory with fewer files',
      );
    }
    let fd: number;
    try {
      fd = openSync(target, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (err) {
      throw bad(
        `--payload-dir: cannot open ${shown(name)}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
        'check the file and its permissions',
      );
    }
    try {
      const fst = fstatSync(fd);
      if (fst.isDirectory()) {
        skipped++;
        continue;
      }
      if (!fst.isFile()) {
        throw bad(
          `--payload-dir: ${shown(name)} is not a regular file`,
          'keep only regular files in the directory',
        );
      }
      if (fst.size === 0)
        throw bad(`--payload-dir: ${shown(name)} is empty`, 'RocketMQ does not send empty bodies: remove it');
      if (fst.size > MAX_BODY_BYTES) {
        throw bad(
          `--payload-dir: ${shown(name)} is ${fst.size} bytes, above the ${MAX_BODY_BYTES}-byte body limit`,
          'remove or split it',
        );
      }
      if (total + fst.size > MAX_TOTAL_BYTES) {
        throw bad(
          `--payload-dir holds more than ${MAX_TOTAL_BYTES / 1048576} MiB`,
          'use fewer or smaller files',
        );
      }
      const buf = Buffer.alloc(fst.size + 1);
      let got = 0;
      while (got < buf.length) {
        const n = readSync(fd, buf, got, buf.length - got, got);
        if (n === 0) break;
        got += n;
      }
      if (got !== fst.size) {
        throw bad(
          `--payload-dir: ${shown(name)} changed while it was read`,
          'use files nothing writes to during the run',
        );
      }
      bodies.push(buf.subarray(0, got));
      total += got;
    } finally {
      closeSync(fd);
    }
  }
  if (bodies.length === 0) {
    throw bad(
      `--payload-dir ${shown(dir)} holds no regular files`,
      'put the bodies to send in it (dot files are skipped)',
    );
  }
  const sizes = bodies.map((b) => b.length);
  return {
    dir,
    bodies,
    files: bodies.length,
    bytes: total,
    minSize: Math.min(...sizes),
    maxSize: Math.max(...sizes),
    skipped,
  };
}
