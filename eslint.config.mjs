// Lint rules that keep the layout of docs/architecture.md true: a folder may import only what it is allowed to.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = builtinModules.flatMap((m) => [m, `node:${m}`]);
const ours = ['domain', 'store', 'workflows', 'activities', 'connectors', 'notifiers', 'gateway', 'worker', 'tools'];

/** no-restricted-imports for a folder that may import only `allowed` of our packages. */
function layer(files, allowed, extra = []) {
  const banned = ours.filter((p) => !allowed.includes(p)).map((p) => `@gatehouse/${p}`);
  return {
    files,
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...banned, ...extra].map((name) => ({
            name,
            message: 'Not allowed from this folder (docs/architecture.md).',
          })),
        },
      ],
    },
  };
}

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '.tools/**',
      '.data/**',
      '.nx/**',
      'coverage/**',
      '**/*.js',
      '**/*.mjs',
      'dashboard/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // One program for the whole workspace (per-project programs each re-check everything through the path aliases).
    languageOptions: { parserOptions: { project: ['./tsconfig.json'], tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // Tests read HTTP bodies loosely typed on purpose: the assertions are the type check.
  { files: ['**/*.spec.ts', 'test/**/*.ts'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
  layer(['domain/src/**/*.ts'], [], nodeBuiltins),
  // Workflow code runs in Temporal's deterministic sandbox: no I/O, no Node built-ins, no Nest.
  layer(
    ['workflows/src/**/*.ts'],
    ['domain'],
    [
      ...nodeBuiltins,
      '@nestjs/common',
      '@nestjs/core',
      'reflect-metadata',
      'class-transformer',
      'class-validator',
      'mongoose',
    ],
  ),
  layer(['store/src/**/*.ts'], ['domain']),
  layer(['connectors/src/**/*.ts'], ['domain']),
  layer(['notifiers/src/**/*.ts'], ['domain']),
  layer(['activities/src/**/*.ts'], ['domain', 'store', 'connectors', 'notifiers']),
  layer(['services/gateway/src/**/*.ts'], ['domain', 'store', 'workflows', 'notifiers']),
  layer(['services/worker/src/**/*.ts'], ['domain', 'store', 'workflows', 'activities', 'connectors', 'notifiers']),
  // The CLI speaks only the public HTTP API, like any other client.
  layer(['cli/src/**/*.ts'], []),
);
