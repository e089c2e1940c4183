/**
 * Dev host conformance: instances live in Table storage, so a new host on the same task hub
 * resumes them: timers re-armed, unfinished activities re-run, inbox messages applied once. The
 * last test kills a separate dev host process with SIGKILL in the middle of a run.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTableClient, storageTarget } from '../../src/adapters/storage.js';
import { freePort, type AzuriteInstance } from '../../src/devhost/azurite.js';
import { ManualClock } from '../../src/devhost/clock.js';
import { HubStore } from '../../src/devhost/durable/store.js';
import { startHostProcess, startTestAzurite, startTestHost, uniqueHubName, type InstanceStatus } from '../harness/devhost.js';

let azurite: AzuriteInstance;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'devhost-'));

beforeAll(async () => {
  azurite = await startTestAzurite();
});
afterAll(async () => {
  await azurite?.stop();
});

const hubStore = (hubName: string): HubStore =>
  new HubStore(createTableClient(storageTarget(process.env), `${hubName}DevHost`), hubName);

const journal = (file: string): string[] => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : []);

describe('restart of an in-process host', () => {
  it('re-arms a durable timer and finishes after the restart', async () => {
    const hubName = uniqueHubName('Timer');
    const first = await startTestHost({ azurite, hubName });
    const id = await first.start('sleeper', { waitMs: 3_600_000 });
    await first.settle();
    await first.stop();

    const second = await startTestHost({ azurite, hubName, clock: new ManualClock(Date.UTC(2026, 0, 1, 0, 30)) });
    expect((await second.status(id))?.runtimeStatus).toBe('Running');
    await second.advance(29 * 60_000);
    expect((await second.status(id))?.runtimeStatus).toBe('Running');
    await second.advance(60_000);
    expect((await second.waitFor(id)).output).toBe('Hello woke up');
    await second.stop();
  });

  it('applies an event stored before the restart and one raised during start-up, each exactly once', async () => {
    const hubName = uniqueHubName('Inbox');
    const first = await startTestHost({ azurite, hubName });
    const id = await first.start('collector', { count: 2 });
    await first.settle();
    const executionId = (await first.host.engine.getState(id))?.state.executionId;
    await first.stop();

    // 1. An event the previous host stored but never applied (as if it crashed right after accepting it).
    const store = hubStore(hubName);
    await store.addInbox(id, { key: 'i000000000000stored', executionId, body: { kind: 'event', name: 'note', input: '"stored before the restart"' } });

    // 2. An event raised while the next host is still starting (its appStart hook is slowed down).
    const port = await freePort();
    let started = false;
    const starting = startTestHost({ azurite, hubName, port, env: { DEVHOST_TEST_APPSTART_DELAY_MS: '800' } }).then((h) => {
      started = true;
      return h;
    });
    let status: number | undefined;
    let sentWhileStarting = false;
    while (status === undefined) {
      const whileStarting = !started;
      try {
        const res = await fetch(`http://127.0.0.1:${port}/runtime/webhooks/durabletask/instances/${id}/raiseEvent/note`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify('raised during start-up'),
          signal: AbortSignal.timeout(15_000),
        });
        status = res.status;
        sentWhileStarting = whileStarting;
      } catch (err) {
        if ((err as { cause?: { code?: string } }).cause?.code !== 'ECONNREFUSED') throw err;
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    const second = await starting;
    delete process.env.DEVHOST_TEST_APPSTART_DELAY_MS;
    expect(sentWhileStarting).toBe(true); // the start-up window was really exercised
    expect(status).toBe(202);

    const done = await second.waitFor(id);
    expect(done.output).toEqual(['stored before the restart', 'raised during start-up']);
    const history = (await second.status(id, '?showHistory=true')) as InstanceStatus;
    expect(history.historyEvents?.filter((e) => e.EventType === 'EventRaised')).toHaveLength(2);
    expect(await store.loadInbox(id)).toEqual([]);
    await second.stop();
  });

  it('keeps a raise or terminate that arrives while the engine is stopping, and applies it after the restart', async () => {
    const hubName = uniqueHubName('Stopping');
    const first = await startTestHost({ azurite, hubName });
    const waiting = await first.start('collector', { count: 2 });
    const forever = await first.start('forever');
    const finished = await first.start('chain', ['x']);
    await first.waitFor(finished);
    await first.settle();

    first.host.engine.stop(); // the window between the engine stopping and the servers closing
    expect(await first.host.engine.raiseEvent(waiting, 'note', '"during the stop"')).toBe('accepted');
    expect(await first.host.engine.terminate(forever, 'stopped during the stop')).toBe('accepted');
    expect(await first.host.engine.raiseEvent(finished, 'note', '"too late"')).toBe('gone');
    expect(await first.host.engine.raiseEvent('no-such-instance', 'note', undefined)).toBe('notFound');
    await first.stop();

    const second = await startTestHost({ azurite, hubName });
    expect((await second.waitFor(forever, ['Terminated'])).output).toBe('stopped during the stop');
    expect(await second.raise(waiting, 'note', 'after the restart')).toBe(202);
    expect((await second.waitFor(waiting)).output).toEqual(['during the stop', 'after the restart']);
    const history = (await second.status(waiting, '?showHistory=true')) as InstanceStatus;
    expect(history.historyEvents?.filter((e) => e.EventType === 'EventRaised')).toHaveLength(2);
    await second.stop();
  });

  it('lets a request that is running when the host stops deliver its event', async () => {
    const hubName = uniqueHubName('Drain');
    const first = await startTestHost({ azurite, hubName });
    const id = await first.start('collector', { count: 1 });
    await first.settle();
    const calls = async (): Promise<number> =>
      (await first.json<{ counters: Record<string, number> }>('/api/probe')).body.counters['hook:pre:clientRaiseLater'] ?? 0;
    const before = await calls();
    const request = first.fetch(`/api/client/${id}/raise-later/note?delayMs=300`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify('raised while the host stops'),
    });
    while ((await calls()) === before) await new Promise((r) => setTimeout(r, 5));
    await first.stop(); // the handler is still waiting before it calls raiseEvent
    expect((await request).status).toBe(202);

    const second = await startTestHost({ azurite, hubName });
    expect((await second.waitFor(id)).output).toEqual(['raised while the host stops']);
    const history = (await second.status(id, '?showHistory=true')) as InstanceStatus;
    expect(history.historyEvents?.filter((e) => e.EventType === 'EventRaised')).toHaveLength(1);
    await second.stop();
  });

  it('re-runs an activity that had not reported when the host stopped, and no completed one', async () => {
    const hubName = uniqueHubName('Rerun');
    const file = path.join(tmp, `${hubName}.log`);
    const marker = path.join(tmp, `${hubName}.marker`);
    const first = await startTestHost({ azurite, hubName });
    const id = await first.start('journaled', {
      file,
      steps: [{ name: 'one' }, { name: 'two', sleepMs: 1500, marker }],
    });
    while (!existsSync(marker)) await new Promise((r) => setTimeout(r, 10));
    await first.stop(); // step two is still sleeping: its result will never be stored

    const second = await startTestHost({ azurite, hubName });
    const done = await second.waitFor(id);
    expect(done.output).toEqual(['one', 'two', 'completed']);
    const lines = journal(file);
    expect(lines.filter((l) => l.endsWith(' one'))).toHaveLength(1);
    expect(lines.filter((l) => l.endsWith(' two'))).toHaveLength(2); // at-least-once: re-run after the stop
    expect(lines.filter((l) => l.endsWith(' completed'))).toHaveLength(1);
    await second.stop();
  });
});

describe('kill -9 of a dev host process', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGKILL');
  });

  it('finishes the run exactly once after the process is killed mid-activity and started again', async () => {
    const hubName = uniqueHubName('Kill');
    const port = await freePort();
    const file = path.join(tmp, `${hubName}.log`);
    const marker = path.join(tmp, `${hubName}.marker`);
    child = await startHostProcess({ port, hubName, azurite });
    const res = await fetch(`http://127.0.0.1:${port}/runtime/webhooks/durabletask/orchestrators/journaled`, {
      method: 'POST',
      body: JSON.stringify({ file, steps: [{ name: 'one' }, { name: 'two', sleepMs: 1500, marker }, { name: 'three' }] }),
    });
    const { id } = (await res.json()) as { id: string };
    while (!existsSync(marker)) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGKILL');
    await new Promise((r) => child?.once('exit', r));

    child = await startHostProcess({ port, hubName, azurite });
    let status: InstanceStatus | undefined;
    for (let i = 0; i < 300; i++) {
      status = (await (await fetch(`http://127.0.0.1:${port}/runtime/webhooks/durabletask/instances/${id}`)).json()) as InstanceStatus;
      if (status.runtimeStatus === 'Completed') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(status?.output).toEqual(['one', 'two', 'three', 'completed']);
    const lines = journal(file);
    expect(lines.filter((l) => l.endsWith(' one'))).toHaveLength(1);
    expect(lines.filter((l) => l.endsWith(' two'))).toHaveLength(2);
    expect(lines.filter((l) => l.endsWith(' three'))).toHaveLength(1);
    expect(lines.filter((l) => l.endsWith(' completed'))).toHaveLength(1);
    child.kill('SIGTERM');
    await new Promise((r) => child?.once('exit', r));
    child = undefined;
  });
});
