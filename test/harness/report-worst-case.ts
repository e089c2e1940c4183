/**
 * The largest incident the report has to draw (for the report's layout tests): three days long,
 * every list longer than a table shows and every text longer than a cell shows: twelve checks on
 * three instances every two minutes for ten hours, forty actions within two minutes, hundreds of
 * timeline entries, dozens of messages with long texts, emoji, long unbroken names, an alert that
 * fired three weeks before.
 */
import type { ArtifactInputIn } from '../../src/domain/evidence.js';
import { sampleArtifacts, sampleRecord } from './evidence-sample.js';

const MIN = 60_000;
const T0 = Date.parse('2026-01-16T09:03:05Z');
const iso = (ms: number) => new Date(T0 + ms).toISOString();

export function worstCaseArtifacts(): ArtifactInputIn[] {
  const long = 'The config store client of r42 retried without back-off and exhausted the connection pool; /ready went red on every instance, SSE first events slowed past 2 s, and the jobs API answered 500. '.repeat(4);
  const emoji = '🚨 ✅ ❌ ⚠️ 📣 📝 🧊 ⚖️ ⏱️ ⏪ ↩️ 👍🏽 👩‍💻 🟢 ';
  const checks = ['health', 'sse', 'contract', 'pages', 'parity', 'web', 'contract-admin-jobs-endpoint-with-a-long-name', 'sse-heartbeat', 'cors', 'latency-p95', 'extra-1', 'extra-2'];
  const record = sampleRecord({
    summary: {
      ...sampleRecord().summary,
      summary: `${emoji}Admin API 5xx above 1 % after release r42 — ${'x'.repeat(120)} ${long.slice(0, 200)}`,
      resolvedAt: iso(3 * 24 * 60 * MIN),
      updatedAt: iso(3 * 24 * 60 * MIN),
    },
    milestones: {
      detectedAt: iso(-21 * 24 * 60 * MIN),
      declaredAt: iso(0),
      acknowledgedAt: iso(20 * MIN),
      decidedAt: iso(20 * MIN + 5000),
      mitigatedAt: iso(21 * MIN),
      recoveredAt: iso(22 * MIN),
      resolvedAt: iso(3 * 24 * 60 * MIN),
    },
    timeboxes: [
      { name: 'ack', startedAt: iso(0), deadline: iso(15 * MIN), metAt: iso(20 * MIN), verdict: 'missed' },
      { name: 'decision', startedAt: iso(0), deadline: iso(10 * MIN), metAt: null, verdict: 'missed' },
      { name: 'containment', startedAt: iso(20 * MIN), deadline: iso(35 * MIN), metAt: iso(22 * MIN), extendedMinutes: 0, verdict: 'met' },
      { name: 'recovery', startedAt: iso(20 * MIN), deadline: iso(50 * MIN), metAt: iso(22 * MIN), verdict: 'met' },
      { name: 'monitoring', startedAt: iso(22 * MIN), deadline: iso(3 * 24 * 60 * MIN), metAt: iso(3 * 24 * 60 * MIN), extendedMinutes: 4000, verdict: 'met' },
    ],
    impact: { affected: Array.from({ length: 30 }, (_, i) => `surface-${i}-${'y'.repeat(20)}`), users: long, description: long },
    roles: { ic: `Dana ${'Reyes'.repeat(30)}`, deputy: 'Sam Okafor 👩‍💻', scribe: 'Lee Chen', comms: '李 小龍' },
    containment: { choice: 'api-to-lkg', decidedBy: 'incident-bot', at: iso(20 * MIN), automatic: true, reason: long },
    actionItems: Array.from({ length: 60 }, (_, i) => ({ title: `${i}: ${long.slice(0, 300)}`, owner: null, category: 'other' as const })),
    links: Array.from({ length: 20 }, (_, i) => ({ label: `Link ${i} ${'z'.repeat(80)}`, url: `https://contoso.example/${'p'.repeat(200)}/${i}` })),
  });
  const timeline = Array.from({ length: 250 }, (_, i) => ({
    seq: i,
    at: iso(i * 17 * MIN),
    kind: i % 3 ? 'note' : 'smoke',
    actor: i % 5 ? 'incident-bot' : `someone-with-a-very-long-user-principal-name-${'q'.repeat(60)}@contoso.example`,
    text: `${emoji}${i % 4 ? 'Smoke checks (verify): red' : long}`,
  }));
  const base = sampleArtifacts().filter((a) => !['incident', 'timeline', 'smoke', 'rollback', 'message', 'audit', 'approval'].includes(a.kind));
  const smoke: ArtifactInputIn[] = Array.from({ length: 300 }, (_, i) => ({
    kind: 'smoke',
    content: {
      runId: `run-${i}`,
      at: iso(i * 2 * MIN),
      phase: 'monitoring',
      results: checks.flatMap((check, c) =>
        ['admin-api-prod/production/instance-0001-very-long-target-name', 'b', 'c'].map((target) => ({ check, target, status: (i + c) % 7 === 0 ? ('fail' as const) : (i + c) % 5 === 0 ? ('degraded' as const) : ('pass' as const), summary: long.slice(0, 300) })),
      ),
    },
  }));
  const actions: ArtifactInputIn[] = Array.from({ length: 40 }, (_, i) => ({
    kind: 'rollback',
    key: `action-${i}`,
    content: {
      step: `contain/step-${i}`,
      action: `appService_someVeryLongActionName${i}`,
      at: iso(20 * MIN + i * 3000),
      outcome: i % 3 ? { kind: 'done', summary: long, changes: [], executionId: `${'e'.repeat(60)}-${i}` } : { kind: 'refused', summary: long, reason: 'not-allowed' },
    } as never,
  }));
  const messages: ArtifactInputIn[] = Array.from({ length: 60 }, (_, i) => ({
    kind: 'message',
    key: `m-${i}`,
    content: { at: iso(i * 70 * MIN), template: i % 2 ? 'update' : 'escalation', channel: `Teams #incident-prod-${'c'.repeat(40)}`, text: `${emoji}UPDATE #${i} — ${long}\n\nIncident: x\nService: y\n${long}` },
  }));
  const audit: ArtifactInputIn[] = Array.from({ length: 30 }, (_, i) => ({
    kind: 'audit',
    key: `audit-${i}`,
    content: { at: iso(-30 * MIN + i * MIN), actor: 'release-pipeline', requestId: `req-${i}`, summary: 'x', changes: Array.from({ length: 5 }, (_, j) => ({ target: `config:Some:Very:Long:Key:${'k'.repeat(50)}:${j}@Prod`, field: 'value', before: { nested: long.slice(0, 300) }, after: long.slice(0, 300) })) },
  }));
  const approvals: ArtifactInputIn[] = Array.from({ length: 25 }, (_, i) => ({
    kind: 'approval',
    key: `a-${i}`,
    content: { at: iso(20 * MIN + i * MIN), approver: { id: `approver-${i}@contoso.example`, name: `Approver ${i} ${'n'.repeat(50)}`, via: 'approval-link', verified: i % 2 === 0 }, decision: long.slice(0, 200), proposalId: `p-${i}` },
  }));
  return [{ kind: 'incident', content: record }, { kind: 'timeline', content: timeline }, ...base, ...smoke, ...actions, ...messages, ...audit, ...approvals];
}
