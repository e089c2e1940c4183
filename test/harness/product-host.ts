/**
 * One set-up for test files that drive the product through its HTTP API: Azurite and the product
 * app on the dev host, started before the file's first test and stopped after its last. Kept out of
 * ./devhost.ts because it registers vitest hooks, and the benches (npm run bench) import that file
 * outside vitest.
 */
import { afterAll, beforeAll } from 'vitest';
import type { AzuriteInstance } from '../../src/devhost/index.js';
import { testPolicyPath } from './alerts.js';
import { repoRoot, startTestAzurite, startTestHost, type TestHost, type TestHostOptions } from './devhost.js';

/** Azurite and the product app on the dev host, shared by the tests of one file. */
export interface ProductHost {
  readonly h: TestHost;
  readonly azurite: AzuriteInstance;
}

/**
 * Starts Azurite and the dev host on the product app (the test policy unless `env` names another)
 * before the file's first test and stops both after its last; the one set-up for files that drive
 * the product through its HTTP API.
 */
export function useProductHost(options: Omit<TestHostOptions, 'azurite'> = {}, hookTimeoutMs?: number): ProductHost {
  let started: { h: TestHost; azurite: AzuriteInstance } | undefined;
  beforeAll(async () => {
    const azurite = await startTestAzurite();
    const h = await startTestHost({ appRoot: repoRoot, ...options, env: { POLICY_PATH: testPolicyPath, ...options.env }, azurite });
    started = { h, azurite };
  }, hookTimeoutMs);
  afterAll(async () => {
    await started?.h.stop();
    await started?.azurite.stop();
  });
  const get = (): { h: TestHost; azurite: AzuriteInstance } => {
    if (!started) throw new Error('useProductHost: the host starts in beforeAll; use it inside a test or hook');
    return started;
  };
  return {
    get h() {
      return get().h;
    },
    get azurite() {
      return get().azurite;
    },
  };
}
