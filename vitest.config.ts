import { defineConfig } from 'vitest/config';

// Three projects: `unit` needs no server and no network (run it alone with `npm run test:unit`);
// `integration` and `e2e` get the real backends from the global setup.
const withBackends = ['test/setup/global-setup.ts'];

export default defineConfig({
  test: {
    pool: 'forks',
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 10_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: withBackends,
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: withBackends,
          // Demo runs, examples and the browser: room for a loaded CI machine.
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
