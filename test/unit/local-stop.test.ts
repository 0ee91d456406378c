/**
 * `down` signals only processes that are still the ones it found. The JVMs are stand-ins: node
 * started through a symlink named `java`, with a cluster dir's marker and main class on its
 * command line, which is all `down` looks at. A pid that changes hands is played by a process
 * that rewrites its command line (process.title) when it gets SIGTERM.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { down } from '../../src/local/down.js';
import { MAIN_CLASS, ownerMarker, type Role } from '../../src/local/config.js';
import { localLayout } from '../../src/local/paths.js';
import { isAlive, stopProcess } from '../../src/local/process.js';

let root: string;
let java: string;
const started: ChildProcess[] = [];

before(() => {
  root = mkdtempSync(join(tmpdir(), 'rmq-unit-stop-'));
  mkdirSync(join(root, 'bin'));
  java = join(root, 'bin', 'java');
  symlinkSync(process.execPath, java);
});

after(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

/** A stand-in JVM of the cluster in `dir`; resolves once its SIGTERM handler is installed. */
async function fakeJvm(dir: string, role: Role, onSigterm: string): Promise<ChildProcess> {
  const script = `process.on('SIGTERM', () => { ${onSigterm} }); setInterval(() => {}, 1000); console.log('ready');`;
  const child = spawn(java, ['-e', script, '--', ownerMarker(localLayout(dir)), MAIN_CLASS[role]], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  started.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', () => reject(new Error('the stand-in JVM exited before it was ready')));
  });
  return child;
}

describe('stopping only our own processes', () => {
  test('a pid that stops carrying the marker after SIGTERM is never SIGKILLed', async () => {
    const dir = join(root, 'reused');
    const jvm = await fakeJvm(dir, 'broker', "process.title = 'somebody-else';");
    // A long --timeout: a SIGKILL here could only come from not checking before it.
    const result = await down({ dir, timeoutMs: 10_000, purge: false });
    assert.deepEqual(result.stopped, [{ role: 'broker', pid: jvm.pid, signal: 'SIGTERM' }]);
    assert.equal(await isAlive(jvm.pid!), true, 'the process that took over the pid was killed');
  });

  test('a JVM of ours that ignores SIGTERM is still SIGKILLed after --timeout', async () => {
    const dir = join(root, 'stubborn');
    const jvm = await fakeJvm(dir, 'broker', '');
    const result = await down({ dir, timeoutMs: 500, purge: false });
    assert.deepEqual(result.stopped, [{ role: 'broker', pid: jvm.pid, signal: 'SIGKILL' }]);
    assert.equal(await isAlive(jvm.pid!), false);
  });

  test('stopProcess sends nothing to a pid that is not ours', async () => {
    const dir = join(root, 'foreign');
    const jvm = await fakeJvm(dir, 'namesrv', "process.title = 'got-sigterm';");
    let asked = 0;
    const outcome = await stopProcess(jvm.pid!, 500, async () => {
      asked++;
      return false;
    });
    assert.equal(outcome, 'gone');
    assert.equal(asked, 1);
    assert.equal(await isAlive(jvm.pid!), true);
    jvm.kill('SIGKILL');
  });

  test('stopProcess leaves alone a pid that changes hands while it waits after SIGTERM', async () => {
    const dir = join(root, 'late');
    const jvm = await fakeJvm(dir, 'namesrv', '');
    let asked = 0;
    // Ours when SIGTERM goes out, someone else's from then on.
    const outcome = await stopProcess(jvm.pid!, 500, async () => ++asked === 1);
    assert.equal(outcome, 'SIGTERM');
    assert.ok(asked >= 2, `asked ${asked} time(s)`);
    assert.equal(await isAlive(jvm.pid!), true);
    jvm.kill('SIGKILL');
  });
});
