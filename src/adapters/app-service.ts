/**
 * The App Service port: build ids from a non-sticky app setting (via ARM) or the app's /version
 * endpoint, and "production to LKG" as a slot swap (ARM) or a republish webhook, as each target
 * is configured.
 */
import type { AppServiceTarget, BuildSource, RepublishTarget, SlotSwapTarget } from '../config/app-service.js';
import { releaseMetaOf, type LkgRecord, type SlotBuild } from '../domain/release.js';
import type { AccessRule, AppServicePort, RestoreContext, RestoreResult, SiteOpsPort, SiteRef, SlotBuilds } from '../ports/app-service.js';
import { TransientError } from '../domain/errors.js';
import { ArmRequestError, type ArmAppService, type ArmSiteOps } from './arm.js';
import { fetchBounded, isRetryableStatus, ResponseTooLargeError, safeUrl } from './http-bounded.js';

const VERSION_MAX_BYTES = 64 * 1024;
const HOOK_MAX_BYTES = 16 * 1024;
const MAX_ID_CHARS = 200;

export interface AppServiceAdapterOptions {
  arm: ArmAppService;
  httpTimeoutMs: number;
  swapDeadlineMs: number;
  /** The hook token a target's `hookTokenSetting` names (the composition root reads the app setting); never logged. */
  hookToken: (setting: string) => string | undefined;
}

type ReadBuild = SlotBuild & { transient: boolean };

export class AppServiceAdapter implements AppServicePort {
  constructor(private readonly o: AppServiceAdapterOptions) {}

  async readBuilds(target: AppServiceTarget): Promise<SlotBuilds> {
    if (target.strategy === 'slot-swap') {
      const [production, staging] = await Promise.all([
        this.readSlot(target, 'production', target.build),
        this.readSlot(target, target.stagingSlot, target.build),
      ]);
      return { production, staging };
    }
    if (!target.build) {
      return { production: unknown('production', 'no build source configured for this target', false), staging: null };
    }
    return { production: await this.readSlot(undefined, 'production', target.build), staging: null };
  }

  private async readSlot(site: SlotSwapTarget | undefined, slot: string, source: BuildSource): Promise<ReadBuild> {
    try {
      if (source.from === 'setting') {
        if (!site) return unknown(slot, 'a build id setting needs a slot-swap target (an App Service site)', false);
        const settings = await this.o.arm.listSettings(site, slot);
        const buildId = clean(settings[source.name]);
        const releaseTag = source.releaseName ? clean(settings[source.releaseName]) : null;
        if (!buildId) return unknown(slot, `app setting ${source.name} is not set in slot ${slot}`, false);
        return { slot, buildId, releaseTag, error: null, transient: false, ...releaseMetaOf(settings[source.deployedAtName], settings[source.migrationsName]) };
      }
      const url = slot === 'production' ? source.productionUrl : source.stagingUrl;
      if (!url) return unknown(slot, `no /version URL configured for slot ${slot}`, false);
      return await this.readVersion(slot, url, source);
    } catch (err) {
      if (err instanceof TransientError) return unknown(slot, err.message, true);
      if (err instanceof ArmRequestError) return unknown(slot, err.message, false);
      throw err;
    }
  }

  private async readVersion(slot: string, url: string, source: Extract<BuildSource, { from: 'version' }>): Promise<ReadBuild> {
    let res;
    try {
      res = await fetchBounded(url, { timeoutMs: this.o.httpTimeoutMs, maxBytes: VERSION_MAX_BYTES, headers: { accept: 'application/json, text/plain' } });
    } catch (err) {
      if (err instanceof ResponseTooLargeError) return unknown(slot, `${safeUrl(url)}: ${err.message}`, false);
      throw err;
    }
    if (isRetryableStatus(res.status)) return unknown(slot, `${safeUrl(url)} answered ${res.status}`, true);
    if (res.status !== 200) return unknown(slot, `${safeUrl(url)} answered ${res.status}`, false);
    const type = res.headers.get('content-type') ?? '';
    if (!/json/i.test(type)) {
      const id = clean(res.text);
      if (!id || /\s/.test(id)) return unknown(slot, `${safeUrl(url)} answered ${type || 'no content type'} that is not a single build id`, false);
      return { slot, buildId: id, releaseTag: null, error: null, transient: false };
    }
    let doc: unknown;
    try {
      doc = JSON.parse(res.text);
    } catch {
      return unknown(slot, `${safeUrl(url)} answered invalid JSON`, false);
    }
    const buildId = clean(pick(doc, source.field));
    if (!buildId) return unknown(slot, `${safeUrl(url)} has no "${source.field}" string`, false);
    const releaseTag = source.releaseField ? clean(pick(doc, source.releaseField)) : null;
    return { slot, buildId, releaseTag, error: null, transient: false, ...releaseMetaOf(pick(doc, source.deployedAtField), pick(doc, source.migrationsField)) };
  }

  async restoreLkg(target: AppServiceTarget, lkg: LkgRecord, context: RestoreContext): Promise<RestoreResult> {
    return target.strategy === 'slot-swap' ? this.swap(target) : this.republish(target, lkg, context);
  }

