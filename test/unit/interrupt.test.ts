/**
 * BaseCommand's interrupt handling, in a child process as a user meets it: the first Ctrl-C
 * (or SIGTERM) stops gracefully and the result stands; a second one exits at once with 130.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ExitCode } from '../../src/exit-codes.js';

const CHILD = fileURLToPath(new URL('../helpers/interrupt-child.js', import.meta.url));

interface Child {
  process: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves when stderr holds `text`. */
  saw: (text: string) => Promise<void>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

function start(args: string[]): Child {
  const p = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  p.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  p.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    for (const w of waiters.splice(0)) {
      if (err.includes(w.text)) w.resolve();
      else waiters.push(w);
    }
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    p.on('close', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  return {
    process: p,
    stdout: () => out,
    stderr: () => err,
    saw: (text) =>
      err.includes(text)
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiters.push({ text, resolve })),
    exit,
  };
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`one ${signal}: a graceful stop, its result on stdout, exit 130`, { timeout: 60_000 }, async () => {
    const child = start(['--stop-ms', '300', '--json']);
    await child.saw('ready');
    child.process.kill(signal);
    const { code } = await child.exit;
    assert.equal(code, ExitCode.INTERRUPTED, child.stderr());
    assert.deepEqual(JSON.parse(child.stdout()), { stopped: 'gracefully', warnings: [] });
    assert.match(child.stderr(), /stopping/);
  });
}

test(
  'a second SIGINT exits at once with 130, without waiting for a hung stop',
  { timeout: 60_000 },
  async () => {
    // The graceful stop would take 10 minutes.
    const child = start(['--stop-ms', '600000', '--json']);
    await child.saw('ready');
    child.process.kill('SIGINT');
    await child.saw('stopping');
    const second = Date.now();
    child.process.kill('SIGINT');
    const { code, signal, at } = await child.exit;
    assert.equal(signal, null, 'exits by itself, not killed by the signal');
    assert.equal(code, ExitCode.INTERRUPTED, child.stderr());
    assert.ok(at - second < 10_000, `exited ${at - second} ms after the second SIGINT`);
    assert.equal(child.stdout(), '', 'no result: the stop did not finish');
  },
);
