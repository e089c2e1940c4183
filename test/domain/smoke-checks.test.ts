/** Pure smoke pieces: config parity, required JSON fields, health bodies, check schemas. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readHealthBody, healthState } from '../../src/domain/health-body.js';
import { getField, hasField, missingFields, parseFieldPath } from '../../src/domain/json-fields.js';
import { canonicalKey, diffConfig, flattenConfig, keyMatches, sameValue, type ParityOptions } from '../../src/domain/parity.js';
import { Check, SmokeTarget } from '../../src/domain/smoke-checks.js';

const opts: ParityOptions = { critical: [], ignore: [], unlisted: 'non-critical', redact: ['password'], looseScalars: true };

describe('parity', () => {
  it('treats nested objects, "Section:Key", "Section.Key" and "Section__Key" as one key, case-insensitively', () => {
    expect(canonicalKey('Network__SseKeepAliveSeconds')).toBe('network:ssekeepaliveseconds');
    expect([...flattenConfig({ Network: { SseKeepAliveSeconds: '10', Empty: {} }, List: [1, 2] }).keys()]).toEqual(['Network:SseKeepAliveSeconds', 'Network:Empty', 'List']);
    const d = diffConfig({ Network: { SseKeepAliveSeconds: 10 } }, { 'network:ssekeepaliveseconds': '10' }, opts);
    expect(d).toEqual({ keysCompared: 1, drift: [], criticalDrift: 0, nonCriticalDrift: 0 });
  });

  it('matches key globs: * within a section, ** across', () => {
    expect(keyMatches('Network:*', 'Network:SseKeepAliveSeconds')).toBe(true);
    expect(keyMatches('Network:*', 'Network:Sse:KeepAlive')).toBe(false);
    expect(keyMatches('Network:**', 'Network:Sse:KeepAlive')).toBe(true);
    expect(keyMatches('features.EnableLegacy*', 'Features:EnableLegacyHttpSse')).toBe(true);
    expect(keyMatches('Cors:AllowedOrigins', 'cors:allowedorigins')).toBe(true);
    expect(keyMatches('a.b', 'a:bb')).toBe(false);
    expect(keyMatches('a+b(c)', 'a+b(c)')).toBe(true);
  });

  it('compares scalars by text when loose, exactly when not; arrays and objects as whole values', () => {
    expect(sameValue(10, '10', true)).toBe(true);
    expect(sameValue(true, 'True', true)).toBe(true);
    expect(sameValue(10, '10', false)).toBe(false);
    expect(sameValue([1, 2], [1, 2], true)).toBe(true);
    expect(sameValue([1, 2], [2, 1], true)).toBe(false);
    expect(sameValue({ a: 1, b: 2 }, { b: 2, a: 1 }, false)).toBe(true);
    expect(sameValue(null, 'null', true)).toBe(false);
  });

  it('lists missing, changed and unexpected keys, critical first, ignoring and redacting as told', () => {
    const d = diffConfig(
      { A: { X: 1, Y: 2 }, Sql: { Password: 'a' }, Build: { Id: 'x' } },
      { A: { X: 1, Z: 3 }, Sql: { Password: 'b' }, Build: { Id: 'y' } },
      { ...opts, critical: ['A:Y'], ignore: ['Build:**'] },
    );
    expect(d.drift).toEqual([
      { key: 'A:Y', change: 'missing', severity: 'critical', expected: '2', actual: null },
      { key: 'A:Z', change: 'unexpected', severity: 'non-critical', expected: null, actual: '3' },
      { key: 'Sql:Password', change: 'changed', severity: 'non-critical', expected: '(redacted)', actual: '(redacted)' },
    ]);
    expect(d).toMatchObject({ keysCompared: 4, criticalDrift: 1, nonCriticalDrift: 2 });
    expect(diffConfig({ A: 1 }, { A: 2 }, { ...opts, unlisted: 'critical' }).criticalDrift).toBe(1);
    const long = diffConfig({ A: 'x'.repeat(500) }, { A: 'y' }, opts).drift[0]?.expected;
    expect(long?.length).toBe(200);
  });

  const json = fc.dictionary(
    fc.string({ minLength: 1, maxLength: 6 }).filter((k) => !/[:.]|__/.test(k)),
    fc.oneof(fc.integer(), fc.boolean(), fc.string(), fc.dictionary(fc.string({ minLength: 1, maxLength: 4 }).filter((k) => !/[:.]|__/.test(k)), fc.integer(), { maxKeys: 3 })),
    { maxKeys: 8 },
  );

  it('finds no drift between a document and itself, or its flattened form (property)', () => {
    fc.assert(
      fc.property(json, (doc) => {
        // Keys differing only by case are one .NET key: keep one of each.
        const seen = new Set<string>();
        const unique = Object.fromEntries(Object.entries(doc).filter(([k]) => !seen.has(k.toLowerCase()) && seen.add(k.toLowerCase())));
        expect(diffConfig(unique, unique, opts).drift).toEqual([]);
        const flat = Object.fromEntries(flattenConfig(unique));
        expect(diffConfig(unique, flat, opts).drift).toEqual([]);
        expect(diffConfig(flat, unique, opts).drift).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});

describe('required JSON fields', () => {
  const doc = { items: [{ key: 'a', value: null }], total: 0, nested: { deep: { x: false } } };
  it('finds dotted paths with indexes, counting null as present', () => {
    expect(parseFieldPath('items[0].key')).toEqual(['items', '0', 'key']);
    expect(parseFieldPath('a[0][1]')).toEqual(['a', '0', '1']);
    expect(parseFieldPath('a..b')).toBeNull();
    expect(parseFieldPath('a[x]')).toBeNull();
    expect(hasField(doc, 'items.0.value')).toBe(true);
    expect(hasField(doc, 'items[0].key')).toBe(true);
    expect(hasField(doc, 'items[1].key')).toBe(false);
    expect(hasField(doc, 'items.key')).toBe(false);
    expect(hasField(doc, 'total')).toBe(true);
    expect(hasField(doc, 'total.x')).toBe(false);
    expect(hasField(doc, 'nested.deep.x')).toBe(true);
    expect(hasField(doc, 'toString')).toBe(false);
    expect(missingFields(doc, ['items', 'page', 'a..b'])).toEqual(['page', 'a..b']);
    expect(getField(doc, 'nested.deep')).toEqual({ x: false });
    expect(getField(doc, 'nope')).toBeUndefined();
  });
});

describe('health bodies', () => {
  it('reads ASP.NET Core plain text and JSON with entries', () => {
    expect(readHealthBody('text/plain', 'Healthy')).toEqual({ status: 'green', rawStatus: 'Healthy', components: [] });
    expect(readHealthBody('text/plain', 'Degraded\n')).toMatchObject({ status: 'degraded' });
    expect(readHealthBody('text/html', '<html>oops</html>')).toEqual({ status: null, rawStatus: null, components: [] });
    expect(readHealthBody('application/json', '{"status":"Unhealthy","entries":{"sql":{"status":"Unhealthy"},"cache":{"status":"Healthy"}}}')).toEqual({
      status: 'red',
      rawStatus: 'Unhealthy',
      components: [
        { name: 'sql', status: 'red', raw: 'Unhealthy' },
        { name: 'cache', status: 'green', raw: 'Healthy' },
      ],
    });
  });
  it('reads component lists and maps of plain statuses', () => {
    expect(readHealthBody(null, '{"status":"UP","components":[{"name":"db","status":"DOWN"},{"status":"ok"}]}').components).toEqual([
      { name: 'db', status: 'red', raw: 'DOWN' },
      { name: '#1', status: 'green', raw: 'ok' },
    ]);
    expect(readHealthBody('application/json', '{"checks":{"db":"pass","queue":"warn"}}')).toEqual({
      status: null,
      rawStatus: null,
      components: [
        { name: 'db', status: 'green', raw: 'pass' },
        { name: 'queue', status: 'degraded', raw: 'warn' },
      ],
    });
    expect(readHealthBody('application/json', '{bad json')).toEqual({ status: null, rawStatus: null, components: [] });
    expect(healthState('Not Ready')).toBe('red');
    expect(healthState('banana')).toBe('unknown');
  });
});

describe('check and target schemas', () => {
  it('fills defaults so a policy can be terse', () => {
    expect(Check.parse({ kind: 'health' })).toEqual({ kind: 'health', healthPath: '/healthz', readyPath: '/ready', headers: {}, timeoutMs: 5000, maxBytes: 65536 });
    expect(Check.parse({ kind: 'sse' })).toMatchObject({ path: '/sse', windowMs: 20_000, ttfbSamples: 3, countComments: true });
    expect(Check.parse({ kind: 'pages', marker: 'id="root"' })).toMatchObject({ pages: [{ path: '/config' }, { path: '/flags' }, { path: '/jobs' }, { path: '/evidence' }, { path: '/dashboard' }] });
    expect(Check.parse({ kind: 'contract', endpoints: [{ path: '/api/x', expectStatus: 204 }] })).toMatchObject({ endpoints: [{ method: 'GET', expectStatus: [204], expectContentType: 'application/json' }] });
  });
  it('refuses credentials in the policy and unsafe settings or URLs', () => {
    expect(Check.safeParse({ kind: 'health', headers: { Authorization: 'Bearer x' } }).success).toBe(false);
    expect(Check.safeParse({ kind: 'health', healthPath: 'healthz' }).success).toBe(false);
    expect(SmokeTarget.safeParse({ label: 'a', baseUrl: 'https://h.test', auth: { kind: 'setting', setting: 'AzureWebJobsStorage' }, checks: [] }).success).toBe(false);
    expect(SmokeTarget.safeParse({ label: 'a', baseUrl: 'https://user:pw@h.test', checks: [] }).success).toBe(false);
    expect(SmokeTarget.safeParse({ label: 'a', baseUrl: 'ftp://h.test', checks: [] }).success).toBe(false);
    expect(SmokeTarget.parse({ label: 'a', baseUrl: 'https://h.test/api/', auth: { kind: 'setting', setting: 'SMOKE_API_TOKEN' }, checks: [] })).toEqual({
      label: 'a',
      baseUrl: 'https://h.test/api',
      auth: { kind: 'setting', setting: 'SMOKE_API_TOKEN', header: 'authorization', scheme: 'Bearer' },
      checks: [],
    });
  });
});
