/**
 * Azure Resource Manager for App Service, through `@azure/arm-appservice` 19 (loaded on first
 * use): swap a slot into production and read a slot's app settings.
 *
 * Why it is built the way it is:
 * - Two clients per subscription. Reads retry on 429/5xx inside the SDK pipeline. The swap POST
 *   is sent exactly once per call (no pipeline retries): if a first POST was accepted and its
 *   answer lost, a retried POST would either hit 409 or, worse, swap back a swap that had
 *   already finished. Retrying a swap is the caller's job, after reading the build ids again.
 * - Every HTTP call gets a per-request timeout (a pipeline policy: the SDK's polls take none),
 *   and the whole swap has a deadline (an AbortSignal given to the poller).
 * - A transient failure while polling (a 5xx, a dropped connection) does not lose the operation:
 *   the poller is restored from its serialized state and polling continues until the deadline.
 * - SDK errors are never passed on as `cause`: they carry the request, Authorization header
 *   included. Our errors keep status, code and the first line of ARM's message.
 */
import type { TokenCredential } from '@azure/core-auth';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import type { WebSiteManagementClient } from '@azure/arm-appservice';
import type { AccessRule } from '../ports/app-service.js';
import { PermanentError, TransientError } from '../domain/errors.js';
import { lazy } from './lazy.js';
import { telemetry } from './telemetry.js';

// CommonJS builds on purpose: `import()` would load the SDKs' ESM builds, a second copy.
const appServiceSdk = lazy(() => require('@azure/arm-appservice') as typeof import('@azure/arm-appservice'));
const identitySdk = lazy(() => require('@azure/identity') as typeof import('@azure/identity'));

export interface SiteRef {
  subscriptionId: string;
  resourceGroup: string;
  site: string;
}

export interface ArmOptions {
  credential: TokenCredential;
  /** ARM endpoint (https). Default https://management.azure.com. */
  endpoint?: string;
  /** Extra CA certificate(s), PEM: a loopback fake in tests, a TLS-inspecting proxy. */
  caPem?: string;
  /** Timeout of each HTTP request. */
  requestTimeoutMs: number;
  /** Delay between swap polls when ARM sends no Retry-After. */
  pollIntervalMs: number;
  /** Pipeline retries for reads (default 3). */
  readRetries?: number;
}

export type SwapResult =
  | { kind: 'succeeded'; operationId: string | null; durationMs: number }
  | { kind: 'conflict'; code: string; message: string }
  | { kind: 'failed'; code: string; message: string; operationId: string | null }
  | { kind: 'rejected'; status: number; code: string; message: string };

/** DefaultAzureCredential (managed identity in Azure), optionally a user-assigned identity. */
export function defaultArmCredential(managedIdentityClientId?: string): TokenCredential {
  const { DefaultAzureCredential } = identitySdk();
  return new DefaultAzureCredential(managedIdentityClientId ? { managedIdentityClientId } : {});
}

interface ErrorFacts {
  transient: boolean;
  status: number | undefined;
  code: string;
  message: string;
}

/** Reads an SDK error without trusting its shape; messages are cut short and carry no headers. */
export function armErrorFacts(err: unknown): ErrorFacts {
  const e = (err ?? {}) as { name?: string; statusCode?: number; code?: string; message?: string };
  const message = (e.message ?? String(err)).split('\n')[0]!.slice(0, 500);
  if (e.name === 'AbortError' || e.name === 'TimeoutError') {
    return { transient: true, status: undefined, code: 'Timeout', message };
  }
  if (e.name === 'RestError') {
    const status = e.statusCode;
    if (status === undefined) return { transient: true, status, code: e.code ?? 'NetworkError', message };
    const transient = status === 408 || status === 429 || status >= 500;
    return { transient, status, code: e.code ?? `Http${status}`, message };
  }
  return { transient: false, status: undefined, code: e.code ?? e.name ?? 'Error', message };
}

