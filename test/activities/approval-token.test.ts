/** Approval tokens: signing, tamper detection, expiry, key rotation; approver identity parsing. */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mintApprovalLinks, proposalNonce, signApprovalToken, verifyApprovalToken, type ApprovalClaims } from '../../src/activities/approval-token.js';
import { inApproverList, principalFromHeaders } from '../../src/app/approver.js';
import { decodeSigningKey, readApprovalSettings } from '../../src/config/teams.js';

const key = randomBytes(32);
const other = randomBytes(32);
const now = Date.UTC(2026, 0, 15, 14, 31);
const claims: ApprovalClaims = {
  iid: 'inc-prod-api-7f3a2c',
  pid: 'prop-1',
  ch: ['accept-proposal'],
  exp: Math.floor(now / 1000) + 540,
  n: proposalNonce(key, 'inc-prod-api-7f3a2c', 'prop-1'),
  aud: 'teams',
  t: 'Roll back API to LKG v2.3.9',
  env: 'Prod',
  sev: 'P1',
};

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('approval tokens', () => {
  it('verifies what it signed, until the expiry', () => {
    const token = signApprovalToken(claims, key);
    expect(verifyApprovalToken(token, [key], now)).toEqual({ ok: true, claims });
    expect(verifyApprovalToken(token, [key], claims.exp * 1000)).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('detects any change to incident, proposal, choices, expiry or nonce', () => {
    const token = signApprovalToken(claims, key);
    const [v, , mac] = token.split('.');
    const variants: Partial<ApprovalClaims>[] = [{ iid: 'inc-other' }, { pid: 'prop-2' }, { ch: ['monitor-only'] }, { exp: claims.exp + 3600 }, { n: 'A'.repeat(22) }];
    for (const change of variants) {
      const forged = `${v}.${b64({ ...claims, ...change })}.${mac}`;
      expect(verifyApprovalToken(forged, [key], now)).toEqual({ ok: false, reason: 'signature' });
    }
  });

  it('rejects single-character corruption anywhere (property)', () => {
    const token = signApprovalToken(claims, key);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    fc.assert(
      fc.property(fc.integer({ min: 0, max: token.length - 1 }), fc.constantFrom(...alphabet), (i, c) => {
        fc.pre(token[i] !== c && token[i] !== '.');
        const corrupted = token.slice(0, i) + c + token.slice(i + 1);
        const r = verifyApprovalToken(corrupted, [key], now);
        // The last base64url character of the MAC carries padding bits: a change there may decode to the same bytes.
        if (r.ok) expect(Buffer.from(corrupted.split('.')[2] ?? '', 'base64url')).toEqual(Buffer.from(token.split('.')[2] ?? '', 'base64url'));
        else expect(['signature', 'malformed']).toContain(r.reason);
      }),
      { numRuns: 300 },
    );
  });

  it('accepts the previous key during a rotation and nothing else', () => {
    const old = signApprovalToken(claims, other);
    expect(verifyApprovalToken(old, [key, other], now).ok).toBe(true);
    expect(verifyApprovalToken(old, [key], now)).toEqual({ ok: false, reason: 'signature' });
  });

  it('calls garbage malformed without parsing it', () => {
    for (const t of ['', 'v1', 'v1..', 'v2.abc.def', `v1.${b64(claims)}.short`, 'x'.repeat(5000)]) {
      expect(verifyApprovalToken(t, [key], now)).toEqual({ ok: false, reason: 'malformed' });
    }
  });

  it('mints one link per choice plus one for all, sharing the proposal nonce', () => {
    const links = mintApprovalLinks(
      { incidentId: claims.iid, proposalId: 'prop-1', choices: ['accept-proposal', 'monitor-only'], expiresAt: '2026-01-15T14:40:00Z', title: 't', environment: 'Prod', severity: 'P1' },
      { keys: [key], baseUrl: 'https://app.example.net', audience: 'teams' },
      claims.n,
    );
    const tokenOf = (url: string | undefined) => (url ?? '').replace('https://app.example.net/api/approvals/', '');
    const accept = verifyApprovalToken(tokenOf(links.perChoice['accept-proposal']), [key], now);
    const all = verifyApprovalToken(tokenOf(links.all), [key], now);
    expect(accept.ok && accept.claims.ch).toEqual(['accept-proposal']);
    expect(all.ok && all.claims.ch).toEqual(['accept-proposal', 'monitor-only']);
    expect(accept.ok && all.ok && accept.claims.n === all.claims.n).toBe(true);
    expect(proposalNonce(key, claims.iid, 'prop-1')).toBe(claims.n);
    expect(proposalNonce(key, claims.iid, 'prop-2')).not.toBe(claims.n);
  });
});

describe('approval settings', () => {
  it('needs a signing key of at least 32 bytes and never echoes it', () => {
    const short = Buffer.alloc(16, 7).toString('base64');
    const r = readApprovalSettings({ APPROVAL_SIGNING_KEY: short, WEBSITE_HOSTNAME: 'app.azurewebsites.net' });
    expect(r.ok).toBe(false);
    expect(JSON.stringify(r)).not.toContain(short);
    expect(decodeSigningKey(randomBytes(32).toString('base64url'))?.length).toBe(32);
  });

  it('derives the link base from WEBSITE_HOSTNAME and Entra mode from WEBSITE_AUTH_ENABLED', () => {
    const r = readApprovalSettings({ APPROVAL_SIGNING_KEY: key.toString('base64'), WEBSITE_HOSTNAME: 'app.azurewebsites.net', WEBSITE_AUTH_ENABLED: 'True', APPROVERS: 'Dana.Kim@contoso.com; role:Incident.Approver' });
    expect(r.ok && r.settings).toMatchObject({ baseUrl: 'https://app.azurewebsites.net', identity: 'entra', approvers: ['dana.kim@contoso.com', 'role:incident.approver'] });
    const local = readApprovalSettings({ APPROVAL_SIGNING_KEY: key.toString('base64'), WEBSITE_HOSTNAME: '127.0.0.1:7071' });
    expect(local.ok && local.settings).toMatchObject({ baseUrl: 'http://127.0.0.1:7071', identity: 'link' });
  });

  it('in Azure without App Service Authentication, link-only approvals must be chosen explicitly', () => {
    const azure = { APPROVAL_SIGNING_KEY: key.toString('base64'), WEBSITE_HOSTNAME: 'app.azurewebsites.net', WEBSITE_INSTANCE_ID: 'abc123' };
    const r = readApprovalSettings(azure);
    expect(!r.ok && r.issues.map((i) => i.path)).toEqual(['APPROVAL_IDENTITY']);
    expect(readApprovalSettings({ ...azure, APPROVAL_IDENTITY: 'link' }).ok).toBe(true);
    expect(readApprovalSettings({ ...azure, APPROVAL_IDENTITY: 'entra' }).ok).toBe(false);
  });
});

describe('approver identity from App Service Authentication headers', () => {
  const principal = (claimsList: { typ: string; val: string }[]) =>
    new Headers({
      'x-ms-client-principal': Buffer.from(JSON.stringify({ auth_typ: 'aad', claims: claimsList, name_typ: 'name', role_typ: 'roles' })).toString('base64'),
      'x-ms-client-principal-id': 'aaaaaaaa-0000-0000-0000-000000000001',
      'x-ms-client-principal-name': 'dana.kim@contoso.com',
    });

  it('matches by UPN, object id, group and app role', () => {
    const r = principalFromHeaders(
      principal([
        { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: 'aaaaaaaa-0000-0000-0000-000000000001' },
        { typ: 'preferred_username', val: 'Dana.Kim@contoso.com' },
        { typ: 'groups', val: 'GGGGGGGG-0000-0000-0000-000000000009' },
        { typ: 'roles', val: 'Incident.Approver' },
      ]),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.principal).toMatchObject({ id: 'aaaaaaaa-0000-0000-0000-000000000001', name: 'dana.kim@contoso.com' });
    expect(inApproverList(r.principal, ['dana.kim@contoso.com'])).toBe(true);
    expect(inApproverList(r.principal, ['aaaaaaaa-0000-0000-0000-000000000001'])).toBe(true);
    expect(inApproverList(r.principal, ['group:gggggggg-0000-0000-0000-000000000009'])).toBe(true);
    expect(inApproverList(r.principal, ['role:incident.approver'])).toBe(true);
    expect(inApproverList(r.principal, ['sam.lee@contoso.com', 'role:incident.viewer'])).toBe(false);
  });

  it('treats a missing or garbled principal as no identity', () => {
    expect(principalFromHeaders(new Headers())).toEqual({ ok: false, reason: 'absent' });
    expect(principalFromHeaders(new Headers({ 'x-ms-client-principal': 'not base64 json' }))).toEqual({ ok: false, reason: 'invalid' });
  });
});
