/**
 * `rmq local` keeping its hands off what is not its own: a bounded mvn download, secrets kept out
 * of output and out of the JVMs' environment, and a --purge that deletes only a dir `up` made.
 * Clusters run on free ports in temp dirs of their own, beside the suite's cluster.
 */
import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { UpResult } from '../../src/local/cluster.js';
import type { DownResult } from '../../src/local/down.js';
import type { StatusResult } from '../../src/local/status.js';
import { type CliResult, rmq } from '../helpers/cli.js';
import { freeClusterPorts } from '../helpers/ports.js';

interface ErrorBody {
  error: { kind: string; message: string; exitCode: number; hint?: string };
}

const errorOf = (r: CliResult): ErrorBody['error'] => {
  const e = (r.json as ErrorBody | undefined)?.error;
  assert.ok(e, `expected a JSON error, got exit ${r.code}: ${r.stdout}${r.stderr}`);
  return e;
};
const show = (r: CliResult): string => `exit ${r.code}\n${r.stdout}${r.stderr}`;
// A loaded 2-core box has taken 145 s for one `up`.
const WAIT = ['--wait', '300s'];
const LONG = { timeoutMs: 400_000 };

/** A process's environment as /proc shows it. */
const environ = (pid: number): string[] => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');

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

/** A dir with the names `up` uses, each holding a file of the user's. */
function lookalike(dir: string): void {
  for (const d of ['logs', 'store', 'conf', 'home', 'tmp']) {
    mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(dir, d, 'precious.txt'), 'keep me');
  }
}

function assertUntouched(dir: string): void {
  for (const d of ['logs', 'store', 'conf', 'home', 'tmp']) {
    assert.equal(readFileSync(join(dir, d, 'precious.txt'), 'utf8'), 'keep me', `${dir}/${d} was touched`);
  }
}

