/**
 * Property test: thousands of malformed, truncated, deeply nested, oversized and type-confused
 * payloads (test/fuzz/payloads.ts, shared with `npm run fuzz`) thrown at POST /api/alerts on the
 * dev host. No answer is a 5xx, every answer is an error envelope, and no incident is ever started.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { malformedPayloads } from '../fuzz/payloads.js';
import { alertFixture, incidentInstances, postAlert, withAlertId } from '../harness/alerts.js';
import { useProductHost } from '../harness/product-host.js';

const product = useProductHost();

const valid = alertFixture('metric-5xx-fired.json');
const json = 'application/json';

describe('POST /api/alerts under fuzzing', () => {
  it('answers every malformed payload with a 4xx envelope and starts nothing', async () => {
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(malformedPayloads, async (a) => {
        const res = await product.h.fetch('/api/alerts', { method: 'POST', headers: { 'content-type': a.contentType }, body: a.body });
        const text = await res.text();
        seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
        expect([400, 413, 415], `${a.label}: ${res.status} ${text.slice(0, 200)}`).toContain(res.status);
        const envelope = JSON.parse(text) as { error: { code: string; message: string; requestId: string; details: unknown } };
        expect(Object.keys(envelope)).toEqual(['error']);
        expect(typeof envelope.error.code).toBe('string');
        expect(envelope.error.message.length).toBeGreaterThan(0);
        expect(envelope.error.requestId.length).toBeGreaterThan(0);
        expect(envelope.error).toHaveProperty('details');
      }),
      { numRuns: 2500, seed: 20261123 },
    );
    expect([...seen.keys()].every((s) => s < 500)).toBe(true);
    expect(await incidentInstances(product.h)).toEqual([]);
    const list = await product.h.json<{ items: unknown[] }>('/api/incidents');
    expect(list.body.items).toEqual([]);
  }, 180_000);

  it('refuses oversized bodies before parsing them', async () => {
    for (const size of [512 * 1024 + 1, 2 * 1024 * 1024, 20 * 1024 * 1024]) {
      const res = await product.h.fetch('/api/alerts', { method: 'POST', headers: { 'content-type': json }, body: `{"schemaId":"${'x'.repeat(size)}"}` });
      expect(res.status).toBe(413);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
    }
    expect(await incidentInstances(product.h)).toEqual([]);
  });

  // Last: unlike the payloads above, these are valid alerts and may open incidents.
  it('accepts valid alerts whose rule names and custom properties are inherited JavaScript names, never a 5xx', async () => {
    const inherited = [...Object.getOwnPropertyNames(Object.prototype), ...Object.getOwnPropertyNames(Function.prototype), 'prototype'];
    const hostile = fc.oneof(fc.constantFrom(...inherited), fc.constantFrom(...inherited.map((n) => n.toLowerCase())), fc.string({ maxLength: 12 }));
    const routed = fc.constantFrom(
      {},
      { service: 'admin-api', environment: 'Beta' },
      { BudgetName: 'admin-prod' },
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(routed, fc.dictionary(fc.oneof(fc.constantFrom('trigger', 'service', 'environment'), hostile), hostile, { maxKeys: 4 }), hostile, async (route, props, rule) => {
        const doc = withAlertId(valid, `hostile-${n++}`, { alertRule: rule }) as { data: { customProperties: Record<string, unknown> } };
        doc.data.customProperties = { ...props, ...route };
        const answer = await postAlert(product.h, doc);
        expect([200, 202], JSON.stringify({ props, rule, answer: answer.body })).toContain(answer.status);
      }),
      { numRuns: 150, seed: 20261125 },
    );
    // The cases that used to slip through `name in object`, by name.
    for (const trigger of ['constructor', '__proto__', 'tostring', 'hasownproperty']) {
      const doc = withAlertId(valid, `trigger-${trigger}`) as { data: { customProperties: Record<string, unknown> } };
      doc.data.customProperties = { service: 'admin-api', environment: 'Beta', trigger };
      const answer = await postAlert(product.h, doc);
      expect([trigger, answer.status]).toEqual([trigger, 202]);
      expect(answer.body.severity?.triggers).not.toContain(trigger);
    }
  }, 120_000);
});
