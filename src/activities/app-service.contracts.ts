/**
 * App Service activities: the release snapshot (current vs last-known-good build per slot),
 * production to LKG for the API (slot swap) and the web (slot swap or republish, as configured),
 * the deploy freeze, and recording a new LKG. Every action takes `mode: 'plan'` (reports exactly
 * what it would change, changes nothing) and is idempotent per incident + step.
 *
 * Retries: handlers throw only transient failures (ARM 429/5xx, timeouts, storage trouble); the
 * policies below give a swap room for ARM to recover within the rollback target (<= 30 min).
 */
import { z } from 'zod';
import { ActionMode, ActionOutcome } from '../domain/actions.js';
import { AppServiceTarget } from '../domain/app-service-target.js';
import { TrafficRulePolicy } from '../domain/policy.js';
import { EnvName, LkgRecord, MAX_MIGRATIONS, RecordActor, ServiceName } from '../domain/release.js';
import { defineActivity, type RetryPolicy } from './define.js';

const IncidentId = z.string().trim().min(1).max(128);
/**
 * The targets to act on, from the incident's policy snapshot. Absent: the APPSERVICE_TARGETS
 * setting of the function app.
 */
const Targets = z.array(AppServiceTarget).max(20).optional();
/** Overrides the ledger step (default derived from the action, env and service): a new step acts again. */
const Step = z.string().trim().min(1).max(200).optional();

/** Reads and bookkeeping: quick retries. */
const QUICK_RETRY: RetryPolicy = { firstRetryMs: 5_000, maxAttempts: 4, backoff: 2, maxRetryMs: 30_000 };
/** A swap: an attempt may run up to APPSERVICE_SWAP_DEADLINE_SECONDS; retries reconcile first. */
const SWAP_RETRY: RetryPolicy = { firstRetryMs: 30_000, maxAttempts: 4, backoff: 2, maxRetryMs: 120_000 };

const SlotBuildOut = z.object({
  slot: z.string(),
  buildId: z.string().nullable(),
  releaseTag: z.string().nullable(),
  error: z.string().nullable(),
  deployedAt: z.string().nullable().optional(),
  migrations: z.array(z.string().max(200)).max(MAX_MIGRATIONS).optional(),
});

export const ServiceReleaseState = z.object({
  env: z.string(),
  service: z.string(),
  strategy: z.enum(['slot-swap', 'republish']).nullable(),
  /** "site" for slot-swap targets. */
  site: z.string().nullable(),
  production: SlotBuildOut.nullable(),
  staging: SlotBuildOut.nullable(),
  lkg: LkgRecord.nullable(),
  /** Where the LKG build is: production, the staging slot, neither, unknown (a read failed), no-lkg. */
  lkgLocation: z.enum(['production', 'staging', 'neither', 'unknown', 'no-lkg', 'not-configured']),
  summary: z.string(),
});
export type ServiceReleaseState = z.infer<typeof ServiceReleaseState>;

export const readReleaseState = defineActivity({
  name: 'appService_readReleaseState',
  input: z.object({
    incidentId: IncidentId,
    env: EnvName,
    /** Default: every service configured for the environment. */
    services: z.array(ServiceName).max(20).optional(),
    targets: Targets,
  }),
  output: z.object({
    env: z.string(),
    readAt: z.string(),
    services: z.array(ServiceReleaseState),
    /** Settings problems that kept the snapshot from being taken (by setting name, never values). */
    problems: z.array(z.string()).default([]),
  }),
  retry: QUICK_RETRY,
});

/** One step of an action on a service's App Service targets: the restores, and the site actions (restart, scale-out, traffic rule). */
const StepInput = (defaultService: string) =>
  z.object({
    incidentId: IncidentId,
    env: EnvName,
    service: ServiceName.default(defaultService),
    mode: ActionMode.default('execute'),
    step: Step,
    targets: Targets,
  });

/** API to LKG: swap the staging slot (holding LKG) into production, then verify the build ids. */
export const apiToLkg = defineActivity({
  name: 'appService_apiToLkg',
  input: StepInput('api'),
  output: ActionOutcome,
  retry: SWAP_RETRY,
});

/** Web to LKG: a second slot swap or the republish hook, as the web target is configured. */
export const webToLkg = defineActivity({
  name: 'appService_webToLkg',
  input: StepInput('web'),
  output: ActionOutcome,
  retry: SWAP_RETRY,
});

