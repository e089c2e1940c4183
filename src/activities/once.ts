/**
 * Runs a side effect at most once per incident step, as far as the world can tell: a recorded
 * outcome is returned as is; an attempt that started but never recorded its outcome (a crash in
 * the middle) is reconciled with the target before anything is done again.
 */
import type { StepKey, StepLedger } from '../ports/ledger.js';

export interface OnceOptions<T> {
  ledger: StepLedger;
  key: StepKey;
  now: string;
  /** Does the work and returns its outcome. */
  act: () => Promise<T>;
  /**
   * After an interrupted attempt: inspect the target and return the outcome if the work is
   * already done (then `act` is skipped), or undefined to act again. Without it, the step acts
   * again, which is only right for steps that are naturally idempotent.
   */
  reconcile?: () => Promise<T | undefined>;
}

export interface OnceResult<T> {
  outcome: T;
  /** True when this call did the work; false when it was recorded or found done before. */
  acted: boolean;
}

export async function once<T>(o: OnceOptions<T>): Promise<OnceResult<T>> {
  const claim = await o.ledger.start<T>(o.key, o.now);
  if (!claim.fresh) {
    if (claim.existing.state === 'done') return { outcome: claim.existing.outcome, acted: false };
    const found = o.reconcile ? await o.reconcile() : undefined;
    if (found !== undefined) return { outcome: await o.ledger.finish(o.key, found, o.now), acted: false };
  }
  const outcome = await o.act();
  return { outcome: await o.ledger.finish(o.key, outcome, o.now), acted: true };
}
