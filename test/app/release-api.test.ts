/**
 * The LKG and deploy-freeze endpoints of the product app, served by the dev host with Azurite:
 * happy paths, history and superseding, validation errors naming the field, 404, 409, 413, 415,
 * and function keys.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalSinkTeams } from '../../src/adapters/teams-sink.js';
import { repoRoot } from '../harness/devhost.js';
import { useProductHost } from '../harness/product-host.js';

const sinkFile = path.join(mkdtempSync(path.join(tmpdir(), 'release-api-')), 'teams-outbox.jsonl');
const policyPath = path.join(repoRoot, 'test', 'fixtures', 'policy', 'teams-routing-policy.json');
const PROD = { teamId: '00000000-0000-0000-0000-0000000000f1', channelId: '19:prod-incidents@thread.tacv2' };


const KEY = 'release-fn-key';
const headers = { 'content-type': 'application/json', 'x-functions-key': KEY };

interface Envelope {
  error: { code: string; message: string; requestId: string; details: { path: string; message: string }[] | Record<string, unknown> | null };
}

function post<T = unknown>(path: string, body: unknown, extra: Record<string, string> = {}) {
  return product.h.json<T>(path, { method: 'POST', headers: { ...headers, ...extra }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}
function get<T = unknown>(path: string) {
  return product.h.json<T>(path, { headers: { 'x-functions-key': KEY } });
}

const record = {
  env: 'Prod',
  service: 'api',
  releaseTag: 'r41',
  buildId: 'b41',
  evidenceUrl: 'https://evidence.example/Prod/2026/01/r41/',
  recordedBy: { id: 'pipeline:api-release', name: 'API release pipeline' },
};

const product = useProductHost({
  enforceKeys: true,
  env: { DEVHOST_FUNCTION_KEYS: KEY, LKG_TABLE: 'LkgApiTest', FREEZE_TABLE: 'FreezeApiTest', TEAMS_DELIVERY: 'local', TEAMS_SINK_FILE: sinkFile, POLICY_PATH: policyPath },
});

describe('POST /api/lkg and GET /api/lkg/{env}/{service}', () => {
  it('needs a function key', async () => {
    expect((await product.h.fetch('/api/lkg/Prod/api')).status).toBe(401);
    expect((await product.h.fetch('/api/lkg', { method: 'POST', body: '{}' })).status).toBe(401);
  });

  it('records an LKG (201), repeats harmlessly (200), keeps history newest first', async () => {
    const first = await post<{ created: boolean; record: Record<string, unknown> }>('/api/lkg', record);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ created: true, record: { ...record, slot: 'production', source: 'pipeline', id: expect.any(String) as unknown } });

    const again = await post<{ created: boolean; record: { id: string } }>('/api/lkg', record);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ created: false, record: { id: first.body.record.id } });

    const second = await post<{ record: { id: string; previousId: string } }>('/api/lkg', { ...record, releaseTag: 'r42', buildId: 'b42' });
    expect(second.status).toBe(201);
    expect(second.body.record.previousId).toBe(first.body.record.id);

    const read = await get<{ current: { releaseTag: string }; history: { releaseTag: string }[] }>('/api/lkg/prod/API');
    expect(read.status).toBe(200);
    expect(read.headers.get('cache-control')).toBe('no-store');
    expect(read.body.current.releaseTag).toBe('r42');
    expect(read.body.history.map((r) => r.releaseTag)).toEqual(['r42', 'r41']);
    expect((await get<{ history: unknown[] }>('/api/lkg/Prod/api?history=1')).body.history).toHaveLength(1);
  });

  it('supersedes a bad record only when it is still current (409 otherwise), and shows it in history', async () => {
    const bad = await post<{ record: { id: string } }>('/api/lkg', { ...record, service: 'web', releaseTag: 'web-9', buildId: 'w9' });
    const stale = await post<Envelope>('/api/lkg', { ...record, service: 'web', releaseTag: 'web-8', buildId: 'w8', supersedes: 'not-the-current-one' });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({ code: 'conflict', details: { currentId: bad.body.record.id } });
    expect(stale.body.error.message).toContain(`is ${bad.body.record.id} (web-9), not not-the-current-one`);

    const fixed = await post<{ record: { supersedes: string } }>('/api/lkg', {
      ...record,
      service: 'web',
      releaseTag: 'web-8',
      buildId: 'w8',
      supersedes: bad.body.record.id,
      note: 'web-9 broke the dashboard; web-8 is the real LKG',
    });
    expect(fixed.status).toBe(201);
    expect(fixed.body.record.supersedes).toBe(bad.body.record.id);
    const read = await get<{ history: { releaseTag: string }[] }>('/api/lkg/Prod/web');
    expect(read.body.history.map((r) => r.releaseTag)).toEqual(['web-8', 'web-9']);
  });

  it('answers 404 with the envelope when nothing is recorded', async () => {
    const res = await get<Envelope>('/api/lkg/Beta/api');
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ code: 'not_found', message: 'No last-known-good release is recorded for Beta/api.', requestId: expect.any(String) as unknown });
  });

  it('names each invalid field (400) and never answers 500 for bad input', async () => {
    const res = await post<Envelope>('/api/lkg', { ...record, releaseTag: '', evidenceUrl: 'ftp://x', recordedBy: {}, env: 'Prod/../x' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    const paths = (res.body.error.details as { path: string }[]).map((d) => d.path).sort();
    expect(paths).toEqual(['env', 'evidenceUrl', 'recordedBy.id', 'releaseTag']);
    expect(res.body.error.message).toContain('releaseTag:');

    expect((await post<Envelope>('/api/lkg', '{"env": ')).body.error.code).toBe('invalid_json');
    expect((await post<Envelope>('/api/lkg', '')).status).toBe(400);
    expect((await post<Envelope>('/api/lkg', '[1,2]')).body.error).toMatchObject({ code: 'validation_failed' });
    const tooBig = await post<Envelope>('/api/lkg', { ...record, note: 'x'.repeat(20_000) });
    expect(tooBig.status).toBe(413);
    const wrongType = await post<Envelope>('/api/lkg', 'env=Prod', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(wrongType.status).toBe(415);
    const badRoute = await get<Envelope>('/api/lkg/-bad/api');
    expect(badRoute.status).toBe(400);
    expect((badRoute.body.error.details as { path: string }[])[0]?.path).toBe('env');
    expect((await get<Envelope>('/api/lkg/Prod/api?history=500')).body.error.details).toEqual([
      { path: 'history', code: 'invalid', message: 'must be an integer from 0 to 50' },
    ]);
  });
});

describe('GET and POST /api/freeze/{env}', () => {
  it('says never-frozen environments are not frozen', async () => {
    const res = await get('/api/freeze/Alpha');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ env: 'Alpha', frozen: false, since: null, by: null, reason: null, incidentId: null });
  });

  it('freezes (announced in the environment channel), reports it to pipelines, ignores a repeat, unfreezes, keeps history', async () => {
    const actor = { id: 'sre@contoso.com', name: 'On-call SRE' };
    const frozen = await post<{ changed: boolean; state: Record<string, unknown>; announcement: unknown }>('/api/freeze/Prod', {
      action: 'freeze',
      reason: 'Rollback of r42 in progress',
      actor,
      incidentId: 'inc-77',
    });
    expect(frozen.status).toBe(200);
    expect(frozen.body).toMatchObject({
      changed: true,
      state: { env: 'Prod', frozen: true, by: actor, reason: 'Rollback of r42 in progress', incidentId: 'inc-77', since: expect.any(String) as unknown },
      // Announced in Teams (here the local sink) in Prod's channel from the policy.
      announcement: { channel: 'teams', ok: true, delivery: 'local', destination: PROD, source: 'environment', previously: false },
    });
    expect(product.h.logs.some((l) => l.message.includes('Deploy freeze: deploys to Prod are FROZEN for incident inc-77'))).toBe(true);

    const pipeline = await get<{ frozen: boolean; incidentId: string; by: { id: string } }>('/api/freeze/prod');
    expect(pipeline.body).toMatchObject({ frozen: true, incidentId: 'inc-77', by: { id: 'sre@contoso.com' } });

    const repeat = await post<{ changed: boolean; announcement: unknown }>('/api/freeze/Prod', { action: 'freeze', reason: 'again', actor });
    // A repeat changes nothing and posts nothing: the record's announcement went out before.
    expect(repeat.body).toMatchObject({ changed: false, announcement: { channel: 'teams', ok: true, previously: true }, state: { reason: 'Rollback of r42 in progress' } });

    const lifted = await post<{ changed: boolean; state: { frozen: boolean } }>('/api/freeze/Prod', { action: 'unfreeze', reason: 'Stable 60 min', actor });
    expect(lifted.body).toMatchObject({ changed: true, state: { frozen: false } });
    const history = await get<{ history: { frozen: boolean; reason: string }[] }>('/api/freeze/Prod?history=10');
    expect(history.body.history.map((e) => [e.frozen, e.reason])).toEqual([
      [false, 'Stable 60 min'],
      [true, 'Rollback of r42 in progress'],
    ]);
    const sink = (await LocalSinkTeams.readAll(sinkFile)).filter((r) => r.kind.startsWith('deploy-'));
    expect(sink.map((r) => [r.op, r.kind, r.destination])).toEqual([
      ['post', 'deploy-freeze', PROD],
      ['post', 'deploy-unfreeze', PROD],
    ]);
    expect(sink[0]?.headline).toBe('🧊 DEPLOY FREEZE — Prod: deploys are frozen by On-call SRE (sre@contoso.com). Reason: Rollback of r42 in progress.');
    expect(sink[1]?.text).toContain('Frozen for:');
  });

  it('names invalid fields (400)', async () => {
    const res = await post<Envelope>('/api/freeze/Prod', { action: 'thaw', actor: { id: '' } });
    expect(res.status).toBe(400);
    expect((res.body.error.details as { path: string }[]).map((d) => d.path).sort()).toEqual(['action', 'actor.id', 'reason']);
    expect((await get<Envelope>('/api/freeze/%20')).status).toBe(400);
  });
});
