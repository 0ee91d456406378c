/** Asserts a `--json` document matches its committed schema (schemas/<name>.json). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { REPO_ROOT } from './cli.js';

const ajv = new Ajv({ strict: true, allErrors: true });
const compiled = new Map<string, ValidateFunction>();

export function assertSchema(name: string, json: unknown): void {
  let validate = compiled.get(name);
  if (!validate) {
    validate = ajv.compile(
      JSON.parse(readFileSync(join(REPO_ROOT, 'schemas', `${name}.json`), 'utf8')) as object,
    );
    compiled.set(name, validate);
  }
  assert.ok(validate(json), `schemas/${name}.json: ${ajv.errorsText(validate.errors)}`);
}
