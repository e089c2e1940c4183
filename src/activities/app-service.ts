/**
 * Handlers of the App Service activities (contracts in ./app-service.contracts.ts), built from
 * ports so tests can run them against the ARM fake, Azurite and an in-memory ledger.
 *
 * Side effects run through `once()` keyed by incident + step. After an interrupted attempt the
 * target is read before anything is done again: if production already runs the LKG build, the
 * earlier attempt's swap went through and the step is done. A 409 seen after such an interruption
 * is most likely our own swap still running, so it is thrown as transient (Durable retries, and
 * the retry reconciles again) rather than recorded as "someone else is swapping".
 */
import type { z } from 'zod';
import { findTarget, type AppServiceTarget } from '../config/app-service.js';
import type { ActionMode, ActionOutcome, Change } from '../domain/actions.js';
import {
  describeBuild,
  describeLkg,
  planFreeze,
  planRecordLkg,
  planRepublish,
  planSwap,
  planUnfreeze,
  Reason,
  sameBuild,
  type LkgRecord,
  type Plan,
  type SlotBuild,
} from '../domain/release.js';
import type { AppServicePort, SlotBuilds } from '../ports/app-service.js';
import type { StepLedger } from '../ports/ledger.js';
import type { FreezeAnnouncer, FreezeStore, LkgRegistry } from '../ports/release-registry.js';
import { errorText, TransientError } from '../domain/errors.js';
import { once } from './once.js';
import {
  appServiceStep,
  BOT_ACTOR,
  type apiToLkg,
  type clearDeployFreeze,
  type readReleaseState,
  type recordLkg,
  type ServiceReleaseState,
  type setDeployFreeze,
} from './app-service.contracts.js';

export interface AppServicePorts {
  appService: AppServicePort;
  lkg: LkgRegistry;
  freeze: FreezeStore;
  announcer: FreezeAnnouncer;
  ledger: StepLedger;
  targets: readonly AppServiceTarget[];
  now?: () => string;
  /** Reads of production after a swap until it reports the LKG build (default 3, `verifyDelayMs` apart). */
  verifyAttempts?: number;
  verifyDelayMs?: number;
  log?: (message: string) => void;
}

type In<D extends { input: z.ZodType }> = z.output<D['input']>;
type RestoreInput = In<typeof apiToLkg>;

export interface AppServiceActivities {
  readReleaseState: (input: In<typeof readReleaseState>) => Promise<{ env: string; readAt: string; services: ServiceReleaseState[]; problems: string[] }>;
  apiToLkg: (input: RestoreInput) => Promise<ActionOutcome>;
  webToLkg: (input: RestoreInput) => Promise<ActionOutcome>;
  setDeployFreeze: (input: In<typeof setDeployFreeze>) => Promise<ActionOutcome>;
  clearDeployFreeze: (input: In<typeof clearDeployFreeze>) => Promise<ActionOutcome>;
  recordLkg: (input: In<typeof recordLkg>) => Promise<ActionOutcome>;
}

function fromPlan(plan: Plan, mode: ActionMode): ActionOutcome {
  switch (plan.kind) {
    case 'skip':
      return { kind: 'skipped', summary: plan.summary, reason: plan.reason };
    case 'refuse':
      return { kind: 'refused', summary: plan.summary, reason: plan.reason };
    case 'act':
      if (mode === 'plan') return { kind: 'planned', summary: `Plan: ${plan.summary}`, changes: plan.changes };
      throw new Error('internal: an act plan must be executed, not converted');
  }
}

function refused(reason: string, summary: string): ActionOutcome {
  return { kind: 'refused', reason, summary };
}

/** ARM messages often end with a period; summaries add their own. */
function clause(text: string): string {
  return text.trim().replace(/[.\s]+$/, '');
}

function who(env: string, service: string): string {
  return `${service} (${env})`;
}

/** A read that failed transiently makes the decision unsafe: retry the whole step later. */
function requireReadable(builds: SlotBuilds, what: string): void {
  for (const b of [builds.production, builds.staging]) {
    if (b?.transient) throw new TransientError(`${what}: reading the build of slot ${b.slot} failed: ${b.error ?? 'unknown error'}`);
  }
}

