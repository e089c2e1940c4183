import type { StepKey, StepLedger, StepRecord } from '../../src/ports/ledger.js';

/** An in-memory ledger with the same semantics, for unit tests of activity logic. */
export class MemoryStepLedger implements StepLedger {
  readonly rows = new Map<string, StepRecord<unknown>>();
  private k(key: StepKey): string {
    return `${key.incidentId}\u0000${key.step}`;
  }
  get<T>(key: StepKey): Promise<StepRecord<T> | undefined> {
    return Promise.resolve(this.rows.get(this.k(key)) as StepRecord<T> | undefined);
  }
  start<T>(key: StepKey, at: string): Promise<{ fresh: true } | { fresh: false; existing: StepRecord<T> }> {
    const existing = this.rows.get(this.k(key)) as StepRecord<T> | undefined;
    if (!existing) {
      this.rows.set(this.k(key), { state: 'started', startedAt: at, attempt: 1 });
      return Promise.resolve({ fresh: true });
    }
    if (existing.state === 'started') this.rows.set(this.k(key), { ...existing, attempt: existing.attempt + 1 });
    return Promise.resolve({ fresh: false, existing });
  }
  finish<T>(key: StepKey, outcome: T, at: string): Promise<T> {
    const existing = this.rows.get(this.k(key));
    if (existing?.state === 'done') return Promise.resolve(existing.outcome as T);
    this.rows.set(this.k(key), { state: 'done', startedAt: existing?.startedAt ?? at, finishedAt: at, attempt: existing?.attempt ?? 1, outcome });
    return Promise.resolve(outcome);
  }
}