  private async swap(target: SlotSwapTarget): Promise<RestoreResult> {
    const r = await this.o.arm.swapIntoProduction(target, target.stagingSlot, { preserveVnet: target.preserveVnet, deadlineMs: this.o.swapDeadlineMs });
    switch (r.kind) {
      case 'succeeded':
        return { kind: 'done', operationId: r.operationId, durationMs: r.durationMs, detail: `ARM swap of ${target.site}/${target.stagingSlot} into production completed` };
      case 'conflict':
        return { kind: 'conflict', code: r.code, detail: r.message };
      case 'failed':
        return { kind: 'failed', code: r.code, detail: r.message, operationId: r.operationId };
      case 'rejected':
        return { kind: 'rejected', status: r.status, code: r.code, detail: r.message };
    }
  }

  private async republish(target: RepublishTarget, lkg: LkgRecord, context: RestoreContext): Promise<RestoreResult> {
    const started = Date.now();
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
      // The same key on every attempt of the step: a pipeline that dedupes requests runs once.
      'idempotency-key': context.requestId,
      'x-request-id': context.requestId,
    };
    const token = target.hookTokenSetting ? this.o.hookToken(target.hookTokenSetting)?.trim() : undefined;
    if (target.hookTokenSetting && !token) {
      return { kind: 'rejected', status: 0, code: 'NotConfigured', detail: `app setting ${target.hookTokenSetting} (the hook token) is not set` };
    }
    if (token) headers.authorization = `Bearer ${token}`;
    const body = JSON.stringify({
      env: target.env,
      service: target.service,
      releaseTag: lkg.releaseTag,
      buildId: lkg.buildId,
      lkgId: lkg.id,
      evidenceUrl: lkg.evidenceUrl,
      incidentId: context.incidentId,
      requestId: context.requestId,
    });
    let res;
    try {
      res = await fetchBounded(target.hookUrl, { method: 'POST', headers, body, timeoutMs: this.o.httpTimeoutMs, maxBytes: HOOK_MAX_BYTES });
    } catch (err) {
      if (err instanceof ResponseTooLargeError) {
        // The hook did answer; only its body is unreadable. The status line is what matters.
        return { kind: 'done', operationId: null, durationMs: Date.now() - started, detail: `republish hook ${safeUrl(target.hookUrl)} answered with an oversized body` };
      }
      throw err;
    }
    const where = safeUrl(target.hookUrl);
    if (isRetryableStatus(res.status)) throw new TransientError(`Republish hook ${where} answered ${res.status}`);
    if (res.status >= 300) {
      return { kind: 'rejected', status: res.status, code: `Http${res.status}`, detail: `republish hook ${where} answered ${res.status}: ${snippet(res.text)}` };
    }
    return {
      kind: 'done',
      operationId: runIdOf(res.text) ?? clean(res.headers.get('location') ?? undefined),
      durationMs: Date.now() - started,
      detail: `republish hook ${where} accepted the request (${res.status})`,
    };
  }
}

function unknown(slot: string, error: string, transient: boolean): ReadBuild {
  return { slot, buildId: null, releaseTag: null, error: error.slice(0, 500), transient };
}

function clean(v: unknown): string | null {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string') return null;
  const t = v.trim();
  return t && t.length <= MAX_ID_CHARS ? t : null;
}

function pick(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const part of path.split('.')) {
    if (!cur || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function runIdOf(text: string): string | null {
  try {
    const doc = JSON.parse(text) as Record<string, unknown>;
    return clean(doc.runId ?? doc.id ?? doc.executionId);
  } catch {
    return null;
  }
}

function snippet(text: string): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > 200 ? `${one.slice(0, 200)}...` : one || '(empty body)';
}

/** The site actions through ARM, and the health probe over HTTP (with the App Service HTTP timeout). */
export class SiteOpsAdapter implements SiteOpsPort {
  constructor(private readonly o: { ops: ArmSiteOps; httpTimeoutMs: number; scaleDeadlineMs: number }) {}

  restart(site: SiteRef): Promise<void> {
    return this.o.ops.restart(site);
  }

  readPlan(site: SiteRef): Promise<{ name: string; capacity: number | null }> {
    return this.o.ops.readPlan(site);
  }

  scalePlan(site: SiteRef, plan: string, capacity: number): Promise<void> {
    return this.o.ops.scalePlan(site, plan, capacity, this.o.scaleDeadlineMs);
  }

  readAccessRules(site: SiteRef): Promise<AccessRule[]> {
    return this.o.ops.readAccessRules(site);
  }

  writeAccessRules(site: SiteRef, rules: AccessRule[]): Promise<void> {
    return this.o.ops.writeAccessRules(site, rules);
  }

  async answersHealth(url: string): Promise<{ ok: boolean; detail: string }> {
    try {
      const res = await fetchBounded(url, { timeoutMs: this.o.httpTimeoutMs, maxBytes: VERSION_MAX_BYTES, headers: { accept: 'application/json, text/plain' } });
      return { ok: res.status === 200, detail: `${safeUrl(url)} answered ${res.status}` };
    } catch (err) {
      return { ok: false, detail: `${safeUrl(url)} did not answer: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]?.slice(0, 200) ?? ''}` };
    }
  }
}
