/**
 * Which dirs `rmq local` treats as its own: `up` claims a dir (0700, this user's, an owner file
 * naming it) and `down --purge` deletes only in such a dir, never in `/` or the home directory.
 * No JVM runs here: `down` finds nothing to stop in these temp dirs, which is what lets it be
 * called directly. HOME points at a temp dir for the whole file, so that a purge of "the home
 * directory" could only ever touch that.
 */
import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EnvironmentError, InvalidArgumentError } from '../../src/core/errors.js';
import { down } from '../../src/local/down.js';
import {
  claimDir,
  forbiddenDirReason,
  purgePlan,
  readOwner,
  refuseSpecialDir,
} from '../../src/local/owner.js';
import { createdEntries, localLayout } from '../../src/local/paths.js';

let root: string;
let realHome: string | undefined;
let fakeHome: string;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'rmq-unit-safety-'));
  fakeHome = join(root, 'home-of-user');
  mkdirSync(fakeHome);
  realHome = process.env.HOME;
  process.env.HOME = fakeHome;
});

after(() => {
  if (realHome === undefined) delete process.env.HOME;
  else process.env.HOME = realHome;
  rmSync(root, { recursive: true, force: true });
});

/** A dir laid out as a cluster dir (or a user's dir with the same names), with a file of the user's. */
function lookalike(dir: string, state: 'none' | 'own' | string = 'none'): void {
  for (const d of ['logs', 'store', 'conf', 'home', 'tmp', 'namesrv', 'nodes']) {
    mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(dir, d, 'precious.txt'), 'keep me');
  }
  if (state !== 'none') {
    const named = state === 'own' ? dir : state;
    writeFileSync(join(dir, 'state.json'), JSON.stringify({ schema: 1, dir: named, pids: {} }));
  }
}

/** What `up` leaves before its JVMs start: owner file (by claimDir), state file naming the dir, subdirs. */
async function clusterDir(dir: string): Promise<void> {
  await claimDir(localLayout(dir), undefined);
  lookalike(dir, 'own');
}

const untouched = (dir: string): void => {
  for (const d of ['logs', 'store', 'conf', 'home', 'tmp', 'namesrv', 'nodes']) {
    assert.equal(readFileSync(join(dir, d, 'precious.txt'), 'utf8'), 'keep me', `${d}/ was touched`);
  }
};

describe('dirs that are never a cluster dir', () => {
  test('forbiddenDirReason', () => {
    assert.equal(forbiddenDirReason('/', '/home/u'), 'is the root directory');
    assert.equal(forbiddenDirReason('/home/u', '/home/u'), 'is your home directory');
    assert.equal(forbiddenDirReason('/home', '/home/u'), 'holds your home directory /home/u');
    assert.equal(forbiddenDirReason('/ho', '/home/u'), undefined, 'a prefix of the name is not a parent');
    assert.equal(forbiddenDirReason('/home/u/.local/state/rmq/local', '/home/u'), undefined);
    assert.equal(forbiddenDirReason('/', '/'), 'is the root directory');
  });

  test('/ and the home dir (also through a symlink) are refused with a usage error', async () => {
    for (const dir of ['/', fakeHome, join(fakeHome, '..')]) {
      await assert.rejects(refuseSpecialDir(dir, 'purge', 'h'), InvalidArgumentError);
    }
    const link = join(root, 'link-to-home');
    symlinkSync(fakeHome, link);
    await assert.rejects(
      refuseSpecialDir(link, 'purge', 'h'),
      /refusing to purge .*link-to-home: it is your home directory/,
    );
    await refuseSpecialDir(join(fakeHome, 'cluster'), 'purge', 'h');
  });

  test('down --purge of the home dir deletes nothing, even with an owner file there', async () => {
    lookalike(fakeHome, 'own');
    writeFileSync(join(fakeHome, '.rmq-local.json'), JSON.stringify({ schema: 1, dir: fakeHome }));
    await assert.rejects(down({ dir: fakeHome, timeoutMs: 1000, purge: true }), (err: unknown) => {
      assert.ok(err instanceof InvalidArgumentError);
      assert.match(err.message, /^refusing to purge .*: it is your home directory$/);
      return true;
    });
    untouched(fakeHome);
    assert.ok(existsSync(join(fakeHome, 'state.json')));
  });

  test('up refuses the home dir before creating anything', async () => {
    await assert.rejects(claimDir(localLayout(fakeHome), undefined), /refusing to keep a local cluster in/);
  });
});

