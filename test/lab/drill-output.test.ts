/**
 * What `npm run drill` prints about a drill's actions is read from its evidence pack's action
 * records (summary.json's actions), never assumed: a drill whose action was carried out says so.
 */
import { describe, expect, it } from 'vitest';
import { actionsLine } from '../../src/devhost/index.js';

describe('npm run drill: the actions line', () => {
  it('counts the outcomes the pack records', () => {
    expect(actionsLine([{ outcome: 'planned' }, { outcome: 'skipped' }, { outcome: 'planned' }])).toBe('no action was carried out (2 planned, 1 skipped).');
    expect(actionsLine([])).toBe('no action was planned.');
  });

  it('says when an action did not stay a plan', () => {
    expect(actionsLine([{ outcome: 'planned' }, { outcome: 'done' }])).toBe('1 action(s) did not stay a plan (1 planned, 1 done): read the actions below.');
  });
});
