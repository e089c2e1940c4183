/**
 * The step ledger: what each side-effecting step of an incident did, keyed by incident + step.
 * Activities run at least once (Durable retries them, and replays after a crash), so each one
 * records its outcome here and, when asked again, answers with the recorded outcome instead of
 * acting twice.
 */
export interface StepKey {
  incidentId: string;
  /** Unique within the incident, e.g. "contain/flag/EnableLegacyHttpSse". */
  step: string;
}

export type StepRecord<T> =
  | { state: 'started'; startedAt: string; attempt: number }
  | { state: 'done'; startedAt: string; finishedAt: string; attempt: number; outcome: T };

export interface StepLedger {
  get<T>(key: StepKey): Promise<StepRecord<T> | undefined>;
  /**
   * Marks the step started. Returns the existing record instead when one exists: `done` means
   * the step must not run again; `started` means an earlier attempt began and may or may not
   * have acted (the caller reconciles with the target before acting again).
   */
  start<T>(key: StepKey, at: string): Promise<{ fresh: true } | { fresh: false; existing: StepRecord<T> }>;
  /** Records the outcome (first writer wins); returns the outcome that is recorded. */
  finish<T>(key: StepKey, outcome: T, at: string): Promise<T>;
}
