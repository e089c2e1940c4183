/**
 * An activity that outlives host.json functionTimeout (the fixture app: 5 s). On the real engine the
 * JobHost stops itself (in Azure the Functions host restarts with a new Node worker): the activity is
 * not failed but aborted, and it runs again once its queue message is visible again (Azure: 5 min,
 * here 8 s), and again... The dev host deliberately fails only that invocation, with the host's
 * timeout text, so a developer sees the problem at once instead of a silent loop (README, "Dev host").
 * The product keeps every activity inside the budget (src/config/app-service.ts, ACTIVITY_BUDGET_SECONDS).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AzuriteInstance } from '../../src/devhost/index.js';
import { repoRoot, startTestAzurite } from '../harness/devhost.js';
import { hostKinds, startTarget, type Target } from './harness/hosts.js';

const appRoot = path.join(repoRoot, 'test', 'fixtures', 'conformance-app');
const calls = createRequire(__filename)(path.join(appRoot, 'functions', 'calls.js')) as { of(name: string): number };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.each(hostKinds)('$name', ({ kind, skip }) => {
  let azurite: AzuriteInstance;
  let t: Target;
  beforeAll(async () => {
    if (skip) return;
    azurite = await startTestAzurite();
    t = await startTarget(kind, { azurite, appRoot, workItemVisibilityMs: 8000 });
  }, 300_000);
  afterAll(async () => {
    await t?.stop();
    await azurite?.stop();
  });
  const test = skip ? it.skip : it;

  test('an activity that outlives functionTimeout: the real engine restarts and runs it again; the dev host fails that call', async () => {
    const before = calls.of('slow');
    await t.start('outlives', { delayMs: 7000 }, 'slow-1');
    if (kind === 'dev host') {
      // (The dev host enforces functionTimeout in real time, as the Functions host does.)
      const s = await t.waitFor('slow-1', ['Completed']);
      expect(s.output).toEqual({ error: "Activity function 'slow' failed:  Timeout value of 00:00:05 was exceeded by function: Functions.slow " });
      expect(calls.of('slow') - before).toBe(1);
    } else {
      const deadline = Date.now() + 90_000;
      while (calls.of('slow') - before < 2 && Date.now() < deadline) await sleep(250);
      expect(calls.of('slow') - before).toBeGreaterThanOrEqual(2);
      expect(t.restarts()).toBeGreaterThanOrEqual(1);
      expect((await t.status('slow-1'))?.runtimeStatus).toBe('Running');
      expect(await t.terminate('slow-1', 'it would loop for ever')).toBe(202);
    }
  }, 150_000);
});
