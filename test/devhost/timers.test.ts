/** Dev host conformance: timer triggers on NCRONTAB schedules, runOnStartup and isPastDue. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AzuriteInstance } from '../../src/devhost/azurite.js';
import { ManualClock } from '../../src/devhost/clock.js';
import { parseSchedule } from '../../src/devhost/timer-triggers.js';
import { startTestAzurite, startTestHost, uniqueHubName } from '../harness/devhost.js';

interface Tick {
  name: string;
  isPastDue: boolean;
  last?: string;
  instanceId?: string;
}

let azurite: AzuriteInstance;
beforeAll(async () => {
  azurite = await startTestAzurite();
});
afterAll(async () => {
  await azurite?.stop();
});

describe('schedules', () => {
  it('reads six-field NCRONTAB in UTC and TimeSpan intervals', () => {
    const from = Date.UTC(2026, 0, 1, 10, 2, 30);
    expect(new Date(parseSchedule('0 */5 * * * *').next(from) ?? 0).toISOString()).toBe('2026-01-01T10:05:00.000Z');
    expect(new Date(parseSchedule('30 0 9 * * 1-5').next(from) ?? 0).toISOString()).toBe('2026-01-02T09:00:30.000Z');
    expect(parseSchedule('00:15:00').next(from)).toBe(from + 15 * 60_000);
  });

  it('refuses five-field cron with a message naming the expected fields', () => {
    expect(() => parseSchedule('*/5 * * * *')).toThrow(/NCRONTAB needs 6/);
  });
});

describe('timer triggers on the dev host', () => {
  it('runs runOnStartup functions at start and fires on schedule as the clock moves', async () => {
    const h = await startTestHost({ azurite, clock: new ManualClock(Date.UTC(2026, 0, 1, 10, 2, 0)) });
    await new Promise((r) => setTimeout(r, 50));
    let ticks = (await h.json<{ ticks: Tick[] }>('/api/probe')).body.ticks;
    expect(ticks.filter((t) => t.name === 'onStartup')).toHaveLength(1);
    const before = ticks.filter((t) => t.name === 'tick').length;
    h.clock.advance(2 * 60_000 + 59_000);
    await new Promise((r) => setTimeout(r, 20));
    expect((await h.json<{ ticks: Tick[] }>('/api/probe')).body.ticks.filter((t) => t.name === 'tick')).toHaveLength(before);
    h.clock.advance(1000);
    await new Promise((r) => setTimeout(r, 50));
    ticks = (await h.json<{ ticks: Tick[] }>('/api/probe')).body.ticks.filter((t) => t.name === 'tick');
    expect(ticks).toHaveLength(before + 1);
    expect(ticks.at(-1)).toMatchObject({ isPastDue: false, last: '2026-01-01T10:05:00.000Z' });
    await h.stop();
  });

  it('fires a missed occurrence at start-up with isPastDue', async () => {
    const hubName = uniqueHubName('Past');
    const first = await startTestHost({ azurite, hubName, clock: new ManualClock(Date.UTC(2026, 0, 1, 10, 0, 30)) });
    await first.stop(); // next tick was due 10:05
    const second = await startTestHost({ azurite, hubName, clock: new ManualClock(Date.UTC(2026, 0, 1, 11, 0, 30)) });
    await new Promise((r) => setTimeout(r, 50));
    const ticks = (await second.json<{ ticks: Tick[] }>('/api/probe')).body.ticks.filter((t) => t.name === 'tick');
    expect(ticks.at(-1)).toMatchObject({ isPastDue: true });
    await second.stop();
  });

  it('runs a timer function on demand through the admin endpoint', async () => {
    const h = await startTestHost({ azurite });
    const before = (await h.json<{ ticks: Tick[] }>('/api/probe')).body.ticks.length;
    expect((await h.fetch('/admin/functions/tick', { method: 'POST' })).status).toBe(202);
    await new Promise((r) => setTimeout(r, 50));
    expect((await h.json<{ ticks: Tick[] }>('/api/probe')).body.ticks.length).toBe(before + 1);
    expect((await h.fetch('/admin/functions/nope', { method: 'POST' })).status).toBe(404);
    await h.stop();
  });

  it('gives a timer function that declares a durableClient input a working df.getClient', async () => {
    const h = await startTestHost({ azurite });
    expect((await h.fetch('/admin/functions/clientTimer', { method: 'POST' })).status).toBe(202);
    let tick: Tick | undefined;
    for (let i = 0; i < 500 && !tick; i++) {
      tick = (await h.json<{ ticks: Tick[] }>('/api/probe')).body.ticks.find((t) => t.name === 'clientTimer');
      if (!tick) await new Promise((r) => setTimeout(r, 10));
    }
    expect(tick?.instanceId).toBeTruthy();
    expect((await h.waitFor(tick?.instanceId ?? '')).output).toEqual(['Hello from-timer']);
    expect(h.logs.filter((l) => l.category === 'Function.clientTimer' && l.level === 'error')).toEqual([]);
    await h.stop();
  });
});
