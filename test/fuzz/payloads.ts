/**
 * Generated alert payloads for POST /api/alerts, shared by the property tests
 * (test/app/alerts-fuzz.test.ts, test/app/intake-context-fuzz.test.ts, test/app/fuzz-run.test.ts)
 * and `npm run fuzz` (test/fuzz/run.ts). Mutations of the real samples in test/fixtures/azure-monitor
 * plus structural attacks. Each payload says what it must get:
 *   refused   it can never be processed (not JSON, not the common schema, a required field missing
 *             or mistyped, nested too deep, too large, not JSON's content type): a 4xx, nothing started;
 *   accepted  an alert in the common schema however odd (a mutated alertContext, huge or exotic
 *             strings, prototype keys, nesting under the limit): a 2xx, i.e. an incident, a
 *             correlation, a duplicate, a recovery signal or an unmatched record, never a 4xx or 5xx.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { MAX_ALERT_BYTES } from '../../src/app/intake.js';
import { MAX_JSON_DEPTH } from '../../src/domain/json-fields.js';
import { alertFixture, fixturesDir } from '../harness/alerts.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Doc = { schemaId: string; data: { essentials: Record<string, unknown>; alertContext: Json; customProperties?: Record<string, unknown> | null } };

export interface Payload {
  label: string;
  expect: 'refused' | 'accepted';
  contentType: string;
  body: string;
}

/** Samples in the common schema (the legacy-schema one is not). */
export const sampleFiles = readdirSync(path.join(fixturesDir, 'azure-monitor')).filter((f) => f.endsWith('.json') && f !== 'budget-legacy-schema.json');
export const samples = sampleFiles.map((f) => alertFixture(f) as unknown as Doc);
export const monitoringServices = [...new Set(samples.map((d) => String(d.data.essentials.monitoringService)))];
/** The one every mutation of the envelope starts from (a P1-grade 5xx metric alert). */
export const baseSample = alertFixture('metric-5xx-fired.json') as unknown as Doc;

/** Names every JavaScript object inherits: `in` and `obj[name]` find them all. */
export const inheritedNames = [...Object.getOwnPropertyNames(Object.prototype), ...Object.getOwnPropertyNames(Function.prototype), 'prototype'];

/** Every path to a value inside a JSON document. */
export function pathsOf(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...pathsOf(v, [...prefix, i])));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...prefix, k]));
  return out;
}

/** Values the alertContext readers find odd: durations, numbers at the edges, shapes of the wrong kind. */
export const oddValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(null, '', 'PT', 'P', `P${'9'.repeat(400)}D`, `PT${'9'.repeat(330)}M`, 'PT-5M', 'NaN', 'Infinity', '1e400', '-0', 'Unavailable', 'LogQueryCriteria'),
  fc.constantFrom<Json>(1e308, -1e308, Number.MAX_SAFE_INTEGER, -1, 0, 0.5),
  fc.constantFrom<Json>([], {}, [null], [1, 'a'], { __proto__: { x: 1 } } as unknown as Json, { tables: [null, 1, { columns: 'x', rows: 5 }] }, { tables: [{ columns: [null, { name: 'AggregatedValue' }], rows: [null, [1, 2], 'r'] }] }),
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
);

/** A sample's alertContext with up to four paths replaced or removed. */
export const mutatedContext: fc.Arbitrary<{ file: string; context: Json }> = fc.integer({ min: 0, max: samples.length - 1 }).chain((i) => {
  const context = (samples[i] as Doc).data.alertContext;
  const paths = pathsOf(context);
  return fc
    .array(fc.tuple(fc.constantFrom(...paths), fc.option(oddValue, { nil: undefined })), { minLength: 1, maxLength: 4 })
    .map((edits) => {
      let copy = structuredClone(context);
      // Values are copied in: constants are shared between samples, and an edit below one that
      // was inserted earlier would otherwise change (and could close a cycle in) the constant.
      for (const [at, shared] of edits) {
        const value = shared === undefined ? undefined : structuredClone(shared);
        if (at.length === 0) {
          copy = value ?? null;
          continue;
        }
        let node = copy as Record<string | number, Json> | null;
        for (const key of at.slice(0, -1)) node = node && typeof node === 'object' ? (node[key] as Record<string | number, Json>) : null;
        if (!node || typeof node !== 'object') continue;
        const last = at[at.length - 1] as string | number;
        if (value === undefined) delete node[last];
        else node[last] = value;
      }
      return { file: sampleFiles[i] as string, context: copy };
    });
});

