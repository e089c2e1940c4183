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
  /** When the state began: the freeze record's `since` (with `env` and `frozen`, the record's identity). */
  at: string;
  by: RecordActor;
  reason: string;
  incidentId: string | null;
  /** When the state this one ends began (a lifted freeze: when it was set), if known. */
  previousSince?: string | null;
}

/** What an announcer tells about one announcement, for the freeze API's answer and the outcomes. */
export interface AnnouncementReceipt {
  /** It had gone out before (a retried request): nothing was posted now. */
  previously?: boolean;
  [detail: string]: unknown;
}

export interface FreezeAnnouncer {
  /** Describes where announcements go ("log", "teams"), for outcomes and responses. */
  readonly channel: string;
  /**
   * True when `announce` is idempotent per freeze record (it records what it announced). The
   * freeze API then announces on a retried request too, even though the state did not change,
   * so an announcement an earlier attempt could not make still goes out, once.
   */
  readonly idempotent?: boolean;
  /** Throws when the announcement did not go out (the freeze itself stands). */
  announce(a: FreezeAnnouncement): Promise<AnnouncementReceipt | void>;
}
