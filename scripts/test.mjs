#!/usr/bin/env node
// The one test command (`npm test`): build, lint, unit tests, then integration tests against a
// real RocketMQ: the one answering at RMQ_TEST_NAMESRV (default 127.0.0.1:9876, where the
// quickstart cluster listens) if it is a RocketMQ with a master serving; otherwise a local cluster
// started with `rmq local up` on free ports in a throw-away dir, stopped again at the end (never on
// 9876/10911, which another program may hold: test/helpers/suite-cluster.ts decides).
// Ends with the runner's own summary and a plain "N passed, N failed, N skipped" line, in which a
// cancelled test (one that timed out, or whose file crashed) counts as failed.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'run.js');
const args = new Set(process.argv.slice(2));
const unitOnly = args.has('--unit');

function step(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit', ...opts });
  if (r.status !== 0) {
    process.stderr.write(`\n${cmd} ${argv.join(' ')} failed (exit ${r.status ?? r.signal})\n`);
    process.exit(r.status || 1);
  }
}

function rmq(argv, extraEnv = {}) {
  const r = spawnSync(process.execPath, [bin, ...argv], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...extraEnv },
  });
  let json;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    json = undefined; // not JSON: the caller reports stdout and stderr as they are
  }
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, json };
}

step('npx', ['tsc', '-p', '.']);
// Tests run the CLI as users get it: with the command manifest `npm run build` writes.
step(process.execPath, ['scripts/manifest.mjs']);
step('npx', ['eslint', '.']);
step(process.execPath, ['scripts/readme-commands.mjs', '--check']);
step(process.execPath, ['scripts/json-schemas.mjs', '--check']);
step('npx', ['prettier', '--check', '.']);

let namesrv = process.env.RMQ_TEST_NAMESRV ?? '127.0.0.1:9876';
// Tests never read or write the developer's own profiles (some start clusters, which save one).
const scratch = mkdtempSync(join(tmpdir(), 'rmq-test-'));
process.env.RMQ_PROFILES_FILE = join(scratch, 'profiles.json');
let startedDir;
const testDirs = ['dist/test/unit'];

if (!unitOnly) {
  // Built by the tsc step above.
  const { chooseSuiteCluster, probeWithCli } = await import(
    pathToFileURL(join(root, 'dist/test/helpers/suite-cluster.js')).href
  );
  const choice = await chooseSuiteCluster(namesrv, probeWithCli(bin));
  if (choice.kind === 'reuse') {
    process.stderr.write(`integration tests: using the RocketMQ already running at ${namesrv}\n`);
  } else {
    startedDir = mkdtempSync(join(tmpdir(), 'rmq-test-cluster-'));
    namesrv = `127.0.0.1:${choice.namesrvPort}`;
    process.stderr.write(
      `integration tests: ${choice.why}; starting a local RocketMQ (name server ${namesrv}, broker ` +
        `port ${choice.brokerPort}) in ${startedDir}\n`,
    );
    const up = rmq([
      'local',
      'up',
      '--dir',
      startedDir,
      '--namesrv-port',
      String(choice.namesrvPort),
      '--broker-port',
      String(choice.brokerPort),
      // A loaded machine can take longer than the 90 s default to start a broker (93 s seen).
      '--wait',
      '4m',
      '--no-save-profile',
      '--json',
    ]);
    if (up.code !== 0) {
      process.stderr.write(
        `${up.stdout}${up.stderr}\nrmq local up failed (exit ${up.code}); not running integration tests\n`,
      );
      rmSync(startedDir, { recursive: true, force: true });
      process.exit(up.code || 1);
    }
  }
  testDirs.push('dist/test/integration');
}

// The spec reporter closes with "ℹ pass N", "ℹ fail N", "ℹ cancelled N", "ℹ skipped N" and
// "ℹ todo N" lines (a diagnostic of a test is indented, so it cannot pass for one).
const counts = new Map();
const code = await new Promise((resolve) => {
  const child = spawn(process.execPath, ['--test', '--test-reporter=spec', ...testDirs], {
    cwd: root,
    env: { ...process.env, RMQ_TEST_NAMESRV: namesrv, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d) => {
    process.stdout.write(d);
    out += d.toString();
  });
  child.on('close', (c) => {
    for (const m of out.matchAll(/^ℹ (pass|fail|cancelled|skipped|todo) (\d+)$/gm)) {
      counts.set(m[1], Number(m[2]));
    }
    resolve(c ?? 1);
  });
});

if (startedDir) {
  const down = rmq(['local', 'down', '--dir', startedDir, '--purge', '--json']);
  if (down.code !== 0) process.stderr.write(`rmq local down failed: ${down.stdout}${down.stderr}\n`);
  rmSync(startedDir, { recursive: true, force: true });
}
rmSync(scratch, { recursive: true, force: true });
const n = (what) => counts.get(what) ?? 0;
// A test that timed out or never finished is cancelled: it did not pass, so it is a failure here.
const failed = n('fail') + n('cancelled');
const todo = n('todo') > 0 ? `, ${n('todo')} todo` : '';
process.stdout.write(`${n('pass')} passed, ${failed} failed, ${n('skipped')} skipped${todo}\n`);
if (!counts.has('pass')) {
  // No summary: the runner itself died. Never let that read as a clean run.
  process.stderr.write(`the test runner printed no summary (exit ${code})\n`);
  process.exit(code || 1);
}
process.exit(code === 0 && failed === 0 ? 0 : code || 1);
