import { defineConfig } from 'vitest/config';

// Two projects: `unit` is pure logic (no services); `integration` needs the stack that
// `./mehrdesk test` starts (PostgreSQL, Temporal dev server, SMTP catcher) and reads its
// addresses from the environment the launcher exports.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['**/*.unit.test.ts'],
          exclude: ['**/node_modules/**', '.tools/**', '.data/**'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['**/*.int.test.ts'],
          exclude: ['**/node_modules/**', '.tools/**', '.data/**'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
