#!/usr/bin/env node
// `npm run quickstart`: build, start the embedded RocketMQ, and walk through the main job.
// Leaves the local cluster running; stop it with `node bin/run.js local down`.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'run.js');

function run(cmd, argv, shown) {
  process.stderr.write(`\n$ ${shown ?? [cmd, ...argv].join(' ')}\n`);
  const r = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(`\nquickstart stopped: the step above failed (exit ${r.status ?? r.signal})\n`);
    process.exit(r.status || 1);
  }
}
const rmq = (...argv) => run(process.execPath, [bin, ...argv], `rmq ${argv.join(' ')}`);

run('npx', ['tsc', '-p', '.'], 'npm run build');
// The command manifest: without it oclif imports every command module at each start-up.
run(process.execPath, ['scripts/manifest.mjs'], 'node scripts/manifest.mjs');
// A second quickstart finds the first one's cluster running: it goes on with that one, as `up`
// would refuse to start another in the same dir.
const status = spawnSync(process.execPath, [bin, 'local', 'status', '--json'], {
  cwd: root,
  encoding: 'utf8',
});
let running = false;
try {
  running = status.status === 0 && JSON.parse(status.stdout).state === 'running';
} catch {
  running = false; // no JSON: `up` below says what is wrong
}
if (running) process.stderr.write('\n$ rmq local status\na local cluster is already running: using it\n');
else rmq('local', 'up');
rmq('cluster', 'list');
rmq('topic', 'create', 'quickstart', '--queues', '4');
rmq('group', 'create', 'quickstart-group');
rmq('send', 'quickstart', '--body', 'hello from rmq', '--key', 'greeting', '--tag', 'demo', '--count', '3');
rmq('consume', 'quickstart', '-g', 'quickstart-group', '--from', 'first', '--until-end');
rmq('topic', 'describe', 'quickstart');
rmq('group', 'describe', 'quickstart-group');
// A topic of its own: the next quickstart's consume then reads only the three greetings again.
rmq('topic', 'create', 'quickstart-bench', '--queues', '4');
rmq(
  'bench',
  '--topic',
  'quickstart-bench',
  '--duration',
  '10s',
  '--warmup',
  '2s',
  '--verify',
  '--slo',
  'lost==0',
);
process.stderr.write(
  '\nThe local cluster keeps running: `node bin/run.js local status`, `node bin/run.js local down`.\n',
);
