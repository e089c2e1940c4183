/**
 * Handlers of the containment actions on a running site (contracts in ./app-service.contracts.ts):
 * restart it, scale its plan out, add an access restriction. Each takes `mode: 'plan'` (reads the
 * target, says exactly what it would change, changes nothing), runs at most once per incident +
 * step (`once()`), and verifies after: the site answers its health endpoint again, the plan
 * reports the new capacity, the rule is listed.
 *
 * A restart is not idempotent (a second one drops the requests the first let through), and ARM
 * keeps no trace of it to reconcile with: the step records "restart sent" in the ledger as soon as
 * ARM accepted it, so a retried attempt (a timeout while verifying, a crash) verifies again
 * instead of restarting again. A scale-out and a rule are reconciled by reading the target.
 */
import type { z } from 'zod';
import { findTarget, type AppServiceTarget } from '../config/app-service.js';
import type { ActionOutcome } from '../domain/actions.js';
import { PermanentError } from '../domain/errors.js';
import { Reason } from '../domain/release.js';
import type { AccessRule, SiteOpsPort, SiteRef } from '../ports/app-service.js';
import type { StepLedger } from '../ports/ledger.js';
import { once } from './once.js';
import { appServiceStep, type applyTrafficRule, type restartApp, type scaleOutPlan } from './app-service.contracts.js';

export interface SiteOpsPorts {
  siteOps: SiteOpsPort;
  ledger: StepLedger;
  targets: readonly AppServiceTarget[];
  now?: () => string;
  /** Between two health reads after a restart (default 2 s). */
  verifyDelayMs?: number;
}

type In<D extends { input: z.ZodType }> = z.output<D['input']>;

export interface SiteOpsActivities {
  restartApp: (input: In<typeof restartApp>) => Promise<ActionOutcome>;
  scaleOutPlan: (input: In<typeof scaleOutPlan>) => Promise<ActionOutcome>;
  applyTrafficRule: (input: In<typeof applyTrafficRule>) => Promise<ActionOutcome>;
}

const who = (env: string, service: string) => `${service}@${env}`;

/** ARM said no (a PermanentError: no permission, unknown site or plan): refused with the reason; anything else is thrown on (transient: retried). */
function refusal(err: unknown): ActionOutcome | null {
  if (!(err instanceof PermanentError)) return null;
  const reason = err.status === 401 || err.status === 403 ? Reason.notAuthorized : err.status === 404 ? Reason.notFound : 'rejected';
  return { kind: 'refused', reason, summary: (err.message || 'ARM refused the request').slice(0, 500) };
}

