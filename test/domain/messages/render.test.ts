/**
 * Message rendering: every runbook template with each placeholder filled, cards that are valid
 * Adaptive Card JSON (the strict zod schema of the elements we use, which rejects unknown
 * elements/properties), honest claims, and snapshots of every card and its plain text.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AdaptiveCard } from '../../../src/domain/messages/adaptive-card.js';
import { renderMessage, type RenderContext } from '../../../src/domain/messages/render.js';
import { IncidentMessage, type IncidentMessageInput, type MessageKind } from '../../../src/domain/messages/types.js';
import { samples } from '../../fixtures/teams/messages.js';

const ctx: RenderContext = {
  reference: '0123456789abcdef0123456789abcdef',
  approvalLinks: {
    'accept-proposal': 'https://incident-autopilot.example.net/api/approvals/v1.accept.sig',
    'revert-config': 'https://incident-autopilot.example.net/api/approvals/v1.revert.sig',
    'monitor-only': 'https://incident-autopilot.example.net/api/approvals/v1.monitor.sig',
  },
};

const kinds = Object.keys(samples) as MessageKind[];

describe('rendered cards', () => {
  it.each(kinds)('%s: card and text snapshot', (kind) => {
    const r = renderMessage(samples[kind], ctx);
    expect(AdaptiveCard.safeParse(r.card).success).toBe(true);
    expect(r.card.version).toBe('1.4');
    expect(r.card.fallbackText).toBe(r.text);
    expect(r).toMatchSnapshot();
  });

  it.each(kinds)('%s: no placeholder left unfilled, and the reference is in the footer', (kind) => {
    const r = renderMessage(samples[kind], ctx);
    const everything = JSON.stringify(r.card) + r.text;
    expect(everything).not.toMatch(/\{[a-z_]+\}|undefined|NaN|\[object Object\]/);
    expect(r.text).toContain(`ref ${ctx.reference}`);
    expect([...r.preview].length).toBeLessThanOrEqual(150);
  });

  it('the schema check can fail: unknown elements, properties and Action.Submit are rejected', () => {
    const good = renderMessage(samples.declared, ctx).card;
    expect(AdaptiveCard.safeParse({ ...good, version: '1.6' }).success).toBe(false);
    expect(AdaptiveCard.safeParse({ ...good, body: [...good.body, { type: 'Input.Text', id: 'x' }] }).success).toBe(false);
    expect(AdaptiveCard.safeParse({ ...good, body: [{ type: 'TextBlock', text: 'x', colour: 'red' }] }).success).toBe(false);
    expect(AdaptiveCard.safeParse({ ...good, actions: [{ type: 'Action.Submit', title: 'Approve', data: {} }] }).success).toBe(false);
    expect(AdaptiveCard.safeParse({ ...good, actions: [{ type: 'Action.OpenUrl', title: 'x', url: 'javascript:alert(1)' }] }).success).toBe(false);
  });
});

describe('runbook templates, filled', () => {
  it('incident declared (RB-03 §10)', () => {
    const r = renderMessage(samples.declared, ctx);
    expect(r.text.split('\n')[0]).toBe(
      '🚨 P1 INCIDENT — Prod — API 5xx above 1% for 5 min after release v2.4.0. Impact: API, Jobs. ' +
        'Actions underway: Snapshotting health and recent changes; containment decision due by 14:40 UTC. Next update at 14:45 UTC.',
    );
    expect(r.text).toContain('IC: Dana Kim (dana.kim@contoso.com)');
    expect(r.text).toContain('Deputy: Sam Lee (sam.lee@contoso.com)');
    expect(r.text).toContain('Release: v2.4.0 (1a2b3c4)');
    expect(r.importance).toBe('high');
  });

  it('stabilized (RB-03 §10)', () => {
    expect(renderMessage(samples.stabilized, ctx).headline).toBe(
      '✅ Stabilized — Prod. Health/Ready ✅. SSE TTFB 142 ms, heartbeat 8 s. Monitoring for 60 min. RCA to follow.',
    );
  });

  it('rollback executed (RB-03 §10 and the RB-02 success message)', () => {
    const r = renderMessage(samples['rollback-executed'], ctx);
    expect(r.headline).toBe(
      '↩️ Rolled back to v2.3.9 due to SSE TTFB 412 ms (budget 200 ms) and 5xx 3.2% since the deploy. Metrics recovered. Evidence attached. RCA scheduled for 2026-01-16 10:00 UTC.',
    );
    expect(r.text).toContain('Rollback complete in Prod. Reverted to v2.3.9. Health/Ready ✅. SSE TTFB 142 ms, heartbeat 8 s. Investigating root cause on v2.4.0.');
  });

  it('rollback started (RB-02 §4)', () => {
    expect(renderMessage(samples['rollback-started'], ctx).headline).toBe(
      '⏪ Declaring rollback in Prod for MCPX-KendoBridge Admin Portal. Current release v2.4.0 failing due to SSE TTFB 412 ms (budget 200 ms) and 5xx 3.2% since the deploy. Reverting to LKG v2.3.9 now. IC: @Dana Kim, Deputy: @Sam Lee.',
    );
  });

  it('resolved: the postmortem due date (UTC) with its business-day rule, and the draft link', () => {
    const r = renderMessage(samples.resolved, ctx);
    expect(r.text).toContain('Postmortem due: 2026-01-20 (Tue), 3 business days after resolution (Mon–Fri, UTC)');
    expect(r.text).toContain('Open postmortem: https://wiki.example.net/postmortems/inc-prod-api-7f3a2c');
    const { postmortemUrl: _u, ...noDraft } = samples.resolved as Extract<IncidentMessageInput, { kind: 'resolved' }>;
    expect(renderMessage(noDraft, ctx).text).toContain('Postmortem: Draft to follow; due 2026-01-20 (Tue).');
  });

  it('says "Metrics recovered" only when metrics were read; green checks alone are named as such', () => {
    const base = samples['rollback-executed'] as Extract<IncidentMessageInput, { kind: 'rollback-executed' }>;
    const checksOnly = renderMessage({ ...base, metricsRecovered: false, checksRecovered: true }, ctx);
    expect(checksOnly.headline).toContain('Smoke checks recovered (no metrics were read)');
    expect(checksOnly.headline).not.toContain('Metrics recovered');
    expect(checksOnly.card.body[0]).toMatchObject({ type: 'Container', style: 'good' });
    expect(renderMessage({ ...base, metricsRecovered: true, checksRecovered: true }, ctx).headline).toContain('Metrics recovered.');
  });

  it('never claims recovery the figures do not show', () => {
    const base = samples['rollback-executed'] as Extract<IncidentMessageInput, { kind: 'rollback-executed' }>;
    const r = renderMessage({ ...base, metricsRecovered: false, evidenceUrl: undefined, health: { healthz: 'green', ready: 'red', sse: { ttfbMs: 350, heartbeatS: 12 } } }, ctx);
    expect(r.headline).toContain('Metrics have NOT recovered yet');
    expect(r.headline).toContain('Evidence is being archived');
    expect(r.text).toContain('Health ✅, Ready ❌');
    expect(r.text).toContain('SSE TTFB 350 ms, heartbeat 12 s (⚠️ over TTFB budget 200 ms and heartbeat budget 10 s)');
    expect(r.text).not.toContain('Health/Ready ✅');
    expect(r.card.body[0]).toMatchObject({ type: 'Container', style: 'attention' });
    // Each probe from its own result: a red liveness is never shown green, an unmeasured one says so.
    const h = (healthz: 'green' | 'degraded' | 'red' | 'unknown', ready: 'green' | 'degraded' | 'red' | 'unknown') => renderMessage({ ...base, health: { healthz, ready } }, ctx).text;
    expect(h('red', 'red')).toContain('Health ❌, Ready ❌');
    expect(h('red', 'green')).toContain('Health ❌, Ready ✅');
    expect(h('unknown', 'green')).toContain('Health ❔ not measured, Ready ✅');
    expect(h('green', 'degraded')).toContain('Health ✅, Ready ⚠️ degraded');
  });

  it('titles each escalation by its reason', () => {
    const base = samples.escalation as Extract<IncidentMessageInput, { kind: 'escalation' }>;
    const whys = ['no-ack', 'no-decision', 'action-refused', 'action-failed', 'not-recovered', 'regression', 'no-rollback-target'] as const;
    const titles = whys.map((why) => renderMessage({ ...base, why }, ctx).headline.split(' — ')[0]);
    expect(new Set(titles).size).toBe(whys.length);
    expect(titles[0]).toBe('📣 ESCALATION: NOBODY HAS ACKNOWLEDGED');
    expect(titles[2]).toBe('📣 ESCALATION: A CONTAINMENT STEP WAS REFUSED');
  });

  it('resolved: names what did not go through, and says why a figure is missing', () => {
    const base = samples.resolved as Extract<IncidentMessageInput, { kind: 'resolved' }>;
    const r = renderMessage(base, ctx);
    expect(r.headline).toContain('One action did not go through (below)');
    expect(r.text).toContain('Not done:\n  • The web rollback to the last known good release was refused');
    expect(r.text).toContain('Time to mitigate: 22 min 10 s');
    const none = renderMessage({ ...base, notDone: [], metrics: { openS: 3600 }, timeToDeclareNote: 'the alert fired 16 days before it reached us' }, ctx).text;
    expect(none).toContain('Time to declare: not computed (the alert fired 16 days before it reached us)');
    expect(none).toContain('Time to acknowledge: none: nobody acknowledged');
    expect(none).toContain('Time to mitigate: none: no containment change went through');
  });

  it('containment proposal: one Action.OpenUrl per option, the deadline and what happens without an answer', () => {
    const r = renderMessage(samples['containment-proposed'], ctx);
    expect(r.card.actions).toEqual([
      { type: 'Action.OpenUrl', title: 'Approve rollback', url: ctx.approvalLinks?.['accept-proposal'], style: 'positive' },
      { type: 'Action.OpenUrl', title: 'Revert flags/config', url: ctx.approvalLinks?.['revert-config'], style: 'default' },
      { type: 'Action.OpenUrl', title: 'Do not contain; keep monitoring', url: ctx.approvalLinks?.['monitor-only'], style: 'destructive' },
    ]);
    expect(r.headline).toContain('Decide by 14:40 UTC; if nobody answers, the automation rolls back to LKG v2.3.9');
    const noLinks = renderMessage(samples['containment-proposed'], { reference: ctx.reference });
    expect(noLinks.card.actions).toBeUndefined();
    expect(noLinks.text).toContain('Approval links are not available');
    // An LKG nobody recorded yet is not named as if it were a release, and what will really happen is said.
    const unknown = renderMessage(
      {
        ...samples['containment-proposed'],
        releases: { current: 'unknown', previous: 'unknown' },
        ifNoAnswerDetail: 'the automation tries to roll back, but no last known good release is recorded for api: unless one is recorded by then (POST /api/lkg), the rollback is refused and people are paged',
      } as IncidentMessageInput,
      ctx,
    );
    expect(unknown.headline).toContain('if nobody answers, the automation tries to roll back, but no last known good release is recorded');
    expect(unknown.headline).not.toContain('rolls back to the last known good release');
  });

  it('keeps text from alerts from turning into Markdown links in the card', () => {
    const r = renderMessage({ ...samples.declared, summary: 'see [login](https://evil.example) now' } as IncidentMessageInput, ctx);
    expect(JSON.stringify(r.card.body)).not.toContain('](https://evil.example)');
    // The plain text is not Markdown: it keeps what was written.
    expect(r.text).toContain('see [login](https://evil.example) now');
  });

  it('rejects input that would leave a template placeholder empty', () => {
    const { releases: _r, ...withoutReleases } = samples['rollback-started'] as Extract<IncidentMessageInput, { kind: 'rollback-started' }>;
    expect(() => renderMessage(withoutReleases as IncidentMessageInput, ctx)).toThrow();
    expect(() => renderMessage({ ...samples.declared, impact: [] } as IncidentMessageInput, ctx)).toThrow();
  });
});

describe('any valid input renders a valid card (property)', () => {
  const text = fc.string({ minLength: 1, maxLength: 120 }).filter((s) => s.trim().length > 0);
  const iso = fc.date({ min: new Date('2025-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());
  const declared = fc.record({
    kind: fc.constant('declared' as const),
    incidentId: fc.stringMatching(/^[a-z0-9-]{1,40}$/),
    environment: fc.constantFrom('Alpha', 'Beta', 'RTM', 'Prod'),
    service: text,
    severity: fc.constantFrom('P1' as const, 'P2' as const, 'P3' as const),
    declaredAt: iso,
    summary: text,
    impact: fc.array(fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s.trim().length > 0), { minLength: 1, maxLength: 4 }),
    actions: text,
    nextUpdateAt: iso,
  });

  it('declared', () => {
    fc.assert(
      fc.property(declared, (input) => {
        const r = renderMessage(input, ctx);
        expect(AdaptiveCard.safeParse(r.card).success).toBe(true);
        expect(JSON.parse(JSON.stringify(r.card))).toEqual(r.card);
        expect([...r.preview].length).toBeLessThanOrEqual(150);
        expect(IncidentMessage.safeParse(input).success).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
