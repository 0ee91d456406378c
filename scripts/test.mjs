#!/usr/bin/env node
// The one test command (`npm test`): build, lint, unit tests, then integration tests against a
// real RocketMQ: the one answering at RMQ_TEST_NAMESRV (default 127.0.0.1:9876, where the
// quickstart cluster listens) if it is a RocketMQ with a master serving; otherwise a local cluster
// started with `rmq local up` on free ports in a throw-away dir, stopped again at the end (never on
// 9876/10911, which another program may hold: test/helpers/suite-cluster.ts decides).
// Test files run in three lanes side by side (see LANES), and the run ends with each file's duration,
// the runner's own summaries and a plain "N passed, N failed, N skipped" line, in which a
// cancelled test (one that timed out, or whose file crashed) counts as failed.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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

/** `rmq` in a child process, without blocking the lanes that already run. */
function rmqAsync(argv) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...argv], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d.toString()));
    child.stderr.on('data', (d) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
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
// Ports a test draws are reserved here for the whole run, across lanes (test/helpers/ports.ts).
process.env.RMQ_TEST_PORT_DIR = join(scratch, 'ports');
mkdirSync(process.env.RMQ_TEST_PORT_DIR);
let startedDir;

// Lanes: each one `node --test` process running its files one after the other, side by side.
// Most files spend their time waiting on a broker, so lanes keep a 2-core machine busy without
// starving it; node's own --test-concurrency would pair files at random, two fault drills (each
// starting a cluster of its own and holding a rate) among them.
// - 'own': files that start a one-node cluster of their own (the three fault drills of a broker,
//   a name server and a consumer, `rmq local`, ACL/TLS, ACL administration, the 4.9 offset reset,
//   smoke with its only broker stopped, the 4.9 final offset commit);
// - 'ha': the unit tests, the multi-broker topologies and failover drills (2 × 1 with two name
//   servers, controller, DLedger), the 5.x proxy, the 5.5 line, the broker that advertises an
//   address nothing answers at, the oneway-drop drill;
// - 'main': everything against the shared broker (the 5.x → 4.9 migration too: it exports from
//   it), and any file no other pattern matches. Only 'main' waits for that broker to start.
// So at most two clusters of tests' own run beside the shared broker at once. Three lanes is what
// 2 cores take: with the shared broker's files split in two more (four lanes) the run took longer,
// not shorter (Dec 2: wall 1,671 s against 1,500, load average 17, timing bounds broken).
const LANES = [
  {
    name: 'own',
    files:
      /^(faults-(broker|namesrv|consumer)-kill|local|local-safety|security|group-offsets-49|offset-commit-49|smoke-broker-stopped)\.test\.js$/,
  },
  {
    name: 'ha',
    files:
      /^(local-topology|ha-(controller|dledger)|proxy|release-55|address-map|faults-oneway-drop)\.test\.js$/,
    unit: true,
  },
  { name: 'main', files: /./, shared: true },
];

function laneFiles() {
  const unit = readdirSync(join(root, 'dist/test/unit'))
    .filter((f) => f.endsWith('.test.js'))
    .map((f) => `dist/test/unit/${f}`);
  if (unitOnly) return [{ name: 'unit', files: unit }];
  const lanes = LANES.map((l) => ({ ...l, paths: [] }));
  for (const f of readdirSync(join(root, 'dist/test/integration')).filter((f) => f.endsWith('.test.js'))) {
    lanes.find((l) => l.files.test(f)).paths.push(`dist/test/integration/${f}`);
  }
  lanes.find((l) => l.unit).paths.unshift(...unit);
  // A lane without files is left out: `node --test` without files would run every test it finds.
  return lanes
    .filter((l) => l.paths.length > 0)
    .map((l) => ({ name: l.name, files: l.paths, shared: l.shared === true }));
}

/** Resolves true once the shared broker serves: reused, or started here (false: it did not start). */
let sharedReady = Promise.resolve(true);
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
    sharedReady = rmqAsync([
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
    ]).then((up) => {
      if (up.code === 0) return true;
      // The lanes that need it do not run: their runner prints no summary, which fails the run.
      process.stderr.write(
        `${up.stdout}${up.stderr}\nrmq local up failed (exit ${up.code}); the tests against the shared broker do not run\n`,
      );
      return false;
    });
  }
}

