/** The delivery queue's rules on a virtual clock: order, spacing, Retry-After, backoff, deadlines. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeadlineExceededError, DeliveryQueue, DeliveryRejectedError, type Classified, type DeliveryClock } from '../../src/adapters/graph-delivery.js';
import { parseRetryAfter } from '../../src/adapters/http-bounded.js';

/** Virtual time that only moves when someone sleeps (one waiter at a time suffices per lane test). */
function virtualClock(): DeliveryClock & { slept: number[] } {
  let now = 1_000_000;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
      await Promise.resolve();
    },
  };
}

class Status extends Error {
  constructor(
    readonly status: number,
    readonly retryAfterMs?: number,
  ) {
    super(`HTTP ${status}`);
  }
}

const classify = (err: unknown): Classified => {
  if (!(err instanceof Status)) return { retry: 'ambiguous', status: undefined };
  if (err.status === 429) return { retry: 'throttled', afterMs: err.retryAfterMs, status: 429 };
  if (err.status >= 502) return { retry: 'transient', afterMs: err.retryAfterMs, status: err.status };
  return { retry: false, status: err.status };
};

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates, and ignores junk', () => {
    expect(parseRetryAfter('7', 0)).toBe(7000);
    expect(parseRetryAfter('Thu, 01 Jan 1970 00:00:10 GMT', 4000)).toBe(6000);
    expect(parseRetryAfter('Thu, 01 Jan 1970 00:00:01 GMT', 4000)).toBe(0);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
    expect(parseRetryAfter(null, 0)).toBeUndefined();
  });
});

describe('DeliveryQueue', () => {
  it('waits out Retry-After, backs off on 503 and spaces requests per lane', async () => {
    const clock = virtualClock();
    const q = new DeliveryQueue({ clock, random: () => 0.5 });
    const answers: (Status | 'ok')[] = [new Status(429, 2000), new Status(503), 'ok'];
    const sentAt: number[] = [];
    const r = await q.run(
      'c',
      () => {
        sentAt.push(clock.now());
        const a = answers.shift();
        return a === 'ok' ? Promise.resolve('id-1') : Promise.reject(a ?? new Error('no more'));
      },
      { deadline: clock.now() + 60_000, timeoutMs: 1000, tenantGate: true, classify },
    );
    expect(r).toEqual({ value: 'id-1', attempts: 3, throttled: 1 });
    expect(sentAt[1]! - sentAt[0]!).toBe(2000);
    // 503 without Retry-After: first backoff of 1 s with jitter in [0.5, 1] s.
    expect(sentAt[2]! - sentAt[1]!).toBe(750);
  });

  it('refuses without waiting when the next try would pass the deadline', async () => {
    const clock = virtualClock();
    const q = new DeliveryQueue({ clock });
    const err = await q
      .run('c', () => Promise.reject(new Status(429, 120_000)), { deadline: clock.now() + 60_000, timeoutMs: 1000, tenantGate: true, classify })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeadlineExceededError);
    expect(err).toMatchObject({ attempts: 1, throttled: 1, lastStatus: 429 });
    expect(clock.slept).toEqual([]);
  });

  it('does not retry a 4xx, and a failed message does not block the lane', async () => {
    const clock = virtualClock();
    const q = new DeliveryQueue({ clock });
    const o = { deadline: clock.now() + 60_000, timeoutMs: 1000, tenantGate: false, classify };
    const first = q.run('c', () => Promise.reject(new Status(400)), o);
    const second = q.run('c', () => Promise.resolve('ok'), o);
    await expect(first).rejects.toBeInstanceOf(DeliveryRejectedError);
    await expect(second).resolves.toMatchObject({ value: 'ok', attempts: 1 });
  });

  it('asks reconcile before resending after an ambiguous failure', async () => {
    const clock = virtualClock();
    const q = new DeliveryQueue({ clock });
    let sends = 0;
    const r = await q.run(
      'c',
      () => {
        sends++;
        return Promise.reject(new Error('socket hang up'));
      },
      { deadline: clock.now() + 60_000, timeoutMs: 1000, tenantGate: true, classify, reconcile: () => Promise.resolve('found') },
    );
    expect(r.value).toBe('found');
    expect(sends).toBe(1);
  });

  it('keeps the order of every lane whatever the faults (property)', async () => {
    const fault = fc.oneof(fc.constant<Status | 'ok'>('ok'), fc.constant(new Status(429, 1000)), fc.constant(new Status(503)), fc.constant(new Status(504, 500)));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(fault, { maxLength: 4 }), { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 3 }), async (plans, lanes) => {
        const clock = virtualClock();
        const q = new DeliveryQueue({ clock, random: () => 0 });
        const delivered: Record<string, number[]> = {};
        await Promise.all(
          plans.map((plan, i) => {
            const lane = `lane${i % lanes}`;
            const answers = [...plan, 'ok' as const];
            return q.run(
              lane,
              () => {
                const a = answers.shift();
                if (a === 'ok') {
                  (delivered[lane] ??= []).push(i);
                  return Promise.resolve(i);
                }
                return Promise.reject(a ?? new Error('exhausted'));
              },
              { deadline: clock.now() + 10_000_000, timeoutMs: 1000, tenantGate: false, classify },
            );
          }),
        );
        for (let l = 0; l < lanes; l++) {
          const lane = `lane${l}`;
          const expected = plans.map((_, i) => i).filter((i) => i % lanes === l);
          expect(delivered[lane] ?? []).toEqual(expected);
        }
      }),
      { numRuns: 100 },
    );
  });
});
