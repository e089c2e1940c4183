/**
 * App Service as the incident automation sees it: which build each slot runs, and "make
 * production run the last-known-good release" (a slot swap, or a republish hook for a static
 * web build, chosen by the target's configured strategy). Implementations throw TransientError
 * for retryable trouble and return every expected outcome as data.
 */
import type { AppServiceTarget } from '../domain/app-service-target.js';
import type { LkgRecord, SlotBuild } from '../domain/release.js';

export interface SlotBuilds {
  production: SlotBuild & { transient: boolean };
  /** The staging slot (slot-swap targets); null for republish targets. */
  staging: (SlotBuild & { transient: boolean }) | null;
}

export type RestoreResult =
  /** The swap completed, or the republish hook accepted the request. */
  | { kind: 'done'; operationId: string | null; detail: string; durationMs: number }
  /** ARM answered 409: another operation (usually a swap) runs on the site. Nothing was changed by us. */
  | { kind: 'conflict'; code: string; detail: string }
  /** Azure ran the swap and it failed (e.g. warm-up); Azure reverts, so the slots are as before. */
  | { kind: 'failed'; code: string; detail: string; operationId: string | null }
  /** Refused before anything ran: missing permission (401/403), unknown site/slot (404), hook said no (4xx). */
  | { kind: 'rejected'; status: number; code: string; detail: string };

export interface RestoreContext {
  /** Idempotency / correlation id sent along (incident id + step). */
  requestId: string;
  incidentId: string;
}

export interface AppServicePort {
  /** Reads the build of production (and of the staging slot for slot-swap targets). Never throws for a read failure: see `error`/`transient`. */
  readBuilds(target: AppServiceTarget): Promise<SlotBuilds>;
  /** Moves production to `lkg` the way the target is configured to. Throws TransientError for retryable trouble. */
  restoreLkg(target: AppServiceTarget, lkg: LkgRecord, context: RestoreContext): Promise<RestoreResult>;
}

/** The site an action acts on (an App Service slot-swap target names it). */
export interface SiteRef {
  subscriptionId: string;
  resourceGroup: string;
  site: string;
}

/** An access restriction as the site's config lists it (siteConfig.ipSecurityRestrictions). */
export interface AccessRule {
  name: string | null;
  action: string | null;
  ipAddress: string | null;
  tag: string | null;
  priority: number | null;
  description: string | null;
}

/**
 * The containment actions on a running site beyond the swap: restart it, scale its plan out, set
 * its access restrictions, and whether it answers its health endpoint. Transient trouble throws
 * TransientError; a refusal (no permission, unknown site or plan) throws a PermanentError with
 * ARM's status (the ARM adapter's ArmRequestError).
 */
export interface SiteOpsPort {
  restart(site: SiteRef): Promise<void>;
  readPlan(site: SiteRef): Promise<{ name: string; capacity: number | null }>;
  scalePlan(site: SiteRef, plan: string, capacity: number): Promise<void>;
  readAccessRules(site: SiteRef): Promise<AccessRule[]>;
  writeAccessRules(site: SiteRef, rules: AccessRule[]): Promise<void>;
  /** One GET of the URL within the HTTP timeout: 200 is healthy; anything else says what it answered. */
  answersHealth(url: string): Promise<{ ok: boolean; detail: string }>;
}
