/**
 * Which dirs are a local cluster's own. `up` claims its --dir: creates it 0700 (or takes an empty
 * one, or one an older rmq ran a cluster in), refuses one that another user owns or may write to,
 * and leaves an owner file that records the dir's absolute path. `down --purge` deletes only in a
 * dir whose owner file and state file both name that very dir: a dir that merely holds a `logs/`
 * is not touched, nor is a copy or a move of a cluster dir (its files name the original).
 */
import { chmod, lstat, mkdir, readdir, readFile, realpath, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, resolve } from 'node:path';
import { EnvironmentError, InvalidArgumentError } from '../core/errors.js';
import { createdEntries, type LocalLayout } from './paths.js';

export interface OwnerRecord {
  schema: 1;
  /** Absolute path of the dir as `up` was given it. */
  dir: string;
  createdAt: string;
}

/**
 * Why `dir` can never be a cluster dir, as "it …", or undefined. Both paths absolute: `/`, the
 * home dir and anything above it hold far more than a cluster, under names `up` also uses.
 */
export function forbiddenDirReason(dir: string, home: string): string | undefined {
  if (dir === '/') return 'is the root directory';
  if (dir === home) return 'is your home directory';
  if (home.startsWith(`${dir}/`)) return `holds your home directory ${home}`;
  return undefined;
}

async function realOrResolved(p: string): Promise<string> {
  try {
    return await realpath(p);
  } catch {
    return resolve(p);
  }
}

/** Refuses `/`, the home dir and its ancestors, spelt directly or through a symlink. */
export async function refuseSpecialDir(dir: string, doing: string, hint: string): Promise<void> {
  const homes = [resolve(homedir()), await realOrResolved(homedir())];
  for (const d of [resolve(dir), await realOrResolved(dir)]) {
    for (const h of homes) {
      const reason = forbiddenDirReason(d, h);
      if (reason)
        throw new InvalidArgumentError(`refusing to ${doing} ${resolve(dir)}: it ${reason}`, { hint });
    }
  }
}

/** Whether a path recorded earlier is `dir`: the same string, or the same dir once symlinks are followed. */
async function sameDir(recorded: string, dir: string): Promise<boolean> {
  if (recorded === dir) return true;
  try {
    return (await realpath(recorded)) === (await realpath(dir));
  } catch {
    return false;
  }
}

const myUid = (): number | undefined => process.getuid?.();

/** The owner file if it is a regular file of this user holding a record; a symlink does not count. */
export async function readOwner(layout: LocalLayout): Promise<OwnerRecord | undefined> {
  try {
    const st = await lstat(layout.ownerFile);
    const uid = myUid();
    if (!st.isFile() || (uid !== undefined && st.uid !== uid)) return undefined;
    const r = JSON.parse(await readFile(layout.ownerFile, 'utf8')) as OwnerRecord;
    return r?.schema === 1 && typeof r.dir === 'string' ? r : undefined;
  } catch {
    return undefined;
  }
}

async function writeOwner(layout: LocalLayout): Promise<void> {
  const record: OwnerRecord = { schema: 1, dir: layout.dir, createdAt: new Date().toISOString() };
  await writeFile(layout.ownerFile, `${JSON.stringify(record, null, 2)}\n`);
}

/**
 * Another user who owns the dir, or may write to it, can read the cluster's secrets or swap its
 * config and jars: a shared /tmp lets anyone create /tmp/rmq-… first.
 */
async function checkDirIsMine(dir: string): Promise<void> {
  const link = await lstat(dir);
  const st = link.isSymbolicLink() ? await stat(dir) : link;
  if (!st.isDirectory()) {
    throw new EnvironmentError(`--dir ${dir} is not a directory`, {
      hint: 'give --dir a new or empty directory',
    });
  }
  const uid = myUid();
  if (uid === undefined) return; // no POSIX owners here (Windows)
  const foreign = [link.uid, st.uid].find((u) => u !== uid);
  if (foreign !== undefined) {
    throw new EnvironmentError(`refusing to use ${dir}: it belongs to another user (uid ${foreign})`, {
      hint: 'its owner could read or replace what the cluster keeps there; give --dir a directory of your own',
    });
  }
  if ((st.mode & 0o022) !== 0) {
    const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
    throw new EnvironmentError(`refusing to use ${dir}: other users may write to it (mode ${mode})`, {
      hint: `\`chmod go-w ${dir}\` if that is not meant, or give --dir another directory`,
    });
  }
}

