/**
 * POST /api/alerts on the dev host with Azurite: every payload variant accepted and classified,
 * deduplication (also under concurrency), correlation into the open incident, recovery signals,
 * refusals with the error envelope, and 503 when storage or the policy is missing.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FOLD_SWEEP_MS } from '../../src/domain/incident-events.js';
import { alertFixture, fixturesDir, incidentInstances, postAlert, withAlertId } from '../harness/alerts.js';
import { useProductHost } from '../harness/product-host.js';
import { setAppEnv } from '../harness/env.js';

const product = useProductHost();

describe('every Azure Monitor payload variant', () => {
  const files = readdirSync(path.join(fixturesDir, 'azure-monitor'))
    .filter((f) => f.endsWith('.json') && f !== 'budget-legacy-schema.json')
    .sort();

  /**
   * What each payload must become, delivered in file order to a fresh task hub: the first alert
   * for admin-api@Prod (autoscale) declares its incident and the later ones join it. The kind and
   * monitoring service are how the payload was read (its alertContext variant).
   */
  const expected: Record<string, { outcome: string; at: string; level: string; kind: string; monitoringService: string }> = {
    // Microsoft's published samples (copied from the shared fixtures).
    'activity-log-administrative-fired.json': { outcome: 'declared', at: 'docs-vm@Lab', level: 'P3', kind: 'activity-administrative', monitoringService: 'Activity Log - Administrative' },
    'log-v2-fired.json': { outcome: 'declared', at: 'docs-logs@Lab', level: 'P3', kind: 'log-v2', monitoringService: 'Log Alerts V2' },
    'metric-dynamic-fired.json': { outcome: 'declared', at: 'docs-storage@Lab', level: 'P3', kind: 'metric-dynamic', monitoringService: 'Platform' },
    // Resolved with nothing open: a recovery signal for nobody, never a new incident.
    'metric-static-resolved.json': { outcome: 'no-open-incident', at: 'docs-cpu@Lab', level: 'P3', kind: 'metric-static', monitoringService: 'Platform' },
    // Written from the documented shapes.
    'activity-log-autoscale-fired.json': { outcome: 'declared', at: 'admin-api@Prod', level: 'P3', kind: 'activity-autoscale', monitoringService: 'Activity Log - Autoscale' },
    'activity-log-policy-fired.json': { outcome: 'correlated', at: 'admin-api@Prod', level: 'P3', kind: 'activity-policy', monitoringService: 'Activity Log - Policy' },
    'activity-log-security-fired.json': { outcome: 'correlated', at: 'admin-api@Prod', level: 'P1', kind: 'activity-security', monitoringService: 'Activity Log - Security' },
    'cost-budget-fired.json': { outcome: 'declared', at: 'billing@Prod', level: 'P2', kind: 'cost', monitoringService: 'CostAlerts' },
    'log-v1-metric-measurement-fired.json': { outcome: 'correlated', at: 'admin-api@Prod', level: 'P1', kind: 'log-v1', monitoringService: 'Log Analytics' },
    'log-v1-platform-quirk-fired.json': { outcome: 'declared', at: 'admin-api@RTM', level: 'P2', kind: 'log-v1', monitoringService: 'Platform' },
    'metric-5xx-fired.json': { outcome: 'correlated', at: 'admin-api@Prod', level: 'P1', kind: 'metric-static', monitoringService: 'Platform' },
    'metric-availability-fired.json': { outcome: 'correlated', at: 'admin-api@Prod', level: 'P1', kind: 'metric-availability', monitoringService: 'Platform' },
    'prometheus-fired.json': { outcome: 'declared', at: 'admin-api@Beta', level: 'P2', kind: 'prometheus', monitoringService: 'Prometheus' },
    'resource-health-fired.json': { outcome: 'correlated', at: 'admin-api@Prod', level: 'P1', kind: 'resource-health', monitoringService: 'Resource Health' },
    'service-health-fired.json': { outcome: 'declared', at: 'platform-health@Prod', level: 'P2', kind: 'service-health', monitoringService: 'ServiceHealth' },
    'smart-detector-fired.json': { outcome: 'correlated', at: 'admin-api@Prod', level: 'P3', kind: 'smart-detector', monitoringService: 'SmartDetector' },
    // An unknown service is kept raw and rated "when unsure, higher".
    'unknown-service-fired.json': { outcome: 'correlated', at: 'admin-api@Prod', level: 'P2', kind: 'unknown', monitoringService: 'Future Telemetry Service' },
  };

  it('has an expectation for every fixture', () => {
    expect(Object.keys(expected).sort()).toEqual(files);
  });

  it.each(files)('accepts, reads, routes and rates %s', async (file) => {
    const want = expected[file];
    const answer = await postAlert(product.h, withAlertId(alertFixture(file), `variant-${file}`));
    expect(answer.status).toBe(202);
    expect({ outcome: answer.body.kind, at: `${answer.body.service}@${answer.body.environment}`, level: answer.body.severity?.level, ...answer.body.signal }).toEqual(want);
    if (want?.outcome === 'declared' || want?.outcome === 'correlated') {
      const [service, environment] = want.at.split('@') as [string, string];
      expect(answer.body.incidentId).toMatch(new RegExp(`^inc-${environment.toLowerCase()}-${service}-[0-9a-f]{10}$`));
    } else {
      expect(answer.body.incidentId).toBeNull();
    }
    expect(answer.body.reasons?.[0]).toMatch(new RegExp(`^${want?.at ?? '?'}: `));
  });

  it('routes and rates the runbook examples as expected', async () => {
    const fivexx = await postAlert(product.h, withAlertId(alertFixture('metric-5xx-fired.json'), 'expect-5xx'));
    expect(fivexx.body).toMatchObject({ service: 'admin-api', environment: 'Prod', severity: { level: 'P1', triggers: ['error-rate'] } });
    const rtm = await postAlert(product.h, withAlertId(alertFixture('log-v1-platform-quirk-fired.json'), 'expect-rtm'));
    expect(rtm.body).toMatchObject({ service: 'admin-api', environment: 'RTM', severity: { level: 'P2' } });
    const cost = await postAlert(product.h, withAlertId(alertFixture('cost-budget-fired.json'), 'expect-cost'));
    expect(cost.body).toMatchObject({ service: 'billing', environment: 'Prod', severity: { level: 'P2' } });
  });

  it('refuses a payload that is not the common schema with a 400 envelope, starting nothing', async () => {
    const before = (await incidentInstances(product.h)).length;
    const answer = await postAlert(product.h, alertFixture('budget-legacy-schema.json'));
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'validation_failed', details: [{ path: 'schemaId' }] });
    expect(answer.body.error?.message).toContain('enable the common alert schema');
    expect(answer.body.error?.requestId).toBeTruthy();
    expect((await incidentInstances(product.h)).length).toBe(before);
  });
});

