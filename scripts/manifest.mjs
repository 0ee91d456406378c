#!/usr/bin/env node
// Writes oclif.manifest.json from the built commands (part of `npm run build`). Without it oclif
// imports every command module — bench engine, Maven resolution, trace and all — to find the one
// being run: ~110 ms of every `rmq` start-up. Always regenerated, so it cannot go stale.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Plugin } from '@oclif/core';

const root = fileURLToPath(new URL('..', import.meta.url));
const plugin = new Plugin({
  root,
  type: 'core',
  ignoreManifest: true,
  errorOnManifestCreate: true,
  respectNoCacheDefault: true,
});
await plugin.load();
writeFileSync(`${root}oclif.manifest.json`, `${JSON.stringify(plugin.manifest)}\n`);
