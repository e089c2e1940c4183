/**
 * Property test: thousands of malformed, truncated, oversized and type-confused payloads thrown at
 * POST /api/alerts on the dev host. No answer is a 5xx, every answer is an error envelope, and no
 * incident is ever started.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AzuriteInstance } from '../../src/devhost/azurite.js';
import { alertFixture, incidentInstances, postAlert, testPolicyPath, withAlertId } from '../harness/alerts.js';
import { repoRoot, startTestAzurite, startTestHost, type TestHost } from '../harness/devhost.js';

let azurite: AzuriteInstance;
let h: TestHost;

beforeAll(async () => {
  azurite = await startTestAzurite();
  h = await startTestHost({ azurite, appRoot: repoRoot, env: { POLICY_PATH: testPolicyPath } });
});
afterAll(async () => {
  await h?.stop();
  await azurite?.stop();
});

interface Attempt {
  contentType: string;
  body: string;
  label: string;
}

const valid = alertFixture('metric-5xx-fired.json');
const validText = JSON.stringify(valid);

/** Paths whose removal or type confusion must make the payload invalid. */
const requiredPaths: (string | number)[][] = [
  ['schemaId'],
  ['data'],
  ['data', 'essentials'],
  ['data', 'essentials', 'alertId'],
  ['data', 'essentials', 'firedDateTime'],
];
/** Paths that are optional but typed: a wrong type is refused, never coerced. */
const typedPaths: { path: string[]; bad: fc.Arbitrary<unknown> }[] = [
  { path: ['data', 'essentials', 'severity'], bad: fc.oneof(fc.constantFrom('Sev5', 'sev1', 'P1', ''), fc.integer(), fc.boolean()) },
  { path: ['data', 'essentials', 'monitorCondition'], bad: fc.oneof(fc.string().filter((s) => s !== 'Fired' && s !== 'Resolved'), fc.integer()) },
  { path: ['data', 'essentials', 'alertTargetIDs'], bad: fc.oneof(fc.string(), fc.integer(), fc.array(fc.integer(), { minLength: 1 })) },
  { path: ['data', 'essentials', 'resolvedDateTime'], bad: fc.oneof(fc.constantFrom('yesterday', '2026-13-45T99:99:99Z', 'soon'), fc.integer({ min: 0 }).map((n) => ({ n }))) },
  { path: ['data', 'customProperties'], bad: fc.oneof(fc.string(), fc.integer(), fc.array(fc.string())) },
];

const confused = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.anything(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.anything(), { maxKeys: 3 }),
  fc.string({ maxLength: 20 }),
);

function setPath(doc: unknown, path: (string | number)[], value: unknown, remove: boolean): unknown {
  const copy = structuredClone(doc) as Record<string, unknown>;
  let node: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = path[path.length - 1] as string;
  if (remove) delete node[last];
  else node[last] = value;
  return copy;
}

const json = 'application/json';
const attempts: fc.Arbitrary<Attempt> = fc.oneof(
  // Any JSON value that is not an object in the common schema.
  fc.jsonValue().map((v) => ({ contentType: json, body: JSON.stringify(v), label: 'random json' })),
  // A valid alert with a required field removed or type-confused.
  fc.tuple(fc.constantFrom(...requiredPaths), fc.boolean(), confused).map(([path, remove, value]) => {
    const doc = setPath(valid, path, value, remove);
    return { contentType: json, body: JSON.stringify(doc), label: `required ${path.join('.')}` };
  }).filter((a) => {
    // A confused value that happens to be a valid one is not a malformed payload.
    const v = JSON.parse(a.body) as { schemaId?: unknown; data?: { essentials?: { alertId?: unknown; firedDateTime?: unknown } } };
    return !(v.schemaId === 'azureMonitorCommonAlertSchema' && typeof v.data?.essentials?.alertId === 'string' && v.data.essentials.alertId !== '' && typeof v.data.essentials.firedDateTime === 'string' && !Number.isNaN(Date.parse(v.data.essentials.firedDateTime)));
  }),
  // A valid alert with a typed optional field given the wrong type.
  fc.constantFrom(...typedPaths).chain((t) => t.bad.map((bad) => ({ contentType: json, body: JSON.stringify(setPath(valid, t.path, bad, false)), label: `typed ${t.path.join('.')}` }))),
  // Truncated JSON: every strict prefix of an object is invalid JSON.
  fc.integer({ min: 0, max: validText.length - 1 }).map((n) => ({ contentType: json, body: validText.slice(0, n), label: 'truncated' })),
  // Arbitrary text and bytes.
  fc.string({ maxLength: 200 }).map((s) => ({ contentType: json, body: s, label: 'text' })),
  fc.uint8Array({ maxLength: 200 }).map((b) => ({ contentType: json, body: Buffer.from(b).toString('latin1'), label: 'bytes' })),
  // Deep nesting.
  fc.integer({ min: 1000, max: 50_000 }).map((d) => ({ contentType: json, body: '['.repeat(d) + ']'.repeat(d), label: 'deep' })),
  // Wrong content types around a valid body.
  fc.constantFrom('text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded').map((t) => ({ contentType: t, body: validText, label: `type ${t}` })),
);

describe('POST /api/alerts under fuzzing', () => {
  it('answers every malformed payload with a 4xx envelope and starts nothing', async () => {
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(attempts, async (a) => {
        const res = await h.fetch('/api/alerts', { method: 'POST', headers: { 'content-type': a.contentType }, body: a.body });
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
    expect(await incidentInstances(h)).toEqual([]);
    const list = await h.json<{ items: unknown[] }>('/api/incidents');
    expect(list.body.items).toEqual([]);
  }, 180_000);

  it('refuses oversized bodies before parsing them', async () => {
    for (const size of [512 * 1024 + 1, 2 * 1024 * 1024, 20 * 1024 * 1024]) {
      const res = await h.fetch('/api/alerts', { method: 'POST', headers: { 'content-type': json }, body: `{"schemaId":"${'x'.repeat(size)}"}` });
      expect(res.status).toBe(413);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
    }
    expect(await incidentInstances(h)).toEqual([]);
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
        const answer = await postAlert(h, doc);
        expect([200, 202], JSON.stringify({ props, rule, answer: answer.body })).toContain(answer.status);
      }),
      { numRuns: 150, seed: 20261125 },
    );
    // The cases that used to slip through `name in object`, by name.
    for (const trigger of ['constructor', '__proto__', 'tostring', 'hasownproperty']) {
      const doc = withAlertId(valid, `trigger-${trigger}`) as { data: { customProperties: Record<string, unknown> } };
      doc.data.customProperties = { service: 'admin-api', environment: 'Beta', trigger };
      const answer = await postAlert(h, doc);
      expect([trigger, answer.status]).toEqual([trigger, 202]);
      expect(answer.body.severity?.triggers).not.toContain(trigger);
    }
  }, 120_000);
});
