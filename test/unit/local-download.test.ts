/**
 * The mvn download is bounded: after --download-timeout (or an abort) the whole process group of
 * mvn is stopped, the script and what it started alike. The `mvn` here is a shell script on PATH
 * that starts a child and waits, as Maven's launcher does with its JVM.
 */
import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { spawn, spawnSync } from 'node:child_process';
import { TimeoutError } from '../../src/core/errors.js';
import { formatDuration, resolveRuntime } from '../../src/local/resolve.js';

let root: string;
const pidFiles: string[] = [];

before(() => {
  root = mkdtempSync(join(tmpdir(), 'rmq-unit-mvn-'));
});

after(() => {
  // Whatever an assertion left behind (the old code never stopped mvn).
  for (const f of pidFiles) {
    try {
      process.kill(Number(readFileSync(f, 'utf8').trim()), 'SIGKILL');
    } catch {
      // gone
    }
  }
  rmSync(root, { recursive: true, force: true });
});

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^Z/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
};

/** A fake mvn in a dir of its own; `trapTerm` makes it (and its child) ignore SIGTERM. */
function fakeMaven(name: string, trapTerm = false): { env: Record<string, string>; pids: () => number[] } {
  const dir = join(root, name);
  mkdirSync(join(dir, 'bin'), { recursive: true });
  const script = `#!/bin/sh
${trapTerm ? "trap '' TERM" : ''}
echo $$ > "${dir}/mvn.pid"
sleep 300 &
echo $! > "${dir}/child.pid"
wait
`;
  writeFileSync(join(dir, 'bin', 'mvn'), script);
  chmodSync(join(dir, 'bin', 'mvn'), 0o755);
  pidFiles.push(join(dir, 'mvn.pid'), join(dir, 'child.pid'));
  const env = { ...process.env, PATH: `${join(dir, 'bin')}${delimiter}${process.env.PATH ?? ''}` } as Record<
    string,
    string
  >;
  const pids = (): number[] =>
    ['mvn.pid', 'child.pid']
      .map((f) => join(dir, f))
      .filter((f) => existsSync(f))
      .map((f) => Number(readFileSync(f, 'utf8').trim()))
      .filter((p) => p > 0);
  return { env, pids };
}

