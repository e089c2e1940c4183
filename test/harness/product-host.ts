/**
 * One set-up for test files that need Azurite (useAzurite) or drive the product through its HTTP
 * API (useProductHost: Azurite and the product app on the dev host), started before the file's
 * first test and stopped after its last. Kept out of ./devhost.ts because it registers vitest
 * hooks, and the benches (npm run bench) import that file outside vitest.
 */
import { afterAll, beforeAll } from 'vitest';
import { storageTarget, type StorageTarget } from '../../src/adapters/storage.js';
import type { AzuriteInstance } from '../../src/devhost/index.js';
import { testPolicyPath } from './alerts.js';
import { repoRoot, startTestAzurite, startTestHost, type TestHost, type TestHostOptions } from './devhost.js';

/** Azurite for the tests of one file, and the storage settings that point at it. */
export interface TestStorage {
  readonly azurite: AzuriteInstance;
  readonly storage: StorageTarget;
}

/** Azurite and the product app on the dev host, shared by the tests of one file. */
export interface ProductHost extends TestStorage {
  readonly h: TestHost;
}

function started<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what}: it starts in beforeAll; use it inside a test or hook`);
  return value;
}

/**
 * Starts Azurite (in memory, on free ports) before the file's first test and stops it after its
 * last; for files that need storage but not the dev host. Hooks the file registers after this call
 * can use it.
 */
export function useAzurite(hookTimeoutMs?: number): TestStorage {
  let azurite: AzuriteInstance | undefined;
  beforeAll(async () => {
    azurite = await startTestAzurite();
  }, hookTimeoutMs);
  afterAll(async () => {
    await azurite?.stop();
  });
  return {
    get azurite() {
      return started(azurite, 'useAzurite');
    },
    get storage() {
      return storageTarget({ AzureWebJobsStorage: started(azurite, 'useAzurite').connectionString });
    },
  };
}

/** The host's options; a function when they are made in the file's set-up (a folder, a fake's port), called once Azurite runs. */
export type ProductHostOptions = Omit<TestHostOptions, 'azurite'> | ((azurite: AzuriteInstance) => Omit<TestHostOptions, 'azurite'> | Promise<Omit<TestHostOptions, 'azurite'>>);

/**
 * Starts Azurite and the dev host on the product app (the test policy unless `env` names another;
 * `POLICY_PATH: ''` for none) before the file's first test and stops both after its last; the one
 * set-up for files that drive the product through its HTTP API. Hooks the file registers before
 * this call run before the start and (vitest runs after-hooks in reverse) after the stop, so fakes
 * the host talks to can be started first and stopped last; hooks registered after it can use `h`.
 */
export function useProductHost(given: ProductHostOptions = {}, hookTimeoutMs?: number): ProductHost {
  const storage = useAzurite(hookTimeoutMs);
  let h: TestHost | undefined;
  beforeAll(async () => {
    const options = typeof given === 'function' ? await given(storage.azurite) : given;
    h = await startTestHost({ appRoot: repoRoot, ...options, env: { POLICY_PATH: testPolicyPath, ...options.env }, azurite: storage.azurite });
  }, hookTimeoutMs);
  afterAll(async () => {
    await h?.stop();
  });
  return {
    get h() {
      return started(h, 'useProductHost');
    },
    get azurite() {
      return storage.azurite;
    },
    get storage() {
      return storage.storage;
    },
  };
}