describe('rmq local safety', () => {
  let root: string;
  const dirs: string[] = [];
  const pidFiles: string[] = [];

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'rmq-local-safety-'));
  });

  after(async () => {
    // Whatever a failed assertion left running.
    for (const d of dirs) await rmq(['local', 'down', '--dir', d, '--timeout', '5s', '--json']);
    for (const f of pidFiles) {
      try {
        process.kill(Number(readFileSync(f, 'utf8').trim()), 'SIGKILL');
      } catch {
        // gone
      }
    }
    rmSync(root, { recursive: true, force: true });
  });

  test('a download slower than --download-timeout exits 4 and stops mvn', { timeout: 120_000 }, async () => {
    const bin = join(root, 'fake-mvn');
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'mvn'),
      `#!/bin/sh\necho $$ > "${bin}/mvn.pid"\nsleep 300 &\necho $! > "${bin}/child.pid"\nwait\n`,
    );
    chmodSync(join(bin, 'mvn'), 0o755);
    pidFiles.push(join(bin, 'mvn.pid'), join(bin, 'child.pid'));
    const { namesrvPort, brokerPort } = await freeClusterPorts();
    const dir = join(root, 'download');
    dirs.push(dir);
    const r = await rmq(
      [
        'local',
        'up',
        '--dir',
        dir,
        '--version',
        '5.3.3',
        '--namesrv-port',
        String(namesrvPort),
        '--broker-port',
        String(brokerPort),
        '--download-timeout',
        '2s',
        '--no-save-profile',
        '--json',
      ],
      {
        timeoutMs: 100_000,
        env: { PATH: `${bin}${delimiter}${process.env.PATH ?? ''}`, RMQ_CACHE_DIR: join(root, 'cache') },
      },
    );
    assert.equal(r.code, 4, show(r));
    assert.equal(errorOf(r).kind, 'timeout');
    assert.match(errorOf(r).message, /^mvn did not finish downloading RocketMQ 5\.3\.3 within 2s/);
    assert.match(errorOf(r).hint ?? '', /--download-timeout/);
    for (const f of ['mvn.pid', 'child.pid']) {
      assert.ok(existsSync(join(bin, f)), `the fake mvn did not get to write ${f}`);
      const pid = Number(readFileSync(join(bin, f), 'utf8').trim());
      assert.equal(alive(pid), false, `${f} ${pid} still runs`);
    }
  });
  test(
    'up --acl keeps the secret out of --json and stderr unless --show-secret, and out of the JVMs',
    { timeout: 1_200_000 },
    async () => {
      const { namesrvPort, brokerPort } = await freeClusterPorts();
      const dir = join(root, 'acl');
      dirs.push(dir);
      const tag = `${process.pid}x${Date.now().toString(36)}`;
      const password = `AclPw${tag}`;
      const clientSecret = `ClientSecret${tag}`;
      const args = [
        'local',
        'up',
        '--dir',
        dir,
        '--version',
        '5.3.3',
        '--namesrv-port',
        String(namesrvPort),
        '--broker-port',
        String(brokerPort),
        '--acl',
        '--no-save-profile',
        ...WAIT,
      ];
      // Both are what a CI job would export: the password `up` takes, a client secret of its own.
      const env = { RMQ_LOCAL_ACL_PASSWORD: password, RMQ_SECRET_KEY: clientSecret };

      const masked = await rmq([...args, '--json'], { ...LONG, env });
      assert.equal(masked.code, 0, show(masked));
      const res = masked.json as UpResult;
      assert.equal(res.acl?.accessKey, 'rmq-admin');
      assert.equal(res.acl?.secretKey, '********');
      assert.ok(!masked.stdout.includes(password), `--json shows the secret: ${masked.stdout}`);
      assert.ok(!masked.stderr.includes(password), `stderr shows the secret: ${masked.stderr}`);
      assert.equal(JSON.parse(readFileSync(res.acl!.accountsFile, 'utf8')).admin.secretKey, password);
      for (const pid of [res.pids.namesrv, res.pids.broker]) {
        const vars = environ(pid);
        assert.ok(
          vars.some((kv) => kv === `ROCKETMQ_HOME=${dir}`),
          `not the JVM's environment: ${vars.join(' ')}`,
        );
        const leaked = vars.filter(
          (kv) => /^RMQ_/.test(kv) || kv.includes(password) || kv.includes(clientSecret),
        );
        assert.deepEqual(leaked, [], `pid ${pid} inherited secrets`);
      }
      const stop = await rmq(['local', 'down', '--dir', dir, '--json'], LONG);
      assert.equal(stop.code, 0, show(stop));

      // Human output: the secret on stderr only when asked for.
      const shown = await rmq([...args, '--show-secret'], { ...LONG, env });
      assert.equal(shown.code, 0, show(shown));
      assert.match(shown.stderr, new RegExp(`secret key ${password}`));
      assert.equal(shown.stdout.trim(), `127.0.0.1:${namesrvPort}`);
      const stop2 = await rmq(['local', 'down', '--dir', dir, '--json'], LONG);
      assert.equal(stop2.code, 0, show(stop2));
    },
  );
  test('down --purge refuses a look-alike dir, $HOME and / with one line, touching nothing', async () => {
    const stranger = join(root, 'not-a-cluster');
    lookalike(stranger);
    writeFileSync(join(stranger, 'state.json'), JSON.stringify({ schema: 1, dir: stranger, pids: {} }));
    const human = await rmq(['local', 'down', '--dir', stranger, '--purge']);
    assert.equal(human.code, 8, show(human));
    // Progress lines aside (stderr is no TTY here), the error is one line, with no stack trace.
    const lines = human.stderr
      .trim()
      .split('\n')
      .filter((l) => !/^(stopping|looking at) /.test(l));
    assert.equal(lines.length, 1, show(human));
    assert.match(
      lines[0]!,
      /^Error: refusing to purge .*not-a-cluster: it has no \.rmq-local\.json of `rmq local up` — nothing was stopped or deleted/,
    );
    const json = await rmq(['local', 'down', '--dir', stranger, '--purge', '--json']);
    assert.equal(json.code, 8, show(json));
    assert.equal(errorOf(json).kind, 'environment');
    assertUntouched(stranger);

    // $HOME is refused even with an owner file and a state file that name it.
    const home = join(root, 'fake-home');
    lookalike(home);
    writeFileSync(join(home, '.rmq-local.json'), JSON.stringify({ schema: 1, dir: home }));
    writeFileSync(join(home, 'state.json'), JSON.stringify({ schema: 1, dir: home, pids: {} }));
    const h = await rmq(['local', 'down', '--dir', home, '--purge', '--json'], { env: { HOME: home } });
    assert.equal(h.code, 2, show(h));
    assert.match(errorOf(h).message, /^refusing to purge .*fake-home: it is your home directory$/);
    assertUntouched(home);

    // `/` only as a dry run: were the refusal ever lost, a real run as root would empty /tmp.
    const slash = await rmq(['local', 'down', '--dir', '/', '--purge', '--dry-run', '--json']);
    assert.equal(slash.code, 2, show(slash));
    assert.match(errorOf(slash).message, /^refusing to purge \/: it is the root directory$/);
  });

  test(
    'a real cluster dir: created 0700, a copy of it refused, --dry-run shows what --purge then deletes',
    { timeout: 1_200_000 },
    async () => {
      const { namesrvPort, brokerPort } = await freeClusterPorts();
      const dir = join(root, 'real');
      dirs.push(dir);
      const upped = await rmq(
        [
          'local',
          'up',
          '--dir',
          dir,
          '--version',
          '5.3.3',
          '--namesrv-port',
          String(namesrvPort),
          '--broker-port',
          String(brokerPort),
          '--no-save-profile',
          '--json',
          ...WAIT,
        ],
        LONG,
      );
      assert.equal(upped.code, 0, show(upped));
      assert.equal(statSync(dir).mode & 0o777, 0o700, 'the cluster dir is private');

      // A copy carries the owner and state files, which name the original.
      const copy = join(root, 'copy');
      lookalike(copy);
      for (const f of ['.rmq-local.json', 'state.json']) copyFileSync(join(dir, f), join(copy, f));
      const copied = await rmq(['local', 'down', '--dir', copy, '--purge', '--json']);
      assert.equal(copied.code, 8, show(copied));
      assert.match(errorOf(copied).message, /names .*real, so it is a copy or a move/);
      assertUntouched(copy);

      const planned = await rmq(['local', 'down', '--dir', dir, '--purge', '--dry-run', '--json']);
      assert.equal(planned.code, 0, show(planned));
      const plan = planned.json as DownResult;
      assert.equal(plan.dryRun, true);
      assert.deepEqual(plan.running?.map((p) => p.role).sort(), ['broker', 'namesrv']);
      for (const e of ['store', 'conf', 'logs', 'home', 'tmp', 'state.json', '.rmq-local.json']) {
        assert.ok(plan.removed.includes(join(dir, e)), `${e} not in the plan: ${plan.removed.join(' ')}`);
      }
      assert.equal(plan.removed.at(-1), dir);
      const human = await rmq(['local', 'down', '--dir', dir, '--purge', '--dry-run']);
      assert.match(human.stdout, /^dry run: would stop broker \(pid \d+\) and name server \(pid \d+\)$/m);
      assert.match(
        human.stdout,
        /^dry run: would delete in .*real: store, namesrv, conf, home, logs, tmp, state\.json, \.rmq-local\.json, then .*real itself$/m,
      );
      const st = await rmq(['local', 'status', '--dir', dir, '--json']);
      assert.equal((st.json as StatusResult).state, 'running', 'a dry run stops nothing');

      const purged = await rmq(['local', 'down', '--dir', dir, '--purge', '--json'], LONG);
      assert.equal(purged.code, 0, show(purged));
      const done = purged.json as DownResult;
      assert.equal(done.purged, true);
      assert.equal(done.stopped.length, 2);
      assert.deepEqual(done.removed, plan.removed);
      assert.equal(existsSync(dir), false);
    },
  );

  test('up refuses a dir others may write to, one of another user, a non-empty one, and $HOME', async (t) => {
    const { namesrvPort, brokerPort } = await freeClusterPorts();
    const up = (dir: string, env: Record<string, string> = {}): Promise<CliResult> => {
      dirs.push(dir);
      return rmq(
        [
          'local',
          'up',
          '--dir',
          dir,
          '--namesrv-port',
          String(namesrvPort),
          '--broker-port',
          String(brokerPort),
          '--no-save-profile',
          '--json',
        ],
        { ...LONG, env },
      );
    };

    const shared = join(root, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    const s = await up(shared);
    assert.equal(s.code, 8, show(s));
    assert.match(errorOf(s).message, /^refusing to use .*shared: other users may write to it \(mode 0777\)$/);
    assert.equal(existsSync(join(shared, '.rmq-local.json')), false);

    const busy = join(root, 'project');
    lookalike(busy);
    const b = await up(busy);
    assert.equal(b.code, 8, show(b));
    assert.match(errorOf(b).message, /it is not empty and not a local cluster's dir/);
    assertUntouched(busy);

    const home = join(root, 'up-home');
    mkdirSync(home);
    const h = await up(home, { HOME: home });
    assert.equal(h.code, 2, show(h));
    assert.match(
      errorOf(h).message,
      /^refusing to keep a local cluster in .*up-home: it is your home directory$/,
    );

    if (process.getuid?.() !== 0) {
      t.diagnostic('not root: cannot hand a dir to another user, that case is not run');
      return;
    }
    const foreign = join(root, 'foreign');
    mkdirSync(foreign, { mode: 0o755 });
    chownSync(foreign, 65534, 65534);
    const f = await up(foreign);
    assert.equal(f.code, 8, show(f));
    assert.match(errorOf(f).message, /^refusing to use .*foreign: it belongs to another user \(uid 65534\)$/);
    assert.match(errorOf(f).hint ?? '', /directory of your own/);
  });
});