/** Any alertContext a monitoring service might send: mostly mutated samples, some arbitrary JSON. */
export const anyContext = fc.oneof(
  { weight: 4, arbitrary: mutatedContext },
  { weight: 1, arbitrary: (fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>).map((context) => ({ file: '(any json)', context })) },
);

// ---- refused --------------------------------------------------------------------------------

const json = 'application/json';
const baseText = JSON.stringify(baseSample);

function setPath(doc: unknown, at: (string | number)[], value: unknown, remove: boolean): unknown {
  const copy = structuredClone(doc) as Record<string, unknown>;
  let node: Record<string, unknown> = copy;
  for (const key of at.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = at[at.length - 1] as string;
  if (remove) delete node[last];
  else node[last] = value;
  return copy;
}

/** Paths whose removal or type confusion must make the payload invalid. */
const requiredPaths: (string | number)[][] = [['schemaId'], ['data'], ['data', 'essentials'], ['data', 'essentials', 'alertId'], ['data', 'essentials', 'firedDateTime']];
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

const refused = (label: string, body: string, contentType = json): Payload => ({ label, expect: 'refused', contentType, body });

/** `n` objects, each inside the previous one, around `inner`, as text (JSON.stringify gives up first). */
export const nested = (n: number, inner = '"bottom"'): string => `${'{"d":'.repeat(n)}${inner}${'}'.repeat(n)}`;

/** Payloads that can never be processed: each must get a 4xx envelope and start nothing. */
export const malformedPayloads: fc.Arbitrary<Payload> = fc.oneof(
  // Any JSON value that is not an object in the common schema.
  fc.jsonValue().map((v) => refused('random json', JSON.stringify(v))),
  // The sample with a required field removed or type-confused (unless the confusion is a valid value).
  fc
    .tuple(fc.constantFrom(...requiredPaths), fc.boolean(), confused)
    .map(([at, remove, value]) => refused(`required ${at.join('.')}`, JSON.stringify(setPath(baseSample, at, value, remove))))
    .filter((p) => {
      const v = JSON.parse(p.body) as { schemaId?: unknown; data?: { essentials?: { alertId?: unknown; firedDateTime?: unknown } } };
      const e = v.data?.essentials;
      return !(v.schemaId === 'azureMonitorCommonAlertSchema' && typeof e?.alertId === 'string' && e.alertId !== '' && typeof e.firedDateTime === 'string' && !Number.isNaN(Date.parse(e.firedDateTime)));
    }),
  // A typed optional field given the wrong type.
  fc.constantFrom(...typedPaths).chain((t) => t.bad.map((bad) => refused(`typed ${t.path.join('.')}`, JSON.stringify(setPath(baseSample, t.path, bad, false))))),
  // Truncated JSON: every strict prefix of an object is invalid JSON.
  fc.integer({ min: 0, max: baseText.length - 1 }).map((n) => refused('truncated', baseText.slice(0, n))),
  // Arbitrary text and bytes.
  fc.string({ maxLength: 200 }).map((s) => refused('text', s)),
  fc.uint8Array({ maxLength: 200 }).map((b) => refused('bytes', Buffer.from(b).toString('latin1'))),
  // Deep nesting: at the root, and inside an otherwise valid alert (past the stated limit).
  fc.integer({ min: 1000, max: 50_000 }).map((d) => refused('deep array', '['.repeat(d) + ']'.repeat(d))),
  fc
    .tuple(fc.integer({ min: MAX_JSON_DEPTH, max: 20_000 }), fc.constantFrom('"alertContext":{', '"customProperties":{', '"data":{'))
    .map(([d, at]) => refused(`deep in ${at.slice(1, -3)}`, baseText.replace(at, () => `${at}"deep":${nested(d)},`))),
  // Wrong content types around a valid body.
  fc.constantFrom('text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded').map((t) => refused(`type ${t}`, baseText, t)),
);

/** Larger than the intake takes (512 KB): refused with 413 before it is parsed. Kept apart: costly to send. */
export const oversizedPayloads: fc.Arbitrary<Payload> = fc.integer({ min: MAX_ALERT_BYTES + 1, max: 700 * 1024 }).map((size) => refused('oversized', `{"schemaId":"${'x'.repeat(size)}"}`));

// ---- accepted -------------------------------------------------------------------------------

const exotic = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('\u0000', '\u202e\u202d', 'ﷺ', '𝕴𝖓𝖈𝖎𝖉𝖊𝖓𝖙', '\ud800', '\udfff', 'a\u0301'.repeat(50), "'; DROP TABLE Incidents;--", '${jndi:ldap://x}', '%00%2F..%2F'),
  fc.constantFrom(...inheritedNames),
);
const huge = fc.integer({ min: 1_000, max: 50_000 }).chain((n) => fc.constantFrom('x', 'é', '🚨', 'ab ').map((c) => c.repeat(Math.ceil(n / c.length)).slice(0, n)));
const anyName = fc.oneof({ weight: 3, arbitrary: exotic }, { weight: 1, arbitrary: huge });
const propertyValue = fc.oneof(exotic, fc.integer(), fc.boolean(), fc.constant(null), fc.jsonValue({ maxDepth: 2 }));

