/**
 * The telemetry's own pieces: reading an invocation (span name, incident id, what its answer
 * counts), the closed incident's metric points, the settings, and the in-memory summary.
 */
import { describe, expect, it } from 'vitest';
import { SummaryTelemetry } from '../../src/adapters/telemetry.js';
import { alertOutcome, describeInvocation, incidentIdInInput } from '../../src/app/telemetry-hooks.js';
import { parseAuthenticationString, readTelemetrySettings } from '../../src/config/telemetry.js';
import { ATTR, declarationAttributes, incidentOfInstance, incidentPoints, METRICS, type IncidentOutcome } from '../../src/domain/telemetry.js';

const ctx = (functionName: string, type: string, traceParent?: string) => ({
  functionName,
  options: { trigger: { type, name: 'trigger' }, extraInputs: [], extraOutputs: [] },
  traceContext: traceParent ? { traceParent, traceState: '', attributes: {} } : undefined,
});

describe('reading an invocation', () => {
  it('names the span by trigger and takes the incident id from what the trigger carries', () => {
    const t = new SummaryTelemetry();
    const http = describeInvocation(t, ctx('incidentsGet', 'httpTrigger', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'), [{ params: { id: 'inc-prod-api-1' } }]);
    expect(http.span).toMatchObject({ name: 'http incidentsGet', incidentId: 'inc-prod-api-1', traceParent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    expect(describeInvocation(t, ctx('incidentsGet', 'httpTrigger') as never, [{ params: { id: '../../etc' } }]).span.incidentId).toBeUndefined();
    expect(describeInvocation(t, ctx('teamsPostMessage', 'activityTrigger') as never, [{ incidentId: 'inc-1', text: 'secret' }]).span).toMatchObject({ name: 'activity teamsPostMessage', incidentId: 'inc-1' });
    const episode = describeInvocation(t, ctx('smokeSuite', 'orchestrationTrigger'), [
      { instanceId: 'inc-9:smoke:verify-1', history: [{ EventType: 0, IsPlayed: true }, { EventType: 12, IsPlayed: false }, { EventType: 5, IsPlayed: false }] },
    ]);
    expect(episode.span).toMatchObject({ name: 'orchestration smokeSuite', incidentId: 'inc-9', attributes: { [ATTR.historyEvents]: 1, [ATTR.newEvents]: 1 } });
    const timer = describeInvocation(t, ctx('postmortemReminders', 'timerTrigger'), [{}]).span;
    expect([timer.name, timer.incidentId]).toEqual(['timer postmortemReminders', undefined]);
  });

  it('never puts an input into the span: only the function, the trigger and ids', () => {
    const t = new SummaryTelemetry();
    const d = describeInvocation(t, ctx('teamsPostMessage', 'activityTrigger'), [{ incidentId: 'inc-1', token: 'eyJsecret', text: 'password=hunter2' }]);
    expect(JSON.stringify(d.span)).not.toMatch(/secret|hunter2/);
  });

  it('counts the alert intake by the answer it gave, and learns the incident from it', () => {
    const t = new SummaryTelemetry();
    const d = describeInvocation(t, ctx('alerts', 'httpTrigger'), [{ params: {} }]);
    expect(d.end({ result: { status: 202, jsonBody: { kind: 'declared', incidentId: 'inc-prod-api-2' } } })).toMatchObject({ ok: true, incidentId: 'inc-prod-api-2' });
    expect(d.end({ result: { status: 400, jsonBody: { error: { code: 'validation_failed' } } } })).toMatchObject({ ok: true });
    expect(d.end({ result: { status: 503, jsonBody: {} } })).toMatchObject({ ok: false });
    expect(d.end({ error: new Error('boom') })).toMatchObject({ ok: false });
    expect([...t.counters.keys()]).toEqual([
      `${METRICS.alertsReceived.name} outcome=declared http.response.status_code=202`,
      `${METRICS.alertsReceived.name} outcome=invalid http.response.status_code=400`,
      `${METRICS.alertsReceived.name} outcome=unavailable http.response.status_code=503`,
      `${METRICS.alertsReceived.name} outcome=error http.response.status_code=500`,
    ]);
    expect(alertOutcome(401, {})).toBe('unauthorized');
    expect(alertOutcome(200, { kind: 'duplicate' })).toBe('duplicate');
  });

  it('counts an orchestration episode that failed the instance, and nothing for one that did not', () => {
    const t = new SummaryTelemetry();
    const d = describeInvocation(t, ctx('incident', 'orchestrationTrigger'), [{ instanceId: 'inc-3', history: [] }]);
    expect(d.end({ result: { isDone: false, actions: [] } })).toEqual({ ok: true });
    expect(t.counters.size).toBe(0);
    expect(d.end({ error: new Error('Orchestrator function failed: boom') })).toMatchObject({ ok: false });
    expect([...t.counters]).toEqual([[`${METRICS.orchestrationsFailed.name} orchestration=incident`, 1]]);
  });

  it('finds an incident id at the top of an activity input or one level down', () => {
    expect(incidentIdInInput({ incidentId: 'inc-1' })).toBe('inc-1');
    expect(incidentIdInInput({ summary: { incidentId: 'inc-2' } })).toBe('inc-2');
    expect(incidentIdInInput({ a: { b: { incidentId: 'inc-3' } } })).toBeUndefined();
    expect(incidentIdInInput('inc-4')).toBeUndefined();
    expect(incidentOfInstance('inc-5:smoke:snapshot')).toBe('inc-5');
  });
});

describe('a closed incident as metric points', () => {
  const outcome: IncidentOutcome = {
    incidentId: 'inc-1',
    service: 'admin-api',
    environment: 'Prod',
    severity: 'P1',
    source: 'alert',
    drill: false,
    rolledBack: true,
    seconds: { detect: 30, acknowledge: 60, mitigate: null, recover: 600 },
    targets: { acknowledge: 900, mitigate: 1500, recover: 2400 },
    timeboxes: [
      { name: 'ack', verdict: 'met' },
      { name: 'decision', verdict: 'missed' },
      { name: 'monitoring', verdict: 'open' },
    ],
    actions: [{ action: 'api-to-lkg', outcome: 'done', mode: 'execute' }],
  };

  it('reports each figure once, with its target, and leaves out what never happened or is still open', () => {
    const points = incidentPoints(outcome);
    expect(points.map((p) => p.metric)).toEqual(['incidentsResolved', 'timeToDetect', 'timeToAcknowledge', 'timeToRecover', 'timeboxes', 'timeboxes', 'actions']);
    expect(points.find((p) => p.metric === 'timeToAcknowledge')).toMatchObject({ value: 60, attributes: { [ATTR.targetSeconds]: 900, [ATTR.severity]: 'P1' } });
    expect(points.find((p) => p.metric === 'timeToDetect')?.attributes).not.toHaveProperty(ATTR.targetSeconds);
    expect(points.filter((p) => p.metric === 'timeboxes').map((p) => p.attributes[ATTR.verdict])).toEqual(['met', 'missed']);
  });

  it('reads a declaration from the orchestration input, and nothing else', () => {
    expect(declarationAttributes({ incidentId: 'i', service: 's', environment: 'Prod', source: 'manual', mode: 'plan', severity: { level: 'P2', reasons: ['x'] }, summary: 'secret' })).toEqual({
      [ATTR.severity]: 'P2',
      [ATTR.environment]: 'Prod',
      [ATTR.service]: 's',
      [ATTR.source]: 'manual',
      [ATTR.drill]: true,
    });
    expect(declarationAttributes({ suite: [] })).toBeUndefined();
  });
});

describe('telemetry settings', () => {
  it('is off without a connection string, and sends with the managed identity the authentication string names', () => {
    expect(readTelemetrySettings({})).toEqual({ ok: true, settings: { connectionString: null, entra: null } });
    expect(readTelemetrySettings({ APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=x', APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD;ClientId=abc' })).toEqual({
      ok: true,
      settings: { connectionString: 'InstrumentationKey=x', entra: { clientId: 'abc' } },
    });
    expect(parseAuthenticationString('Authorization=AAD')).toEqual({ ok: true, clientId: null });
    const bad = readTelemetrySettings({ APPLICATIONINSIGHTS_CONNECTION_STRING: 'x', APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=abc' });
    expect(bad.ok).toBe(false);
  });
});

describe('the in-memory summary the dev host prints', () => {
  it('sums counters by attributes and gives latencies as count, mean and max', async () => {
    const t = new SummaryTelemetry();
    t.count('incidentsDeclared', { [ATTR.severity]: 'P1' });
    t.count('incidentsDeclared', { [ATTR.severity]: 'P1' });
    await t.external('arm', 'swap-slot', () => Promise.resolve(1));
    await expect(t.external('arm', 'swap-slot', () => Promise.reject(new Error('403')), () => 'http-403')).rejects.toThrow('403');
    await t.invocation({ name: 'activity x', attributes: {} }, () => Promise.resolve(1), () => ({ ok: false }));
    const lines = t.lines();
    expect(lines).toContain(`${METRICS.incidentsDeclared.name} severity=P1: 2`);
    expect(lines.filter((l) => l.startsWith(`${METRICS.externalDuration.name} `)).map((l) => l.replace(/: .*/, ''))).toEqual([
      `${METRICS.externalDuration.name} operation=swap-slot outcome=http-403 system=arm`,
      `${METRICS.externalDuration.name} operation=swap-slot outcome=ok system=arm`,
    ]);
    expect(lines).toContain('invocations: 1, failed 1 (activity x 1)');
  });
});
