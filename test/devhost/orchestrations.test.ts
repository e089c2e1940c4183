/**
 * Dev host conformance: orchestrations of the test app run on the dev host through the real
 * durable-functions library, each feature asserted by outputs and statuses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { odata } from '@azure/data-tables';
import { createTableClient, storageTarget } from '../../src/adapters/storage.js';
import type { AzuriteInstance } from '../../src/devhost/azurite.js';
import { EventType, type HistoryEvent } from '../../src/devhost/durable/history.js';
import { startTestAzurite, startTestHost, type InstanceStatus, type TestHost } from '../harness/devhost.js';

let azurite: AzuriteInstance;
let h: TestHost;

beforeAll(async () => {
  azurite = await startTestAzurite();
  h = await startTestHost({ azurite });
});

afterAll(async () => {
  await h?.stop();
  await azurite?.stop();
});

/** The instance's history as the dev host stores it (the status API leaves out the episode markers). */
async function storedHistory(id: string): Promise<HistoryEvent[]> {
  return (await (await h.host.engine.getState(id))?.history()) ?? [];
}

describe('activities', () => {
  it('runs a 5-activity chain in order and records its history', async () => {
    const id = await h.start('chain', ['a', 'b', 'c', 'd', 'e']);
    const done = await h.waitFor(id);
    expect(done.output).toEqual(['Hello a', 'Hello b', 'Hello c', 'Hello d', 'Hello e']);
    const withHistory = (await h.status(id, '?showHistory=true&showHistoryOutput=true')) as InstanceStatus;
    const types = withHistory.historyEvents?.map((e) => e.EventType);
    expect(types?.filter((t) => t === 'TaskScheduled')).toHaveLength(5);
    expect(types?.filter((t) => t === 'TaskCompleted')).toHaveLength(5);
    expect(types?.at(0)).toBe('ExecutionStarted');
    expect(types?.at(-1)).toBe('ExecutionCompleted');
    expect(withHistory.historyEvents?.find((e) => e.EventType === 'TaskCompleted')?.Result).toBe('Hello a');
  });

  it('fans out 100 activities concurrently and gathers every result', async () => {
    const started = Date.now();
    const id = await h.start('fanOut', { count: 100, delayMs: 200 });
    const done = await h.waitFor(id);
    expect(done.output).toBe(4950);
    // 100 x 200 ms run concurrently: far less than the 20 s they would take one after another.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('delivers results that queued up together in one episode, each exactly once', async () => {
    const id = await h.start('fanOut', { count: 60, delayMs: 0 });
    expect((await h.waitFor(id)).output).toBe(1770);
    const status = (await h.status(id, '?showHistory=true&showHistoryOutput=true')) as InstanceStatus;
    const results = status.historyEvents?.filter((e) => e.EventType === 'TaskCompleted').map((e) => e.Result);
    expect(new Set(results)).toEqual(new Set(Array.from({ length: 60 }, (_, i) => i)));
    expect(results).toHaveLength(60);
    // One episode per result would be 61 (with the start).
    const episodes = (await storedHistory(id)).filter((e) => e.EventType === EventType.OrchestratorStarted).length;
    expect(episodes).toBeGreaterThan(1);
    expect(episodes).toBeLessThan(30);
  });

  it('applies 50 results that arrive together in one episode, and stores each episode as one history row', async () => {
    const id = await h.start('fanOutTogether', { count: 50 });
    expect((await h.waitFor(id)).output).toBe(1225);
    const types = (await storedHistory(id)).map((e) => e.EventType);
    expect(types.filter((t) => t === EventType.TaskCompleted)).toHaveLength(50);
    // The fan-out's episode and the fan-in's: not one per result, nor one for the first result and
    // another for the rest (results of the same turn of the event loop share an episode).
    expect(types.filter((t) => t === EventType.OrchestratorStarted)).toHaveLength(2);
    // Each commit writes the events it appends as one row (the 50 TaskScheduled of the fan-out
    // too), not one row per event: a commit is a transaction of a few operations, not of 50.
    const rows = createTableClient(storageTarget(process.env), `${h.host.hubName}DevHost`).listEntities({
      queryOptions: { filter: odata`PartitionKey eq ${id} and RowKey ge ${'h'} and RowKey lt ${'i'}`, select: ['RowKey'] },
    });
    const keys: string[] = [];
    for await (const r of rows) keys.push(String(r.rowKey));
    expect(keys).toEqual(['h00000000', `h${String(types.indexOf(EventType.OrchestratorStarted, 1)).padStart(8, '0')}`]);
  });

  it('keeps retries exact when a failure and its retry timer arrive among batched completions', async () => {
    const id = await h.start('fanOutMixed', { count: 30, flakyKey: 'mixed' });
    await h.settle();
    expect((await h.status(id))?.runtimeStatus).toBe('Running');
    await h.advance(1000); // the retry timer fires: attempt 2 succeeds
    const done = await h.waitFor(id);
    const out = done.output as unknown[];
    expect(out).toHaveLength(61);
    expect(out[30]).toEqual({ attempt: 2 });
    expect(out.filter((v, i) => i !== 30)).toEqual(Array.from({ length: 60 }, (_, i) => i));
  });

  it('surfaces an activity failure to the orchestrator as the Durable extension words it', async () => {
    const id = await h.start('activityFails');
    const done = await h.waitFor(id);
    // Two spaces: the extension keeps the space after "Exception:" of the host's RPC error text.
    expect(done.output).toContain("Activity function 'boom' failed:  exploded: kaput \n {");
  });

  it('retries an activity with backoff on durable timers and succeeds on attempt 3', async () => {
    const id = await h.start('retry', { key: 'ok3', failUntil: 3, attempts: 5, firstRetryMs: 1000, backoff: 2 });
    await h.settle();
    expect((await h.status(id))?.runtimeStatus).toBe('Running');
    await h.advance(999);
    expect((await h.status(id))?.runtimeStatus).toBe('Running');
    await h.advance(1); // first retry after 1 s: attempt 2 fails
    await h.advance(1999);
    expect((await h.status(id))?.runtimeStatus).toBe('Running');
    await h.advance(1); // second retry after 2 s (backoff 2): attempt 3 succeeds
    const done = await h.waitFor(id);
    expect(done.output).toEqual({ attempt: 3 });
    const probe = await h.json<{ counters: Record<string, number> }>('/api/probe');
    expect(probe.body.counters['flaky:ok3']).toBe(3);
  });

  it('fails the orchestration with the last error once the attempts are used up', async () => {
    const id = await h.start('retry', { key: 'never', failUntil: 99, attempts: 2, firstRetryMs: 500 });
    await h.advance(500);
    await h.advance(0);
    const done = await h.waitFor(id, ['Failed']);
    expect(String(done.output)).toContain('attempt 2 failed');
  });
});

