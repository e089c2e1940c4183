/**
 * Dev host conformance: the scaled clock (--time-scale) drives durable timers, and scaled and
 * manual clocks continue after a restart from the time the last run reached (kept in the task
 * hub), so orchestration time never goes back.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type AzuriteInstance } from '../../src/devhost/azurite.js';
import { ManualClock } from '../../src/devhost/clock.js';
import { startHostProcess, startTestAzurite, startTestHost, stopHostProcess, uniqueHubName, type InstanceStatus } from '../harness/devhost.js';

let azurite: AzuriteInstance;
beforeAll(async () => {
  azurite = await startTestAzurite();
});
afterAll(async () => {
  await azurite?.stop();
});

let child: ChildProcess | undefined;
afterEach(async () => {
  if (child) await stopHostProcess(child);
  child = undefined;
});

const webhook = (port: number, rest: string): string => `http://127.0.0.1:${port}/runtime/webhooks/durabletask/${rest}`;

async function hostNow(port: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/admin/host/status`);
  return Date.parse(((await res.json()) as { now: string }).now);
}

describe('--time-scale', () => {
  it('fires a 10-minute durable timer at 600x and completes the orchestration', async () => {
    const port = await freePort();
    child = await startHostProcess({ port, hubName: uniqueHubName('Scaled'), azurite, args: ['--time-scale', '600'] });
    const started = await fetch(webhook(port, 'orchestrators/sleeper'), { method: 'POST', body: JSON.stringify({ waitMs: 10 * 60_000 }) });
    const { id } = (await started.json()) as { id: string };
    // On the real clock this would take 10 minutes; the deadline here is wall time, not the assertion.
    let status: InstanceStatus | undefined;
    for (let i = 0; i < 600 && status?.runtimeStatus !== 'Completed'; i++) {
      status = (await (await fetch(webhook(port, `instances/${id}?showHistory=true`))).json()) as InstanceStatus;
      if (status.runtimeStatus !== 'Completed') await new Promise((r) => setTimeout(r, 50));
    }
    expect(status?.runtimeStatus).toBe('Completed');
    expect(status?.output).toBe('Hello woke up');
    const events = status?.historyEvents ?? [];
    const startedAt = Date.parse(String(events.find((e) => e.EventType === 'ExecutionStarted')?.Timestamp));
    const fired = events.find((e) => e.EventType === 'TimerFired');
    expect(fired).toBeDefined();
    // The timer fired at its deadline in orchestration time: ten minutes after the start.
    expect(Date.parse(String(fired?.FireAt)) - startedAt).toBe(10 * 60_000);
    expect(Date.parse(String(fired?.Timestamp))).toBeGreaterThanOrEqual(startedAt + 10 * 60_000);
  });
});

describe('clock after a restart', () => {
  it('continues a scaled clock from where the last run got to, not from wall time', async () => {
    const port = await freePort();
    const hubName = uniqueHubName('ScaledRestart');
    child = await startHostProcess({ port, hubName, azurite, args: ['--time-scale', '3600'] });
    await new Promise((r) => setTimeout(r, 1000)); // an hour of orchestration time
    const before = await hostNow(port);
    expect(before - Date.now()).toBeGreaterThan(30 * 60_000);
    expect(await stopHostProcess(child)).toBe(0);

    child = await startHostProcess({ port, hubName, azurite, args: ['--time-scale', '3600'] });
    expect(await hostNow(port)).toBeGreaterThanOrEqual(before);
  });

  it('continues a --manual-clock at the time it was advanced to', async () => {
    const port = await freePort();
    const hubName = uniqueHubName('ManualRestart');
    child = await startHostProcess({ port, hubName, azurite, args: ['--manual-clock'] });
    const advanced = await fetch(`http://127.0.0.1:${port}/admin/devhost/clock?advanceMs=${3 * 3_600_000}`, { method: 'POST' });
    const reached = Date.parse(((await advanced.json()) as { now: string }).now);
    expect(await stopHostProcess(child)).toBe(0);

    child = await startHostProcess({ port, hubName, azurite, args: ['--manual-clock'] });
    expect(await hostNow(port)).toBe(reached);
  });

  it('never moves an in-process manual clock back to an earlier start time', async () => {
    const hubName = uniqueHubName('ManualInProcess');
    const first = await startTestHost({ azurite, hubName, clock: new ManualClock(Date.UTC(2026, 0, 1)) });
    const id = await first.start('sleeper', { waitMs: 3 * 3_600_000 });
    await first.advance(2 * 3_600_000);
    await first.stop();

    const second = await startTestHost({ azurite, hubName, clock: new ManualClock(Date.UTC(2026, 0, 1)) });
    expect(second.clock.now()).toBe(Date.UTC(2026, 0, 1, 2));
    // The timer is due at 03:00: one more hour, not three.
    await second.advance(3_600_000 - 1);
    expect((await second.status(id))?.runtimeStatus).toBe('Running');
    await second.advance(1);
    expect((await second.waitFor(id)).output).toBe('Hello woke up');
    await second.stop();
  });
});