async function until(what: string, cond: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('mvn download bounded by a timeout', () => {
  test(
    'a download that outlasts the timeout fails with TimeoutError and its process group is gone',
    {
      timeout: 60_000,
    },
    async () => {
      const mvn = fakeMaven('slow');
      const cacheRoot = join(root, 'cache-slow');
      const started = Date.now();
      await assert.rejects(
        resolveRuntime({ spec: '5.3.3', cacheRoot, env: mvn.env, downloadTimeoutMs: 1500 }),
        (err: unknown) => {
          assert.ok(err instanceof TimeoutError, String(err));
          assert.match(err.message, /^mvn did not finish downloading RocketMQ 5\.3\.3 within 1500ms/);
          assert.match(err.hint ?? '', /--download-timeout/);
          return true;
        },
      );
      assert.ok(Date.now() - started < 30_000, `took ${Date.now() - started} ms`);
      assert.equal(mvn.pids().length, 2, 'the fake mvn ran and started its child');
      await until('mvn and its child gone', () => mvn.pids().every((p) => !alive(p)), 10_000);
      // The partial copy is removed; nothing claims to be cached.
      assert.deepEqual(
        readdirSync(join(cacheRoot, '5.3.3')).filter((e) => e.startsWith('lib')),
        [],
      );
    },
  );

  test('an mvn that ignores SIGTERM is SIGKILLed, group and all', { timeout: 60_000 }, async () => {
    const mvn = fakeMaven('stubborn', true);
    await assert.rejects(
      resolveRuntime({
        spec: '5.3.3',
        cacheRoot: join(root, 'cache-stubborn'),
        env: mvn.env,
        downloadTimeoutMs: 500,
      }),
      TimeoutError,
    );
    await until('mvn and its child gone', () => mvn.pids().every((p) => !alive(p)), 10_000);
  });

  test('aborting stops mvn and rejects with the reason', { timeout: 60_000 }, async () => {
    const mvn = fakeMaven('aborted');
    const ac = new AbortController();
    const pending = resolveRuntime({
      spec: '5.3.3',
      cacheRoot: join(root, 'cache-aborted'),
      env: mvn.env,
      signal: ac.signal,
    });
    await until('the fake mvn started its child', () => mvn.pids().length === 2, 20_000);
    ac.abort(new Error('interrupted'));
    await assert.rejects(pending, /interrupted/);
    await until('mvn and its child gone', () => mvn.pids().every((p) => !alive(p)), 10_000);
  });

  test('formatDuration', () => {
    assert.equal(formatDuration(600_000), '10m');
    assert.equal(formatDuration(90_000), '90s');
    assert.equal(formatDuration(1500), '1500ms');
  });
});

/** A lock of `cacheRoot`'s 5.3.3 download, held by `pid`. */
function lockHeldBy(cacheRoot: string, pid: number): void {
  mkdirSync(join(cacheRoot, '5.3.3'), { recursive: true });
  writeFileSync(join(cacheRoot, '5.3.3', 'download.lock'), `${pid}\n`);
}

describe('one download of a release at a time', () => {
  test('a second up waits for the download under way and takes its copy; its own mvn never runs', async () => {
    const mvn = fakeMaven('waiter');
    const cacheRoot = join(root, 'cache-wait');
    const holder = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      lockHeldBy(cacheRoot, holder.pid!);
      const said: string[] = [];
      const pending = resolveRuntime({
        spec: '5.3.3',
        cacheRoot,
        env: mvn.env,
        onProgress: (m) => said.push(m),
      });
      await until(
        'it says it waits',
        () => said.some((m) => /pid \d+\) is downloading .*waiting/.test(m)),
        10_000,
      );
      // The holder's copy completes.
      mkdirSync(join(cacheRoot, '5.3.3', 'lib'));
      writeFileSync(join(cacheRoot, '5.3.3', 'lib', 'a.jar'), 'jar');
      writeFileSync(
        join(cacheRoot, '5.3.3', 'complete.json'),
        JSON.stringify({ version: '5.3.3', jars: 1, bytes: 3, resolvedAt: new Date().toISOString() }),
      );
      const rt = await pending;
      assert.equal(rt.libDir, join(cacheRoot, '5.3.3', 'lib'));
      assert.equal(rt.downloaded, false);
      assert.deepEqual(mvn.pids(), [], 'no mvn of its own');
    } finally {
      holder.kill('SIGKILL');
    }
  });

  test('waiting is bounded by the download timeout, and names the holder', async () => {
    const mvn = fakeMaven('waiter-timeout');
    const cacheRoot = join(root, 'cache-wait-timeout');
    const holder = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      lockHeldBy(cacheRoot, holder.pid!);
      await assert.rejects(
        resolveRuntime({ spec: '5.3.3', cacheRoot, env: mvn.env, downloadTimeoutMs: 1200 }),
        (err: unknown) => {
          assert.ok(err instanceof TimeoutError, String(err));
          assert.match(
            err.message,
            new RegExp(`another rmq \\(pid ${holder.pid}\\) was still downloading it`),
          );
          return true;
        },
      );
      assert.deepEqual(mvn.pids(), [], 'no mvn of its own');
    } finally {
      holder.kill('SIGKILL');
    }
  });

  test(
    'a lock whose holder is gone is taken over: this up runs mvn itself',
    { timeout: 60_000 },
    async () => {
      const mvn = fakeMaven('stale-lock');
      const cacheRoot = join(root, 'cache-stale');
      const gone = spawnSync('sh', ['-c', 'echo $$']);
      lockHeldBy(cacheRoot, Number(gone.stdout.toString().trim()));
      await assert.rejects(
        resolveRuntime({ spec: '5.3.3', cacheRoot, env: mvn.env, downloadTimeoutMs: 1500 }),
        /mvn did not finish downloading RocketMQ 5\.3\.3/,
      );
      assert.equal(mvn.pids().length, 2, 'its own mvn ran');
      assert.ok(!existsSync(join(cacheRoot, '5.3.3', 'download.lock')), 'the lock is released');
      await until('mvn and its child gone', () => mvn.pids().every((p) => !alive(p)), 10_000);
    },
  );
});
