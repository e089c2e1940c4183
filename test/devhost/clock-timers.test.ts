import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, ScaledClock } from '../../src/devhost/clock.js';

describe('ManualClock', () => {
  it('fires timers in time order, each at its own instant, only when advanced', () => {
    const clock = new ManualClock(1000);
    const seen: [string, number][] = [];
    clock.at(3000, () => seen.push(['b', clock.now()]));
    clock.at(2000, () => seen.push(['a', clock.now()]));
    const cancelled = clock.at(2500, () => seen.push(['x', clock.now()]));
    cancelled.cancel();
    clock.advance(999);
    expect(seen).toEqual([]);
    clock.advance(5000);
    expect(seen).toEqual([
      ['a', 2000],
      ['b', 3000],
    ]);
    expect(clock.now()).toBe(6999);
  });

  it('fires a timer that is already due on the next turn, not synchronously', async () => {
    const clock = new ManualClock(1000);
    let fired = false;
    clock.at(500, () => (fired = true));
    expect(fired).toBe(false);
    await new Promise((r) => setImmediate(r));
    expect(fired).toBe(true);
  });
});

describe('resuming from a persisted reading', () => {
  it('moves a manual clock forward to a later reading, never back, unless told to take the reading as it is', () => {
    const later = new ManualClock(1000);
    later.resumeFrom(5000);
    expect(later.now()).toBe(5000);
    later.resumeFrom(2000);
    expect(later.now()).toBe(5000);
    const stored = new ManualClock(9000, 'stored');
    stored.resumeFrom(5000);
    expect(stored.now()).toBe(5000);
  });

  it('moves a scaled clock forward to a reading ahead of it, and ignores one behind it', () => {
    const ahead = new ScaledClock(60, Date.UTC(2026, 0, 1));
    ahead.resumeFrom(Date.UTC(2026, 0, 2));
    expect(ahead.now()).toBeGreaterThanOrEqual(Date.UTC(2026, 0, 2));
    expect(ahead.now()).toBeLessThan(Date.UTC(2026, 0, 2, 1));
    const behind = new ScaledClock(60, Date.UTC(2026, 0, 1));
    behind.resumeFrom(Date.UTC(2025, 0, 1));
    expect(behind.now()).toBeGreaterThanOrEqual(Date.UTC(2026, 0, 1));
  });
});

describe('ScaledClock', () => {
  let clock: ScaledClock | undefined;
  afterEach(() => clock?.dispose());

  it('runs virtual time N times faster than the wall', async () => {
    clock = new ScaledClock(600, Date.UTC(2026, 0, 1));
    const started = Date.now();
    const firedAt = await new Promise<number>((resolve) => clock?.at(Date.UTC(2026, 0, 1, 0, 1), () => resolve(Date.now())));
    // One virtual minute at 600x is 100 ms of wall time.
    expect(firedAt - started).toBeGreaterThanOrEqual(90);
    expect(firedAt - started).toBeLessThan(1000);
    expect(clock.now()).toBeGreaterThanOrEqual(Date.UTC(2026, 0, 1, 0, 1));
  });
});
