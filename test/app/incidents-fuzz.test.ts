/**
 * Property test of the incident API's paths and queries on the dev host: hostile path segments
 * (names every JavaScript object inherits, encoded punctuation, long and non-ASCII text) and
 * query strings never produce a 5xx, and every error is the envelope.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { useProductHost } from '../harness/product-host.js';

let openId: string;

const product = useProductHost();
beforeAll(async () => {
  const declared = await product.h.json<{ incidentId: string }>('/api/incidents', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ service: 'admin-api', environment: 'Beta', summary: 'fuzz target' }),
  });
  openId = declared.body.incidentId;
  await product.h.settle();
});

/** Names found on Object.prototype and Function.prototype: `in` and `obj[name]` find them all. */
const inherited = [...Object.getOwnPropertyNames(Object.prototype), ...Object.getOwnPropertyNames(Function.prototype), 'prototype'];
const actions = ['ack', 'note', 'decision', 'rollback', 'extend', 'resolve'];

const segment: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...inherited),
  fc.constantFrom(...actions),
  fc.constantFrom(...actions.map((a) => a.toUpperCase())),
  fc.string({ minLength: 1, maxLength: 40 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
  fc.constantFrom('%00', '%2F', '..', '.', "'", '"', '%27%20or%201%3D1', 'a'.repeat(600), 'inc-x%0d%0aSet-Cookie:%20x'),
);
/** Encodes unless the segment is already percent-encoded on purpose. */
const enc = (s: string): string => (/%[0-9A-F]{2}/.test(s) ? s : encodeURIComponent(s));

interface Attempt {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
}

const queryKey = fc.oneof(fc.constantFrom('environment', 'service', 'status', 'from', 'to', 'limit'), fc.constantFrom(...inherited));
const queryValue = fc.oneof(fc.constantFrom(...inherited), fc.string({ maxLength: 30 }), fc.constantFrom('2026-01-01T00:00:00+01:00', 'open', '1', '-1', '1e9'));

const attempts: fc.Arbitrary<Attempt> = fc.oneof(
  fc.tuple(fc.oneof(fc.constant('OPEN'), segment), segment, fc.constantFrom('{}', '{"text":"x"}', '{"choice":"monitor-only"}', '[]', 'null')).map(([id, action, body]) => ({
    method: 'POST' as const,
    path: `/api/incidents/${id === 'OPEN' ? openId : enc(id)}/${enc(action)}`,
    body,
  })),
  segment.map((id) => ({ method: 'GET' as const, path: `/api/incidents/${enc(id)}` })),
  fc.array(fc.tuple(queryKey, queryValue), { maxLength: 4 }).map((pairs) => ({
    method: 'GET' as const,
    path: `/api/incidents?${pairs.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&')}`,
  })),
);

describe('the incident API under fuzzing', () => {
  it('answers an inherited name as an action with 404 and the envelope, on a running incident', async () => {
    for (const name of inherited) {
      const res = await product.h.fetch(`/api/incidents/${openId}/${encodeURIComponent(name)}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      const body = (await res.json()) as { error: { code: string; message: string; requestId: string } };
      expect(res.status, name).toBe(404);
      expect(body.error, name).toMatchObject({ code: 'not_found', message: expect.stringContaining('Unknown action') as unknown });
      expect(body.error.requestId.length).toBeGreaterThan(0);
    }
  });

  it('never answers 5xx for any path segment or query, and every error is the envelope', async () => {
    await fc.assert(
      fc.asyncProperty(attempts, async (a) => {
        const res = await product.h.fetch(a.path, a.method === 'POST' ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: a.body } : undefined);
        const text = await res.text();
        expect(res.status, `${a.method} ${a.path}: ${text.slice(0, 200)}`).toBeLessThan(500);
        if (res.status >= 400) {
          // An empty 404 / 405 comes from the host (no route, or not that method), as in Azure.
          if (text === '') expect([404, 405], `${a.method} ${a.path}`).toContain(res.status);
          else expect(Object.keys(JSON.parse(text) as object), `${a.method} ${a.path}`).toEqual(['error']);
        }
      }),
      { numRuns: 600, seed: 20261124 },
    );
  }, 120_000);

});
