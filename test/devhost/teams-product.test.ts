/**
 * The product app (loaded from dist/ as in Azure) registers the approval endpoint as an anonymous
 * route with the Durable client, and the three Teams activities. With no incident orchestration
 * in the product yet, a valid link meets "not running" (410) through the real Durable client.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { mintApprovalLinks } from '../../src/activities/approval-token.js';
import { setAppEnv } from '../harness/env.js';
import { useProductHost } from '../harness/product-host.js';

const key = randomBytes(32);

const product = useProductHost({ enforceKeys: true, env: { POLICY_PATH: '', APPROVAL_SIGNING_KEY: key.toString('base64') } });

describe('product app: Teams and approvals', () => {
  it('registers the Teams activities and the approval route', () => {
    const names = [...product.h.host.app.registry.functions.keys()];
    expect(names).toEqual(expect.arrayContaining(['teamspostmessage', 'teamsreplymessage', 'teamsnotify', 'approvals']));
  });

  it('answers a link without a function key, and 410 when no incident runs under its id', async () => {
    const l = mintApprovalLinks(
      { incidentId: 'inc-none', proposalId: 'p1', choices: ['accept-proposal'], expiresAt: new Date(Date.now() + 600_000).toISOString(), title: 'Roll back', environment: 'Prod', severity: 'P1' },
      { keys: [key], baseUrl: product.h.baseUrl, audience: 'teams' },
    );
    const r = await product.h.json<{ error: { code: string; requestId: string } }>(new URL(l.all).pathname, { headers: { accept: 'application/json' } });
    expect(r.status).toBe(410);
    expect(r.body.error.code).toBe('gone');
    expect(r.body.error.requestId).toBeTruthy();
  });

  it('says approvals are not configured (503) rather than failing when the key is missing', async () => {
    const saved = setAppEnv({ APPROVAL_SIGNING_KEY: undefined });
    try {
      const r = await product.h.json<{ error: { code: string; message: string } }>('/api/approvals/v1.x.y', { headers: { accept: 'application/json' } });
      expect(r.status).toBe(503);
      expect(r.body.error).toMatchObject({ code: 'not_configured' });
      expect(r.body.error.message).toContain('APPROVAL_SIGNING_KEY');
    } finally {
      setAppEnv(saved);
    }
  });
});