describe('deduplication and correlation', () => {
  it('answers a redelivery with the existing incident and changes nothing', async () => {
    const doc = withAlertId(alertFixture('metric-availability-fired.json'), 'redelivery', {
      alertTargetIDs: ['/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-admin-rtm/providers/Microsoft.Web/sites/admin-api-rtm'],
    });
    const first = await postAlert(product.h, doc);
    const second = await postAlert(product.h, doc);
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ kind: 'duplicate', incidentId: first.body.incidentId });
  });

  it('turns 25 concurrent deliveries of one alert into one incident', async () => {
    const doc = withAlertId(alertFixture('prometheus-fired.json'), 'concurrent', {});
    const open = (await incidentInstances(product.h)).filter((i) => i.instanceId.startsWith('inc-beta-admin-api-'));
    const alertsBefore = open[0] ? (await product.h.json<{ summary: { alerts: number } }>(`/api/incidents/${open[0].instanceId}`)).body.summary.alerts : 0;
    const answers = await Promise.all(Array.from({ length: 25 }, () => postAlert(product.h, doc)));
    expect(answers.every((a) => a.status === 200 || a.status === 202)).toBe(true);
    // One delivery declares (or joins an incident already open); every other one is a duplicate.
    expect(answers.filter((a) => a.body.kind !== 'duplicate').map((a) => a.body.kind)).toHaveLength(1);
    const ids = new Set(answers.map((a) => a.body.incidentId));
    expect(ids.size).toBe(1);
    const [id] = [...ids];
    const instances = (await incidentInstances(product.h)).filter((i) => i.instanceId.startsWith('inc-beta-admin-api-'));
    expect(instances.map((i) => i.instanceId)).toEqual([id]);
    await product.h.settle();
    const incident = await product.h.json<{ summary: { alerts: number } }>(`/api/incidents/${id}`);
    expect(incident.body.summary.alerts).toBe(alertsBefore + 1);
  });

  it('raises further alerts into the open incident, raising severity but never lowering it', async () => {
    const svc = { alertTargetIDs: ['/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-admin-prod/providers/x/y'] };
    const first = await postAlert(product.h, withAlertId(alertFixture('smart-detector-fired.json'), 'corr-1', { ...svc, alertRule: 'prod-api-anomaly' }));
    const second = await postAlert(product.h, withAlertId(alertFixture('metric-5xx-fired.json'), 'corr-2'));
    const third = await postAlert(product.h, withAlertId(alertFixture('activity-log-autoscale-fired.json'), 'corr-3', svc));
    expect(second.body).toMatchObject({ kind: 'correlated', incidentId: first.body.incidentId });
    expect(third.body).toMatchObject({ kind: 'correlated', incidentId: first.body.incidentId });
    // The third changes nothing and came right after the second: folded, taken by the incident's sweep.
    expect(third.body.reasons?.some((r) => r.startsWith('folded:'))).toBe(true);
    await product.h.advance(FOLD_SWEEP_MS);
    const incident = await product.h.json<{ summary: { severity: string; alerts: number }; timeline: { kind: string; text: string }[] }>(`/api/incidents/${first.body.incidentId}`);
    expect(incident.body.summary.severity).toBe('P1');
    expect(incident.body.timeline.map((t) => t.kind)).toEqual(expect.arrayContaining(['declared', 'severity', 'alert']));
    expect(incident.body.timeline.find((t) => t.kind === 'alert' && t.text.includes('prod-api-autoscale'))?.text).toContain('(P3); the incident stays P1');
  });

  it('raises a Resolved alert into the open incident as a recovery signal', async () => {
    const fired = withAlertId(alertFixture('metric-availability-fired.json'), 'recover', { alertRule: 'prod-api-availability' });
    const open = await postAlert(product.h, fired);
    const resolved = structuredClone(fired) as { data: { essentials: Record<string, unknown> } };
    resolved.data.essentials.monitorCondition = 'Resolved';
    resolved.data.essentials.resolvedDateTime = '2026-11-20T10:30:00.0000000Z';
    const answer = await postAlert(product.h, resolved);
    expect(answer.body).toMatchObject({ kind: 'recovery-signal', incidentId: open.body.incidentId });
    await product.h.settle();
    const incident = await product.h.json<{ timeline: { kind: string }[] }>(`/api/incidents/${open.body.incidentId}`);
    expect(incident.body.timeline.some((t) => t.kind === 'recovery-signal')).toBe(true);
  });

  it('records an alert no service matches, without starting an incident', async () => {
    const before = (await incidentInstances(product.h)).length;
    const doc = withAlertId(alertFixture('metric-dynamic-fired.json'), 'nomatch', { alertRule: 'nobody-owns-this', alertTargetIDs: ['/subscriptions/x/resourceGroups/y'] });
    const answer = await postAlert(product.h, doc);
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ kind: 'unmatched', incidentId: null });
    expect(answer.body.reasons?.[0]).toContain('no service in the policy matches');
    expect((await incidentInstances(product.h)).length).toBe(before);
  });
});

