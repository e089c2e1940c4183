/** The incident API on the dev host: declare, list, read, and act (events with the actor recorded). */
import { describe, expect, it, vi } from 'vitest';
import { useProductHost } from '../harness/product-host.js';
import { setAppEnv } from '../harness/env.js';

const product = useProductHost();

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  product.h.json<Record<string, unknown> & { error?: { code: string; message: string; details: unknown } }>(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

/**
 * Reads GET /api/incidents/{id} until `ready` holds (the orchestration applies events and records
 * them asynchronously; on a loaded machine one settle is not always enough).
 */
async function incidentWhen<T>(id: string, ready: (body: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let body: T | undefined;
  while (Date.now() < deadline) {
    await product.h.settle();
    body = (await product.h.json<T>(`/api/incidents/${id}`)).body;
    if (ready(body)) return body;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`incident ${id} did not reach the expected state: ${JSON.stringify(body)}`);
}

/** What App Service Authentication puts in front of the app for a signed-in responder. */
function principal(upn: string): Record<string, string> {
  const claims = [
    { typ: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn', val: upn },
    { typ: 'name', val: 'Riley Release' },
    { typ: 'roles', val: 'Incident.Responder' },
  ];
  return {
    'x-ms-client-principal': Buffer.from(JSON.stringify({ auth_typ: 'aad', claims, name_typ: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn', role_typ: 'roles' })).toString('base64'),
    'x-ms-client-principal-name': upn,
    'x-ms-client-principal-id': '9778283b-b94c-4ac6-8a41-d5b493d03aa3',
    'x-ms-client-principal-idp': 'aad',
  };
}

describe('declaring by hand', () => {
  it('declares, refuses a second open incident for the same service, and names bad fields', async () => {
    const declared = await post('/api/incidents', { service: 'admin-api', environment: 'RTM', summary: 'Jobs stuck after deploy', severity: 'P2', actor: { id: 'sam@contoso.example' } });
    expect(declared.status).toBe(201);
    const id = declared.body.incidentId as string;
    expect(id).toMatch(/^inc-rtm-admin-api-/);
    expect(declared.headers.get('location')).toBe(`/api/incidents/${id}`);

    const again = await post('/api/incidents', { service: 'admin-api', environment: 'RTM', summary: 'again' });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'conflict', details: { incidentId: id } });

    const unknown = await post('/api/incidents', { service: 'ghost', environment: 'Prod', summary: 'x' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error?.details).toEqual([expect.objectContaining({ path: 'service' })]);

    const bad = await post('/api/incidents', { service: 'admin-api', environment: 'Prod', summary: '', severity: 'P0', extra: 1 });
    expect(bad.status).toBe(400);
    const paths = (bad.body.error?.details as { path: string }[]).map((d) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['summary', 'severity', '(root)']));
  });

  it('lists incidents with filters and reads one with its timeline and runtime status', async () => {
    const declared = await post('/api/incidents', { service: 'admin-api', environment: 'Beta', summary: 'SSE slow in Beta', source: 'pipeline', actor: { id: 'deploy-pipeline' } });
    const id = declared.body.incidentId as string;
    await product.h.settle();
    const list = await product.h.json<{ items: { incidentId: string; environment: string; severity: string; source: string }[] }>('/api/incidents?environment=beta&status=open');
    expect(list.body.items.map((i) => i.incidentId)).toContain(id);
    expect(list.body.items.every((i) => i.environment === 'Beta')).toBe(true);
    expect(list.body.items.find((i) => i.incidentId === id)).toMatchObject({ severity: 'P2', source: 'pipeline' });
    const none = await product.h.json<{ items: unknown[] }>('/api/incidents?environment=Beta&status=resolved');
    expect(none.body.items.some((i) => (i as { incidentId: string }).incidentId === id)).toBe(false);
    const badQuery = await product.h.json<{ error: { details: { path: string }[] } }>('/api/incidents?limit=0&from=yesterday');
    expect(badQuery.status).toBe(400);
    expect(badQuery.body.error.details.map((d) => d.path).sort()).toEqual(['from', 'limit']);

    const one = await product.h.json<{ summary: { phase: string }; runtime: { runtimeStatus: string; customStatus: { phase: string } }; timeline: { kind: string; actor: string }[] }>(
      `/api/incidents/${id}`,
    );
    // The first-15-minutes snapshot has run: the runbook waits for the containment decision.
    expect(one.body.summary.phase).toBe('deciding');
    expect(one.body.runtime).toMatchObject({ runtimeStatus: 'Running', customStatus: { phase: 'deciding', deadlines: { decision: expect.stringMatching(/^2026-01-01T00:20/) as unknown } } });
    // Stated in the body by a key holder: recorded, and marked as nobody's word but theirs.
    expect(one.body.timeline[0]).toMatchObject({ kind: 'declared', actor: 'deploy-pipeline (unverified)' });
    expect((await product.h.fetch('/api/incidents/inc-nope')).status).toBe(404);
  });
});

/** The same instant written with another UTC offset (minutes east of UTC), e.g. 01:00:00.000+01:00. */
function withOffset(iso: string, offsetMinutes: number, shiftMs = 0): string {
  const local = new Date(Date.parse(iso) + shiftMs + offsetMinutes * 60_000).toISOString().slice(0, 23);
  const a = Math.abs(offsetMinutes);
  return `${local}${offsetMinutes < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

describe('listing', () => {
  type Item = { incidentId: string; service: string; environment: string; declaredAt: string };
  const list = async (query: Record<string, string>): Promise<string[]> => {
    const res = await product.h.json<{ items: Item[] }>(`/api/incidents?${new URLSearchParams(query).toString()}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.items.map((i) => i.incidentId);
  };

  it('filters by service (case-insensitively) and by environment', async () => {
    const vm = (await post('/api/incidents', { service: 'docs-vm', environment: 'Lab', summary: 'disk full' })).body.incidentId as string;
    const logs = (await post('/api/incidents', { service: 'docs-logs', environment: 'Lab', summary: 'ingestion stopped' })).body.incidentId as string;
    const byService = await product.h.json<{ items: Item[] }>('/api/incidents?service=DOCS-VM');
    expect(byService.body.items.map((i) => i.incidentId)).toEqual([vm]);
    expect(byService.body.items[0]).toMatchObject({ service: 'docs-vm', environment: 'Lab' });
    expect((await list({ environment: 'lab' })).sort()).toEqual([vm, logs].sort());
    expect(await list({ environment: 'Lab', service: 'docs-logs', status: 'open' })).toEqual([logs]);
    expect(await list({ service: 'docs-nothing' })).toEqual([]);
  });

  it('filters by time, whatever UTC offset from and to are written in (both inclusive)', async () => {
    const id = (await post('/api/incidents', { service: 'docs-cpu', environment: 'Lab', summary: 'CPU pegged' })).body.incidentId as string;
    const { declaredAt } = (await product.h.json<{ summary: { declaredAt: string } }>(`/api/incidents/${id}`)).body.summary;
    const at = (q: Record<string, string>): Promise<boolean> => list({ service: 'docs-cpu', ...q }).then((ids) => ids.includes(id));
    // The same instant, in UTC without milliseconds and in other offsets: included.
    expect(await at({ from: declaredAt.replace('.000Z', 'Z') })).toBe(true);
    expect(await at({ from: withOffset(declaredAt, 60) })).toBe(true);
    expect(await at({ to: withOffset(declaredAt, -300) })).toBe(true);
    expect(await at({ from: withOffset(declaredAt, 330), to: withOffset(declaredAt, -480) })).toBe(true);
    // One millisecond off either side, written with an offset: excluded.
    expect(await at({ to: withOffset(declaredAt, 60, -1) })).toBe(false);
    expect(await at({ from: withOffset(declaredAt, -300, 1) })).toBe(false);
    const reversed = await product.h.json<{ error: { details: { path: string }[] } }>(
      `/api/incidents?from=${encodeURIComponent(withOffset(declaredAt, 0, 1))}&to=${encodeURIComponent(declaredAt)}`,
    );
    expect(reversed.status).toBe(400);
    expect(reversed.body.error.details.map((d) => d.path)).toEqual(['from']);
  });
});

describe('acting on an incident', () => {
  it('records ack, note and decision with their actors, resolves, and then refuses more', async () => {
    const declared = await post('/api/incidents', { service: 'admin-api', environment: 'Prod', summary: '5xx after release 2026.11.3', severity: 'P1' });
    const id = declared.body.incidentId as string;
    await product.h.settle();

    // Behind App Service Authentication (which sets WEBSITE_AUTH_ENABLED) the principal headers are believed.
    setAppEnv({ WEBSITE_AUTH_ENABLED: 'True' });
    const ack = await post(`/api/incidents/${id}/ack`, { role: 'ic' }, principal('riley@contoso.example')).finally(() => setAppEnv({ WEBSITE_AUTH_ENABLED: undefined }));
    expect(ack.status).toBe(202);
    expect(ack.body.actor).toEqual({ id: '9778283b-b94c-4ac6-8a41-d5b493d03aa3', name: 'riley@contoso.example', via: 'api', verified: true, auth: 'easy-auth' });
    expect((await post(`/api/incidents/${id}/note`, { text: 'Error envelope shows feature_disabled', actor: { id: 'sam@contoso.example' } })).status).toBe(202);
    const badDecision = await post(`/api/incidents/${id}/decision`, { choice: 'pray' });
    expect(badDecision.status).toBe(400);
    expect(badDecision.body.error?.details).toEqual([expect.objectContaining({ path: 'choice' })]);
    expect((await post(`/api/incidents/${id}/decision`, { choice: 'revert-config', reason: 'flag flipped 20 min ago' })).status).toBe(202);

    type Read = { summary: { acknowledgedBy: string }; timeline: { kind: string; actor: string; text: string }[] };
    const before = await incidentWhen<Read>(id, (b) => b.timeline.some((t) => t.kind === 'decision'));
    expect(before.summary.acknowledgedBy).toBe('riley@contoso.example (9778283b-b94c-4ac6-8a41-d5b493d03aa3)');
    // People's entries in order, with the runbook's own notes (kind "runbook") between them.
    const people = before.timeline.filter((t) => t.kind !== 'runbook');
    // Riley acknowledged as IC: the role is a line of its own.
    expect(people.map((t) => t.kind)).toEqual(['declared', 'ack', 'role', 'note', 'decision']);
    expect(people.splice(2, 1)[0]?.text).toBe('riley@contoso.example (9778283b-b94c-4ac6-8a41-d5b493d03aa3) is Incident Commander.');
    expect(people[2]).toMatchObject({ actor: 'sam@contoso.example (unverified)', text: 'Error envelope shows feature_disabled' });
    expect(people[3]?.text).toBe('Containment decision: revert-config (flag flipped 20 min ago).');
    const runbook = before.timeline.filter((t) => t.kind === 'runbook').map((t) => t.text);
    // No SQL target and no release data here: the snapshot proposes the P1 default, and the
    // decision to revert config finds nothing to revert, so nothing is changed.
    expect(runbook).toContainEqual(expect.stringMatching(/^Proposed containment: api-to-lkg \(no clear cause/));
    await vi.waitFor(async () => {
      const r = await product.h.json<Read>(`/api/incidents/${id}`);
      expect(r.body.timeline.map((t) => t.text)).toContainEqual(expect.stringContaining('"revert-config" has nothing to do here'));
    });

    const resolved = await post(`/api/incidents/${id}/resolve`, { summary: 'Flag reverted; metrics recovered' });
    expect(resolved.status).toBe(202);
    await product.h.waitFor(id, ['Completed']);
    const after = await product.h.json<{ summary: { status: string; resolvedAt: string } }>(`/api/incidents/${id}`);
    expect(after.body.summary.status).toBe('resolved');
    const late = await post(`/api/incidents/${id}/note`, { text: 'too late' });
    expect(late.status).toBe(409);
    expect(late.body.error?.code).toBe('conflict');

    // Resolution closes the correlation: the next declaration opens a new incident.
    const next = await post('/api/incidents', { service: 'admin-api', environment: 'Prod', summary: 'regression' });
    expect(next.status).toBe(201);
    expect(next.body.incidentId).not.toBe(id);
  });

  it('runs a drill (dryRun) that changes nothing and does not hold the service: a real incident can still be declared', async () => {
    const drill = await post('/api/incidents', { service: 'billing', environment: 'Prod', summary: 'game day', severity: 'P1', dryRun: true });
    expect(drill.status).toBe(201);
    expect(drill.body).toMatchObject({ drill: true, incidentId: expect.stringMatching(/^drill-prod-billing-[0-9a-f]{10}$/) as unknown });
    const id = drill.body.incidentId as string;
    type Read = { summary: { drill: boolean; phase: string }; timeline: { kind: string; text: string }[] };
    const read = await incidentWhen<Read>(id, (b) => b.summary.phase === 'deciding');
    expect(read.summary.drill).toBe(true);
    expect(read.timeline[0]?.text).toBe('Drill: P1 incident declared for billing in Prod: game day');
    expect(read.timeline.map((t) => t.text)).toContainEqual(expect.stringMatching(/^Drill \(plan-only\)/));
    const real = await post('/api/incidents', { service: 'billing', environment: 'Prod', summary: 'real one' });
    expect(real.status).toBe(201);
    expect(real.body).toMatchObject({ drill: false });
    expect((await post(`/api/incidents/${id}/resolve`, {})).status).toBe(202);
    await product.h.waitFor(id, ['Completed']);
    expect((await post('/api/incidents', { service: 'billing', environment: 'Prod', summary: 'again' })).status).toBe(409);
    expect((await post(`/api/incidents/${real.body.incidentId as string}/resolve`, {})).status).toBe(202);
    await product.h.waitFor(real.body.incidentId as string, ['Completed']);
  });

  it('keeps every event of a burst, even those that arrive while the runbook is busy', async () => {
    const declared = await post('/api/incidents', { service: 'platform-health', environment: 'Prod', summary: 'burst', severity: 'P2' });
    expect(declared.status).toBe(201);
    const id = declared.body.incidentId as string;
    // Raised together: most of them reach the orchestration while it is still running the
    // commands of an earlier one (its waits for them already lost a race).
    const sent = await Promise.all(Array.from({ length: 8 }, (_, i) => post(`/api/incidents/${id}/note`, { text: `note ${i}`, actor: { id: `sre${i}@contoso.example` } })));
    expect(sent.map((r) => r.status)).toEqual(Array(8).fill(202));
    await post(`/api/incidents/${id}/ack`, { role: 'ic' });
    type Read = { timeline: { kind: string; text: string }[] };
    const read = await incidentWhen<Read>(id, (b) => b.timeline.filter((t) => t.kind === 'note').length === 8 && b.timeline.some((t) => t.kind === 'ack'));
    expect(read.timeline.filter((t) => t.kind === 'note').map((t) => t.text).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `note ${i}`));
  });

  it('answers 404 for an unknown incident or action, 400 for a bad body, 415 for a wrong type', async () => {
    expect((await post('/api/incidents/inc-missing/ack', {})).status).toBe(404);
    // Ids no incident can have (blank ones would reach the Durable client as "list everything").
    for (const bad of ['%20', '%09', 'a%20b', '%C3%A9']) {
      const read = await product.h.json<{ error: { code: string } }>(`/api/incidents/${bad}`);
      expect([bad, read.status, read.body.error.code]).toEqual([bad, 404, 'not_found']);
      expect((await post(`/api/incidents/${bad}/note`, { text: 'x' })).status).toBe(404);
    }
    const declared = await post('/api/incidents', { service: 'billing', environment: 'Prod', summary: 'budget' });
    const id = declared.body.incidentId as string;
    expect((await post(`/api/incidents/${id}/dance`, {})).status).toBe(404);
    // Names every object inherits are not actions either: never a 500.
    for (const inherited of ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'isPrototypeOf']) {
      const answer = await post(`/api/incidents/${id}/${inherited}`, {});
      expect(answer.status, inherited).toBe(404);
      expect(answer.body.error).toMatchObject({ code: 'not_found', message: expect.stringContaining('Unknown action') as unknown, requestId: expect.any(String) as unknown });
    }
    const extend = await post(`/api/incidents/${id}/extend`, { timebox: 'decision', minutes: 1000 });
    expect(extend.status).toBe(400);
    expect(extend.body.error?.details).toEqual([expect.objectContaining({ path: 'minutes' })]);
    const wrongType = await product.h.fetch(`/api/incidents/${id}/note`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hi' });
    expect(wrongType.status).toBe(415);
    const emptyAck = await product.h.fetch(`/api/incidents/${id}/ack`, { method: 'POST' });
    expect(emptyAck.status).toBe(202);
  });
});
