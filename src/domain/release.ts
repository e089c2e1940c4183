/**
 * Releases, the last-known-good (LKG) pointer and the deploy freeze, and the decisions that
 * move production back to LKG: pure logic, no I/O. Build ids are compared trimmed and
 * case-insensitively (commit SHAs and pipeline run ids are the usual values).
 */
import { z } from 'zod';
import type { Change } from './actions.js';

export const EnvName = z
  .string()
  .trim()
  .regex(/^[A-Za-z][A-Za-z0-9_-]{0,31}$/, 'must be 1-32 letters, digits, "-" or "_", starting with a letter');
export const ServiceName = EnvName;

const text = (max: number) => z.string().trim().min(1).max(max);

/** Who changed a record: a pipeline, a person, or the incident bot. */
export const RecordActor = z.object({
  id: text(256),
  name: z.string().trim().max(256).optional(),
  /**
   * Set by the app, never taken from a request: true when App Service Authentication vouched for
   * the person, false when a function key holder stated the identity.
   */
  verified: z.boolean().optional(),
});
export type RecordActor = z.infer<typeof RecordActor>;

export const LkgSource = z.enum(['pipeline', 'monitoring-window', 'manual']);

/** The body of POST /api/lkg (a deploy pipeline after a release passed its gates). */
export const LkgInput = z.object({
  env: EnvName,
  service: ServiceName,
  releaseTag: text(128),
  /** The build id the deployed artifact reports (its APP_BUILD_ID setting or /version). */
  buildId: text(128),
  /** The slot the release was deployed and verified in (usually "production"). */
  slot: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9-]{1,59}$/, 'must be a slot name')
    .default('production'),
  evidenceUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2048),
  recordedBy: RecordActor,
  source: LkgSource.default('pipeline'),
  note: z.string().trim().max(2000).optional(),
  /**
   * The id of the record this one replaces, when the caller means to correct it: refused with
   * 409 if the current record is another one by then (someone else recorded meanwhile).
   */
  supersedes: z.string().trim().max(64).optional(),
});
export type LkgInput = z.infer<typeof LkgInput>;

export const LkgRecord = z.object({
  id: z.string(),
  env: z.string(),
  service: z.string(),
  releaseTag: z.string(),
  buildId: z.string(),
  slot: z.string(),
  evidenceUrl: z.string(),
  recordedAt: z.string(),
  recordedBy: RecordActor,
  source: LkgSource,
  note: z.string().optional(),
  /** The record that was current when this one was recorded (history is a chain). */
  previousId: z.string().optional(),
  supersedes: z.string().optional(),
});
export type LkgRecord = z.infer<typeof LkgRecord>;

export const FreezeState = z.object({
  env: z.string(),
  frozen: z.boolean(),
  /** When the current state began (null for an environment never frozen). */
  since: z.string().nullable(),
  by: RecordActor.nullable(),
  reason: z.string().nullable(),
  incidentId: z.string().nullable(),
});
export type FreezeState = z.infer<typeof FreezeState>;

/** The body of POST /api/freeze/{env}. */
export const FreezeRequest = z.object({
  action: z.enum(['freeze', 'unfreeze']),
  reason: text(2000),
  actor: RecordActor,
  incidentId: z.string().trim().min(1).max(128).optional(),
});
export type FreezeRequest = z.infer<typeof FreezeRequest>;

export function sameBuild(a: string | null | undefined, b: string | null | undefined): boolean {
  return !!a && !!b && a.trim().toLowerCase() === b.trim().toLowerCase();
}

/** What one slot runs, as read before/after an action. `buildId` null = could not be read (see `error`). */
export interface SlotBuild {
  slot: string;
  buildId: string | null;
  releaseTag: string | null;
  error: string | null;
  /** When the build was deployed (ISO 8601, UTC), when the deploy says so. */
  deployedAt?: string | null;
  /** Database migrations the build shipped, when the deploy says so. */
  migrations?: string[];
}

/** At most this many migration names are kept per build (a list, not a changelog). */
export const MAX_MIGRATIONS = 50;

/**
 * Release metadata as a deploy writes it (an app setting or a /version field): a deploy time that
 * must parse as a date, and migrations as a JSON array or a comma/semicolon/whitespace separated
 * list. Anything else is ignored, never guessed at.
 */
