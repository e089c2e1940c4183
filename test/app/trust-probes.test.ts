/**
 * The eight problems an attacker's probe found (issue 14), each as a test on the product app on
 * the dev host, with function keys enforced as in Azure. Every one of them failed before the trust
 * boundaries were built; they stay as regression tests.
 *
 *   1. forged principal headers were recorded as a verified person;
 *   2. one key opened every action, and API decisions skipped the policy's approver list;
 *   3. a principal header without its -id answered 500;
 *   4. an alert nested 6,000 levels deep answered 503 (retried forever);
 *   5. an alert rule name over 256 characters answered 503 (the alert was lost);
 *   6. the raw payload archive kept secrets verbatim, and redaction missed some;
 *   7. a broken policy: 503 without Retry-After, nothing stored; unmatched alerts not listable;
 *   8. with SMOKE_ALLOWED_HOSTS unset, probes went to any host.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { redactJson, redactString } from '../../src/domain/redact.js';
import { alertFixture, testPolicyPath, withAlertId } from '../harness/alerts.js';
import { repoRoot, uniqueHubName } from '../harness/devhost.js';
import { setAppEnv } from '../harness/env.js';
import { useProductHost } from '../harness/product-host.js';

const MASTER = 'probe-master-key';
const RESPONDER_KEY = 'probe-responder-key';
const DECIDER_KEY = 'probe-decider-key';
/** Azure: a function key opens only its own function; these are set on the functions of each role. */
const FUNCTION_KEYS = [
  ...['incidentsDeclare', 'incidentsAck', 'incidentsNote', 'incidentsList', 'incidentsGet'].map((f) => `${f}:${RESPONDER_KEY}`),
  ...['incidentsDecision', 'incidentsRollback', 'incidentsExtend', 'incidentsList', 'incidentsGet'].map((f) => `${f}:${DECIDER_KEY}`),
].join(',');

let dir: string;

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});
const product = useProductHost(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'trust-probes-'));
  return {
    enforceKeys: true,
    env: { DEVHOST_MASTER_KEY: MASTER, DEVHOST_FUNCTION_KEYS: FUNCTION_KEYS, TEAMS_DELIVERY: 'local', TEAMS_SINK_FILE: path.join(dir, 'teams.jsonl') },
  };
});
afterEach(() => {
  setAppEnv({ WEBSITE_AUTH_ENABLED: undefined, POLICY_PATH: testPolicyPath });
});

type Answer = { status: number; body: Record<string, unknown> & { error?: { code: string; message: string; details: unknown } }; headers: Headers };

function post(p: string, body: unknown, headers: Record<string, string> = {}, key = MASTER): Promise<Answer> {
  return product.h.json(p, { method: 'POST', headers: { 'content-type': 'application/json', 'x-functions-key': key, ...headers }, body: JSON.stringify(body) });
}
function get(p: string, key = MASTER): Promise<Answer> {
  return product.h.json(p, { headers: { 'x-functions-key': key } });
}

/** What App Service Authentication passes for a signed-in person with these Entra app roles. */
function principal(upn: string, oid: string, roles: string[]): Record<string, string> {
  const claims = [
    { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: oid },
    { typ: 'preferred_username', val: upn },
    ...roles.map((r) => ({ typ: 'roles', val: r })),
  ];
  return {
    'x-ms-client-principal': Buffer.from(JSON.stringify({ auth_typ: 'aad', claims, name_typ: 'name', role_typ: 'roles' })).toString('base64'),
    'x-ms-client-principal-id': oid,
    'x-ms-client-principal-name': upn,
    'x-ms-client-principal-idp': 'aad',
  };
}
const ALL_ROLES = ['Incident.Responder', 'Incident.Decider', 'Incident.Resolver', 'Incident.Admin'];

/** A drill of admin-api in Beta, declared with the master key: a running incident to act on. */
async function drill(summary: string): Promise<string> {
  const declared = await post('/api/incidents', { service: 'admin-api', environment: 'Beta', summary, severity: 'P2', dryRun: true });
  expect(declared.status, JSON.stringify(declared.body)).toBe(201);
  await product.h.settle();
  return declared.body.incidentId as string;
}

async function timeline(id: string): Promise<{ kind: string; actor: string; text: string }[]> {
  await product.h.settle();
  return ((await get(`/api/incidents/${id}`)).body.timeline ?? []) as { kind: string; actor: string; text: string }[];
}

