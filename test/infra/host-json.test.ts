/**
 * host.json against the published host.json JSON schema (SchemaStore's, kept in
 * test/fixtures/schemastore with its source), with ajv; and the settings this app relies on.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../harness/bicep.js';

const schema = JSON.parse(readFileSync(path.join(repoRoot, 'test', 'fixtures', 'schemastore', 'host.json'), 'utf8')) as Record<string, unknown>;
const hostJson = JSON.parse(readFileSync(path.join(repoRoot, 'host.json'), 'utf8')) as Record<string, unknown>;

function validate(doc: unknown): string[] {
  // strict: false: the published schema uses keywords ajv's strict mode rejects (e.g. markdown descriptions).
  const ajv = new Ajv({ strict: false, allErrors: true });
  const check = ajv.compile(schema);
  return check(doc) ? [] : (check.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}

/**
 * Durable options the extension reads from host.json (DurableTaskOptions) that the published schema
 * does not list yet, with the values the extension accepts. The app needs this one: a second start
 * of a running incident's id must be refused, not restart it.
 */
const NOT_IN_SCHEMA = { overridableExistingInstanceStates: ['AnyState', 'NonRunningStates'] };

function withoutKnownGaps(doc: Record<string, unknown>): Record<string, unknown> {
  const extensions = doc.extensions as { durableTask: Record<string, unknown> };
  const durableTask = Object.fromEntries(Object.entries(extensions.durableTask).filter(([k]) => !(k in NOT_IN_SCHEMA)));
  return { ...doc, extensions: { ...extensions, durableTask } };
}

describe('host.json', () => {
  it('is valid against the published host.json schema (but for the Durable options it does not list yet)', () => {
    expect(schema.$id).toBe('https://json.schemastore.org/host.json');
    expect(validate(withoutKnownGaps(hostJson))).toEqual([]);
    const durable = (hostJson.extensions as { durableTask: Record<string, unknown> }).durableTask;
    for (const [key, values] of Object.entries(NOT_IN_SCHEMA)) if (key in durable) expect(values).toContain(durable[key]);
    // The gap is real: the schema refuses the option as an unknown property.
    expect(validate(hostJson)).toContain('/extensions/durableTask must NOT have additional properties');
  });

  it('the schema catches a broken host.json (so the test above can fail)', () => {
    expect(validate({ ...hostJson, version: '3.0' }).length).toBeGreaterThan(0);
    expect(validate({ ...hostJson, functionTimeout: '10 minutes' }).length).toBeGreaterThan(0);
    const durable = (hostJson.extensions as { durableTask: Record<string, unknown> }).durableTask;
    expect(validate({ ...hostJson, extensions: { ...(hostJson.extensions as object), durableTask: { ...durable, maxConcurrentActivityFunctions: 'many' } } }).length).toBeGreaterThan(0);
  });

  it('uses the extension bundle Flex Consumption requires for Node apps and the task hub setting infra sets', () => {
    expect(hostJson.extensionBundle).toEqual({ id: 'Microsoft.Azure.Functions.ExtensionBundle', version: '[4.*, 5.0.0)' });
    expect((hostJson.extensions as { durableTask: { hubName: string } }).durableTask.hubName).toBe('%TaskHubName%');
  });
});
