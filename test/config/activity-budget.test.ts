/**
 * Activities must end inside host.json functionTimeout: on the real Durable extension an invocation
 * that outlives it restarts the host and its in-flight activities run again (test/conformance).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTimeSpan } from '../../src/devhost/index.js';
import { ACTIVITY_BUDGET_SECONDS, FUNCTION_TIMEOUT_SECONDS, readAppServiceSettings } from '../../src/config/app-service.js';

const root = path.resolve(__dirname, '..', '..');

describe('the activity budget and host.json functionTimeout', () => {
  it('FUNCTION_TIMEOUT_SECONDS is host.json functionTimeout', () => {
    const host = JSON.parse(readFileSync(path.join(root, 'host.json'), 'utf8')) as { functionTimeout: string };
    expect((parseTimeSpan(host.functionTimeout) ?? 0) / 1000).toBe(FUNCTION_TIMEOUT_SECONDS);
    expect(ACTIVITY_BUDGET_SECONDS).toBeLessThan(FUNCTION_TIMEOUT_SECONDS);
  });

  it('the default swap deadline and HTTP timeout fit the budget; a larger deadline is refused by name', () => {
    const base = { AzureWebJobsStorage: 'UseDevelopmentStorage=true' };
    expect(readAppServiceSettings(base).ok).toBe(true);
    const big = readAppServiceSettings({ ...base, APPSERVICE_SWAP_DEADLINE_SECONDS: '530' });
    expect(big.ok).toBe(false);
    if (!big.ok) {
      expect(big.issues).toEqual([expect.objectContaining({ path: 'APPSERVICE_SWAP_DEADLINE_SECONDS', code: 'too_big' })]);
      expect(big.issues[0]?.message).toMatch(/Functions timeout \(600 s\)/);
    }
    expect(readAppServiceSettings({ ...base, APPSERVICE_SWAP_DEADLINE_SECONDS: '1800' }).ok).toBe(false);
    expect(readAppServiceSettings({ ...base, APPSERVICE_SWAP_DEADLINE_SECONDS: '500' }).ok).toBe(true);
  });
});