/** The fixture 5xx alert routed to admin-api in Beta by custom properties, with its own id. */
function betaAlert(suffix: string, essentials: Record<string, unknown> = {}): Record<string, unknown> {
  const doc = withAlertId(alertFixture('metric-5xx-fired.json'), `probe-${suffix}`, essentials) as { data: Record<string, unknown> };
  doc.data.customProperties = { service: 'admin-api', environment: 'Beta' };
  return doc;
}

describe('1. forged identities', () => {
  it('without App Service Authentication, principal headers are not believed: the key holder is recorded, unverified', async () => {
    const id = await drill('forged identity');
    const forged = principal('ceo@contoso.example', 'ffffffff-0000-4000-8000-00000000000f', ALL_ROLES);
    const ack = await post(`/api/incidents/${id}/ack`, { role: 'ic' }, forged);
    expect(ack.status).toBe(202);
    expect(ack.body.actor).toMatchObject({ id: 'function-key-holder', verified: false });
    const note = await post(`/api/incidents/${id}/note`, { text: 'forged note' }, forged);
    expect(note.status).toBe(202);
    const entries = (await timeline(id)).filter((t) => t.kind === 'ack' || t.kind === 'note');
    expect(entries).toHaveLength(2);
    for (const e of entries) {
      expect(e.actor).not.toMatch(/ceo|ffffffff/);
      expect(e.actor).toContain('unverified');
    }
  });
});

describe('2. authorization per action', () => {
  it("a responder's key acknowledges and takes notes, and opens neither resolve, rollback nor decision", async () => {
    const id = await drill('responder key');
    expect((await post(`/api/incidents/${id}/ack`, {}, {}, RESPONDER_KEY)).status).toBe(202);
    expect((await post(`/api/incidents/${id}/note`, { text: 'on it' }, {}, RESPONDER_KEY)).status).toBe(202);
    expect((await post(`/api/incidents/${id}/resolve`, {}, {}, RESPONDER_KEY)).status).toBe(401);
    expect((await post(`/api/incidents/${id}/rollback`, { reason: 'because I can' }, {}, RESPONDER_KEY)).status).toBe(401);
    expect((await post(`/api/incidents/${id}/decision`, { choice: 'monitor-only' }, {}, RESPONDER_KEY)).status).toBe(401);
    expect((await post(`/api/incidents/${id}/decision`, { choice: 'monitor-only' }, {}, DECIDER_KEY)).status).toBe(202);
    const kinds = (await timeline(id)).map((t) => t.kind);
    expect(kinds).not.toContain('resolved');
    expect(kinds).not.toContain('rollback-requested');
  });

  it('API decisions and rollbacks follow the policy approver list, as approval links do', async () => {
    setAppEnv({ WEBSITE_AUTH_ENABLED: 'True' });
    const id = await drill('approver list');
    const outsider = principal('sam.lee@contoso.example', 'bbbbbbbb-0000-4000-8000-000000000002', ['Incident.Decider']);
    const refused = await post(`/api/incidents/${id}/decision`, { choice: 'monitor-only' }, outsider);
    expect(refused.status).toBe(403);
    expect(refused.body.error?.message).toMatch(/approver/);
    expect((await post(`/api/incidents/${id}/rollback`, { reason: 'now' }, outsider)).status).toBe(403);
    const approver = principal('release.manager@contoso.example', 'aaaaaaaa-0000-4000-8000-000000000001', ['Incident.Decider']);
    expect((await post(`/api/incidents/${id}/decision`, { choice: 'monitor-only' }, approver)).status).toBe(202);
    const responderOnly = principal('release.manager@contoso.example', 'aaaaaaaa-0000-4000-8000-000000000001', ['Incident.Responder']);
    expect((await post(`/api/incidents/${id}/resolve`, {}, responderOnly)).status).toBe(403);
  });
});

