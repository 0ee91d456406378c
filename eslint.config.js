// Lint: typescript-eslint's recommended rules, plus the layering rule the architecture depends on:
// the client core imports nothing from the CLI layer (oclif, chalk, ora, cli-table3); and an
// acyclic import graph: import-x/no-cycle for cycles of value imports, lint/no-type-import-cycle.js
// for the cycles import-x skips because they pass through a type-only import.
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';
import noTypeImportCycle from './lint/no-type-import-cycle.js';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'test/fixtures/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        Buffer: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        queueMicrotask: 'readonly',
        URL: 'readonly',
        TextDecoder: 'readonly',
        AbortController: 'readonly',
        performance: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-control-regex': 'off',
    },
  },
  {
    files: ['src/core/**/*.ts', 'src/local/**/*.ts', 'src/services/**/*.ts', 'src/bench/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@oclif/*', 'chalk', 'ora', 'cli-table3'],
              message: 'core, local, services and bench stay free of the CLI layer',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/**/*.ts', 'test/**/*.ts'],
    plugins: { 'import-x': importX, rmq: { rules: { 'no-type-import-cycle': noTypeImportCycle } } },
    settings: {
      // NodeNext: `./x.js` in an import is `./x.ts` in the tree; this resolver maps it, as tsc does.
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: 'tsconfig.json' })],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
    },
    rules: {
      'import-x/no-cycle': 'error',
      'rmq/no-type-import-cycle': 'error',
    },
  },
);
