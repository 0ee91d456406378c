#!/usr/bin/env node
// Generates the README's command reference from the commands themselves (summary, usage, flags
// with their environment variables and defaults, examples), between the markers
// <!-- commands --> and <!-- commandsstop -->. `--check` fails when the README is not current
// (npm test runs it), so the reference cannot drift from the code.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Config } from '@oclif/core';

const root = fileURLToPath(new URL('..', import.meta.url));
const readmePath = `${root}README.md`;
const check = process.argv.includes('--check');

const config = await Config.load(root);
const bin = config.bin;
const ours = config.commands
  .filter((c) => c.pluginName === config.name && !c.hidden)
  .sort((a, b) => a.id.localeCompare(b.id));

const esc = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');
const show = (id) => id.replaceAll(':', ' ');

async function render(cmd) {
  const lines = [
    `### \`${bin} ${show(cmd.id)}\``,
    '',
    cmd.summary ?? cmd.description?.split('\n')[0] ?? '',
    '',
  ];
  const args = Object.values(cmd.args ?? {});
  const usage = [
    bin,
    show(cmd.id),
    ...args.map((a) => (a.required ? a.name.toUpperCase() : `[${a.name.toUpperCase()}]`)),
  ];
  lines.push('```', `${usage.join(' ')} [FLAGS]`, '```', '');
  if (cmd.description && cmd.description !== cmd.summary)
    lines.push(cmd.description.replaceAll('<%= config.bin %>', bin), '');
  const flags = Object.values(cmd.flags ?? {}).filter(
    (f) => !f.hidden && f.name !== 'json' && f.name !== 'debug',
  );
  if (flags.length > 0) {
    lines.push('| flag | env | default | meaning |', '|---|---|---|---|');
    for (const f of flags.sort((a, b) => a.name.localeCompare(b.name))) {
      const name = `${f.char ? `-${f.char}, ` : ''}--${f.type === 'boolean' && f.allowNo ? '[no-]' : ''}${f.name}${f.type === 'option' ? ' <value>' : ''}`;
      let def = '';
      if (f.defaultHelp !== undefined)
        def =
          typeof f.defaultHelp === 'function'
            ? await f.defaultHelp({ options: f, flags: {} })
            : f.defaultHelp;
      else if (f.default !== undefined && typeof f.default !== 'function') def = f.default;
      const options = f.options ? ` (${f.options.join(', ')})` : '';
      lines.push(
        `| \`${esc(name)}\` | ${f.env ? `\`${f.env}\`` : ''} | ${def === '' || def === undefined ? '' : `\`${esc(def)}\``} | ${esc((f.summary ?? f.description ?? '') + options)} |`,
      );
    }
    lines.push('');
  }
  const examples = (cmd.examples ?? []).map((e) => (typeof e === 'string' ? e : e.command));
  if (examples.length > 0) {
    lines.push('```sh');
    for (const e of examples) lines.push(e.replaceAll('<%= config.bin %>', bin).replace(/^\$ /, ''));
    lines.push('```', '');
  }
  return lines.join('\n');
}

const body = [
  'Generated from the commands by `node scripts/readme-commands.mjs`; `npm test` checks it is current.',
  'Every command also takes `--json` and `--debug`.',
  '',
  ...(await Promise.all(ours.map(render))),
].join('\n');

const readme = readFileSync(readmePath, 'utf8');
const start = readme.indexOf('<!-- commands -->');
const stop = readme.indexOf('<!-- commandsstop -->');
if (start < 0 || stop < start) {
  process.stderr.write('README.md lacks the <!-- commands --> … <!-- commandsstop --> markers\n');
  process.exit(1);
}
const next = `${readme.slice(0, start)}<!-- commands -->\n${body}\n${readme.slice(stop)}`;
if (check) {
  if (next !== readme) {
    process.stderr.write(
      'README.md command reference is out of date: run `node scripts/readme-commands.mjs`\n',
    );
    process.exit(1);
  }
} else {
  writeFileSync(readmePath, next);
}
