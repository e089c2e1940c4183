/**
 * A realistic P1 incident as the incident orchestration would hand it to the evidence activities:
 * Prod API 5xx after release r42 on a Friday morning; nobody decided in 10 minutes, so the runbook
 * rolled the API back to the last known good release (r41) by slot swap; smoke checks went from
 * red to green; a 60-minute monitoring window with one SSE blip; resolved. One alert payload
 * carries a function key in a URL and a client secret, so redaction shows in the pack.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Actor } from '../../src/domain/actor.js';
import type { ArtifactInputIn, IncidentRecordInput, PackRef, SmokeRun } from '../../src/domain/evidence.js';
import type { TimelineEntry } from '../../src/domain/incident.js';
import { deriveIncident, type CheckFacts, type IncidentEvent, type NewEvent } from '../../src/domain/incident-record.js';
import { timelineOf } from '../../src/domain/incident-timeline.js';
import { incidentRecordOf } from '../../src/domain/runbook-evidence.js';
import { addBusinessDays } from '../../src/domain/timeboxes.js';
import { repoRoot } from './devhost.js';

export const SAMPLE_ID = 'inc-prod-api-5f3c2a91d0';
export const SAMPLE_FUNCTION_KEY = 'Qm9vbUtleTEyMzQ1Njc4OTBhYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAx';
export const SAMPLE_CLIENT_SECRET = 'Ab12Q~cD3eF4gH5iJ6kL7mN8oP9qR0sT1uV2wX3y';

const at = (hhmmss: string): string => `2026-01-16T${hhmmss}Z`;

export function sampleRef(overrides: Partial<PackRef> = {}): PackRef {
  return { incidentId: SAMPLE_ID, environment: 'Prod', service: 'api', severity: 'P1', release: 'r42', declaredAt: at('09:03:05'), ...overrides };
}

const MIN = 60_000;
const ms = (hhmmss: string): number => Date.parse(at(hhmmss));
const boxes = {
  P1: { ackMinutes: 15, decisionMinutes: 10, noDecision: 'rollback', containmentMinutes: 15, recoveryMinutes: 30, monitoringMinutes: 60, updateEveryMinutes: 15 },
  P2: { ackMinutes: 30, decisionMinutes: 20, noDecision: 'escalate', containmentMinutes: 30, recoveryMinutes: 30, monitoringMinutes: 30, updateEveryMinutes: 30 },
  P3: { ackMinutes: 120, decisionMinutes: 120, noDecision: 'escalate', containmentMinutes: 240, recoveryMinutes: 60, monitoringMinutes: 30, updateEveryMinutes: 120 },
} as const;
const person = (id: string, name: string): Actor => ({ id, name, via: 'api', verified: true });
const DANA = person('dana@contoso.com', 'Dana Reyes');
const checks = (verdict: 'green' | 'degraded' | 'red', ttfbMs: number): CheckFacts => ({
  verdict,
  reasons: verdict === 'green' ? ['all checks passed'] : verdict === 'red' ? ['api/production health: /ready answered 503 (config store unreachable)'] : [`api/production sse: first event after ${ttfbMs} ms, budget 200 ms`],
  failing: verdict === 'red' ? ['ready', 'contract'] : [],
  liveness: 'green',
  readiness: verdict === 'red' ? 'red' : 'green',
  sse: { ttfbMs, heartbeatMs: 9100 },
});
const api = { kind: 'api-to-lkg' as const, from: 'r42', to: 'r41', reason: 'no decision within 10 min (P1: if in doubt, roll back)' };

/**
 * The sample incident as the orchestration records it: Prod API 5xx after release r42; nobody
 * decided in 10 minutes, so the runbook rolled the API back to r41; checks green at 09:19; a
 * 60-minute monitoring window with one SSE blip; resolved by Dana Reyes.
 */