export function releaseMetaOf(deployedAt: unknown, migrations: unknown): { deployedAt: string | null; migrations: string[] } {
  let at: string | null = null;
  if (typeof deployedAt === 'string' && deployedAt.trim()) {
    const ms = Date.parse(deployedAt.trim());
    if (Number.isFinite(ms)) at = new Date(ms).toISOString();
  }
  const names = Array.isArray(migrations) ? migrations : typeof migrations === 'string' ? migrations.split(/[\s,;]+/) : [];
  const list = names
    .filter((m): m is string => typeof m === 'string')
    .map((m) => m.trim())
    .filter((m) => m.length > 0 && m.length <= 200);
  return { deployedAt: at, migrations: [...new Set(list)].slice(0, MAX_MIGRATIONS) };
}

export function describeBuild(b: SlotBuild): string {
  if (!b.buildId) return `an unknown build (${b.error ?? 'no build id'})`;
  const meta = [
    ...(b.deployedAt ? [`deployed ${b.deployedAt.slice(0, 16).replace('T', ' ')} UTC`] : []),
    ...(b.migrations?.length ? [`migrations ${b.migrations.join(', ')}`] : []),
  ];
  const id = b.releaseTag ? `${b.releaseTag} (build ${b.buildId}${meta.length ? `; ${meta.join('; ')}` : ''})` : `build ${b.buildId}${meta.length ? ` (${meta.join('; ')})` : ''}`;
  return id;
}

export function describeLkg(lkg: LkgRecord): string {
  return `LKG ${lkg.releaseTag} (build ${lkg.buildId})`;
}

export type Plan =
  | { kind: 'act'; summary: string; changes: Change[] }
  | { kind: 'skip'; summary: string; reason: string }
  | { kind: 'refuse'; summary: string; reason: string };

/** Machine-readable reasons of `skipped` / `refused` outcomes (the `reason` field). */
export const Reason = {
  alreadyLkg: 'already-lkg',
  noLkg: 'no-lkg',
  lkgNotInStaging: 'lkg-not-in-staging',
  buildUnknown: 'build-unknown',
  releaseUnknown: 'release-unknown',
  swapInProgress: 'swap-in-progress',
  swapFailed: 'swap-failed',
  notAuthorized: 'not-authorized',
  notFound: 'not-found',
  hookRejected: 'hook-rejected',
  notConfigured: 'not-configured',
  alreadyFrozen: 'already-frozen',
  notFrozen: 'not-frozen',
  frozenByOther: 'frozen-by-other',
} as const;

export interface SwapSubject {
  env: string;
  service: string;
  site: string;
  stagingSlot: string;
}

/** Swap the staging slot into production to reach LKG? Only when staging provably holds the LKG build. */
export function planSwap(s: SwapSubject, lkg: LkgRecord | null, production: SlotBuild, staging: SlotBuild): Plan {
  const who = `${s.service} (${s.env})`;
  if (!lkg) {
    return {
      kind: 'refuse',
      reason: Reason.noLkg,
      summary: `${who}: no last-known-good release is recorded for ${s.env}/${s.service}; nothing to roll back to. Production runs ${describeBuild(production)}.`,
    };
  }
  if (sameBuild(production.buildId, lkg.buildId)) {
    return {
      kind: 'skip',
      reason: Reason.alreadyLkg,
      summary: `${who}: production already runs ${describeLkg(lkg)}; no swap needed.`,
    };
  }
  if (!staging.buildId) {
    return {
      kind: 'refuse',
      reason: Reason.buildUnknown,
      summary: `${who}: cannot read the build in slot ${s.stagingSlot} (${staging.error ?? 'no build id'}), so a swap could not be proven to restore ${describeLkg(lkg)}. Production runs ${describeBuild(production)}.`,
    };
  }
  if (!sameBuild(staging.buildId, lkg.buildId)) {
    return {
      kind: 'refuse',
      reason: Reason.lkgNotInStaging,
      summary:
        `${who}: ${describeLkg(lkg)} is in neither slot: production runs ${describeBuild(production)}, ` +
        `${s.stagingSlot} runs ${describeBuild(staging)}. Redeploy ${lkg.releaseTag} to ${s.stagingSlot} first.`,
    };
  }
  return {
    kind: 'act',
    summary:
      `${who}: swap ${s.site}/${s.stagingSlot} into production: production ${describeBuild(production)} -> ${describeLkg(lkg)}` +
      (production.buildId ? '' : ' (the production build could not be read)') +
      '.',
    changes: [
      { target: `slot:${s.site}/production`, field: 'buildId', before: production.buildId, after: staging.buildId },
      { target: `slot:${s.site}/${s.stagingSlot}`, field: 'buildId', before: staging.buildId, after: production.buildId },
    ],
  };
}