export const setDeployFreeze = defineActivity({
  name: 'appService_setDeployFreeze',
  input: z.object({
    incidentId: IncidentId,
    env: EnvName,
    reason: z.string().trim().min(1).max(2000),
    /** Default: the incident bot. */
    actor: RecordActor.optional(),
    mode: ActionMode.default('execute'),
    step: Step,
  }),
  output: ActionOutcome,
  retry: QUICK_RETRY,
});

/** Lifts a freeze this incident set; a freeze set by someone else is left alone (refused). */
export const clearDeployFreeze = defineActivity({
  name: 'appService_clearDeployFreeze',
  input: z.object({
    incidentId: IncidentId,
    env: EnvName,
    reason: z.string().trim().min(1).max(2000),
    actor: RecordActor.optional(),
    mode: ActionMode.default('execute'),
    step: Step,
  }),
  output: ActionOutcome,
  retry: QUICK_RETRY,
});

/** After a clean monitoring window: record what production runs as the new LKG. */
export const recordLkg = defineActivity({
  name: 'appService_recordLkg',
  input: z.object({
    incidentId: IncidentId,
    env: EnvName,
    service: ServiceName,
    /** Link to the incident's evidence pack. */
    evidenceUrl: z.url({ protocol: /^https?$/ }).max(2048),
    /** Default: the release tag production reports (releaseName / releaseField of the target). */
    releaseTag: z.string().trim().min(1).max(128).optional(),
    /** Default: the incident bot. */
    actor: RecordActor.optional(),
    mode: ActionMode.default('execute'),
    step: Step,
    targets: Targets,
  }),
  output: ActionOutcome,
  retry: QUICK_RETRY,
});

// The containment actions on the site beyond the swap: a StepInput plus what each changes; one
// attempt may run up to the swap deadline, and retries reconcile first.

/** Restart the API's site (ARM restart, synchronous), then wait for its health endpoint to answer 200. */
export const restartApp = defineActivity({
  name: 'appService_restart',
  input: StepInput('api').extend({
    /** The production health URL that must answer 200 again (none: ARM's answer is the verification). */
    healthUrl: z.url({ protocol: /^https?$/ }).max(2048).optional(),
    /** How long to wait for it (reads `verifyDelayMs` apart). */
    verifyTimeoutMs: z.number().int().min(0).max(600_000).default(120_000),
  }),
  output: ActionOutcome,
  retry: SWAP_RETRY,
});

/** Scale the site's App Service plan out to `instances` (never down), then read the plan's capacity back. */
export const scaleOutPlan = defineActivity({
  name: 'appService_scaleOut',
  input: StepInput('api').extend({ instances: z.number().int().min(2).max(100) }),
  output: ActionOutcome,
  retry: SWAP_RETRY,
});

/** Add an access restriction to the site (kept with the ones there), then read it back. */
export const applyTrafficRule = defineActivity({
  name: 'appService_applyTrafficRule',
  input: StepInput('api').extend({ rule: TrafficRulePolicy }),
  output: ActionOutcome,
  retry: SWAP_RETRY,
});

export const BOT_ACTOR = { id: 'incident-bot', name: 'incident-autopilot' } as const;

/** The default ledger step of each action (callers may pass their own `step`). */
export const appServiceStep = {
  apiToLkg: (env: string, service: string) => `app-service/to-lkg/${env.toLowerCase()}/${service.toLowerCase()}`,
  webToLkg: (env: string, service: string) => `app-service/to-lkg/${env.toLowerCase()}/${service.toLowerCase()}`,
  setFreeze: (env: string) => `app-service/freeze/${env.toLowerCase()}`,
  clearFreeze: (env: string) => `app-service/unfreeze/${env.toLowerCase()}`,
  recordLkg: (env: string, service: string) => `app-service/record-lkg/${env.toLowerCase()}/${service.toLowerCase()}`,
  restart: (env: string, service: string) => `app-service/restart/${env.toLowerCase()}/${service.toLowerCase()}`,
  scaleOut: (env: string, service: string) => `app-service/scale-out/${env.toLowerCase()}/${service.toLowerCase()}`,
  trafficRule: (env: string, service: string) => `app-service/traffic-rule/${env.toLowerCase()}/${service.toLowerCase()}`,
};