export function createSiteOpsActivities(p: SiteOpsPorts): SiteOpsActivities {
  const now = p.now ?? (() => new Date().toISOString());
  const delay = p.verifyDelayMs ?? 2_000;

  function siteOf(input: { env: string; service: string; targets?: AppServiceTarget[] | undefined }): SiteRef | ActionOutcome {
    const target = findTarget(input.targets ?? p.targets, input.env, input.service);
    if (!target || target.strategy !== 'slot-swap') {
      return { kind: 'refused', reason: Reason.notConfigured, summary: `${who(input.env, input.service)}: no App Service site is configured for it (a slot-swap rollback target names the site); nothing was changed.` };
    }
    return { subscriptionId: target.subscriptionId, resourceGroup: target.resourceGroup, site: target.site };
  }

  async function guarded(act: () => Promise<ActionOutcome>): Promise<ActionOutcome> {
    try {
      return await act();
    } catch (err) {
      const r = refusal(err);
      if (r) return r;
      throw err;
    }
  }

  async function healthBack(url: string | undefined, timeoutMs: number): Promise<{ ok: boolean; detail: string }> {
    if (!url) return { ok: true, detail: 'ARM answered once the app was restarted (no health URL to read)' };
    const until = Date.now() + timeoutMs;
    let last = { ok: false, detail: 'not read' };
    for (;;) {
      last = await p.siteOps.answersHealth(url);
      if (last.ok || Date.now() + delay > until) return last;
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  return {
    restartApp: (input) =>
      guarded(async () => {
        const site = siteOf(input);
        if ('kind' in site) return site;
        const name = who(input.env, input.service);
        const health = input.healthUrl ? ` and wait up to ${Math.round(input.verifyTimeoutMs / 1000)} s for ${input.healthUrl} to answer 200` : '';
        if (input.mode === 'plan') {
          return { kind: 'planned', summary: `Plan: restart the App Service ${site.site} (${name}) through ARM${health}.`, changes: [{ target: `site:${site.site}`, field: 'restart', before: null, after: 'restarted' }] };
        }
        const step = input.step ?? appServiceStep.restart(input.env, input.service);
        const sent = { incidentId: input.incidentId, step: `${step}/sent` };
        const { outcome } = await once<ActionOutcome>({
          ledger: p.ledger,
          key: { incidentId: input.incidentId, step },
          now: now(),
          // No reconcile: the "sent" mark says whether an earlier attempt restarted (done: ARM
          // confirmed; started: it was sent and its answer lost, or it never left).
          act: async () => {
            const earlier = await p.ledger.get<boolean>(sent);
            let again = '';
            if (earlier) {
              const now1 = await healthBack(input.healthUrl, 0);
              if (earlier.state === 'done' || now1.ok) again = ` (by an earlier attempt of this step${earlier.state === 'done' ? '' : ', whose answer was lost'}; not restarted again)`;
            }
            if (!again) {
              await p.ledger.start(sent, now());
              await p.siteOps.restart(site);
              await p.ledger.finish(sent, true, now());
            }
            const back = await healthBack(input.healthUrl, input.verifyTimeoutMs);
            return {
              kind: 'done',
              summary: back.ok
                ? `Restarted the App Service ${site.site} (${name})${again}; ${back.detail}.`
                : `Restarted the App Service ${site.site} (${name})${again}, but it has not answered its health check again: ${back.detail}.`,
              changes: [{ target: `site:${site.site}`, field: 'restart', before: null, after: back.ok ? 'restarted, healthy' : 'restarted, not healthy yet' }],
            };
          },
        });
        return outcome;
      }),

    scaleOutPlan: (input) =>
      guarded(async () => {
        const site = siteOf(input);
        if ('kind' in site) return site;
        const name = who(input.env, input.service);
        const already = (plan: { name: string; capacity: number | null }): ActionOutcome | null =>
          plan.capacity !== null && plan.capacity >= input.instances
            ? { kind: 'skipped', reason: 'already-scaled', summary: `The App Service plan ${plan.name} of ${name} runs ${plan.capacity} instance(s) already (the policy's scale-out is ${input.instances}): not scaled.` }
            : null;
        if (input.mode === 'plan') {
          const plan = await p.siteOps.readPlan(site);
          return already(plan) ?? { kind: 'planned', summary: `Plan: scale the App Service plan ${plan.name} of ${name} out from ${plan.capacity ?? '?'} to ${input.instances} instances.`, changes: [{ target: `plan:${plan.name}`, field: 'capacity', before: plan.capacity, after: input.instances }] };
        }
        const step = input.step ?? appServiceStep.scaleOut(input.env, input.service);
        const verified = async (planName: string, before: number | null, how: string): Promise<ActionOutcome | undefined> => {
          const after = (await p.siteOps.readPlan(site)).capacity;
          if (after === null || after < input.instances) return undefined;
          return { kind: 'done', summary: `Scaled the App Service plan ${planName} of ${name} out from ${before ?? '?'} to ${input.instances} instances${how}; the plan reports ${after}.`, changes: [{ target: `plan:${planName}`, field: 'capacity', before, after }] };
        };
        // What the plan ran before the first attempt, kept in the ledger beside the step (a retry reads it back).
        const beforeKey = { incidentId: input.incidentId, step: `${step}/before` };
        const { outcome } = await once<ActionOutcome>({
          ledger: p.ledger,
          key: { incidentId: input.incidentId, step },
          now: now(),
          reconcile: async () => {
            const seen = await p.ledger.get<{ plan: string; capacity: number | null }>(beforeKey);
            if (seen?.state !== 'done') return undefined;
            return verified(seen.outcome.plan, seen.outcome.capacity, ' (by an earlier attempt of this step; found on reconcile)');
          },
          act: async () => {
            const plan = await p.siteOps.readPlan(site);
            const skip = already(plan);
            if (skip) return skip;
            const before = plan.capacity;
            await p.ledger.start(beforeKey, now());
            await p.ledger.finish(beforeKey, { plan: plan.name, capacity: before }, now());
            await p.siteOps.scalePlan(site, plan.name, input.instances);
            return (
              (await verified(plan.name, before, '')) ?? {
                kind: 'refused',
                reason: 'not-verified',
                summary: `ARM accepted scaling the App Service plan ${plan.name} of ${name} to ${input.instances} instances, but the plan does not report them.`,
              }
            );
          },
        });
        return outcome;
      }),

    applyTrafficRule: (input) =>
      guarded(async () => {
        const site = siteOf(input);
        if ('kind' in site) return site;
        const name = who(input.env, input.service);
        const r = input.rule;
        const rule: AccessRule = { name: r.name, action: r.action, ipAddress: r.ipAddress, tag: r.tag, priority: r.priority, description: r.description };
        const present = (rules: AccessRule[]) => rules.some((x) => x.name?.toLowerCase() === r.name.toLowerCase() && x.ipAddress === r.ipAddress && x.action?.toLowerCase() === r.action.toLowerCase());
        const what = `access restriction "${r.name}" (${r.action} ${r.ipAddress}, priority ${r.priority}) on ${site.site} (${name})`;
        const skipped: ActionOutcome = { kind: 'skipped', reason: 'already-present', summary: `The ${what} is in place already: nothing changed.` };
        if (input.mode === 'plan') {
          const existing = await p.siteOps.readAccessRules(site);
          if (present(existing)) return skipped;
          return { kind: 'planned', summary: `Plan: add the ${what}, keeping its ${existing.length} other rule(s).`, changes: [{ target: `site:${site.site}`, field: `accessRestriction:${r.name}`, before: null, after: `${r.action} ${r.ipAddress}` }] };
        }
        const step = input.step ?? appServiceStep.trafficRule(input.env, input.service);
        const verified = async (how: string): Promise<ActionOutcome | undefined> =>
          present(await p.siteOps.readAccessRules(site))
            ? { kind: 'done', summary: `Added the ${what}${how}; the site lists it.`, changes: [{ target: `site:${site.site}`, field: `accessRestriction:${r.name}`, before: null, after: `${r.action} ${r.ipAddress}` }] }
            : undefined;
        const { outcome } = await once<ActionOutcome>({
          ledger: p.ledger,
          key: { incidentId: input.incidentId, step },
          now: now(),
          reconcile: () => verified(' (an earlier attempt of this step; found on reconcile)'),
          act: async () => {
            // ARM has no "add one rule": the whole list is written, read just before.
            const current = await p.siteOps.readAccessRules(site);
            if (present(current)) return skipped;
            await p.siteOps.writeAccessRules(site, [...current.filter((x) => x.name?.toLowerCase() !== r.name.toLowerCase()), rule]);
            return (await verified('')) ?? { kind: 'refused', reason: 'not-verified', summary: `ARM accepted the ${what}, but the site does not list it.` };
          },
        });
        return outcome;
      }),
  };
}