describe('timers and events', () => {
  it('cancels the timer that loses a Task.any to an external event', async () => {
    const id = await h.start('approval', { timeoutMs: 600_000 });
    await h.settle();
    expect(await h.raise(id, 'approve', { by: 'sre-on-call', path: 'rollback' })).toBe(202);
    const done = await h.waitFor(id);
    expect(done.output).toEqual({ decision: { by: 'sre-on-call', path: 'rollback' }, after: 'Hello after-approval' });
    // The cancelled timer never fires: moving past its deadline changes nothing.
    await h.advance(700_000);
    const later = await h.status(id, '?showHistory=true');
    expect(later?.runtimeStatus).toBe('Completed');
    expect(later?.historyEvents?.some((e) => e.EventType === 'TimerFired')).toBe(false);
    expect(h.logs.some((l) => l.message.includes(id) && l.message.includes('neither fired nor cancelled'))).toBe(false);
  });

  it('lets the timer win a Task.any when nobody answers, at exactly the deadline', async () => {
    const startedAt = h.host.clock.now();
    const id = await h.start('approval', { timeoutMs: 600_000 });
    await h.advance(599_999);
    expect((await h.status(id))?.runtimeStatus).toBe('Running');
    await h.advance(1);
    const done = await h.waitFor(id);
    expect(done.output).toEqual({ decision: 'timeout', at: new Date(startedAt + 600_000).toISOString() });
  });

  it('keeps an external event that arrives before the orchestrator waits for it', async () => {
    const id = await h.start('earlyEvent');
    expect(await h.raise(id, 'go', 'early bird')).toBe(202);
    const done = await h.waitFor(id);
    expect(done.output).toEqual({ first: 1, go: 'early bird' });
    // The orchestrator starts waiting only once the activity's result is in: the event must be
    // in the history before that result, or this test did not exercise the early case.
    const types = ((await h.status(id, '?showHistory=true')) as InstanceStatus).historyEvents?.map((e) => e.EventType) ?? [];
    expect(types.filter((t) => t === 'EventRaised')).toHaveLength(1);
    expect(types.indexOf('TaskCompleted')).toBeGreaterThan(-1);
    expect(types.indexOf('EventRaised')).toBeLessThan(types.indexOf('TaskCompleted'));
  });

  it('two concurrent starts of one id make one instance, and an event raised meanwhile reaches it', async () => {
    const id = `concurrent-${Date.now()}`;
    const first = h.start('approval', { timeoutMs: 600_000 }, id);
    const second = h.start('approval', { timeoutMs: 600_000 }, id);
    // The loser settles first: the raise then comes while the winner is still being created.
    await second.catch(() => undefined);
    const raised = h.raise(id, 'approve', 'yes');
    const starts = await Promise.allSettled([first, second]);
    expect(starts.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(await raised).toBe(202);
    const done = await h.waitFor(id);
    expect(done.output).toEqual({ decision: 'yes', after: 'Hello after-approval' });
  });

  it('shows custom status while running and after completion', async () => {
    const id = await h.start('statusReporter');
    await h.settle();
    const running = await h.status(id);
    expect(running?.customStatus).toMatchObject({ phase: 'waiting' });
    await h.raise(id, 'note', 'checked dashboards');
    const done = await h.waitFor(id);
    expect(done.customStatus).toEqual({ phase: 'done', note: 'checked dashboards' });
  });
});

describe('orchestration lifecycle', () => {
  it('continues as new until done, keeping the instance id', async () => {
    const id = await h.start('counter', 0, 'counter-instance');
    expect(id).toBe('counter-instance');
    const done = await h.waitFor(id);
    expect(done.output).toBe(3);
    expect(done.input).toBe(3);
    const history = await h.status(id, '?showHistory=true');
    // Only the last execution's history is kept.
    expect(history?.historyEvents?.filter((e) => e.EventType === 'TaskScheduled')).toHaveLength(1);
  });

  it('runs sub-orchestrations and reports a failing child to its parent', async () => {
    const id = await h.start('parent', { name: 'kid' });
    const done = await h.waitFor(id);
    expect(done.output).toEqual({
      child: 'child says Hello kid',
      failure: "Orchestrator function 'failing' failed: the runbook step is broken ",
    });
    const child = await h.status(`${id}-failing-child`);
    expect(child?.runtimeStatus).toBe('Failed');
  });

  it('reports an orchestrator exception as Failed with the message', async () => {
    const id = await h.start('failing');
    const done = await h.waitFor(id, ['Failed']);
    expect(done.output).toBe("Orchestrator function 'failing' failed: the runbook step is broken");
  });

  it('fails an orchestrator whose replay does not match its history', async () => {
    const id = await h.start('nondeterministic');
    await h.settle();
    await h.raise(id, 'next', 1);
    const done = await h.waitFor(id, ['Failed']);
    expect(String(done.output)).toMatch(/^Non-Deterministic workflow detected: .* sequence number 0 named 'hello', but the current orchestration replay instead produced a CreateTimerOrchestratorAction action/);
  });

  it('terminates a running instance and refuses events afterwards', async () => {
    const id = await h.start('forever');
    await h.settle();
    expect(await h.terminate(id, 'operator stopped it')).toBe(202);
    const done = await h.waitFor(id, ['Terminated']);
    expect(done.output).toBe('operator stopped it');
    expect(await h.raise(id, 'never', null)).toBe(410);
    expect(await h.terminate(id, 'again')).toBe(410);
  });

  it('refuses to start a second instance with the id of a running one', async () => {
    await h.start('forever', undefined, 'only-one');
    const res = await h.fetch('/runtime/webhooks/durabletask/orchestrators/forever/only-one', { method: 'POST', body: '' });
    expect(res.status).toBe(409);
    await h.terminate('only-one', 'cleanup');
    await h.waitFor('only-one', ['Terminated']);
    // A finished instance may be replaced by a new one with the same id.
    await h.start('chain', ['x'], 'only-one');
    expect((await h.waitFor('only-one')).output).toEqual(['Hello x']);
  });

  it('answers 400 for an unknown orchestrator and for an invalid instance id, 404 for an unknown instance', async () => {
    const unknown = await h.fetch('/runtime/webhooks/durabletask/orchestrators/nope', { method: 'POST', body: '' });
    expect(unknown.status).toBe(400);
    const badId = await h.fetch('/runtime/webhooks/durabletask/orchestrators/chain/a%23b', { method: 'POST', body: '' });
    expect(badId.status).toBe(400);
    expect(await h.status('does-not-exist')).toBeUndefined();
    expect(await h.raise('does-not-exist', 'x', 1)).toBe(404);
  });

  it('purges finished instances only', async () => {
    const id = await h.start('chain', ['p']);
    await h.waitFor(id);
    const running = await h.start('forever');
    await h.settle();
    const purgeRunning = await h.fetch(`/runtime/webhooks/durabletask/instances/${running}`, { method: 'DELETE' });
    expect(purgeRunning.status).toBe(404);
    const purged = await h.json<{ instancesDeleted: number }>(`/runtime/webhooks/durabletask/instances/${id}`, { method: 'DELETE' });
    expect(purged).toMatchObject({ status: 200, body: { instancesDeleted: 1 } });
    expect(await h.status(id)).toBeUndefined();
    await h.terminate(running, 'cleanup');
  });
});

describe('suspend, resume and purging by filter', () => {
  it('holds events while suspended and applies them on resume', async () => {
    const id = await h.start('statusReporter');
    await h.settle();
    expect((await h.fetch(`/runtime/webhooks/durabletask/instances/${id}/suspend?reason=maintenance`, { method: 'POST' })).status).toBe(202);
    await h.settle();
    expect((await h.status(id))?.runtimeStatus).toBe('Suspended');
    expect(await h.raise(id, 'note', 'while suspended')).toBe(202);
    await h.settle();
    expect((await h.status(id))?.runtimeStatus).toBe('Suspended');
    expect((await h.fetch(`/runtime/webhooks/durabletask/instances/${id}/resume?reason=done`, { method: 'POST' })).status).toBe(202);
    expect((await h.waitFor(id)).output).toBe('while suspended');
  });

  it('purges finished instances created in a time range, leaving running ones', async () => {
    const from = new Date(h.host.clock.now()).toISOString();
    const done = await h.start('chain', ['purge-me']);
    await h.waitFor(done);
    const running = await h.start('forever');
    await h.settle();
    const res = await h.json<{ instancesDeleted: number }>(`/runtime/webhooks/durabletask/instances/?createdTimeFrom=${from}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(res.body.instancesDeleted).toBeGreaterThanOrEqual(1);
    expect(await h.status(done)).toBeUndefined();
    expect((await h.status(running))?.runtimeStatus).toBe('Running');
    await h.terminate(running, 'cleanup');
  });
});

describe('the real DurableClient inside HTTP triggers, activities and timer functions', () => {
  it('starts, queries, raises and terminates through df.getClient and the check-status URLs', async () => {
    const started = await h.json<Record<string, string>>('/api/orchestrators/statusReporter/client-made', { method: 'POST', body: '' });
    expect(started.status).toBe(202);
    expect(started.body.id).toBe('client-made');
    expect(started.body.statusQueryGetUri).toMatch(new RegExp(`^${h.baseUrl}/runtime/webhooks/durabletask/instances/client-made\\?`));
    expect(started.headers.get('location')).toBe(started.body.statusQueryGetUri);
    await h.settle();

    const viaUri = await fetch(started.body.statusQueryGetUri as string);
    expect(viaUri.status).toBe(202);
    expect(((await viaUri.json()) as InstanceStatus).runtimeStatus).toBe('Running');

    const raised = await h.fetch('/api/client/client-made/raise/note', { method: 'POST', body: JSON.stringify('via client') });
    expect(raised.status).toBe(202);
    await h.waitFor('client-made');
    const status = await h.json<InstanceStatus>('/api/client/client-made');
    expect(status.body).toMatchObject({ runtimeStatus: 'Completed', output: 'via client', instanceId: 'client-made' });

    const sendEventUri = started.body.sendEventPostUri?.replace('{eventName}', 'note') ?? '';
    expect((await fetch(sendEventUri, { method: 'POST', body: '"late"' })).status).toBe(410);

    const listed = await h.json<{ instanceId: string; runtimeStatus: string }[]>('/api/client?status=Completed');
    expect(listed.body.some((s) => s.instanceId === 'client-made')).toBe(true);
    const running = await h.json<{ instanceId: string }[]>('/api/client?status=Running');
    expect(running.body.some((s) => s.instanceId === 'client-made')).toBe(false);

    await h.fetch('/api/orchestrators/forever/client-forever', { method: 'POST', body: '' });
    await h.settle();
    expect((await h.fetch('/api/client/client-forever/terminate', { method: 'POST' })).status).toBe(202);
    await h.waitFor('client-forever', ['Terminated']);
    const purge = await h.json<{ instancesDeleted: number }>('/api/client/client-forever', { method: 'DELETE' });
    expect(purge.body.instancesDeleted).toBe(1);
  });

  it('gives an activity that declares a durableClient input a working df.getClient', async () => {
    const id = await h.start('signalsItself');
    const done = await h.waitFor(id);
    expect(done.output).toEqual({ seen: 'Running', signal: { from: 'clientActivity' } });
  });
});
