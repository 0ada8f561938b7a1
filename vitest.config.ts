import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` (pure code, in-memory ports, no services) and `integration`
 * (`*.int.test.ts`: real Kafka broker and real ClickHouse engine, found by
 * test/setup/services.global.ts in the order of ../shared/INFRA.md's contract).
 */
export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.int.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.int.test.ts'],
          environment: 'node',
          globalSetup: ['test/setup/services.global.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // one shared ClickHouse (`sluice clickhouse` child process) and one broker on 2 cores
          fileParallelism: false,
        },
      },
    ],
  },
});