describe('down --purge deletes only in a dir up made its own', () => {
  test('a dir with logs/, store/ … and a state file but no owner file is left alone', async () => {
    const dir = join(root, 'no-owner');
    lookalike(dir, 'own');
    await assert.rejects(down({ dir, timeoutMs: 1000, purge: true }), (err: unknown) => {
      assert.ok(err instanceof EnvironmentError, String(err));
      assert.match(
        err.message,
        /^refusing to purge .*no-owner: it has no \.rmq-local\.json of `rmq local up`$/,
      );
      assert.match(err.hint ?? '', /nothing was stopped or deleted/);
      assert.ok(!err.message.includes('\n'));
      return true;
    });
    untouched(dir);
  });

  test('a copy of a cluster dir is refused, and so is a moved one', async () => {
    const orig = join(root, 'orig');
    await clusterDir(orig);
    const copy = join(root, 'copy');
    cpSync(orig, copy, { recursive: true });
    await assert.rejects(
      down({ dir: copy, timeoutMs: 1000, purge: true }),
      /refusing to purge .*copy: its \.rmq-local\.json names .*orig, so it is a copy or a move/,
    );
    untouched(copy);
    const moved = join(root, 'moved');
    renameSync(orig, moved);
    await assert.rejects(down({ dir: moved, timeoutMs: 1000, purge: true }), /names .*orig/);
    untouched(moved);
  });

  test('an owner file whose state file names another dir is refused', async () => {
    const dir = join(root, 'other-state');
    await claimDir(localLayout(dir), undefined);
    lookalike(dir, join(root, 'elsewhere'));
    await assert.rejects(down({ dir, timeoutMs: 1000, purge: true }), /its state\.json names .*elsewhere/);
    untouched(dir);
  });

  test('an owner file without a state file does not cover more than itself', async () => {
    const dir = join(root, 'no-state');
    await claimDir(localLayout(dir), undefined);
    lookalike(dir);
    await assert.rejects(down({ dir, timeoutMs: 1000, purge: true }), /it has no state\.json/);
    untouched(dir);
  });

  test("a cluster dir: --dry-run lists, --purge deletes exactly that, the user's own file stays", async () => {
    const dir = join(root, 'mine');
    await clusterDir(dir);
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    const layout = localLayout(dir);
    const expected = createdEntries(layout);

    const plan = await down({ dir, timeoutMs: 1000, purge: true, dryRun: true });
    assert.equal(plan.dryRun, true);
    assert.equal(plan.purged, false);
    assert.deepEqual(plan.removed, expected);
    assert.deepEqual(plan.running, []);
    untouched(dir);

    const done = await down({ dir, timeoutMs: 1000, purge: true });
    assert.equal(done.purged, true);
    assert.deepEqual(done.removed, expected);
    assert.deepEqual(readdirSync(dir), ['notes.txt']);
  });

  test('the dir itself goes when nothing else is in it', async () => {
    const dir = join(root, 'whole');
    await clusterDir(dir);
    const done = await down({ dir, timeoutMs: 1000, purge: true });
    assert.deepEqual(done.removed, [...createdEntries(localLayout(dir)), dir]);
    assert.equal(existsSync(dir), false);
  });

  test('what an `up` that failed early leaves (the owner file alone) is purged', async () => {
    const dir = join(root, 'early');
    await claimDir(localLayout(dir), undefined);
    const done = await down({ dir, timeoutMs: 1000, purge: true });
    assert.deepEqual(done.removed, [localLayout(dir).ownerFile, dir]);
  });

  test('nothing to delete: a missing dir, an empty one, one of other files (exit 0)', async () => {
    const missing = await purgePlan(localLayout(join(root, 'missing')), undefined);
    assert.deepEqual(missing, { entries: [], dir: false });
    const empty = join(root, 'empty');
    mkdirSync(empty);
    assert.deepEqual((await down({ dir: empty, timeoutMs: 1000, purge: true })).removed, []);
    assert.ok(existsSync(empty), 'an empty dir of the user is not ours to remove');
    const other = join(root, 'other-files');
    mkdirSync(other);
    writeFileSync(join(other, 'a.txt'), 'a');
    assert.deepEqual((await down({ dir: other, timeoutMs: 1000, purge: true })).removed, []);
    assert.deepEqual(readdirSync(other), ['a.txt']);
  });
});

describe('up claims its dir', () => {
  test('a new dir is created 0700 with an owner file naming it', async () => {
    const dir = join(root, 'claimed', 'deep');
    await claimDir(localLayout(dir), undefined);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal((await readOwner(localLayout(dir)))?.dir, dir);
    // Claiming again (the next `up`) is fine.
    await claimDir(localLayout(dir), undefined);
  });

  test('an empty dir is taken, and so is one an older rmq ran a cluster in', async () => {
    const empty = mkdtempSync(join(root, 'mk-'));
    await claimDir(localLayout(empty), undefined);
    assert.equal((await readOwner(localLayout(empty)))?.dir, empty);
    const legacy = join(root, 'legacy');
    lookalike(legacy, 'own');
    await claimDir(localLayout(legacy), legacy);
    assert.equal((await readOwner(localLayout(legacy)))?.dir, legacy);
  });

  test('a dir others may write to is refused', async () => {
    const dir = join(root, 'shared');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    await assert.rejects(claimDir(localLayout(dir), undefined), (err: unknown) => {
      assert.ok(err instanceof EnvironmentError);
      assert.match(err.message, /^refusing to use .*shared: other users may write to it \(mode 0777\)$/);
      assert.match(err.hint ?? '', /chmod go-w/);
      return true;
    });
    assert.deepEqual(readdirSync(dir), [], 'nothing written there');
  });

  test('a dir of another user is refused (needs root to set up)', async (t) => {
    if (process.getuid?.() !== 0) {
      t.skip('only root can hand a dir to another user');
      return;
    }
    const dir = join(root, 'foreign');
    mkdirSync(dir, { mode: 0o755 });
    chownSync(dir, 65534, 65534);
    await assert.rejects(
      claimDir(localLayout(dir), undefined),
      /refusing to use .*foreign: it belongs to another user \(uid 65534\)/,
    );
    assert.deepEqual(readdirSync(dir), []);
  });

  test('a non-empty dir that is not a cluster dir, and a copied cluster dir, are refused', async () => {
    const dir = join(root, 'project');
    lookalike(dir);
    await assert.rejects(
      claimDir(localLayout(dir), undefined),
      /it is not empty and not a local cluster's dir/,
    );
    assert.equal(existsSync(join(dir, '.rmq-local.json')), false);
    const orig = join(root, 'orig2');
    await clusterDir(orig);
    const copy = join(root, 'copy2');
    cpSync(orig, copy, { recursive: true });
    await assert.rejects(claimDir(localLayout(copy), orig), /names .*orig2, so it is a copy or a move/);
  });
});