describe('3. malformed principal headers', () => {
  const bare = { 'x-ms-client-principal': 'e30=' };
  const actions: [string, unknown][] = [
    ['ack', {}],
    ['note', { text: 'x' }],
    ['decision', { choice: 'monitor-only' }],
    ['rollback', { reason: 'x' }],
    ['extend', { timebox: 'decision', minutes: 5 }],
    ['resolve', {}],
  ];

  it('behind App Service Authentication: 401 on declare and on every action, never a 500', async () => {
    const id = await drill('malformed principal, easy auth');
    setAppEnv({ WEBSITE_AUTH_ENABLED: 'True' });
    const declared = await post('/api/incidents', { service: 'admin-api', environment: 'Beta', summary: 'x', dryRun: true }, bare);
    expect(declared.status).toBe(401);
    for (const [action, body] of actions) {
      const res = await post(`/api/incidents/${id}/${action}`, body, bare);
      expect([action, res.status, res.body.error?.code]).toEqual([action, 401, 'unauthorized']);
    }
  });

  it('without it the header is ignored: the key holder acts', async () => {
    const declared = await post('/api/incidents', { service: 'admin-api', environment: 'Beta', summary: 'malformed, no easy auth', dryRun: true }, bare);
    expect(declared.status).toBe(201);
    const id = declared.body.incidentId as string;
    await product.h.settle();
    for (const [action, body] of actions) {
      const res = await post(`/api/incidents/${id}/${action}`, body, bare);
      expect([action, res.status]).toEqual([action, 202]);
    }
  });
});

describe('4. deeply nested alerts', () => {
  it('answers 400 naming the nesting limit, not 503 (Azure Monitor must not retry it)', async () => {
    const doc = betaAlert('deep') as { data: { alertContext: Record<string, unknown> } };
    doc.data.alertContext.extra = 'DEEP';
    // About 36 KB: 6,000 objects, each inside the previous one (built as text: JSON.stringify itself gives up).
    const text = JSON.stringify(doc).replace('"DEEP"', `${'{"d":'.repeat(6000)}"bottom"${'}'.repeat(6000)}`);
    const res = await product.h.json<Answer['body']>('/api/alerts', { method: 'POST', headers: { 'content-type': 'application/json', 'x-functions-key': MASTER }, body: text });
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('payload_too_deep');
    expect(res.body.error?.message).toMatch(/64 levels/);
  });
});

describe('5. long alert rule names', () => {
  it('declares the incident (the name is shortened where ids need it)', async () => {
    const rule = `beta-admin-api-${'x'.repeat(300)}`;
    const res = await post('/api/alerts', betaAlert('long-rule', { alertRule: rule }));
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(['declared', 'correlated']).toContain(res.body.kind);
    const id = res.body.incidentId as string;
    await product.h.settle();
    const read = await get(`/api/incidents/${id}`);
    expect(read.status).toBe(200);
  });
});

const PLANTED = {
  functionKey: 'Zm9vYmFyYmF6cXV4Y29kZWtleTEyMzQ1Njc4OTA=',
  sasSig: 'c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJlMTIzNA%3D',
  token: 'lettersonlytokenvaluewithoutdigits',
  password: 'hunter2-Very-Secret',
  bareCode: 'KeyMaterialWithoutAQuestionMark0123456789',
};

describe('6. secrets at rest', () => {
  it('the raw payload archive holds the redacted payload', async () => {
    const doc = betaAlert('secrets', {
      description: `webhook https://hooks.contoso.example/api/x?code=${PLANTED.functionKey} and blob https://st.blob.core.windows.net/c/b?sv=2024-08-04&sig=${PLANTED.sasSig}`,
    }) as { data: { customProperties: Record<string, unknown> } };
    doc.data.customProperties = { ...doc.data.customProperties, token: PLANTED.token, dbPassword: PLANTED.password, callback: `code=${PLANTED.bareCode}&state=1` };
    const res = await post('/api/alerts', doc);
    expect(res.status).toBe(202);
    const container = BlobServiceClient.fromConnectionString(product.azurite.connectionString).getContainerClient('incident-alert-payloads');
    let blobs = 0;
    for await (const b of container.listBlobsFlat()) {
      blobs++;
      const text = (await container.getBlobClient(b.name).downloadToBuffer()).toString('utf8');
      for (const [kind, secret] of Object.entries(PLANTED)) expect(text, `${kind} in ${b.name}`).not.toContain(secret);
    }
    expect(blobs).toBeGreaterThan(0);
  });

  it('redaction catches any value under a secret field name, and code= in a query string anywhere', () => {
    expect(JSON.stringify(redactJson({ token: PLANTED.token }).value)).not.toContain(PLANTED.token);
    expect(redactString(`callback=https%3A%2F%2Fx code=${PLANTED.bareCode}&state=1`).value).not.toContain(PLANTED.bareCode);
    expect(redactString(`code=${PLANTED.bareCode}`).value).not.toContain(PLANTED.bareCode);
  });
});

