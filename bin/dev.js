#!/usr/bin/env node
// Development launcher: rebuilds nothing, but runs oclif in development mode (stack traces, no manifest).
import { execute } from '@oclif/core';

await execute({ development: true, dir: import.meta.url });
