/**
 * Assertions on the product world's Teams thread. Apart from test/harness/product.ts so that the
 * world itself does not import vitest: the benchmarks (run by tsx, outside vitest) drive it too.
 */
import { expect } from 'vitest';

/**
 * The Teams messages of a rolled-back incident (status updates and escalations left out): every
 * message once, opened by the declaration and the proposal, closed by the resolution; the deploy
 * freeze it set is announced in the environment's channel before the rollback starts, and its lift
 * before the resolution.
 */
export function expectRollbackThread(kinds: string[]): void {
  expect([...kinds].sort()).toEqual(['containment-proposed', 'declared', 'deploy-freeze', 'deploy-unfreeze', 'resolved', 'rollback-executed', 'rollback-started', 'stabilized']);
  expect(kinds.slice(0, 2)).toEqual(['declared', 'containment-proposed']);
  expect(kinds.indexOf('deploy-freeze')).toBeLessThan(kinds.indexOf('rollback-started'));
  expect(kinds.indexOf('rollback-started')).toBeLessThan(kinds.indexOf('stabilized'));
  expect(kinds.indexOf('deploy-unfreeze')).toBeLessThan(kinds.indexOf('resolved'));
  expect(kinds.at(-1)).toBe('resolved');
}