export class ArmAppService {
  private readonly readers = new Map<string, WebSiteManagementClient>();
  private readonly swappers = new Map<string, WebSiteManagementClient>();

  constructor(private readonly o: ArmOptions) {}

  get requestTimeoutMs(): number {
    return this.o.requestTimeoutMs;
  }

  get pollIntervalMs(): number {
    return this.o.pollIntervalMs;
  }

  /** A client for reads (pipeline retries) or for changes (each request sent once). */
  clientFor(kind: 'read' | 'swap', subscriptionId: string): WebSiteManagementClient {
    return this.client(kind, subscriptionId);
  }

  private client(kind: 'read' | 'swap', subscriptionId: string): WebSiteManagementClient {
    const cache = kind === 'read' ? this.readers : this.swappers;
    let client = cache.get(subscriptionId);
    if (client) return client;
    const { WebSiteManagementClient } = appServiceSdk();
    const endpoint = (this.o.endpoint ?? 'https://management.azure.com').replace(/\/+$/, '');
    const timeoutMs = this.o.requestTimeoutMs;
    const requestTimeout: PipelinePolicy = {
      name: 'incidentAutopilotRequestTimeout',
      sendRequest: (request, next) => {
        if (!request.timeout) request.timeout = timeoutMs;
        return next(request);
      },
    };
    client = new WebSiteManagementClient(this.o.credential, subscriptionId, {
      endpoint,
      credentials: { scopes: [`${new URL(endpoint).origin}/.default`] },
      retryOptions: { maxRetries: kind === 'read' ? (this.o.readRetries ?? 3) : 0, retryDelayInMs: 800, maxRetryDelayInMs: 10_000 },
      additionalPolicies: [{ policy: requestTimeout, position: 'perRetry' }],
      userAgentOptions: { userAgentPrefix: 'incident-autopilot' },
      ...(this.o.caPem ? { tlsOptions: { ca: this.o.caPem } } : {}),
    });
    cache.set(subscriptionId, client);
    return client;
  }

  /**
   * The slot's app settings (`production` = the site's own). Throws TransientError for retryable
   * trouble and ArmRequestError for anything else (missing permission, unknown site or slot).
   */
  async listSettings(ref: SiteRef, slot: string): Promise<Record<string, string>> {
    const client = this.client('read', ref.subscriptionId);
    const options = { requestOptions: { timeout: this.o.requestTimeoutMs } };
    try {
      const dict = await telemetry().external(
        'arm',
        'list-app-settings',
        () =>
          slot.toLowerCase() === 'production'
            ? client.webApps.listApplicationSettings(ref.resourceGroup, ref.site, options)
            : client.webApps.listApplicationSettingsSlot(ref.resourceGroup, ref.site, slot, options),
        armOutcome,
      );
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(dict.properties ?? {})) if (typeof v === 'string') out[k] = v;
      return out;
    } catch (err) {
      const f = armErrorFacts(err);
      const where = `${ref.site}/${slot}`;
      if (f.transient) throw new TransientError(`Reading the app settings of ${where} failed (${f.code}): ${f.message}`);
      throw new ArmRequestError(f.status ?? 0, f.code, `Reading the app settings of ${where} was refused (${f.status ?? '?'} ${f.code}): ${f.message}`);
    }
  }

  /**
   * Swaps `slot` into production and waits for the operation, at most `deadlineMs`. Conflicts,
   * failed swaps and refusals are returned; transient trouble and the deadline throw TransientError.
   */
  async swapIntoProduction(ref: SiteRef, slot: string, options: { preserveVnet: boolean; deadlineMs: number }): Promise<SwapResult> {
    const started = Date.now();
    const client = this.client('swap', ref.subscriptionId);
    const deadline = AbortSignal.timeout(options.deadlineMs);
    const where = `${ref.site}: ${slot} -> production`;
    const poller = client.webApps.swapSlotWithProduction(
      ref.resourceGroup,
      ref.site,
      { targetSlot: slot, preserveVnet: options.preserveVnet },
      { updateIntervalInMs: this.o.pollIntervalMs, abortSignal: deadline, requestOptions: { timeout: this.o.requestTimeoutMs } },
    );
    try {
      await telemetry().external('arm', 'swap-slot', () => poller.submitted(), armOutcome);
    } catch (err) {
      const f = armErrorFacts(err);
      if (f.status === 409) return { kind: 'conflict', code: f.code, message: f.message };
      if (f.transient) {
        // The POST may or may not have been accepted: the caller reconciles by reading build ids.
        throw new TransientError(`Starting the swap ${where} failed (${f.code}): ${f.message}`);
      }
      return { kind: 'rejected', status: f.status ?? 0, code: f.code, message: f.message };
    }
    const saved = await poller.serialize();
    const operationId = operationIdOf(saved);
    let current = poller;
    for (;;) {
      try {
        await current.pollUntilDone({ abortSignal: deadline });
        return { kind: 'succeeded', operationId, durationMs: Date.now() - started };
      } catch (err) {
        if (deadline.aborted) {
          throw new TransientError(
            `The swap ${where} (operation ${operationId ?? '?'}) had not finished after ${Math.round(options.deadlineMs / 1000)} s; it may still complete.`,
);
        }
        const f = armErrorFacts(err);
        if (!f.transient) return { kind: 'failed', code: f.code, message: f.message, operationId };
        // A poll failed, not the swap: keep following the same operation.
        await sleep(this.o.pollIntervalMs, deadline);
        current = appServiceSdk().restorePoller(client, saved, client.webApps.swapSlotWithProduction, {
          updateIntervalInMs: this.o.pollIntervalMs,
          abortSignal: deadline,
        });
      }
    }
  }
}

