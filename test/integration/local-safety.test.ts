/**
 * `rmq local` keeping its hands off what is not its own: a bounded mvn download, secrets kept out
 * of output and out of the JVMs' environment, and a --purge that deletes only a dir `up` made.
 * Clusters run on free ports in temp dirs of their own, beside the suite's cluster.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { UpResult } from '../../src/local/cluster.js';
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
});