describe('contexts that fit no variant', () => {
  it('accepts an alert whose context is not an object, or whose window overflows, instead of failing (was 503)', async () => {
    const odd: [string, (doc: { data: { alertContext: { condition: { windowSize: string } } } }) => void][] = [
      ['a number', (d) => ((d.data as Record<string, unknown>).alertContext = 42)],
      ['an array', (d) => ((d.data as Record<string, unknown>).alertContext = [1, 2])],
      ['an overflowing window', (d) => (d.data.alertContext.condition.windowSize = `P${'9'.repeat(400)}D`)],
    ];
    for (const [what, edit] of odd) {
      const doc = withAlertId(alertFixture('metric-5xx-fired.json'), `odd-${what}`) as unknown as Parameters<(typeof odd)[number][1]>[0];
      edit(doc);
      const answer = await postAlert(product.h, doc);
      expect([what, answer.status, answer.body.error]).toEqual([what, 202, undefined]);
      expect(answer.body).toMatchObject({ service: 'admin-api', environment: 'Prod' });
    }
  });
});

describe('refusals', () => {
  it('answers 415, 413 and 400 with the envelope and starts nothing', async () => {
    const before = (await incidentInstances(product.h)).length;
    const xml = await product.h.fetch('/api/alerts', { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<alert/>' });
    expect(xml.status).toBe(415);
    expect(((await xml.json()) as { error: { code: string } }).error.code).toBe('unsupported_media_type');
    const big = await postAlert(product.h, { schemaId: 'azureMonitorCommonAlertSchema', data: 'x'.repeat(600 * 1024) });
    expect(big.status).toBe(413);
    expect(big.body.error?.code).toBe('payload_too_large');
    const truncated = await postAlert(product.h, JSON.stringify(alertFixture('metric-5xx-fired.json')).slice(0, 200));
    expect(truncated.status).toBe(400);
    expect(truncated.body.error?.code).toBe('invalid_json');
    const doc = alertFixture('metric-5xx-fired.json') as { data: { essentials: Record<string, unknown> } };
    doc.data.essentials.firedDateTime = 42;
    const typed = await postAlert(product.h, doc);
    expect(typed.status).toBe(400);
    expect(typed.body.error?.details).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'data.essentials.firedDateTime' })]));
    expect((await incidentInstances(product.h)).length).toBe(before);
  });

  it('answers 503 naming the problem when the policy is missing', async () => {
    const saved = setAppEnv({ POLICY_PATH: path.join(fixturesDir, 'policy', 'missing.json') });
    try {
      const answer = await postAlert(product.h, withAlertId(alertFixture('metric-5xx-fired.json'), 'nopolicy'));
      expect(answer.status).toBe(503);
      expect(answer.body.error?.code).toBe('not_configured');
    } finally {
      setAppEnv(saved);
    }
  });
});