/**
 * The containment actions on a site and its plan (restart, scale out, access restrictions). Each
 * call has the per-request timeout; a change is sent once per call (no pipeline retries on the
 * change client): retrying is the caller's, after reading the target again. Transient trouble
 * throws TransientError, a refusal ArmRequestError.
 */
export class ArmSiteOps {
  constructor(private readonly arm: ArmAppService) {}

  private async call<T>(what: string, op: string, kind: 'read' | 'swap', ref: SiteRef, fn: (c: WebSiteManagementClient) => Promise<T>): Promise<T> {
    const client = this.arm.clientFor(kind, ref.subscriptionId);
    try {
      return await telemetry().external('arm', op, () => fn(client), armOutcome);
    } catch (err) {
      const f = armErrorFacts(err);
      if (f.transient) throw new TransientError(`${what} failed (${f.code}): ${f.message}`);
      throw new ArmRequestError(f.status ?? 0, f.code, `${what} was refused (${f.status ?? '?'} ${f.code}): ${f.message}`);
    }
  }

  /** Restarts the site and waits until ARM says it is back (synchronous=true). */
  async restart(ref: SiteRef): Promise<void> {
    const timeout = this.arm.requestTimeoutMs;
    await this.call(`Restarting ${ref.site}`, 'restart-site', 'swap', ref, (c) => c.webApps.restart(ref.resourceGroup, ref.site, { softRestart: false, synchronous: true, requestOptions: { timeout } }));
  }

  /** The App Service plan the site runs on: its name (from serverFarmId) and instance count. */
  async readPlan(ref: SiteRef): Promise<{ name: string; capacity: number | null }> {
    const timeout = this.arm.requestTimeoutMs;
    const site = await this.call(`Reading the site ${ref.site}`, 'get-site', 'read', ref, (c) => c.webApps.get(ref.resourceGroup, ref.site, { requestOptions: { timeout } }));
    const name = site.serverFarmId?.split('/').filter(Boolean).at(-1);
    if (!name) throw new ArmRequestError(0, 'NoServerFarm', `The site ${ref.site} names no App Service plan (serverFarmId).`);
    const plan = await this.call(`Reading the App Service plan ${name}`, 'get-plan', 'read', ref, (c) => c.appServicePlans.get(ref.resourceGroup, name, { requestOptions: { timeout } }));
    return { name, capacity: plan.sku?.capacity ?? null };
  }

