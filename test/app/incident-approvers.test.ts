/** Approvers of an incident's containment decision, from the policy entry of its service. */
import { describe, expect, it } from 'vitest';
import { approversForIncident } from '../../src/app/incident-approvers.js';
import { readFileSync } from 'node:fs';
import { checkPolicy } from '../../src/config/policy.js';
import { testPolicyPath } from '../harness/alerts.js';
import type { IncidentSummary } from '../../src/domain/incident.js';

const m = { rulePatterns: ['^prod-'] };
const { timeboxes } = JSON.parse(readFileSync(testPolicyPath, 'utf8')) as { timeboxes: unknown };
const policy = checkPolicy({
  version: 1,
  timeboxes,
  approvers: ['global@contoso.com'],
  environments: { Prod: { approvers: ['prod.rm@contoso.com'] }, Beta: {} },
  services: [
    { service: 'admin-api', environment: 'Prod', match: m, approvers: ['api.owner@contoso.com'] },
    { service: 'billing', environment: 'Prod', match: m },
    { service: 'admin-api', environment: 'Beta', match: m },
  ],
});

const summary = (service: string, environment: string): IncidentSummary =>
  ({ incidentId: 'inc-1', service, environment, severity: 'P1', status: 'open', phase: 'deciding', summary: 's', source: 'alert', declaredAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z', resolvedAt: null, alerts: 1, acknowledgedBy: null, drill: false, teamsThreadId: null, teamsDestination: null, evidence: null, postmortem: null, metrics: null, actionItems: [] });
const store = (s: IncidentSummary | undefined) => ({ getSummary: () => Promise.resolve(s) });

describe('approversForIncident', () => {
  it('takes the service list, else the environment list, else the global list', async () => {
    if (!policy.ok) throw new Error(JSON.stringify(policy.issues));
    const p = () => policy.policy;
    expect(await approversForIncident(store(summary('admin-api', 'Prod')), p, 'inc-1')).toEqual(['api.owner@contoso.com']);
    expect(await approversForIncident(store(summary('Billing', 'prod')), p, 'inc-1')).toEqual(['prod.rm@contoso.com']);
    expect(await approversForIncident(store(summary('admin-api', 'Beta')), p, 'inc-1')).toEqual(['global@contoso.com']);
  });
  it('knows nothing (null: the APPROVERS setting decides) for an unknown incident or a service no longer in the policy', async () => {
    if (!policy.ok) throw new Error(JSON.stringify(policy.issues));
    expect(await approversForIncident(store(undefined), () => policy.policy, 'inc-x')).toBeNull();
    expect(await approversForIncident(store(summary('ghost', 'Prod')), () => policy.policy, 'inc-1')).toBeNull();
  });
});