function strip(b: SlotBuild & { transient?: boolean }): SlotBuild {
  const meta = { ...(b.deployedAt ? { deployedAt: b.deployedAt } : {}), ...(b.migrations?.length ? { migrations: b.migrations } : {}) };
  return { slot: b.slot, buildId: b.buildId, releaseTag: b.releaseTag, error: b.error, ...meta };
}

export function createAppServiceActivities(p: AppServicePorts): AppServiceActivities {
  const now = p.now ?? (() => new Date().toISOString());
  const log = p.log ?? (() => undefined);
  const verifyAttempts = p.verifyAttempts ?? 3;
  const verifyDelayMs = p.verifyDelayMs ?? 5000;

  function plannedRestore(target: AppServiceTarget, lkg: LkgRecord | null, builds: SlotBuilds): Plan {
    if (target.strategy === 'slot-swap') {
      return planSwap(target, lkg, builds.production, builds.staging ?? builds.production);
    }
    return planRepublish(target, lkg, target.build ? builds.production : null);
  }

  async function readAndPlan(target: AppServiceTarget): Promise<{ lkg: LkgRecord | null; builds: SlotBuilds; plan: Plan }> {
    const [lkg, builds] = await Promise.all([p.lkg.current(target.env, target.service), p.appService.readBuilds(target)]);
    requireReadable(builds, who(target.env, target.service));
    return { lkg, builds, plan: plannedRestore(target, lkg, builds) };
  }

  /** Reads production until it reports the LKG build, a few times (a swap can take a moment to show). */
  async function verifyProduction(target: AppServiceTarget, lkg: LkgRecord): Promise<{ ok: boolean; builds: SlotBuilds }> {
    let builds = await p.appService.readBuilds(target);
    for (let i = 1; i < verifyAttempts && !sameBuild(builds.production.buildId, lkg.buildId); i++) {
      await new Promise((r) => setTimeout(r, verifyDelayMs));
      builds = await p.appService.readBuilds(target);
    }
    return { ok: sameBuild(builds.production.buildId, lkg.buildId), builds };
  }

  async function executeRestore(target: AppServiceTarget, input: RestoreInput, step: string, resumed: () => boolean): Promise<ActionOutcome> {
    const name = who(target.env, target.service);
    const { lkg, builds, plan } = await readAndPlan(target);
    if (plan.kind !== 'act' || !lkg) return fromPlan(plan, 'execute');
    log(`${name}: ${plan.summary}`);
    const result = await p.appService.restoreLkg(target, lkg, { requestId: `${input.incidentId}:${step}`, incidentId: input.incidentId });
    const production = describeBuild(builds.production);
    switch (result.kind) {
      case 'done': {
        const op = result.operationId ? ` (operation ${result.operationId})` : '';
        // Which release production is back on, as data (the incident record names it in every output).
        const release: Change = { target: `release:${target.env}/${target.service}`, field: 'releaseTag', before: builds.production.releaseTag ?? null, after: lkg.releaseTag };
        if (target.strategy === 'republish') {
          return {
            kind: 'done',
            summary: `${name}: asked for a republish of ${describeLkg(lkg)}; ${result.detail}${op}. Production served ${production}; confirm with the smoke checks.`,
            changes: [...plan.changes, release],
            ...(result.operationId ? { executionId: result.operationId } : {}),
          };
        }
        const check = await verifyProduction(target, lkg);
        const after = check.builds;
        const changes: Change[] = [
          { target: `slot:${target.site}/production`, field: 'buildId', before: builds.production.buildId, after: after.production.buildId },
          { target: `slot:${target.site}/${target.stagingSlot}`, field: 'buildId', before: builds.staging?.buildId ?? null, after: after.staging?.buildId ?? null },
          ...(check.ok ? [release] : []),
        ];
        const took = `${Math.round(result.durationMs / 1000)} s`;
        const summary = check.ok
          ? `${name}: swapped ${target.site}/${target.stagingSlot} into production in ${took}${op}; production now runs ${describeLkg(lkg)} (verified), ${target.stagingSlot} holds ${describeBuild(after.staging ?? builds.production)}.`
          : `${name}: ARM reports the swap of ${target.site}/${target.stagingSlot} into production complete${op}, but production reports ${describeBuild(after.production)}, not ${describeLkg(lkg)}. Check the slots before anything else.`;
        return { kind: 'done', summary, changes, ...(result.operationId ? { executionId: result.operationId } : {}) };
      }
      case 'conflict':
        if (resumed()) {
          throw new TransientError(`${name}: ARM answered 409 (${result.code}) after an interrupted attempt: most likely that attempt's swap is still running; retrying after it ends.`);
        }
        return refused(
          Reason.swapInProgress,
          `${name}: ARM refused the swap with 409 ${result.code}: another operation is in progress on ${target.strategy === 'slot-swap' ? target.site : target.service} (${clause(result.detail)}). Nothing was changed; production runs ${production}.`,
        );
      case 'failed': {
        const after = await p.appService.readBuilds(target).catch(() => undefined);
        const now = after ? describeBuild(after.production) : production;
        const op = result.operationId ? ` (operation ${result.operationId})` : '';
        return refused(
          Reason.swapFailed,
          `${name}: Azure ran the swap${op} and it failed: ${result.code}: ${clause(result.detail)}. Azure reverts a failed swap, so the slots are as before: production runs ${now}, ${describeLkg(lkg)} is still in ${target.strategy === 'slot-swap' ? target.stagingSlot : 'the artifact store'}.`,
        );
      }
      case 'rejected': {
        const reason =
          result.status === 401 || result.status === 403
            ? Reason.notAuthorized
            : target.strategy === 'republish'
              ? Reason.hookRejected
              : result.status === 404
                ? Reason.notFound
                : Reason.swapFailed;
        const hint =
          reason === Reason.notAuthorized && target.strategy === 'slot-swap'
            ? ` The function app's managed identity needs "Website Contributor" on ${target.site}.`
            : '';
        return refused(reason, `${name}: the rollback was refused before it started (${result.status || '-'} ${result.code}): ${clause(result.detail)}.${hint} Nothing was changed.`);
      }
    }
  }

  async function reconcileRestore(target: AppServiceTarget): Promise<ActionOutcome | undefined> {
    const lkg = await p.lkg.current(target.env, target.service);
    if (!lkg) return undefined;
    const builds = await p.appService.readBuilds(target);
    requireReadable(builds, who(target.env, target.service));
    if (!sameBuild(builds.production.buildId, lkg.buildId)) return undefined;
    const name = who(target.env, target.service);
    if (target.strategy === 'republish') {
      return { kind: 'done', summary: `${name}: production serves ${describeLkg(lkg)}: an earlier attempt of this step republished it.`, changes: [] };
    }
    return {
      kind: 'done',
      summary: `${name}: production runs ${describeLkg(lkg)}: an earlier, interrupted attempt of this step completed the swap (found on reconcile). ${target.stagingSlot} holds ${describeBuild(builds.staging ?? builds.production)}.`,
      changes: [
        { target: `slot:${target.site}/production`, field: 'buildId', before: builds.staging?.buildId ?? null, after: builds.production.buildId },
        { target: `slot:${target.site}/${target.stagingSlot}`, field: 'buildId', before: builds.production.buildId, after: builds.staging?.buildId ?? null },
      ],
    };
  }

  async function toLkg(kind: 'apiToLkg' | 'webToLkg', input: RestoreInput): Promise<ActionOutcome> {
    const target = findTarget(input.targets ?? p.targets, input.env, input.service);
    if (!target) {
      return refused(Reason.notConfigured, `${who(input.env, input.service)}: no App Service target is configured for it (policy rollback targets or APPSERVICE_TARGETS); nothing was changed.`);
    }
    if (input.mode === 'plan') {
      const { plan } = await readAndPlan(target);
      return fromPlan(plan, 'plan');
    }
    const step = input.step ?? appServiceStep[kind](input.env, input.service);
    let resumed = false;
    const { outcome } = await once<ActionOutcome>({
      ledger: p.ledger,
      key: { incidentId: input.incidentId, step },
      now: now(),
      reconcile: () => {
        resumed = true;
        return reconcileRestore(target);
      },
      act: () => executeRestore(target, input, step, () => resumed),
    });
    return outcome;
  }

  async function announce(env: string, frozen: boolean, at: string, actor: { id: string; name?: string }, reason: string, incidentId: string): Promise<string> {
    try {
      const r = await p.announcer.announce({ env, frozen, at, by: actor, reason, incidentId });
      if (r?.pending) return `Announcement via ${p.announcer.channel} still pending${typeof r.summary === 'string' ? `: ${r.summary}` : '.'}`;
      return `Announced via ${p.announcer.channel}.`;
    } catch (err) {
      log(`Announcing the freeze change of ${env} via ${p.announcer.channel} failed: ${errorText(err)}`);
      return `Announcing via ${p.announcer.channel} failed: ${errorText(err).slice(0, 200)}.`;
    }
  }

  return {
    async readReleaseState(input) {
      const wanted = input.services?.map((s) => s.toLowerCase());
      const configured = (input.targets ?? p.targets).filter((t) => t.env.toLowerCase() === input.env.toLowerCase());
      const names = wanted ?? configured.map((t) => t.service.toLowerCase());
      const services = await Promise.all(
        names.map(async (service): Promise<ServiceReleaseState> => {
          const target = configured.find((t) => t.service.toLowerCase() === service);
          const lkg = await p.lkg.current(input.env, service);
          if (!target) {
            return {
              env: input.env,
              service,
              strategy: null,
              site: null,
              production: null,
              staging: null,
              lkg,
              lkgLocation: 'not-configured',
              summary: `${who(input.env, service)}: no App Service target configured` + (lkg ? `; ${describeLkg(lkg)} is recorded.` : '; no LKG recorded.'),
            };
          }
          const builds = await p.appService.readBuilds(target);
          const production = strip(builds.production);
          const staging = builds.staging ? strip(builds.staging) : null;
          const location: ServiceReleaseState['lkgLocation'] = !lkg
            ? 'no-lkg'
            : sameBuild(production.buildId, lkg.buildId)
              ? 'production'
              : staging && sameBuild(staging.buildId, lkg.buildId)
                ? 'staging'
                : !production.buildId || (staging && !staging.buildId)
                  ? 'unknown'
                  : 'neither';
          const parts = [`production runs ${describeBuild(production)}`];
          if (staging) parts.push(`${staging.slot} runs ${describeBuild(staging)}`);
          const tail = {
            'no-lkg': 'no LKG recorded',
            production: `production is on ${lkg ? describeLkg(lkg) : ''}`,
            staging: `${lkg ? describeLkg(lkg) : ''} is in ${staging?.slot ?? 'staging'}: a swap restores it`,
            neither: `${lkg ? describeLkg(lkg) : ''} is in neither slot`,
            unknown: `where ${lkg ? describeLkg(lkg) : ''} is cannot be told (a read failed)`,
            'not-configured': '',
          }[location];
          return {
            env: input.env,
            service: target.service,
            strategy: target.strategy,
            site: target.strategy === 'slot-swap' ? target.site : null,
            production,
            staging,
            lkg,
            lkgLocation: location,
            summary: `${who(input.env, target.service)}: ${parts.join('; ')}; ${tail}.`,
          };
        }),
      );
      return { env: input.env, readAt: now(), services, problems: [] };
    },

    apiToLkg: (input) => toLkg('apiToLkg', input),
    webToLkg: (input) => toLkg('webToLkg', input),

    async setDeployFreeze(input) {
      const actor = input.actor ?? BOT_ACTOR;
      if (input.mode === 'plan') {
        const plan = planFreeze(input.env, await p.freeze.get(input.env), input.incidentId, input.reason);
        if (plan.kind === 'act') plan.summary += ` (announced via ${p.announcer.channel})`;
        return fromPlan(plan, 'plan');
      }
      const step = input.step ?? appServiceStep.setFreeze(input.env);
      const { outcome } = await once<ActionOutcome>({
        ledger: p.ledger,
        key: { incidentId: input.incidentId, step },
        now: now(),
        reconcile: async () => {
          const s = await p.freeze.get(input.env);
          if (!s.frozen || s.incidentId !== input.incidentId) return undefined;
          return { kind: 'done', summary: `Deploys to ${input.env} are frozen by this incident since ${s.since ?? '?'} (found on reconcile).`, changes: [] };
        },
        act: async () => {
          const plan = planFreeze(input.env, await p.freeze.get(input.env), input.incidentId, input.reason);
          if (plan.kind !== 'act') return fromPlan(plan, 'execute');
          const at = now();
          const r = await p.freeze.set(input.env, { frozen: true, actor, reason: input.reason, incidentId: input.incidentId, at });
          if (!r.changed) return fromPlan(planFreeze(input.env, r.state, input.incidentId, input.reason), 'execute');
          const announced = await announce(input.env, true, at, actor, input.reason, input.incidentId);
          return { kind: 'done', summary: `Deploys to ${input.env} frozen for incident ${input.incidentId}: ${input.reason}. ${announced}`, changes: plan.changes };
        },
      });
      return outcome;
    },

    async clearDeployFreeze(input) {
      const actor = input.actor ?? BOT_ACTOR;
      if (input.mode === 'plan') return fromPlan(planUnfreeze(input.env, await p.freeze.get(input.env), input.incidentId), 'plan');
      const step = input.step ?? appServiceStep.clearFreeze(input.env);
      const { outcome } = await once<ActionOutcome>({
        ledger: p.ledger,
        key: { incidentId: input.incidentId, step },
        now: now(),
        reconcile: async () => {
          const s = await p.freeze.get(input.env);
          if (s.frozen || s.incidentId !== input.incidentId) return undefined;
          return { kind: 'done', summary: `The deploy freeze on ${input.env} was lifted by this incident at ${s.since ?? '?'} (found on reconcile).`, changes: [] };
        },
        act: async () => {
          const plan = planUnfreeze(input.env, await p.freeze.get(input.env), input.incidentId);
          if (plan.kind !== 'act') return fromPlan(plan, 'execute');
          const at = now();
          const r = await p.freeze.set(input.env, { frozen: false, actor, reason: input.reason, incidentId: input.incidentId, at });
          if (!r.changed) return fromPlan(planUnfreeze(input.env, r.state, input.incidentId), 'execute');
          const announced = await announce(input.env, false, at, actor, input.reason, input.incidentId);
          return { kind: 'done', summary: `Deploy freeze on ${input.env} lifted (incident ${input.incidentId}): ${input.reason}. ${announced}`, changes: plan.changes };
        },
      });
      return outcome;
    },

    async recordLkg(input) {
      const target = findTarget(input.targets ?? p.targets, input.env, input.service);
      if (!target) {
        return refused(Reason.notConfigured, `${who(input.env, input.service)}: no App Service target is configured for it, so its build cannot be read; no LKG recorded.`);
      }
      const recordedBy = { id: input.actor?.id ?? BOT_ACTOR.id, name: `incident ${input.incidentId}` };
      const decide = async () => {
        const [current, builds] = await Promise.all([p.lkg.current(input.env, target.service), p.appService.readBuilds(target)]);
        if (builds.production.transient) throw new TransientError(`${who(input.env, target.service)}: reading production's build failed: ${builds.production.error ?? ''}`);
        return { current, production: builds.production, plan: planRecordLkg(target, current, builds.production, input.releaseTag) };
      };
      if (input.mode === 'plan') return fromPlan((await decide()).plan, 'plan');
      const step = input.step ?? appServiceStep.recordLkg(input.env, input.service);
      const { outcome } = await once<ActionOutcome>({
        ledger: p.ledger,
        key: { incidentId: input.incidentId, step },
        now: now(),
        reconcile: async () => {
          const current = await p.lkg.current(input.env, target.service);
          if (!current || current.recordedBy.name !== recordedBy.name) return undefined;
          return { kind: 'done', summary: `${who(input.env, target.service)}: ${describeLkg(current)} was recorded as LKG by this incident (found on reconcile).`, changes: [], executionId: current.id };
        },
        act: async () => {
          const { plan, production } = await decide();
          if (plan.kind !== 'act' || !plan.releaseTag || !production.buildId) return fromPlan(plan, 'execute');
          const { record } = await p.lkg.record(
            {
              env: input.env,
              service: target.service,
              releaseTag: plan.releaseTag,
              buildId: production.buildId,
              slot: 'production',
              evidenceUrl: input.evidenceUrl,
              recordedBy,
              source: 'monitoring-window',
              note: `Recorded after a clean monitoring window of incident ${input.incidentId}.`,
            },
            now(),
          );
          return { kind: 'done', summary: `${plan.summary.replace(/^(.*?): record/, '$1: recorded')} Record ${record.id}.`, changes: plan.changes, executionId: record.id };
        },
      });
      return outcome;
    },
  };
}