export function sampleEvents(): IncidentEvent[] {
  const list: NewEventAt[] = [
    {
      type: 'declared',
      at: ms('09:03:05'),
      incidentId: SAMPLE_ID,
      service: 'api',
      environment: 'Prod',
      summary: 'Admin API 5xx above 1 % after release r42 (SSE first event slow)',
      source: 'alert',
      by: { id: 'prod-api-http5xx-rate', via: 'alert' },
      impact: ['api', 'SSE streams', 'admin portal pages /jobs and /flags'],
      severity: 'P1',
      reasons: ['5xx rate: 2.7 % > 1 % over 5 min: RB-03 P1 trigger'],
      drill: false,
      timeboxes: boxes,
      postmortemDueBusinessDays: 3,
      alert: { dedupeKey: 'a1b2c3d4-0002|Fired', rule: 'prod-api-http5xx-rate', condition: 'Fired', firedAt: ms('09:02:10'), receivedAt: ms('09:03:04'), level: 'P1', reasons: [], triggers: ['error-rate'], payloadRef: null },
    },
    { type: 'checks-run', at: ms('09:04:00'), purpose: 'snapshot', run: null, ...checks('red', 420) },
    {
      type: 'snapshot-taken',
      at: ms('09:04:00'),
      changes: [],
      api: { current: 'r42', lkg: 'r41', deployedAt: at('08:51:00'), migrations: [] },
      web: null,
      problems: [],
      lookbackMinutes: 720,
      seen: ['smoke checks red (api/production health: /ready answered 503 (config store unreachable))', 'no flag/config change in the last 12 h', 'api (Prod): production runs r42 (build b42); staging runs r41 (build b41)'],
    },
    { type: 'proposal-issued', at: ms('09:04:00'), proposalId: 'proposal-1', path: 'api-to-lkg', steps: [api], reasons: ['API symptoms since release r42: roll the API back to r41 (RB-02 step 2)'], actionItems: [], decisionDueAt: ms('09:13:05'), why: null },
    { type: 'alert-received', at: ms('09:05:40'), alert: { dedupeKey: 'a1b2c3d4-0003|Fired', rule: 'prod-api-sse-ttfb', condition: 'Fired', firedAt: ms('09:05:30'), receivedAt: ms('09:05:40'), level: 'P1', reasons: [], triggers: ['sse-ttfb'], payloadRef: null } },
    { type: 'acknowledged', at: ms('09:09:30'), by: DANA, role: 'ic' },
    { type: 'role-assigned', at: ms('09:09:30'), role: 'ic', person: DANA, how: 'claimed' },
    { type: 'acknowledged', at: ms('09:10:00'), by: person('sam@contoso.com', 'Sam Okafor'), role: 'deputy' },
    { type: 'role-assigned', at: ms('09:10:00'), role: 'deputy', person: person('sam@contoso.com', 'Sam Okafor'), how: 'claimed' },
    { type: 'acknowledged', at: ms('09:10:30'), by: person('lee@contoso.com', 'Lee Chen'), role: 'scribe' },
    { type: 'role-assigned', at: ms('09:10:30'), role: 'scribe', person: person('lee@contoso.com', 'Lee Chen'), how: 'claimed' },
    { type: 'decided', at: ms('09:13:05'), by: null, choice: 'api-to-lkg', proposalId: 'proposal-1', reason: null, why: 'nobody decided within 10 min (P1: if in doubt, roll back)' },
    { type: 'containment-started', at: ms('09:13:05'), choice: 'api-to-lkg', steps: [{ step: 'contain/api-to-lkg/lkg/2', action: api }], why: 'nobody decided within the timebox', rollback: true, dueAt: ms('09:13:05') + 30 * MIN, timebox: 'recovery' },
    { type: 'action-completed', at: ms('09:13:20'), step: 'freeze/on', action: 'freeze', activity: 'appService_setDeployFreeze', mode: 'execute', outcome: { kind: 'done', summary: 'Deploys to Prod frozen: Rollback to LKG r41.', changes: [] } },
    {
      type: 'action-completed',
      at: ms('09:14:40'),
      step: 'contain/api-to-lkg/lkg/2',
      action: 'api-to-lkg',
      activity: 'appService_apiToLkg',
      mode: 'execute',
      outcome: { kind: 'done', summary: 'api (Prod): swapped admin-api-prod/staging into production: build b42 -> LKG r41 (build b41).', changes: [{ target: 'release:Prod/api', field: 'releaseTag', before: 'r42', after: 'r41' }], executionId: '7c1e9a52-3f0b-4d7e-9a41-2b6c8d0e4f13' },
    },
    { type: 'action-completed', at: ms('09:14:45'), step: 'contain/web-to-lkg/lkg/3', action: 'web-to-lkg', activity: 'appService_webToLkg', mode: 'execute', outcome: { kind: 'skipped', summary: 'web (Prod): production already serves LKG r41 (build w41).', reason: 'already-lkg' } },
    { type: 'checks-run', at: ms('09:16:00'), purpose: 'verify', run: null, ...checks('degraded', 230) },
    { type: 'checks-run', at: ms('09:19:00'), purpose: 'verify', run: null, ...checks('green', 160) },
    { type: 'monitoring-started', at: ms('09:19:00'), endsAt: ms('10:19:00') },
    { type: 'checks-run', at: ms('09:49:00'), purpose: 'monitor', run: null, ...checks('degraded', 230) },
    { type: 'checks-run', at: ms('10:19:00'), purpose: 'monitor', run: null, ...checks('green', 151) },
    { type: 'resolved', at: ms('10:19:10'), by: DANA, summary: 'stable for 60 min on r41', why: 'resolved by Dana Reyes', postmortemDueAt: addBusinessDays(ms('10:19:10'), 3) },
  ];
  return list.map((e, seq): IncidentEvent => ({ ...e, seq }));
}

type NewEventAt = NewEvent & { at: number };

/**
 * incident.json of the sample, as the orchestration writes it: derived from the sample's events by
 * the incident record (so it cannot contradict itself), with what people add (who was affected,
 * links, action items). `overrides` bend it for rendering tests.
 */
export function sampleRecord(overrides: Partial<IncidentRecordInput> = {}): IncidentRecordInput {
  const derived = incidentRecordOf(deriveIncident(sampleEvents()));
  return {
    ...derived,
    impact: {
      affected: ['api', 'SSE streams', 'admin portal pages /jobs and /flags'],
      users: 'All Prod admin portal users (about 240 active sessions); jobs dashboard unusable for 17 minutes',
      description: 'HTTP 5xx reached 2.7 % on admin-api-prod; /ready reported the config store unreachable',
    },
    actionItems: [{ title: 'Add a contract smoke check for GET /api/jobs to the release pipeline', owner: 'Lee Chen', category: 'tests' }],
    links: [
      { label: 'Incident ticket INC-2291', url: 'https://contoso.atlassian.net/browse/INC-2291' },
      { label: 'LKG r41 evidence pack', url: 'https://stincidentprod.blob.core.windows.net/release-evidence/Prod/r41/' },
    ],
    ...overrides,
  };
}

/** timeline.json of the sample: the sample's events told by the timeline (./incident-timeline.ts). */
export function sampleTimeline(): TimelineEntry[] {
  return timelineOf(sampleEvents(), 'incident-bot');
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
