/**
 * Property test of the alertContext variants: every fixture's context, mutated at random paths
 * (removed fields, confused types, odd durations, hostile keys), under every monitoringService.
 * Reading never throws; an alert that is read yields a Signal the incident input contract accepts
 * and that severity can rate; a context that fits no variant is kept raw with its problems.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAlert } from '../../src/app/intake.js';
import { Policy } from '../../src/config/policy.js';
import { SignalSchema } from '../../src/domain/incident.js';
import { classifySeverity } from '../../src/domain/severity.js';
import { anyContext, monitoringServices, sampleFiles, samples, type Json } from '../fuzz/payloads.js';
import { testPolicyPath } from '../harness/alerts.js';

type Doc = { data: { essentials: Record<string, unknown>; alertContext: Json } };

const fixtures = samples as unknown as Doc[];
const files = sampleFiles;
const services = monitoringServices;
const policy = Policy.parse(JSON.parse(readFileSync(testPolicyPath, 'utf8')));
const severityPolicy = { azure: policy.severity.azure, whenUnsure: policy.severity.whenUnsure, triggers: [...policy.triggers, { trigger: 'latency-p95' as const, match: { rulePattern: '.' } }] };
const contexts = anyContext;

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
