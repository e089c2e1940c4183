/**
 * Secure webhook (Entra token) validation of POST /api/alerts against a local key server: the real
 * jose verification, with tokens shaped like Azure Monitor's.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';

type CryptoKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AZURE_MONITOR_WEBHOOK_APP_ID } from '../../src/config/intake.js';
import { freePort } from '../../src/devhost/index.js';
import { alertFixture, incidentInstances, postAlert, withAlertId } from '../harness/alerts.js';
import { setAppEnv } from '../harness/env.js';
import { useProductHost } from '../harness/product-host.js';

const tenant = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const audience = 'api://incident-autopilot';
let keyServer: http.Server;
let signingKey: CryptoKey;
let otherKey: CryptoKey;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  signingKey = pair.privateKey;
  otherKey = (await generateKeyPair('RS256')).privateKey;
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'test-key-1', use: 'sig', alg: 'RS256' };
  keyServer = http.createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((r) => keyServer.listen(0, '127.0.0.1', r));
});
afterAll(() => {
  keyServer?.close();
});
const product = useProductHost(() => ({
  env: {
    SECURE_WEBHOOK_TENANT_ID: tenant,
    SECURE_WEBHOOK_AUDIENCE: audience,
    SECURE_WEBHOOK_JWKS_URI: `http://127.0.0.1:${(keyServer.address() as AddressInfo).port}/discovery/v2.0/keys`,
  },
}));

interface TokenOptions {
  key?: CryptoKey;
  issuer?: string;
  audience?: string;
  claims?: Record<string, unknown>;
  expiresIn?: string;
}

function token(o: TokenOptions = {}): Promise<string> {
  return new SignJWT({ azp: AZURE_MONITOR_WEBHOOK_APP_ID, roles: ['ActionGroupsSecureWebhook'], tid: tenant, ver: '2.0', ...o.claims })
    .setProtectedHeader({ alg: 'RS256', kid: 'test-key-1', typ: 'JWT' })
    .setIssuer(o.issuer ?? `https://login.microsoftonline.com/${tenant}/v2.0`)
    .setAudience(o.audience ?? audience)
    .setIssuedAt()
    .setSubject('c6b6d2a3-0000-0000-0000-000000000000')
    .setExpirationTime(o.expiresIn ?? '1h')
    .sign(o.key ?? signingKey);
}

let n = 0;
const alert = (): Record<string, unknown> =>
  withAlertId(alertFixture('metric-dynamic-fired.json'), `secure-${n++}`);
/** An alert for admin-api@Beta, which has no open incident here: accepting it would start one. */
const opening = (): Record<string, unknown> => withAlertId(alertFixture('prometheus-fired.json'), `secure-opening-${n++}`);

/** Nothing was started or recorded for admin-api@Beta. */
async function expectNothingStarted(before: number): Promise<void> {
  expect((await incidentInstances(product.h)).length).toBe(before);
  const list = await product.h.json<{ items: unknown[] }>('/api/incidents?service=admin-api&environment=Beta');
  expect(list.body.items).toEqual([]);
}

describe('secure webhook tokens', () => {
  it('accepts an Azure Monitor token (v2 and v1 forms)', async () => {
    const v2 = await postAlert(product.h, alert(), { authorization: `Bearer ${await token()}` });
    expect(v2.status).toBe(202);
    const v1 = await token({ issuer: `https://sts.windows.net/${tenant}/`, claims: { azp: undefined, appid: AZURE_MONITOR_WEBHOOK_APP_ID, ver: '1.0' } });
    expect((await postAlert(product.h, alert(), { authorization: `Bearer ${v1}` })).status).toBe(202);
  });

  it.each([
    ['no token', (): Promise<string | undefined> => Promise.resolve(undefined), /no bearer token/],
    ['a token signed by another key', () => token({ key: otherKey }), /ERR_JWS_SIGNATURE_VERIFICATION_FAILED/],
    ['another issuer', () => token({ issuer: 'https://login.microsoftonline.com/common/v2.0' }), /ERR_JWT_CLAIM_VALIDATION_FAILED/],
    ['another audience', () => token({ audience: 'api://someone-else' }), /ERR_JWT_CLAIM_VALIDATION_FAILED/],
    ['an expired token', () => token({ expiresIn: '-10m' }), /ERR_JWT_EXPIRED/],
    ['another calling app', () => token({ claims: { azp: '00000000-0000-0000-0000-000000000001' } }), /not Azure Monitor's webhook app/],
    ['no ActionGroupsSecureWebhook role', () => token({ claims: { roles: ['Reader'] } }), /lacks the ActionGroupsSecureWebhook role/],
  ] as const)('refuses %s with 401 and starts nothing', async (_label, make, reason) => {
    const before = (await incidentInstances(product.h)).length;
    const t = await make();
    const doc = opening();
    const answer = await postAlert(product.h, doc, t ? { authorization: `Bearer ${t}` } : {});
    expect(answer.status).toBe(401);
    expect(answer.body.error?.code).toBe('unauthorized');
    expect(answer.body.error?.message).toMatch(reason);
    await product.h.settle();
    await expectNothingStarted(before);
  });

  it('answers 503 (so Azure Monitor retries) when the signing keys cannot be fetched', async () => {
    const saved = setAppEnv({ SECURE_WEBHOOK_JWKS_URI: `http://127.0.0.1:${await freePort()}/keys` });
    const before = (await incidentInstances(product.h)).length;
    try {
      const answer = await postAlert(product.h, opening(), { authorization: `Bearer ${await token()}` });
      expect(answer.status).toBe(503);
      expect(answer.headers.get('retry-after')).toBe('10');
      expect(answer.body.error?.code).toBe('key_service_unavailable');
      expect(answer.body.error?.message).toContain('Could not read the signing keys');
    } finally {
      setAppEnv(saved);
    }
    await expectNothingStarted(before);
  });

  it('requires the role named by SECURE_WEBHOOK_ROLE instead, when set', async () => {
    const saved = setAppEnv({ SECURE_WEBHOOK_ROLE: 'Incidents.AlertWebhook' });
    try {
      const refused = await postAlert(product.h, alert(), { authorization: `Bearer ${await token()}` });
      expect(refused.status).toBe(401);
      expect(refused.body.error?.message).toMatch(/lacks the Incidents\.AlertWebhook role/);
      const accepted = await postAlert(product.h, alert(), { authorization: `Bearer ${await token({ claims: { roles: ['Incidents.AlertWebhook'] } })}` });
      expect(accepted.status).toBe(202);
      setAppEnv({ SECURE_WEBHOOK_ROLE: 'not a role' });
      const misconfigured = await postAlert(product.h, alert(), { authorization: `Bearer ${await token()}` });
      expect(misconfigured.status).toBe(503);
      expect(misconfigured.body.error).toMatchObject({ code: 'not_configured', details: [expect.objectContaining({ path: 'SECURE_WEBHOOK_ROLE' })] });
    } finally {
      setAppEnv(saved);
    }
  });

  it('does not record a refused delivery: the same alert with a valid token then opens the incident', async () => {
    const doc = opening();
    expect((await postAlert(product.h, doc, { authorization: `Bearer ${await token({ key: otherKey })}` })).status).toBe(401);
    const accepted = await postAlert(product.h, doc, { authorization: `Bearer ${await token()}` });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ kind: 'declared', service: 'admin-api', environment: 'Beta' });
    expect((await postAlert(product.h, doc, { authorization: `Bearer ${await token()}` })).body.kind).toBe('duplicate');
  });
});
