import { defineConfig } from 'vitest/config';

// The conformance suite (test/conformance): the same tests on the dev host and on the real Durable
// extension (a .NET host it builds with the SDK; see test/conformance/host). `npm run test:conformance`.
// Without a .NET SDK the real-extension half is skipped (the test names say so), except under CI.
export default defineConfig({
  test: {
    include: ['test/conformance/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 600_000,
    fileParallelism: true,
    maxWorkers: 2,
    // Builds the .NET host once (per app) before the files start it in parallel.
    globalSetup: ['test/conformance/harness/global-setup.ts'],
  },
});
