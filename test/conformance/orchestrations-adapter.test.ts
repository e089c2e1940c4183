/**
 * The product's Orchestrations adapter (src/adapters/durable-orchestrations.ts) on the real
 * durable-functions client, against both hosts: a duplicate start is reported as "exists" by the
 * instance's status (whatever code the host answers), and an event for a finished instance as
 * "gone" (the client resolves on 410, so the adapter reads the status).
 */
import { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DurableOrchestrations } from '../../src/adapters/durable-orchestrations.js';
import type { AzuriteInstance } from '../../src/devhost/index.js';
import { repoRoot, startTestAzurite } from '../harness/devhost.js';
import { hostKinds, startTarget, type Target } from './harness/hosts.js';

const appRoot = path.join(repoRoot, 'test', 'fixtures', 'conformance-app');

describe.each(hostKinds)('$name', ({ kind, skip }) => {
  let azurite: AzuriteInstance;
  let t: Target;
  let o: DurableOrchestrations;
  beforeAll(async () => {
    if (skip) return;
    azurite = await startTestAzurite();
    t = await startTarget(kind, { azurite, appRoot });
    // The client as a function receives it: the host's binding data, through df.getClient.
    const data = (await t.json<Record<string, unknown>>('/api/client-data')).body;
    const input = df.input.durableClient();
    const context = new InvocationContext({ functionName: 'adapterTest', options: { extraInputs: [input] } });
    context.extraInputs.set(input, data);
    o = new DurableOrchestrations(df.getClient(context));
  }, 300_000);
  afterAll(async () => {
    await t?.stop();
    await azurite?.stop();
  });
  const test = skip ? it.skip : it;

  test('a start under the id of a running instance is "exists"; the running one keeps its input', async () => {
    expect(await o.start('waitsForever', 'adapter-dup', { n: 1 })).toBe('started');
    await t.waitFor('adapter-dup', ['Running']);
    expect(await o.start('waitsForever', 'adapter-dup', { n: 2 })).toBe('exists');
    expect(await t.status('adapter-dup')).toMatchObject({ runtimeStatus: 'Running', input: { n: 1 } });
    expect(await o.state('adapter-dup')).toBe('running');
  });

  test('two racing starts of one id: one starts it, the other finds it, one instance runs', async () => {
    const outcomes = await Promise.all([o.start('waitsForever', 'adapter-race', { n: 1 }), o.start('waitsForever', 'adapter-race', { n: 2 })]);
    // Both may be accepted when neither has been stored yet (the second replaces the pending first);
    // never an error, and never two instances.
    expect(outcomes.every((x) => x === 'started' || x === 'exists')).toBe(true);
    const s = await t.waitFor('adapter-race', ['Running']);
    expect([1, 2]).toContain((s.input as { n: number }).n);
    expect(await o.start('waitsForever', 'adapter-race', { n: 3 })).toBe('exists');
  });

  test('events: "raised" for a running instance, "gone" for a finished one, "missing" for none', async () => {
    expect(await o.raise('adapter-dup', 'anything', { x: 1 })).toBe('raised');
    expect(await t.terminate('adapter-dup', 'test over')).toBe(202);
    await t.waitFor('adapter-dup', ['Terminated']);
    expect(await o.state('adapter-dup')).toBe('finished');
    expect(await o.raise('adapter-dup', 'anything', { x: 2 })).toBe('gone');
    expect(await o.raise('adapter-none', 'anything', { x: 3 })).toBe('missing');
    expect(await o.state('adapter-none')).toBe('none');
  });

  test('a finished instance can be started again under its id (overridableExistingInstanceStates: NonRunningStates)', async () => {
    expect(await o.start('waitsForever', 'adapter-dup', { n: 4 })).toBe('started');
    expect((await t.waitFor('adapter-dup', ['Running'])).input).toEqual({ n: 4 });
    await t.terminate('adapter-dup', 'test over');
  });
});
