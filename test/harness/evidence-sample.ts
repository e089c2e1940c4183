/**
 * A realistic P1 incident as the incident orchestration would hand it to the evidence activities:
 * Prod API 5xx after release r42 on a Friday morning; nobody decided in 10 minutes, so the runbook
 * rolled the API back to the last known good release (r41) by slot swap; smoke checks went from
 * red to green; a 60-minute monitoring window with one SSE blip; resolved. One alert payload
 * carries a function key in a URL and a client secret, so redaction shows in the pack.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ArtifactInputIn, IncidentRecordInput, PackRef, SmokeRun } from '../../src/domain/evidence.js';
import type { TimelineEntry } from '../../src/domain/incident.js';
import { repoRoot } from './devhost.js';

export const SAMPLE_ID = 'inc-prod-api-5f3c2a91d0';
export const SAMPLE_FUNCTION_KEY = 'Qm9vbUtleTEyMzQ1Njc4OTBhYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAx';
export const SAMPLE_CLIENT_SECRET = 'Ab12Q~cD3eF4gH5iJ6kL7mN8oP9qR0sT1uV2wX3y';

const at = (hhmmss: string): string => `2026-01-16T${hhmmss}Z`;

export function sampleRef(overrides: Partial<PackRef> = {}): PackRef {
  return { incidentId: SAMPLE_ID, environment: 'Prod', service: 'api', severity: 'P1', release: 'r42', declaredAt: at('09:03:05'), ...overrides };
}

export function sampleRecord(overrides: Partial<IncidentRecordInput> = {}): IncidentRecordInput {
  return {
    summary: {
      incidentId: SAMPLE_ID,
      service: 'api',
      environment: 'Prod',
      severity: 'P1',
      status: 'resolved',
      phase: 'resolved',
      summary: 'Admin API 5xx above 1 % after release r42 (SSE first event slow)',
      source: 'alert',
      declaredAt: at('09:03:05'),
      updatedAt: at('10:19:10'),
      resolvedAt: at('10:19:10'),
      alerts: 3,
      acknowledgedBy: 'Dana Reyes (dana@contoso.com)',
    },
    impact: {
      affected: ['api', 'SSE streams', 'admin portal pages /jobs and /flags'],
      users: 'All Prod admin portal users (about 240 active sessions); jobs dashboard unusable for 17 minutes',
      description: 'HTTP 5xx reached 2.7 % on admin-api-prod; /ready reported the config store unreachable',
    },
    release: { current: 'r42', lkg: 'r41', restored: 'r41' },
    roles: { ic: 'Dana Reyes', deputy: 'Sam Okafor', scribe: 'Lee Chen', comms: null },
    milestones: {
      detectedAt: at('09:02:10'),
      declaredAt: at('09:03:05'),
      acknowledgedAt: at('09:09:30'),
      decidedAt: at('09:13:05'),
      mitigatedAt: at('09:14:40'),
      recoveredAt: at('09:19:00'),
      resolvedAt: at('10:19:10'),
    },
    timeboxes: [
      { name: 'ack', startedAt: at('09:03:05'), deadline: at('09:18:05'), metAt: at('09:09:30') },
      { name: 'decision', startedAt: at('09:03:05'), deadline: at('09:13:05'), metAt: null },
      { name: 'containment', startedAt: at('09:13:05'), deadline: at('09:28:05'), metAt: at('09:19:00') },
      { name: 'recovery', startedAt: at('09:13:20'), deadline: at('09:43:20'), metAt: at('09:19:00') },
      { name: 'monitoring', startedAt: at('09:19:00'), deadline: at('10:19:00'), metAt: at('10:19:00') },
    ],
    containment: { choice: 'api-to-lkg', decidedBy: 'incident-bot', at: at('09:13:05'), automatic: true, reason: 'P1 and no decision within 10 min: roll back (if in doubt, roll back)' },
    forwardFixes: [],
    actionItems: [{ title: 'Add a contract smoke check for GET /api/jobs to the release pipeline', owner: 'Lee Chen', category: 'tests' }],
    links: [
      { label: 'Incident ticket INC-2291', url: 'https://contoso.atlassian.net/browse/INC-2291' },
      { label: 'LKG r41 evidence pack', url: 'https://stincidentprod.blob.core.windows.net/release-evidence/Prod/r41/' },
    ],
    ...overrides,
  };
}

export function sampleTimeline(): TimelineEntry[] {
  const e = (seq: number, t: string, kind: string, actor: string, text: string): TimelineEntry => ({ seq, at: at(t), kind, actor, text });
  return [
    e(0, '09:03:05', 'declared', 'incident-bot', 'P1 incident declared for api in Prod: Admin API 5xx above 1 % after release r42'),
    e(1, '09:05:40', 'alert', 'azure-monitor', 'Further alert "prod-api-sse-ttfb" (P1); the incident stays P1.'),
    e(2, '09:09:30', 'ack', 'Dana Reyes (dana@contoso.com)', 'Acknowledged by Dana Reyes (dana@contoso.com) as IC.'),
    e(3, '09:11:12', 'note', 'Sam Okafor (sam@contoso.com)', 'r42 shipped at 08:51 with the new config store client; /ready says the config store is unreachable.'),
    e(4, '09:13:05', 'decision', 'incident-bot', 'Containment decision: api-to-lkg (no answer within 10 min; P1 rolls back).'),
    e(5, '09:19:00', 'recovered', 'incident-bot', 'Smoke checks green after the rollback; monitoring for 60 min.'),
    e(6, '09:49:20', 'note', 'Lee Chen (lee@contoso.com)', 'SSE TTFB blip to 230 ms at 09:49 during the cache warm-up; back to 150 ms.'),
    e(7, '10:19:10', 'resolved', 'Dana Reyes (dana@contoso.com)', 'Resolved by Dana Reyes (dana@contoso.com): stable for 60 min on r41.'),
  ];
}

type Status = 'pass' | 'degraded' | 'fail' | 'error';

function run(runId: string, t: string, phase: string, statuses: Record<'health' | 'sse' | 'contract' | 'pages' | 'parity', Status>, ttfb: number): SmokeRun {
  const r = (check: keyof typeof statuses, summary: string, measurements: Record<string, number | string | boolean | null> = {}) => ({
    check,
    target: 'admin-api-prod/production',
    status: statuses[check],
    summary,
    measurements,
    durationMs: 120,
  });
  return {
    runId,
    at: at(t),
    phase,
    results: [
      r('health', statuses.health === 'pass' ? '/healthz 200, /ready 200' : '/ready 503: config store unreachable', { readyStatus: statuses.health === 'pass' ? 200 : 503 }),
      r('sse', `first event ${ttfb} ms, max gap 9.1 s`, { ttfbMs: ttfb, maxGapMs: 9100 }),
      r('contract', statuses.contract === 'pass' ? '6/6 endpoints as expected' : 'GET /api/jobs 500 (envelope code internal_error)'),
      r('pages', '5/5 pages return 200 with their marker'),
      r('parity', 'effective config matches the expected document'),
    ],
  };
}

export function sampleSmokeRuns(): SmokeRun[] {
  const all = (s: Status) => ({ health: s, sse: s, contract: s, pages: s, parity: s });
  return [
    run('snapshot-0904', '09:04:00', 'snapshot', { health: 'fail', sse: 'degraded', contract: 'fail', pages: 'pass', parity: 'pass' }, 420),
    run('containment-0916', '09:16:00', 'containment', { ...all('pass'), sse: 'degraded' }, 230),
    run('recovery-0919', '09:19:00', 'recovery', all('pass'), 160),
    run('monitor-0929', '09:29:00', 'monitoring', all('pass'), 150),
    run('monitor-0939', '09:39:00', 'monitoring', all('pass'), 155),
    run('monitor-0949', '09:49:00', 'monitoring', { ...all('pass'), sse: 'degraded' }, 230),
    run('monitor-0959', '09:59:00', 'monitoring', all('pass'), 150),
    run('monitor-1009', '10:09:00', 'monitoring', all('pass'), 148),
    run('monitor-1019', '10:19:00', 'monitoring', all('pass'), 151),
  ];
}

export function sampleAlertPayload(): unknown {
  const payload = JSON.parse(readFileSync(path.join(repoRoot, 'test', 'fixtures', 'azure-monitor', 'metric-5xx-fired.json'), 'utf8')) as {
    data: { essentials: Record<string, unknown>; customProperties?: Record<string, string> };
  };
  payload.data.essentials.firedDateTime = at('09:02:10');
  // What a careless alert rule puts in its custom properties.
  payload.data.customProperties = {
    runbook: `https://func-incident-prod.azurewebsites.net/api/incidents?code=${SAMPLE_FUNCTION_KEY}`,
    note: `AZURE_CLIENT_SECRET=${SAMPLE_CLIENT_SECRET}`,
  };
  return payload;
}

/** Everything the orchestration writes before the reports (inline alert payload). */
export function sampleArtifacts(): ArtifactInputIn[] {
  return [
    { kind: 'incident', content: sampleRecord() },
    { kind: 'timeline', content: sampleTimeline() },
    {
      kind: 'alert-payload',
      key: '001-prod-api-http5xx-rate-fired',
      content: { dedupeKey: 'a1b2c3d4-0002|Fired', receivedAt: at('09:03:04'), ref: null, payload: sampleAlertPayload() },
    },
    ...sampleSmokeRuns().map((r): ArtifactInputIn => ({ kind: 'smoke', content: r })),
    {
      kind: 'audit',
      key: 'config-store-client',
      content: {
        at: at('08:51:40'),
        actor: 'release-pipeline',
        requestId: 'deploy-r42-2231',
        summary: 'Config store client switched by release r42',
        changes: [
          { target: 'config:ConfigStore:Client@Prod', field: 'value', before: 'legacy', after: 'v2' },
          { target: 'flag:EnableLegacyHttpSse@Prod', field: 'IsEnabled', before: false, after: false },
        ],
      },
    },
    {
      kind: 'rollback',
      key: 'freeze',
      content: {
        step: 'contain/freeze',
        action: 'appService_setDeployFreeze',
        at: at('09:13:20'),
        outcome: { kind: 'done', summary: 'Deploys to Prod frozen: Rollback to LKG r41.', changes: [{ target: 'freeze:Prod', field: 'frozen', before: false, after: true }], executionId: 'freeze-Prod-20260116T091320Z' },
      },
    },
    {
      kind: 'rollback',
      key: 'api-to-lkg',
      content: {
        step: 'contain/api-to-lkg',
        action: 'appService_apiToLkg',
        at: at('09:14:40'),
        outcome: {
          kind: 'done',
          summary: 'api (Prod): swapped admin-api-prod/staging into production: build b42 -> LKG r41 (build b41).',
          changes: [{ target: 'slot:admin-api-prod/production', field: 'buildId', before: 'b42', after: 'b41' }],
          executionId: '7c1e9a52-3f0b-4d7e-9a41-2b6c8d0e4f13',
        },
      },
    },
    {
      kind: 'rollback',
      key: 'web-to-lkg',
      content: {
        step: 'contain/web-to-lkg',
        action: 'appService_webToLkg',
        at: at('09:14:45'),
        outcome: { kind: 'skipped', summary: 'web (Prod): production already serves LKG r41 (build w41).', reason: 'already-lkg' },
      },
    },
    ...(
      [
        ['declared', '09:03:06', '🚨 P1 INCIDENT — Prod — Admin API 5xx above 1 %. Impact: api. Actions underway: triage. Next update at 09:18 UTC.'],
        ['rollback-executed', '09:15:00', '↩️ Rolled back to r41 due to 5xx after r42. Metrics recovering. Evidence attached. RCA scheduled.'],
        ['update', '09:18:06', 'P1 update — Prod — rolled back to r41; smoke checks recovering. Next update at 09:33 UTC.'],
        ['stabilized', '09:19:30', '✅ Stabilized — Prod. Health/Ready ✅. SSE TTFB 160 ms, heartbeat 9.1 s. Monitoring for 60 min. RCA to follow.'],
        ['resolved', '10:19:15', 'Resolved — Prod — stable for 60 min on r41. Postmortem due Wed 2026-01-21.'],
      ] as const
    ).map(
      ([template, t, text], i): ArtifactInputIn => ({
        kind: 'message',
        key: `${String(i + 1).padStart(2, '0')}-${template}`,
        content: { at: at(t), template, channel: 'Teams #incident-prod', text, messageId: `1705395${i}000000` },
      }),
    ),
    {
      kind: 'approval',
      key: 'keep-rollback',
      content: {
        at: at('09:20:10'),
        approver: { id: 'alex@contoso.com', name: 'Alex Kim', via: 'approval-link', verified: true },
        decision: 'Keep the rollback to r41; monitor 60 min',
        proposalId: 'prop-3',
      },
    },
  ];
}