  /** Sets the plan's instance count (sku.capacity, as `az appservice plan update --number-of-workers`) and follows the operation until `deadlineMs`. */
  async scalePlan(ref: SiteRef, planName: string, capacity: number, deadlineMs: number): Promise<void> {
    const timeout = this.arm.requestTimeoutMs;
    const deadline = AbortSignal.timeout(deadlineMs);
    const plan = await this.call(`Reading the App Service plan ${planName}`, 'get-plan', 'read', ref, (c) => c.appServicePlans.get(ref.resourceGroup, planName, { requestOptions: { timeout } }));
    await this.call(`Scaling the App Service plan ${planName} to ${capacity}`, 'scale-plan', 'swap', ref, async (c) => {
      const poller = c.appServicePlans.createOrUpdate(ref.resourceGroup, planName, { ...plan, sku: { ...plan.sku, capacity } }, {
        updateIntervalInMs: this.arm.pollIntervalMs,
        abortSignal: deadline,
        requestOptions: { timeout },
      });
      return await poller.pollUntilDone({ abortSignal: deadline });
    });
  }

  async readAccessRules(ref: SiteRef): Promise<AccessRule[]> {
    const timeout = this.arm.requestTimeoutMs;
    const config = await this.call(`Reading the access restrictions of ${ref.site}`, 'get-site-config', 'read', ref, (c) => c.webApps.getConfiguration(ref.resourceGroup, ref.site, { requestOptions: { timeout } }));
    return (config.ipSecurityRestrictions ?? []).map((r) => ({ name: r.name ?? null, action: r.action ?? null, ipAddress: r.ipAddress ?? null, tag: r.tag ?? null, priority: r.priority ?? null, description: r.description ?? null }));
  }

  /** Replaces the site's access restrictions (PATCH siteConfig with the whole list: ARM has no "add one"). */
  async writeAccessRules(ref: SiteRef, rules: AccessRule[]): Promise<void> {
    const timeout = this.arm.requestTimeoutMs;
    const list = rules.map((r) => ({ ...(r.name ? { name: r.name } : {}), ...(r.action ? { action: r.action } : {}), ...(r.ipAddress ? { ipAddress: r.ipAddress } : {}), ...(r.tag ? { tag: r.tag } : {}), ...(r.priority !== null ? { priority: r.priority } : {}), ...(r.description ? { description: r.description } : {}) }));
    await this.call(`Writing the access restrictions of ${ref.site}`, 'update-site-config', 'swap', ref, (c) => c.webApps.updateConfiguration(ref.resourceGroup, ref.site, { ipSecurityRestrictions: list }, { requestOptions: { timeout } }));
  }
}

/** A failed ARM call as a telemetry outcome: its HTTP status (http-403), else transient or error. */
function armOutcome(err: unknown): string {
  const f = armErrorFacts(err);
  return f.status ? `http-${f.status}` : f.transient ? 'transient' : 'error';
}

/** ARM refused the request (no permission, unknown site, slot or plan): permanent, with ARM's status and code. */
export class ArmRequestError extends PermanentError {
  override name = 'ArmRequestError';
  constructor(
    status: number,
    readonly code: string,
    message: string,
  ) {
    super(message, status ? { status } : undefined);
  }
}

function operationIdOf(serialized: string): string | null {
  try {
    const state = JSON.parse(serialized) as { state?: { config?: { operationLocation?: string } } };
    const location = state.state?.config?.operationLocation;
    if (!location) return null;
    const segments = new URL(location, 'https://management.azure.com').pathname.split('/').filter(Boolean);
    return segments.at(-1) ?? null;
  } catch {
    return null;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
