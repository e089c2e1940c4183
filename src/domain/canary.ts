/**
 * The canary's findings: every dependency the runbook needs, checked ahead of the next incident,
 * each reported by name with what is wrong in a few words a person acts on ("token expired",
 * "login refused", "ARM 403", "storage down"). Pure: the checks themselves are in src/app/canary.ts.
 */

export type CheckStatus = 'ok' | 'failed' | 'skipped';

/** What is wrong, in the words the README's table of alerts uses. */
export type Problem =
  | 'storage down'
  | 'policy invalid'
  | 'settings invalid'
  | 'token expired'
  | 'token endpoint unreachable'
  | 'sign-in expiring'
  | 'key vault refused'
  | 'key vault unreachable'
  | 'key vault reference unresolved'
  | 'secret missing'
  | 'login refused'
  | 'permission denied'
  | 'sql unreachable'
  | 'not configured'
  | `ARM ${number}`
  | 'ARM unreachable'
  | 'error';

export interface CanaryCheck {
  /** What was checked: "storage", "policy", "teams-signin", "keyvault", "sql:<setting>", "arm:<site>/<slot>", "setting:<name>". */
  dependency: string;
  status: CheckStatus;
  problem: Problem | null;
  /** One line for a person: what was tried and what answered (never a secret). */
  detail: string;
  latencyMs: number | null;
}

export interface CanaryReport {
  at: string;
  /** red: at least one dependency failed. */
  status: 'green' | 'red';
  /** "teams-signin: token expired", one per failing dependency. */
  failing: string[];
  checks: CanaryCheck[];
  /** The delegated Teams sign-in, when there is one. */
  signIn: { account: string | null; expiresAt: string; daysLeft: number; basis: SignInExpiry['basis'] } | null;
  /** What became of the day's "sign-in expiring" notice in Teams, when one was due. */
  notice?: string;
}

export function canaryReport(at: string, checks: CanaryCheck[], signIn: CanaryReport['signIn']): CanaryReport {
  const failed = checks.filter((c) => c.status === 'failed');
  return { at, status: failed.length ? 'red' : 'green', failing: failed.map((c) => `${c.dependency}: ${c.problem ?? 'error'}`), checks, signIn };
}

const DAY = 86_400_000;

/** Entra's default: a public client's refresh token expires after 90 days without use (each use renews it). */
export const REFRESH_INACTIVITY_DAYS = 90;

export interface SignInExpiry {
  expiresAt: number;
  /** inactivity: the refresh token was not renewed (rotated tokens not saved back); max-age: the tenant's sign-in lifetime (TEAMS_SIGNIN_MAX_AGE_DAYS). */
  basis: 'inactivity' | 'max-age';
}

/**
 * When the stored delegated sign-in stops working: 90 days after the refresh token was last
 * renewed, or the tenant's maximum sign-in age (a Conditional Access sign-in frequency) after the
 * sign-in, whichever comes first. The canary redeems the token every run, so the first only comes
 * near when the renewed token cannot be saved back (the identity can read the secret but not write it).
 */
export function signInExpiry(s: { signedInAt: string; refreshedAt: string }, maxAgeDays: number | null): SignInExpiry {
  const inactivity = Date.parse(s.refreshedAt) + REFRESH_INACTIVITY_DAYS * DAY;
  if (maxAgeDays === null) return { expiresAt: inactivity, basis: 'inactivity' };
  const maxAge = Date.parse(s.signedInAt) + maxAgeDays * DAY;
  return maxAge < inactivity ? { expiresAt: maxAge, basis: 'max-age' } : { expiresAt: inactivity, basis: 'inactivity' };
}

/** Whole days left (rounded down; 0 on the last day). */
export function daysLeft(expiresAt: number, now: number): number {
  return Math.max(0, Math.floor((expiresAt - now) / DAY));
}

/** The sign-in is announced in the channel once it has `warnDays` or fewer left. */
export function noticeDue(expiresAt: number, now: number, warnDays: number): boolean {
  return expiresAt - now <= warnDays * DAY;
}

/** The ledger step of the day's notice: one a day (UTC), however often the canary runs. */
export function noticeStep(now: number): string {
  return `signin-expiry/${new Date(now).toISOString().slice(0, 10)}`;
}
