/**
 * Importing the app costs the framework and the app's own code, nothing more: the SDKs that
 * activities use are loaded on first use (src/adapters/lazy.ts), not when the Functions worker
 * loads the entry files, nor the activity handlers (src/activities/define.ts: `activityHandlers`
 * imports them on the first invocation). Each load runs in a fresh process (the compiled app in dist/).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { coldImport, lazySdksIn } from '../harness/cold-import.js';
import { repoRoot } from '../harness/devhost.js';

describe('cold import of the app', () => {
  it('registers every function without loading any SDK an activity loads lazily', async () => {
    const app = await coldImport('app');
    expect(app.functions).toBeGreaterThan(20);
    expect(app.packages).toEqual(expect.arrayContaining(['@azure/functions', 'durable-functions', 'zod']));
    expect(lazySdksIn(app.packages)).toEqual([]);
  });

  it('loads no activity handler at import: the activity files register names, their handlers load on the first invocation', async () => {
    const app = await coldImport('app');
    const handlers = app.own.filter((f) => /^dist\/src\/activities\/[^/]+\.js$/.test(f) && !/\.contracts\.js$|\/(define|once|approval-token)\.js$/.test(f));
    // Loaded for a trigger's own work, not by any activity registration: the App Service handlers with
    // the composition the release registry's routes use (src/app/app-service.ts), the Teams handlers
    // with the freeze announcer that functions/teams-activities.ts plugs in at load, the smoke handler
    // with the synthetic monitor's composition.
    const forTriggers = ['dist/src/activities/app-service-ops.js', 'dist/src/activities/app-service.js', 'dist/src/activities/smoke.js', 'dist/src/activities/teams.js'];
    expect(handlers.filter((f) => !forTriggers.includes(f))).toEqual([]);
    // Every activity file registered (its contracts loaded), and none of the compositions only activities use.
    expect(app.own).toEqual(expect.arrayContaining(['dist/src/activities/evidence.contracts.js', 'dist/src/activities/sql.contracts.js', 'dist/src/activities/status-page.contracts.js']));
    expect(app.own.filter((f) => ['dist/src/app/evidence.js', 'dist/src/app/sql.js', 'dist/src/app/status-page.js', 'dist/src/app/teams-activities.js'].includes(f))).toEqual([]);
  });

  it('loads the OpenTelemetry SDKs only when APPLICATIONINSIGHTS_CONNECTION_STRING is set', async () => {
    // The connection string points at nothing that answers: the exporter only sends later, in the background.
    const on = await coldImport('app', repoRoot, { APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:9/' });
    expect(on.functions).toBeGreaterThan(20);
    expect(lazySdksIn(on.packages)).toEqual(expect.arrayContaining(['@azure/monitor-opentelemetry', '@opentelemetry/sdk-node', '@opentelemetry/sdk-trace-base', '@opentelemetry/sdk-metrics']));
  });

  it('the probe sees an SDK imported at the top of a function file', async () => {
    const eager = await coldImport('app', path.join(repoRoot, 'test', 'fixtures', 'cold-import', 'eager-app'));
    expect(eager.functions).toBe(1);
    expect(lazySdksIn(eager.packages)).toEqual(['@azure/core-rest-pipeline', '@azure/storage-blob']);
  });
});
