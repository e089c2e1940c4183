/**
 * The one emission of a resolved incident's metrics: every point of the incident's facts once,
 * and never again, not even after an attempt that was interrupted before it recorded itself.
 */
import { describe, expect, it } from 'vitest';
import { SummaryTelemetry } from '../../src/adapters/telemetry.js';
import { IncidentOutcomeInput } from '../../src/activities/telemetry.contracts.js';
import { createTelemetryActivities, INCIDENT_TELEMETRY_STEP } from '../../src/activities/telemetry.js';
import { METRICS } from '../../src/domain/telemetry.js';
import { MemoryStepLedger } from '../fakes/memory-ledger.js';

const input = IncidentOutcomeInput.parse({
  incidentId: 'inc-prod-admin-api-1',
  service: 'admin-api',
  environment: 'Prod',
  severity: 'P1',
  source: 'alert',
  drill: false,
  rolledBack: true,
  seconds: { detect: 30, acknowledge: 120, mitigate: 600, recover: 660 },
  targets: { acknowledge: 900, mitigate: 1500, recover: 2400 },
  timeboxes: [{ name: 'ack', verdict: 'met' }],
  actions: [{ action: 'api-to-lkg', outcome: 'done', mode: 'execute' }],
});

describe('telemetry_recordIncident', () => {
  it('emits the incident\'s points once, however often it runs', async () => {
    const ledger = new MemoryStepLedger();
    const t = new SummaryTelemetry();
    const a = createTelemetryActivities({ ledger: () => ledger, telemetry: () => t, now: () => new Date(Date.UTC(2026, 10, 20)) });
    expect(await a.recordIncident(input)).toMatchObject({ emitted: true, points: 7 });
    expect(await a.recordIncident(input)).toMatchObject({ emitted: true, points: 7 });
    expect(t.counters.get(`${METRICS.incidentsResolved.name} drill=false environment=Prod rolled_back=true service=admin-api severity=P1 source=alert`)).toBe(1);
    const mtta = [...t.histograms].filter(([k]) => k.startsWith(METRICS.timeToAcknowledge.name));
    expect(mtta.map(([, h]) => [h.count, h.sum])).toEqual([[1, 120]]);
  });

  it('does not emit again after an attempt that started and never recorded itself', async () => {
    const ledger = new MemoryStepLedger();
    await ledger.start({ incidentId: input.incidentId, step: INCIDENT_TELEMETRY_STEP }, '2026-11-20T00:00:00Z');
    const t = new SummaryTelemetry();
    const a = createTelemetryActivities({ ledger: () => ledger, telemetry: () => t, now: () => new Date(Date.UTC(2026, 10, 20)) });
    expect(await a.recordIncident(input)).toMatchObject({ emitted: false, points: 0 });
    expect(t.counters.size + t.histograms.size).toBe(0);
  });
});
