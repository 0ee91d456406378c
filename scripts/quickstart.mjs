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
rmq('local', 'up');
rmq('cluster', 'list');
rmq('topic', 'create', 'quickstart', '--queues', '4');
rmq('group', 'create', 'quickstart-group');
rmq('send', 'quickstart', '--body', 'hello from rmq', '--key', 'greeting', '--tag', 'demo', '--count', '3');
rmq('consume', 'quickstart', '-g', 'quickstart-group', '--from', 'first', '--until-end');
rmq('topic', 'describe', 'quickstart');
rmq('group', 'describe', 'quickstart-group');
rmq('bench', '--topic', 'quickstart', '--duration', '10s', '--warmup', '2s', '--verify', '--slo', 'lost==0');
process.stderr.write(
  '\nThe local cluster keeps running: `node bin/run.js local status`, `node bin/run.js local down`.\n',
);
