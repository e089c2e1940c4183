/** The smoke activity handler: credentials from settings, probing guards, results as data. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSmokeActivities } from '../../src/activities/smoke.js';
import { callSmokeSuite, RunSmokeCheckInput, SMOKE_SUITE_ORCHESTRATION } from '../../src/activities/smoke.contracts.js';
import type * as df from 'durable-functions';
import { createHttpProbes } from '../../src/adapters/http-probes.js';
import { readSmokeSettings, hostAllowed } from '../../src/config/smoke.js';
import { startTargetApp, type TargetApp } from '../../src/lab/target-app.js';

let app: TargetApp;
beforeAll(async () => {
  app = await startTargetApp();
});
afterAll(async () => {
  await app?.stop();
});
beforeEach(() => app.reset());

const input = (target: Record<string, unknown>, check: Record<string, unknown> = { kind: 'health' }) =>
  RunSmokeCheckInput.parse({ target: { label: 'api/production', ...target }, check, thresholds: {}, requestedAt: '2026-01-01T00:00:00Z' });

/** The activity with these settings; the policy names the target app's host (127.0.0.1) unless told otherwise. */
const withEnv = (env: Record<string, string>, policyHosts: string[] = ['127.0.0.1']) =>
  createSmokeActivities({ probes: createHttpProbes(), settings: () => readSmokeSettings(env, { hosts: policyHosts, problem: null }) });

describe('smokeRunCheck handler', () => {
  it('runs the probe, judges it and records the orchestrator time', async () => {
    const r = await withEnv({}).runCheck(input({ baseUrl: app.url('production') }));
    expect(r).toMatchObject({ kind: 'health', target: 'api/production', check: 'health', outcome: 'pass', findings: [], requestedAt: '2026-01-01T00:00:00Z' });
    expect(app.requestLog.every((q) => q.authorization === null)).toBe(true);
  });

  it('sends credentials from a SMOKE_* app setting, never echoing them', async () => {
    const acts = withEnv({ SMOKE_API_TOKEN: ' tok-123 ' });
    const r = await acts.runCheck(input({ baseUrl: app.url('production'), auth: { kind: 'setting', setting: 'SMOKE_API_TOKEN' } }));
    expect(r.outcome).toBe('pass');
    expect(app.requestLog.map((q) => q.authorization)).toEqual(['Bearer tok-123', 'Bearer tok-123']);
    expect(JSON.stringify(r)).not.toContain('tok-123');
  });

  it('refuses when the credential setting is missing, naming the setting', async () => {
    const r = await withEnv({}).runCheck(input({ baseUrl: app.url('production'), auth: { kind: 'setting', setting: 'SMOKE_API_TOKEN' } }));
    expect(r.outcome).toBe('error');
    expect(r.findings[0]?.message).toContain('the app setting SMOKE_API_TOKEN (credentials for api/production) is not set');
    expect(app.requestLog).toHaveLength(0);
  });

  it('refuses to send credentials over plain HTTP to a non-loopback host', async () => {
    const r = await withEnv({ SMOKE_API_TOKEN: 'tok' }, ['api.contoso.test']).runCheck(input({ baseUrl: 'http://api.contoso.test', auth: { kind: 'setting', setting: 'SMOKE_API_TOKEN' } }, { kind: 'sse' }));
    expect(r.outcome).toBe('error');
    expect(r.findings).toEqual([{ severity: 'critical', code: 'sse.unreachable', message: 'GET /sse: refusing to send credentials to api.contoso.test over plain HTTP' }]);
  });

  it('refuses hosts neither the policy names nor SMOKE_ALLOWED_HOSTS lists', async () => {
    const r = await withEnv({ SMOKE_ALLOWED_HOSTS: 'api.contoso.test, *.azurewebsites.net' }, ['admin-api-prod.azurewebsites.net']).runCheck(
      input({ baseUrl: app.url('production') }, { kind: 'contract', endpoints: [{ path: '/api/flags' }] }),
    );
    expect(r.outcome).toBe('error');
    expect(r.findings[0]?.message).toBe('GET /api/flags: 127.0.0.1 is not a host probes may reach: the policy does not name it, nor does SMOKE_ALLOWED_HOSTS');
    expect(app.requestLog).toHaveLength(0);
    // Unset, only the policy's hosts are probed; the setting widens them.
    expect((await withEnv({}, []).runCheck(input({ baseUrl: app.url('production') }))).outcome).toBe('error');
    expect((await withEnv({ SMOKE_ALLOWED_HOSTS: '127.0.0.1' }, []).runCheck(input({ baseUrl: app.url('production') }))).outcome).toBe('pass');
    const unreadable = await createSmokeActivities({
      probes: createHttpProbes(),
      settings: () => readSmokeSettings({}, { hosts: [], problem: 'The policy file p.json (POLICY_PATH) does not exist.' }),
    }).runCheck(input({ baseUrl: app.url('production') }));
    expect(unreadable.findings[0]?.message).toContain('the policy cannot be read (The policy file p.json (POLICY_PATH) does not exist.)');
    expect(app.requestLog).toHaveLength(2);
    expect((await withEnv({ SMOKE_ALLOWED_HOSTS: '127.0.0.1' }).runCheck(input({ baseUrl: app.url('production') }))).outcome).toBe('pass');
  });

  it('reports invalid settings and probe bugs as results, not exceptions', async () => {
    const bad = await withEnv({ SMOKE_ALLOWED_HOSTS: 'not a host!' }).runCheck(input({ baseUrl: app.url('production') }, { kind: 'pages', marker: 'x', pages: [{ path: '/jobs' }] }));
    expect(bad.outcome).toBe('error');
    expect(bad.findings[0]?.message).toContain('the smoke settings are invalid: SMOKE_ALLOWED_HOSTS[0]');
    const broken = createSmokeActivities({ probes: { probe: () => Promise.reject(new Error('boom')) }, settings: () => readSmokeSettings({}, { hosts: ['127.0.0.1'], problem: null }) });
    const r = await broken.runCheck(input({ baseUrl: app.url('production') }, { kind: 'parity', expected: {} }));
    expect(r).toMatchObject({ kind: 'parity', outcome: 'error', findings: [{ code: 'parity.unreachable', message: 'GET /config/effective: the probe failed: boom' }] });
  });
});

