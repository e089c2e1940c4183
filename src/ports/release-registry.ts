/**
 * The release registry: the last-known-good (LKG) release per environment + service, with its
 * history, and the deploy freeze per environment, with who set it and why. Storage trouble is
 * thrown as is (callers answer 503 / let Durable retry); expected conflicts are typed errors.
 */
import type { FreezeState, LkgInput, LkgRecord, RecordActor } from '../domain/release.js';

export interface LkgRegistry {
  current(env: string, service: string): Promise<LkgRecord | null>;
  /** Newest first, the current record included. */
  history(env: string, service: string, limit: number): Promise<LkgRecord[]>;
  /**
   * Records a new LKG and makes it current. Recording what is already current (same release tag,
   * build and slot) changes nothing and answers `created: false`, so a retried pipeline call is
   * harmless. Throws LkgConflictError when `supersedes` names a record that is not current.
   */
  record(input: LkgInput, at: string): Promise<{ created: boolean; record: LkgRecord }>;
}

export class LkgConflictError extends Error {
  override name = 'LkgConflictError';
  constructor(
    message: string,
    readonly currentId: string | null,
  ) {
    super(message);
  }
}

export interface FreezeChange {
  frozen: boolean;
  actor: RecordActor;
  reason: string;
  incidentId: string | null;
  at: string;
}

export interface FreezeStore {
  /** The environment's freeze state; never frozen = `{ frozen: false, since: null, ... }`. */
  get(env: string): Promise<FreezeState>;
  /** Sets the state; answers `changed: false` when it already was (the record is then untouched). */
  set(env: string, change: FreezeChange): Promise<{ changed: boolean; state: FreezeState; previous: FreezeState }>;
  /** Past changes, newest first. */
  history(env: string, limit: number): Promise<(FreezeState & { at: string })[]>;
}

/** "Freezing is announced": a freeze or unfreeze that changed the state is told to people. */
export interface FreezeAnnouncement {
  env: string;
  frozen: boolean;
  at: string;
  by: RecordActor;
  reason: string;
  incidentId: string | null;
}

export interface FreezeAnnouncer {
  /** Describes where announcements go ("log", "teams:..."), for outcomes and responses. */
  readonly channel: string;
  announce(a: FreezeAnnouncement): Promise<void>;
}
