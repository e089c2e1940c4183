/** The benchmark's tallies: every delivery counted once, under its outcome or its error code. */
import { describe, expect, it } from 'vitest';
import { outcomeOf, tally, unionMs } from './stats.js';

describe('alert storm tallies', () => {
  it('counts refusals under their error code, each one', () => {
    const answers = [{ kind: 'declared' }, { kind: 'duplicate' }, { error: { code: 'storage_unavailable' } }, { error: { code: 'storage_unavailable' } }, { kind: 'duplicate' }, {}];
    const kinds = new Map<string, number>();
    for (const a of answers) tally(kinds, outcomeOf(a));
    expect(Object.fromEntries(kinds)).toEqual({ declared: 1, duplicate: 2, 'error:storage_unavailable': 2, 'error:?': 1 });
  });
});

describe('time under overlapping waits', () => {
  it('counts overlapping intervals once and disjoint ones each', () => {
    expect(unionMs([])).toBe(0);
    expect(unionMs([{ start: 10, end: 20 }, { start: 0, end: 5 }, { start: 15, end: 30 }, { start: 30, end: 31 }, { start: 18, end: 19 }])).toBe(5 + 21);
  });
});