/**
 * Makes --dir the cluster's own before `up` writes anything there. `stateDir` is the dir named by
 * a state file already there (a cluster dir of an rmq from before owner files).
 */
export async function claimDir(layout: LocalLayout, stateDir: string | undefined): Promise<void> {
  await refuseSpecialDir(
    layout.dir,
    'keep a local cluster in',
    'give --dir a directory of its own (the default is ~/.local/state/rmq/local)',
  );
  let created = false;
  try {
    await mkdir(dirname(layout.dir), { recursive: true });
    // Not recursive: if someone else creates it meanwhile, EEXIST sends it through the checks.
    await mkdir(layout.dir, { mode: 0o700 });
    created = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new EnvironmentError(`cannot create ${layout.dir}: ${(err as Error).message}`, {
        hint: 'give --dir a directory you can write to',
      });
    }
  }
  await checkDirIsMine(layout.dir);
  if (created) {
    await chmod(layout.dir, 0o700); // whatever the umask
  } else {
    const owner = await readOwner(layout);
    if (owner && (await sameDir(owner.dir, layout.dir))) return;
    if (owner) {
      throw new EnvironmentError(
        `refusing to use ${layout.dir}: its ${basename(layout.ownerFile)} names ${owner.dir}, so it is a copy or a move of that cluster dir`,
        { hint: 'give --dir a new or empty directory (or use the cluster where it was made)' },
      );
    }
    const legacy = stateDir !== undefined && (await sameDir(stateDir, layout.dir));
    if ((await readdir(layout.dir)).length > 0 && !legacy) {
      throw new EnvironmentError(
        `refusing to use ${layout.dir}: it is not empty and not a local cluster's dir`,
        {
          hint: 'give --dir a new or empty directory: `rmq local down --purge` deletes only in a dir of its own',
        },
      );
    }
  }
  await writeOwner(layout);
}

export interface PurgePlan {
  /** Entries of the dir to delete, absolute, the owner file last. */
  entries: string[];
  /** Whether the dir itself goes too: it holds nothing but those. */
  dir: boolean;
}

/**
 * What `down --purge` deletes in a dir, or an error saying why it deletes nothing. `stateDir`
 * is the dir named by the dir's state file, undefined when there is none.
 */
export async function purgePlan(layout: LocalLayout, stateDir: string | undefined): Promise<PurgePlan> {
  await refuseSpecialDir(
    layout.dir,
    'purge',
    'nothing was stopped or deleted; --purge deletes what `rmq local up` created in the --dir it used',
  );
  let names: string[];
  try {
    names = await readdir(layout.dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { entries: [], dir: false };
    throw err;
  }
  const ours = createdEntries(layout);
  const present = ours.filter((p) => names.includes(basename(p)));
  if (present.length === 0) return { entries: [], dir: false };

  const ownerName = basename(layout.ownerFile);
  const owner = await readOwner(layout);
  let reason: string | undefined;
  if (!owner) {
    reason = `it has no ${ownerName} of \`rmq local up\``;
  } else if (!(await sameDir(owner.dir, layout.dir))) {
    reason = `its ${ownerName} names ${owner.dir}, so it is a copy or a move of that cluster dir`;
  } else if (present.some((p) => p !== layout.ownerFile)) {
    // A lone owner file is all an `up` that failed early leaves; anything more comes with state.
    if (stateDir === undefined) reason = `it has no ${basename(layout.stateFile)} of \`rmq local up\``;
    else if (!(await sameDir(stateDir, layout.dir))) {
      reason = `its ${basename(layout.stateFile)} names ${stateDir}, so it is a copy or a move of that cluster dir`;
    }
  }
  if (reason) {
    const found = present.map((p) => basename(p)).join(', ');
    throw new EnvironmentError(`refusing to purge ${layout.dir}: ${reason}`, {
      hint: `nothing was stopped or deleted; check --dir, or delete by hand what you no longer need there (${found})`,
    });
  }
  return { entries: present, dir: names.every((n) => ours.some((p) => basename(p) === n)) };
}
