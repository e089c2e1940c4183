/**
 * Property test of the alertContext variants: every fixture's context, mutated at random paths
 * (removed fields, confused types, odd durations, hostile keys), under every monitoringService.
 * Reading never throws; an alert that is read yields a Signal the incident input contract accepts
 * and that severity can rate; a context that fits no variant is kept raw with its problems.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAlert } from '../../src/app/intake.js';
import { Policy } from '../../src/config/policy.js';
import { SignalSchema } from '../../src/domain/incident.js';
import { classifySeverity } from '../../src/domain/severity.js';
import { alertFixture, fixturesDir, testPolicyPath } from '../harness/alerts.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Doc = { data: { essentials: Record<string, unknown>; alertContext: Json } };

const files = readdirSync(path.join(fixturesDir, 'azure-monitor')).filter((f) => f.endsWith('.json') && f !== 'budget-legacy-schema.json');
const fixtures = files.map((f) => alertFixture(f) as unknown as Doc);
const services = [...new Set(fixtures.map((d) => String(d.data.essentials.monitoringService)))];
const policy = Policy.parse(JSON.parse(readFileSync(testPolicyPath, 'utf8')));
const severityPolicy = { azure: policy.severity.azure, whenUnsure: policy.severity.whenUnsure, triggers: [...policy.triggers, { trigger: 'latency-p95' as const, match: { rulePattern: '.' } }] };

/** Every path to a value inside a JSON document. */
function pathsOf(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...pathsOf(v, [...prefix, i])));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...prefix, k]));
  return out;
}

const odd: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(null, '', 'PT', 'P', `P${'9'.repeat(400)}D`, `PT${'9'.repeat(330)}M`, 'PT-5M', 'NaN', 'Infinity', '1e400', '-0', 'Unavailable', 'LogQueryCriteria'),
  fc.constantFrom<Json>(1e308, -1e308, Number.MAX_SAFE_INTEGER, -1, 0, 0.5),
  fc.constantFrom<Json>([], {}, [null], [1, 'a'], { __proto__: { x: 1 } } as unknown as Json, { tables: [null, 1, { columns: 'x', rows: 5 }] }, { tables: [{ columns: [null, { name: 'AggregatedValue' }], rows: [null, [1, 2], 'r'] }] }),
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
);

/** A fixture's context with up to four paths replaced or removed. */
const mutatedContext: fc.Arbitrary<{ file: string; context: Json }> = fc.integer({ min: 0, max: fixtures.length - 1 }).chain((i) => {
  const context = (fixtures[i] as Doc).data.alertContext;
  const paths = pathsOf(context);
  return fc
    .array(fc.tuple(fc.constantFrom(...paths), fc.option(odd, { nil: undefined })), { minLength: 1, maxLength: 4 })
    .map((edits) => {
      let copy = structuredClone(context);
      for (const [at, value] of edits) {
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
      return { file: files[i] as string, context: copy };
    });
});

const contexts = fc.oneof({ weight: 4, arbitrary: mutatedContext }, { weight: 1, arbitrary: (fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>).map((context) => ({ file: '(any json)', context })) });

describe('alertContext under fuzzing', () => {
  it('is read without throwing into a Signal the incident input accepts, or kept raw with its problems', () => {
    fc.assert(
      fc.property(contexts, fc.oneof(fc.constantFrom(...services), fc.string({ maxLength: 20 })), ({ file, context }, monitoringService) => {
        const doc = structuredClone(fixtures[0]) as Doc;
        doc.data.essentials.monitoringService = monitoringService;
        doc.data.alertContext = context;
        const read = parseAlert(doc);
        // The envelope is intact: only the context changed, and a context never refuses an alert.
        expect(read.ok, `${file}: ${read.ok ? '' : read.message}`).toBe(true);
        if (!read.ok) return;
        const checked = SignalSchema.safeParse(read.signal);
        expect(checked.success, `${file} as ${monitoringService}: ${JSON.stringify(checked.error?.issues)} ${JSON.stringify(read.signal)}`).toBe(true);
        if (read.signal.kind === 'unknown') expect(read.signal.contextProblems.length).toBeGreaterThan(0);
        const decision = classifySeverity(read.signal, policy.environments.Prod!, severityPolicy);
        expect(['P1', 'P2', 'P3']).toContain(decision.level);
      }),
      { numRuns: 4000, seed: 20261126 },
    );
  });

  it('still reads every fixture as its own variant', () => {
    for (const [i, doc] of fixtures.entries()) {
      const read = parseAlert(doc);
      expect(read.ok && read.signal.kind !== 'unknown', files[i]).toBe(!files[i]?.startsWith('unknown-'));
    }
  });
});