describe('smoke settings', () => {
  it('matches host patterns', () => {
    expect(hostAllowed('web-prod.azurewebsites.net', ['*.azurewebsites.net'])).toBe(true);
    expect(hostAllowed('azurewebsites.net', ['*.azurewebsites.net'])).toBe(false);
    expect(hostAllowed('evil-azurewebsites.net', ['*.azurewebsites.net'])).toBe(false);
    expect(hostAllowed('API.contoso.test', ['api.contoso.test'])).toBe(true);
    expect(hostAllowed('anything', [])).toBe(false);
  });
  it('reads only SMOKE_* secrets, treating empty as unset', () => {
    const read = readSmokeSettings({ SMOKE_A: 'x', SMOKE_B: '  ', AzureWebJobsStorage: 'secret' });
    if (!read.ok) throw new Error('expected valid settings');
    expect(read.settings.secret('SMOKE_A')).toBe('x');
    expect(read.settings.secret('SMOKE_B')).toBeUndefined();
    expect(read.settings.secret('AzureWebJobsStorage')).toBeUndefined();
    expect(read.settings.allowedHosts).toEqual([]);
    const both = readSmokeSettings({ SMOKE_ALLOWED_HOSTS: 'Extra.Contoso.Test' }, { hosts: ['API.contoso.test'], problem: null });
    expect(both.ok && both.settings.allowedHosts).toEqual(['api.contoso.test', 'extra.contoso.test']);
    const bad = readSmokeSettings({ SMOKE_ALLOWED_HOSTS: 'ok.test,bad host' });
    expect(bad).toEqual({ ok: false, issues: [expect.objectContaining({ path: 'SMOKE_ALLOWED_HOSTS[1]' })] });
  });
});

describe('callSmokeSuite', () => {
  it('schedules the sub-orchestration with a validated input and parses its output', () => {
    const calls: unknown[][] = [];
    const task = { kind: 'task' } as unknown as df.Task;
    const context = { df: { callSubOrchestrator: (...args: unknown[]) => (calls.push(args), task) } } as unknown as df.OrchestrationContext;
    const gen = callSmokeSuite(context, { targets: [{ label: 'api/production', baseUrl: 'https://api.contoso.test/', checks: [{ kind: 'health' }] }] }, 'inc-1:smoke:1');
    expect(gen.next().value).toBe(task);
    expect(calls[0]?.[0]).toBe(SMOKE_SUITE_ORCHESTRATION);
    expect(calls[0]?.[1]).toMatchObject({ targets: [{ baseUrl: 'https://api.contoso.test', auth: { kind: 'none' }, checks: [{ kind: 'health', timeoutMs: 5000 }] }], thresholds: { sse: { ttfbMs: 200 } } });
    expect(calls[0]?.[2]).toBe('inc-1:smoke:1');
    const out = { verdict: 'green', reasons: ['api/production: the only check passed'], targets: [], results: [], startedAt: 'a', finishedAt: 'b' };
    expect(gen.next(out)).toEqual({ done: true, value: out });
    const bad = callSmokeSuite(context, { targets: [] });
    bad.next();
    expect(() => bad.next({ verdict: 'blue' })).toThrow();
    expect(() => callSmokeSuite(context, { targets: [{ label: 'a', baseUrl: 'https://x.test', checks: [] }, { label: 'a', baseUrl: 'https://y.test', checks: [] }] }).next()).toThrow(/target labels must be unique/);
  });
});
