/** The deploy-freeze announcement: valid Adaptive Card JSON, the same content as plain text, snapshots. */
import { describe, expect, it } from 'vitest';
import { AdaptiveCard } from '../../../src/domain/messages/adaptive-card.js';
import { renderFreezeMessage, type FreezeMessageInput } from '../../../src/domain/messages/freeze.js';

const ref = { reference: 'fedcba9876543210fedcba9876543210' };
const freeze: FreezeMessageInput = {
  kind: 'deploy-freeze',
  environment: 'Prod',
  frozen: true,
  at: '2026-01-15T14:32:00Z',
  by: { id: 'sre@contoso.com', name: 'On-call SRE' },
  reason: 'Rollback of r42 in progress',
  incidentId: 'inc-prod-admin-api-3f9a2c1b7e',
};
const unfreeze: FreezeMessageInput = {
  kind: 'deploy-freeze',
  environment: 'Prod',
  frozen: false,
  at: '2026-01-15T15:47:00Z',
  by: { id: 'pipeline:api-release' },
  reason: 'Stable for 60 min',
  previousSince: '2026-01-15T14:32:00Z',
};

describe('deploy-freeze messages', () => {
  it.each([
    ['freeze', freeze],
    ['unfreeze', unfreeze],
  ])('%s: valid card and text snapshot', (_name, input) => {
    const r = renderFreezeMessage(input, ref);
    expect(AdaptiveCard.safeParse(r.card).success).toBe(true);
    expect(r.card.fallbackText).toBe(r.text);
    expect(r.text).toContain(`ref ${ref.reference}`);
    expect([...r.preview].length).toBeLessThanOrEqual(150);
    expect(JSON.stringify(r.card) + r.text).not.toMatch(/undefined|NaN|null|\[object Object\]/);
    expect(r).toMatchSnapshot();
  });

  it('says who froze, why, since when, and what pipelines see', () => {
    const r = renderFreezeMessage(freeze, ref);
    expect(r.kind).toBe('deploy-freeze');
    expect(r.importance).toBe('high');
    expect(r.headline).toBe('🧊 DEPLOY FREEZE — Prod: deploys are frozen by On-call SRE (sre@contoso.com). Reason: Rollback of r42 in progress.');
    expect(r.text).toContain('Since: 2026-01-15 14:32 UTC');
    expect(r.text).toContain('Incident: inc-prod-admin-api-3f9a2c1b7e');
    expect(r.text).toContain('GET /api/freeze/Prod answers "frozen": true until the freeze is lifted.');
  });

  it('a lifted freeze says deploys may resume and how long it lasted', () => {
    const r = renderFreezeMessage(unfreeze, ref);
    expect(r.kind).toBe('deploy-unfreeze');
    expect(r.importance).toBe('normal');
    expect(r.shortTitle).toBe('Deploys to Prod may resume');
    expect(r.text).toContain('Frozen for: 1 h 15 min');
    expect(r.text).not.toContain('Incident:');
    expect(r.card.body[0]).toMatchObject({ type: 'Container', style: 'good' });
  });

  it('keeps reasons from turning into Markdown links in the card, and refuses empty fields', () => {
    const r = renderFreezeMessage({ ...freeze, reason: 'see [runbook](https://evil.example)' }, ref);
    expect(JSON.stringify(r.card.body)).not.toContain('](https://evil.example)');
    expect(() => renderFreezeMessage({ ...freeze, reason: ' ' }, ref)).toThrow();
    expect(() => renderFreezeMessage({ ...freeze, at: 'yesterday' }, ref)).toThrow();
  });
});