describe('7. a broken policy, and unmatched alerts', () => {
  it('archives the alert and answers 503 with Retry-After while the policy is broken', async () => {
    const broken = path.join(dir, 'broken-policy.json');
    writeFileSync(broken, '{ "version": 1, "services": [ { "service": 42 } ] }');
    setAppEnv({ POLICY_PATH: broken });
    const doc = betaAlert('broken-policy', { alertRule: 'beta-broken-policy-rule' });
    const res = await post('/api/alerts', doc);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(res.body.error?.code).toBe('not_configured');
    setAppEnv({ POLICY_PATH: testPolicyPath });
    const listed = await get('/api/alerts/unmatched');
    expect(listed.status).toBe(200);
    const items = listed.body.items as { rule: string; reason: string; payloadRef: string | null }[];
    const kept = items.find((i) => i.rule === 'beta-broken-policy-rule');
    expect(kept?.reason).toMatch(/policy/i);
    expect(kept?.payloadRef).toMatch(/^incident-alert-payloads\//);
  });

  it('keeps unmatched alerts and lists them with the rule, the target and the reason', async () => {
    const target = '/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-nobody/providers/Microsoft.Web/sites/orphan';
    const doc = withAlertId(alertFixture('metric-5xx-fired.json'), 'probe-unmatched', { alertRule: 'orphan-rule', alertTargetIDs: [target] }) as { data: Record<string, unknown> };
    delete doc.data.customProperties;
    delete (doc.data.alertContext as Record<string, unknown>).properties;
    const res = await post('/api/alerts', doc);
    expect(res.status).toBe(202);
    expect(res.body.kind).toBe('unmatched');
    const listed = await get('/api/alerts/unmatched');
    expect(listed.status).toBe(200);
    const item = (listed.body.items as { rule: string; target: string; reason: string }[]).find((i) => i.rule === 'orphan-rule');
    expect(item).toMatchObject({ rule: 'orphan-rule', target });
    expect(item?.reason.length).toBeGreaterThan(10);
  });

  it('the host says at start that the policy is broken, and why', async () => {
    const broken = path.join(dir, 'broken-at-start.json');
    writeFileSync(broken, '{ "version": 1, "services": [ { "service": 42 } ] }');
    const port = await freePort();
    const proc = spawn(process.execPath, [path.join(repoRoot, 'dist', 'src', 'devhost', 'cli.js'), '--app', repoRoot, '--port', String(port), '--azurite', 'off', '--log-level', 'warning'], {
      env: { ...process.env, AzureWebJobsStorage: product.azurite.connectionString, TaskHubName: uniqueHubName('Start'), POLICY_PATH: broken },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    proc.stdout.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (output += d.toString()));
    try {
      // The start-up messages come before the host answers.
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && proc.exitCode === null) {
        const up = await fetch(`http://127.0.0.1:${port}/admin/host/status?code=x`).then((r) => r.status > 0, () => false);
        if (up) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(output).toMatch(/policy/i);
      expect(output).toContain(broken);
      expect(output).toMatch(/services\[0\]/);
    } finally {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    }
  }, 60_000);
});

describe('8. smoke probe targets', () => {
  let server: Server;
  let hits = 0;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      hits++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"Healthy"}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('with SMOKE_ALLOWED_HOSTS unset, a host the policy does not name is not probed', async () => {
    setAppEnv({ SMOKE_ALLOWED_HOSTS: undefined });
    const port = (server.address() as AddressInfo).port;
    const started = await product.h.json<{ id: string }>(`/runtime/webhooks/durabletask/orchestrators/smokeSuite?code=${MASTER}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        targets: [{ label: 'api/production', baseUrl: `http://127.0.0.1:${port}`, checks: [{ kind: 'health', healthPath: '/healthz', readyPath: null }] }],
      }),
    });
    expect(started.status).toBe(202);
    let out: { results: { endpoints: { error: { code: string; message: string } | null }[] }[] } | undefined;
    const deadline = Date.now() + 15_000;
    while (!out && Date.now() < deadline) {
      await product.h.settle();
      const s = await product.h.json<{ runtimeStatus: string; output: typeof out }>(`/runtime/webhooks/durabletask/instances/${started.body.id}?code=${MASTER}`);
      if (s.body.runtimeStatus === 'Completed') out = s.body.output;
      else await new Promise((r) => setTimeout(r, 50));
    }
    expect(hits).toBe(0);
    const error = out?.results[0]?.endpoints[0]?.error;
    expect(error).toMatchObject({ code: 'refused' });
    expect(error?.message).toMatch(/127\.0\.0\.1/);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}
