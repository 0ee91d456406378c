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
});
