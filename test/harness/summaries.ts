/**
 * An incident summary as the orchestration leaves it after resolving a P1 on Friday 2026-11-20
 * 10:00 UTC: thread, evidence links of its pack and a postmortem due three business days later.
 * Tests of the postmortem reminder and of the incident store override what they vary.
 */
import { IncidentSummary } from '../../src/domain/incident.js';

/** Resolved Friday 2026-11-20 10:00 UTC -> due Wednesday 2026-11-25 (3 business days). */
export const RESOLVED_DUE = '2026-11-25T10:00:00.000Z';

export function resolvedSummary(incidentId: string, over: Partial<IncidentSummary> = {}, evidenceBase = 'https://evidence.blob.core.windows.net'): IncidentSummary {
  const pack = `incident-evidence/Prod/2026/11/${incidentId}/`;
  return IncidentSummary.parse({
    incidentId,
    service: 'admin-api',
    environment: 'Prod',
    severity: 'P1',
    status: 'resolved',
    phase: 'closed',
    summary: '5xx after release',
    source: 'alert',
    declaredAt: '2026-11-20T08:00:00.000Z',
    updatedAt: '2026-11-20T10:00:00.000Z',
    resolvedAt: '2026-11-20T10:00:00.000Z',
    alerts: 1,
    acknowledgedBy: null,
    teamsThreadId: `thread-${incidentId}`,
    evidence: {
      location: pack,
      manifestUrl: `${evidenceBase}/${pack}manifest.json`,
      postmortemUrl: `${evidenceBase}/${pack}postmortem.md`,
      reportUrl: `${evidenceBase}/${pack}report.html`,
    },
    postmortem: { dueAt: RESOLVED_DUE, dueBusinessDays: 3, reminder: null },
    ...over,
  });
}

/**
 * An open incident declared at `at`, nothing done yet. Built through the schema, so its defaults
 * fill what a test does not vary (a field the summary gains later needs no edit in every test).
 */
export function openSummary(incidentId: string, at: string, over: Partial<IncidentSummary> = {}): IncidentSummary {
  return IncidentSummary.parse({
    incidentId,
    service: 'admin-api',
    environment: 'Prod',
    severity: 'P2',
    status: 'open',
    phase: 'declared',
    summary: `incident ${incidentId}`,
    source: 'manual',
    declaredAt: at,
    updatedAt: at,
    resolvedAt: null,
    alerts: 0,
    acknowledgedBy: null,
    ...over,
  });
}