/** Runs one lane; its output is prefixed with the lane's name, line by line, as it comes. */
function runLane(lane) {
  const times = join(scratch, `times-${lane.name}.ndjson`);
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        '--test',
        // One file at a time on any machine (node's default is a core less than the machine has):
        // files of the main lane share one broker, and some change it for a moment (check.test.ts
        // makes its master read-only).
        '--test-concurrency=1',
        '--test-reporter=spec',
        '--test-reporter-destination=stdout',
        `--test-reporter=${join(root, 'scripts/file-times-reporter.mjs')}`,
        `--test-reporter-destination=${times}`,
        ...lane.files,
      ],
      {
        cwd: root,
        env: { ...process.env, RMQ_TEST_NAMESRV: namesrv, NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    const prefix = (stream) => {
      let partial = '';
      return (d) => {
        const text = partial + d.toString();
        const end = text.lastIndexOf('\n') + 1;
        partial = text.slice(end);
        // The last newline ends the chunk: a prefix after it would be doubled by the next one.
        if (end > 0) stream.write(`${text.slice(0, end - 1).replace(/^/gm, `${lane.name} │ `)}\n`);
      };
    };
    const toStdout = prefix(process.stdout);
    child.stdout.on('data', (d) => {
      out += d.toString();
      toStdout(d);
    });
    child.stderr.on('data', prefix(process.stderr));
    child.on('close', (c) => {
      let files = [];
      try {
        files = readFileSync(times, 'utf8')
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => JSON.parse(l));
      } catch {
        files = []; // no timings: the runner died before its reporters ended
      }
      resolve({ lane: lane.name, code: c ?? 1, out, files });
    });
  });
}

const started = Date.now();
const results = await Promise.all(
  laneFiles().map(async (lane) => {
    if (!lane.shared) return runLane(lane);
    if (await sharedReady) return runLane(lane);
    return { lane: lane.name, code: 1, out: '', files: [] };
  }),
);

if (startedDir) {
  const down = rmq(['local', 'down', '--dir', startedDir, '--purge', '--json']);
  if (down.code !== 0) process.stderr.write(`rmq local down failed: ${down.stdout}${down.stderr}\n`);
  rmSync(startedDir, { recursive: true, force: true });
}
rmSync(scratch, { recursive: true, force: true });

process.stderr.write(
  `\ntest files by duration (lanes ran side by side; wall ${((Date.now() - started) / 1000).toFixed(0)} s):\n`,
);
for (const { lane, f } of results
  .flatMap((r) => r.files.map((f) => ({ lane: r.lane, f })))
  .sort((a, b) => b.f.testsMs - a.f.testsMs)) {
  const failed = f.failed > 0 ? `  ${f.failed} failed` : '';
  process.stderr.write(
    `${(f.testsMs / 1000).toFixed(1).padStart(7)} s  ${lane.padEnd(6)}  ${f.file.slice(f.file.indexOf('dist/test/'))}${failed}\n`,
  );
}

// Each lane's spec reporter lists its failures after its own summary, but lanes end at different
// times, so a lane that ended early has its list far above the end of the output, where a log
// that keeps only its tail (a CI page) cuts it off. They are repeated here, last, each failure's
// name and the first lines of its message: what failed is what a reader of the tail needs first.
const recap = [];
for (const r of results) {
  const at = r.out.search(/^✖ failing tests:$/m);
  if (at < 0) continue;
  for (const block of r.out
    .slice(at)
    .split(/\n(?=test at )/)
    .slice(1)) {
    const lines = block.split('\n');
    const message = lines.slice(1, 14).filter((l) => !/^\s+at /.test(l) && l.trim() !== '');
    recap.push(`${r.lane} │ ${lines[0]}\n${message.map((l) => `${r.lane} │ ${l.slice(0, 600)}`).join('\n')}`);
  }
}
if (recap.length > 0) process.stderr.write(`\nfailing tests, again:\n${recap.join('\n')}\n`);

// The spec reporter closes with "ℹ pass N", "ℹ fail N", "ℹ cancelled N", "ℹ skipped N" and
// "ℹ todo N" lines (a diagnostic of a test is indented, so it cannot pass for one); one set per lane.
const counts = new Map();
let summaries = 0;
for (const r of results) {
  if (/^ℹ pass \d+$/m.test(r.out)) summaries++;
  for (const m of r.out.matchAll(/^ℹ (pass|fail|cancelled|skipped|todo) (\d+)$/gm)) {
    counts.set(m[1], (counts.get(m[1]) ?? 0) + Number(m[2]));
  }
}
const n = (what) => counts.get(what) ?? 0;
// A test that timed out or never finished is cancelled: it did not pass, so it is a failure here.
const failed = n('fail') + n('cancelled');
const todo = n('todo') > 0 ? `, ${n('todo')} todo` : '';
process.stdout.write(`${n('pass')} passed, ${failed} failed, ${n('skipped')} skipped${todo}\n`);
const code = results.find((r) => r.code !== 0)?.code ?? 0;
if (summaries < results.length) {
  // A lane without a summary: its runner died. Never let that read as a clean run.
  const dead = results.filter((r) => !/^ℹ pass \d+$/m.test(r.out)).map((r) => `${r.lane} (exit ${r.code})`);
  process.stderr.write(`the test runner printed no summary in lane ${dead.join(', ')}\n`);
  process.exit(code || 1);
}
process.exit(code === 0 && failed === 0 ? 0 : code || 1);
