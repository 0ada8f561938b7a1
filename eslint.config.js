// @ts-check
import tseslint from 'typescript-eslint';

/** Modules the pure engine core must not import: I/O, clocks, transports, logging. */
const IO_MODULES = [
  'node:*', 'fs', 'fs/*', 'path', 'net', 'http', 'https', 'child_process', 'os', 'crypto', 'stream', 'worker_threads',
  'kafkajs', '@clickhouse/*', 'chdb', 'chdb/*', 'pino', '@apollo/*', 'graphql', 'graphql-ws', 'ws', 'yaml',
  '**/platform/*', '**/platform/**', '**/ingest/**', '**/api/**', '**/adapters/**',
];

export default tseslint.config(
  { ignores: ['node_modules/**', '.sluice/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'off',
    },
  },
  {
    // engine/core is pure: time, storage and logging come in through ports (STYLE.md §1)
    files: ['engine/core/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [{ group: IO_MODULES, message: 'engine/core is pure: I/O belongs in an adapter (engine/adapters, ingest/, api/).' }],
      }],
      'no-restricted-properties': ['error', { object: 'Date', property: 'now', message: 'engine/core takes time as an argument (epoch ms).' }],
      'no-restricted-globals': ['error',
        { name: 'setTimeout', message: 'no timers in engine/core' },
        { name: 'setInterval', message: 'no timers in engine/core' },
        { name: 'process', message: 'no process access in engine/core' },
        { name: 'fetch', message: 'no I/O in engine/core' },
        { name: 'console', message: 'engine/core does not log; return values instead' },
      ],
    },
  },
);
