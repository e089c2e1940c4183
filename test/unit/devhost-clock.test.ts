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
