import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The conformance suite needs the .NET SDK: `npm run test:conformance` (vitest.conformance.config.mts).
    exclude: ['test/conformance/**', '**/node_modules/**'],
    // Each test file in its own process: the dev host patches module loading and sets
    // process-wide variables (WEBSITE_HOSTNAME) like the real worker does.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    fileParallelism: true,
    maxWorkers: 2,
  },
});