export interface RepublishSubject {
  env: string;
  service: string;
}

/** Republish the LKG static build? Skipped when production is known to serve it already. */
export function planRepublish(s: RepublishSubject, lkg: LkgRecord | null, production: SlotBuild | null): Plan {
  const who = `${s.service} (${s.env})`;
  if (!lkg) {
    return {
      kind: 'refuse',
      reason: Reason.noLkg,
      summary: `${who}: no last-known-good release is recorded for ${s.env}/${s.service}; nothing to republish.`,
    };
  }
  if (production && sameBuild(production.buildId, lkg.buildId)) {
    return { kind: 'skip', reason: Reason.alreadyLkg, summary: `${who}: production already serves ${describeLkg(lkg)}; no republish needed.` };
  }
  const now = production ? describeBuild(production) : 'a build this app cannot read (no /version configured)';
  return {
    kind: 'act',
    summary: `${who}: request a republish of ${describeLkg(lkg)}; production serves ${now}.`,
    changes: [{ target: `site:${s.service}@${s.env}`, field: 'release', before: production?.buildId ?? null, after: lkg.releaseTag }],
  };
}

/** Record production's build as the new LKG (after a clean monitoring window)? */
export function planRecordLkg(
  s: RepublishSubject,
  current: LkgRecord | null,
  production: SlotBuild,
  releaseTag: string | undefined,
): Plan & { releaseTag?: string } {
  const who = `${s.service} (${s.env})`;
  if (!production.buildId) {
    return {
      kind: 'refuse',
      reason: Reason.buildUnknown,
      summary: `${who}: cannot read production's build (${production.error ?? 'no build id'}); no LKG recorded.`,
    };
  }
  if (current && sameBuild(current.buildId, production.buildId)) {
    return { kind: 'skip', reason: Reason.alreadyLkg, summary: `${who}: production runs ${describeLkg(current)}, already the LKG.` };
  }
  const tag = releaseTag ?? production.releaseTag ?? undefined;
  if (!tag) {
    return {
      kind: 'refuse',
      reason: Reason.releaseUnknown,
      summary: `${who}: production runs build ${production.buildId} but its release tag is unknown (pass releaseTag or configure a release setting/field); no LKG recorded.`,
    };
  }
  return {
    kind: 'act',
    releaseTag: tag,
    summary: `${who}: record ${tag} (build ${production.buildId}) as last known good` + (current ? `, replacing ${describeLkg(current)}.` : '.'),
    changes: [
      {
        target: `lkg:${s.env}/${s.service}`,
        field: 'release',
        before: current ? { releaseTag: current.releaseTag, buildId: current.buildId } : null,
        after: { releaseTag: tag, buildId: production.buildId },
      },
    ],
  };
}

export function planFreeze(env: string, current: FreezeState, incidentId: string, reason: string): Plan {
  if (current.frozen) {
    const by = current.incidentId === incidentId ? 'this incident' : current.incidentId ? `incident ${current.incidentId}` : (current.by?.id ?? 'someone');
    return {
      kind: 'skip',
      reason: Reason.alreadyFrozen,
      summary: `Deploys to ${env} are already frozen (since ${current.since ?? '?'}, by ${by}: ${current.reason ?? 'no reason given'}).`,
    };
  }
  return {
    kind: 'act',
    summary: `Freeze deploys to ${env}: ${reason}`,
    changes: [{ target: `freeze:${env}`, field: 'frozen', before: false, after: true }],
  };
}

export function planUnfreeze(env: string, current: FreezeState, incidentId: string): Plan {
  if (!current.frozen) return { kind: 'skip', reason: Reason.notFrozen, summary: `Deploys to ${env} are not frozen; nothing to lift.` };
  if (current.incidentId !== incidentId) {
    const owner = current.incidentId ? `incident ${current.incidentId}` : `${current.by?.id ?? 'someone'} (no incident)`;
    return {
      kind: 'refuse',
      reason: Reason.frozenByOther,
      summary: `Deploys to ${env} were frozen by ${owner} (${current.reason ?? 'no reason given'}), not by incident ${incidentId}; left frozen. Lift it with POST /api/freeze/${env}.`,
    };
  }
  return {
    kind: 'act',
    summary: `Lift the deploy freeze on ${env} (set by this incident since ${current.since ?? '?'}).`,
    changes: [{ target: `freeze:${env}`, field: 'frozen', before: true, after: false }],
  };
}