export interface AcceptedOptions {
  /** `service@environment` that routed payloads name in customProperties (the policy must route it). */
  route: string;
  /** Distinct alert ids per sample and run: redeliveries of the same alert are duplicates. */
  idPool: number;
  /** Makes this run's alert ids its own. */
  runId: string;
}

/** Odd but valid alerts: each must get a 2xx and never a 5xx. */
export function acceptedPayloads(o: AcceptedOptions): fc.Arbitrary<Payload> {
  const [service, environment] = o.route.split('@');
  return fc
    .record({
      sample: fc.integer({ min: 0, max: samples.length - 1 }),
      slot: fc.integer({ min: 0, max: o.idPool - 1 }),
      routed: fc.boolean(),
      context: fc.option(anyContext, { freq: 2 }),
      monitoringService: fc.option(fc.oneof(fc.constantFrom(...monitoringServices), exotic), { freq: 3 }),
      rule: fc.option(anyName, { freq: 2 }),
      description: fc.option(anyName, { freq: 2 }),
      properties: fc.dictionary(fc.oneof(exotic, fc.constantFrom('__proto__', 'constructor', 'prototype', 'service', 'environment', 'trigger')), propertyValue, { maxKeys: 5 }),
      extra: fc.option(fc.tuple(fc.constantFrom('__proto__', 'constructor', 'x-extra', 'essentials2'), fc.jsonValue({ maxDepth: 3 })), { freq: 3 }),
      depth: fc.option(fc.integer({ min: 1, max: MAX_JSON_DEPTH - 10 }), { freq: 4 }),
    })
    .map((g) => {
      const doc = structuredClone(samples[g.sample] as Doc);
      const e = doc.data.essentials;
      const labels: string[] = [sampleFiles[g.sample] as string];
      e.alertId = `${String(e.alertId)}-fuzz-${o.runId}-${g.routed ? 'routed' : 'any'}-${g.slot}`;
      if (g.context) {
        doc.data.alertContext = g.context.context;
        labels.push(`context of ${g.context.file}`);
      }
      if (g.monitoringService !== null) e.monitoringService = g.monitoringService;
      if (g.rule !== null) e.alertRule = g.rule;
      if (g.description !== null) e.description = g.description;
      const props: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
      for (const [k, v] of Object.entries(g.properties)) props[k] = v;
      // Routed: the service and environment by custom properties (first match wins over the rest).
      if (g.routed) Object.assign(props, { service, environment });
      else if (typeof props.service === 'string' || typeof props.environment === 'string') delete props.service;
      doc.data.customProperties = props;
      let body = JSON.stringify(doc);
      // Inserted with a function: a replacement string would read "$'" in the values as a pattern.
      const insert = (text: string): string => body.replace('"data":{', () => `"data":{${text},`);
      // JSON.parse makes "__proto__" an own property: the app must treat it as data.
      if (g.extra) body = insert(`${JSON.stringify(g.extra[0])}:${JSON.stringify(g.extra[1])}`);
      if (g.depth) body = insert(`"x-nested":${nested(g.depth)}`);
      if (g.rule !== null && g.rule.length > 256) labels.push('long rule');
      // Huge strings add up: a body past the intake's limit is refused (413) like any other.
      const over = Buffer.byteLength(body) > MAX_ALERT_BYTES;
      return { label: `${over ? 'oversized alert' : 'accepted'}: ${labels.join(', ')}`, expect: over ? ('refused' as const) : ('accepted' as const), contentType: json, body };
    });
}

/** The fuzz mix: mostly malformed payloads, odd valid alerts, a few oversized ones. */
export function fuzzPayloads(o: AcceptedOptions): fc.Arbitrary<Payload> {
  return fc.oneof({ weight: 56, arbitrary: malformedPayloads }, { weight: 42, arbitrary: acceptedPayloads(o) }, { weight: 2, arbitrary: oversizedPayloads });
}
