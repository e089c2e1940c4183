/**
 * Importing the app costs the framework and the registrations, nothing more: the SDKs that
 * activities use are loaded on first use (src/adapters/lazy.ts), not when the Functions worker
 * loads the entry files, nor the activity handlers (src/activities/define.ts: `activityHandlers`
 * imports them on the first invocation), nor the activity contracts (activities are registered by
 * name, `activityNamed`, the contract loaded with the first invocation), nor the orchestrators
 * (registered by name in functions/orchestrations.ts, their code loaded on their first episode),
 * nor the HTTP handlers and the timers' work (httpRoute in src/app/routes.ts takes a loader, run on
 * the route's first request). So neither the domain's zod schemas nor zod itself load at import.
 * Each load runs in a fresh process (the compiled app in dist/).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { coldImport, lazySdksIn } from '../harness/cold-import.js';
import { repoRoot } from '../harness/devhost.js';

describe('cold import of the app', () => {
  it('registers every function without loading any SDK an activity loads lazily', async () => {
    const app = await coldImport('app');
    expect(app.functions).toBeGreaterThan(20);
    expect(app.packages).toEqual(expect.arrayContaining(['@azure/functions', 'durable-functions']));
    // No schema is built at import: the contracts, the orchestrators and the domain load when they run.
    expect(app.packages).not.toContain('zod');
    expect(lazySdksIn(app.packages)).toEqual([]);
  });

  it('loads no activity handler at import: the activity files register names, their handlers load on the first invocation', async () => {
    const app = await coldImport('app');
    const handlers = app.own.filter((f) => /^dist\/src\/activities\/[^/]+\.js$/.test(f) && !/\.contracts\.js$|\/(define|once|approval-token)\.js$/.test(f));
    expect(handlers).toEqual([]);
    // Nor any contract (activities register by name), nor an orchestrator, nor the compositions only activities use.
    expect(app.own.filter((f) => f.endsWith('.contracts.js') || f.startsWith('dist/orchestrations/'))).toEqual([]);
    expect(app.own).toEqual(expect.arrayContaining(['dist/src/activities/define.js', 'dist/functions/orchestrations.js']));
    // Of the domain, only what the HTTP registrations check their names and envelopes with (no
    // schema), and the one way code is loaded on first use.
    expect(app.own.filter((f) => f.startsWith('dist/src/domain/'))).toEqual(['dist/src/domain/errors.js', 'dist/src/domain/json-fields.js', 'dist/src/domain/load-once.js', 'dist/src/domain/person-actions.js']);
    expect(app.own.filter((f) => ['dist/src/app/evidence.js', 'dist/src/app/sql.js', 'dist/src/app/status-page.js', 'dist/src/app/teams-activities.js'].includes(f))).toEqual([]);
  });

  it('loads no route handler or trigger work at import: routes and timers load theirs on the first request or run (httpRoute takes a loader)', async () => {
    const app = await coldImport('app');
    // What registering needs of the composition root, each for a reason; anything else of src/app
    // (intake, stores, access, the *-routes handlers, the policy) is a handler's and loads with it.
    const forRegistration = [
      'dist/src/app/routes.js', // httpRoute
      'dist/src/app/access-actions.js', // the guarded routes' names, checked at registration
      'dist/src/app/approval-routes.js', // registerApprovalRoutes (shared with the approvals test app)
      'dist/src/app/freeze-announcer-choice.js', // where the Teams freeze announcer plugs in
      'dist/src/app/clock.js', // the timers' app clock (no imports)
      'dist/src/app/orchestrations.js', // orchestrations registered by name, loaded on their first episode
      // Telemetry's hooks (functions/telemetry.ts); what they run, the settings included, loads at app start.
      'dist/src/app/telemetry-wiring.js',
    ];
    expect(app.own.filter((f) => f.startsWith('dist/src/app/') && !forRegistration.includes(f))).toEqual([]);
    // No adapter (telemetry's loads at app start, its SDKs only with a connection string), no settings.
    expect(app.own.filter((f) => f.startsWith('dist/src/adapters/') || f.startsWith('dist/src/config/'))).toEqual([]);
    // Not vacuous: the registration helpers did load, and the handler modules are built beside them.
    expect(app.own).toEqual(expect.arrayContaining(['dist/src/app/routes.js', 'dist/src/app/access-actions.js']));
    for (const f of ['alert-routes', 'incident-routes', 'follow-up-routes', 'synthetic-monitor-timer', 'intake', 'access', 'stores'].map((m) => `dist/src/app/${m}.js`)) expect(existsSync(path.join(repoRoot, f)), f).toBe(true);
  });

  it('starts telemetry in the app start hook: the settings and the adapter load then, not at import', async () => {
    const started = await coldImport('started');
    expect(started.own).toEqual(expect.arrayContaining(['dist/src/app/telemetry.js', 'dist/src/app/settings.js', 'dist/src/adapters/telemetry.js']));
    expect(lazySdksIn(started.packages)).toEqual([]);
  });

  it('loads the OpenTelemetry SDKs only when APPLICATIONINSIGHTS_CONNECTION_STRING is set (at app start)', async () => {
    // The connection string points at nothing that answers: the exporter only sends later, in the background.
    const on = await coldImport('started', repoRoot, { APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:9/' });
    expect(on.functions).toBeGreaterThan(20);
    expect(lazySdksIn(on.packages)).toEqual(expect.arrayContaining(['@azure/monitor-opentelemetry', '@opentelemetry/sdk-node', '@opentelemetry/sdk-trace-base', '@opentelemetry/sdk-metrics']));
  });

  it('the probe sees an SDK imported at the top of a function file', async () => {
    const eager = await coldImport('app', path.join(repoRoot, 'test', 'fixtures', 'cold-import', 'eager-app'));
    expect(eager.functions).toBe(1);
    expect(lazySdksIn(eager.packages)).toEqual(['@azure/core-rest-pipeline', '@azure/storage-blob']);
  });
});
