/** Dev host conformance: HTTP triggers (routes, methods, bodies, cookies, errors) and keys. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AzuriteInstance } from '../../src/devhost/azurite.js';
import { startTestAzurite, startTestHost, type TestHost } from '../harness/devhost.js';

let azurite: AzuriteInstance;

beforeAll(async () => {
  azurite = await startTestAzurite();
});
afterAll(async () => {
  await azurite?.stop();
});

describe('HTTP triggers without key enforcement (like Core Tools)', () => {
  let h: TestHost;
  beforeAll(async () => {
    h = await startTestHost({ azurite });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('matches route templates with constraints, in order of specificity', async () => {
    expect((await h.json('/api/items/42')).body).toEqual({ id: 42, kind: 'numeric' });
    expect((await h.json('/api/items/widgets')).body).toEqual({ name: 'widgets', kind: 'alpha' });
    expect((await h.fetch('/api/items/4x2')).status).toBe(404);
    expect((await h.json('/api/files/a/b/c.txt')).body).toEqual({ path: 'a/b/c.txt' });
    expect((await h.json('/api/files')).body).toEqual({ path: '' });
    expect((await h.json('/API/Items/7')).body).toEqual({ id: 7, kind: 'numeric' });
  });

  it('decodes percent-encoded route parameters', async () => {
    expect((await h.json('/api/files/with%20space/%C3%A9t%C3%A9')).body).toEqual({ path: 'with space/été' });
  });

  it('filters by method and answers 404 outside the route prefix', async () => {
    expect((await h.fetch('/api/echo')).status).toBe(405);
    expect((await h.fetch('/echo', { method: 'POST' })).status).toBe(404);
    expect((await h.fetch('/api/nothing-here')).status).toBe(404);
  });

  it('passes method, query, headers and body through and returns status, headers and cookies', async () => {
    const res = await h.fetch('/api/echo?env=Prod&env=RTM&x=1', {
      method: 'PUT',
      headers: { 'content-type': 'text/plain' },
      body: 'payload ✓',
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-echo-method')).toBe('PUT');
    expect(res.headers.get('set-cookie')).toMatch(/^seen=1; Path=\/; HttpOnly/);
    expect(await res.json()).toEqual({ method: 'PUT', query: { env: 'Prod,RTM', x: '1' }, contentType: 'text/plain', body: 'payload ✓' });
  });

  it('passes query parameters named like Object members through as ordinary parameters', async () => {
    const res = await h.fetch('/api/echo?constructor=a&toString=b&toString=c&__proto__=d', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { query: unknown }).query).toEqual({ constructor: 'a', toString: 'b,c', ['__proto__']: 'd' });
  });

  it('answers 500 when a handler throws, and when it exceeds functionTimeout', async () => {
    expect((await h.fetch('/api/crash')).status).toBe(500);
    const started = Date.now();
    expect((await h.fetch('/api/slow')).status).toBe(500);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(h.logs.some((l) => l.message.includes('Timeout value of 00:00:02 was exceeded by function: Functions.slow'))).toBe(true);
  });

  it('does not check keys unless asked to', async () => {
    expect((await h.fetch('/api/keyed')).status).toBe(200);
    expect((await h.fetch('/runtime/webhooks/durabletask/instances/none')).status).toBe(404);
  });

  it('ran the app start hook and the pre-invocation hooks', async () => {
    const probe = await h.json<{ counters: Record<string, number> }>('/api/probe');
    expect(probe.body.counters['hook:appStart']).toBeGreaterThanOrEqual(1);
    expect(probe.body.counters['hook:pre:item']).toBeGreaterThanOrEqual(1);
  });

  it('serves the admin host status', async () => {
    const status = await h.json<{ state: string; clock: string }>('/admin/host/status');
    expect(status.body).toMatchObject({ state: 'Running', clock: 'manual' });
  });

  it('refuses a request body over the limit with 413 before invoking anything', async () => {
    const big = 'x'.repeat(101 * 1024 * 1024);
    const res = await h.fetch('/api/echo', { method: 'POST', body: big });
    expect(res.status).toBe(413);
  });
});

describe('HTTP triggers with --enforce-keys', () => {
  let h: TestHost;
  beforeAll(async () => {
    h = await startTestHost({
      azurite,
      enforceKeys: true,
      env: { DEVHOST_FUNCTION_KEYS: 'fn-key-1,fn-key-2', DEVHOST_MASTER_KEY: 'master-key' },
    });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('requires a function key for authLevel function, by query or header', async () => {
    expect((await h.fetch('/api/keyed')).status).toBe(401);
    expect((await h.fetch('/api/keyed?code=wrong')).status).toBe(401);
    expect((await h.fetch('/api/keyed?code=fn-key-2')).status).toBe(200);
    expect((await h.fetch('/api/keyed', { headers: { 'x-functions-key': 'fn-key-1' } })).status).toBe(200);
    expect((await h.fetch('/api/keyed?code=master-key')).status).toBe(200);
  });

  it('requires the master key for authLevel admin and the management webhooks', async () => {
    expect((await h.fetch('/api/adminOnly?code=fn-key-1')).status).toBe(401);
    expect((await h.fetch('/api/adminOnly?code=master-key')).status).toBe(200);
    expect((await h.fetch('/runtime/webhooks/durabletask/instances/x')).status).toBe(401);
    expect((await h.fetch('/runtime/webhooks/durabletask/instances/x?code=fn-key-1')).status).toBe(401);
    expect((await h.fetch('/runtime/webhooks/durabletask/instances/x?code=master-key')).status).toBe(404);
  });

  it('leaves anonymous functions open, and the client inside a function still works', async () => {
    const res = await h.json<{ statusQueryGetUri: string }>('/api/orchestrators/chain', { method: 'POST', body: '["k"]' });
    expect(res.status).toBe(202);
    expect(res.body.statusQueryGetUri).toContain('code=master-key');
    const status = await fetch(res.body.statusQueryGetUri);
    expect([200, 202]).toContain(status.status);
  });
});
