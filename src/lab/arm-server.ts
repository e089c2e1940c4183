/**
 * A fake of the slice of Azure Resource Manager that slot swaps use, on 127.0.0.1, for the real
 * `@azure/arm-appservice` SDK to talk to:
 *
 *   POST {site}/slotsswap                          202 + Location (+ Azure-AsyncOperation if asked)
 *   GET  {site}/operationresults/{id}              202 while running, then 200 (or the failure)
 *   GET  {site}/operationstatus/{id}               Azure-AsyncOperation status documents
 *   POST {site}[/slots/{slot}]/config/appsettings/list
 *   GET  {site}                                    the site (state, serverFarmId)
 *   POST {site}/restart                            200 (synchronous=true), 202 otherwise; counted
 *   GET  {site}/config/web, PATCH {site}/config/web  siteConfig, ipSecurityRestrictions kept
 *   GET  {plan}, PUT {plan}                         the App Service plan; a PUT that changes the
 *                                                  capacity answers 202 + Location and completes
 *   GET  {plan}/operationresults/{id}              after `pollsBeforeDone` polls (then 200 + the plan)
 *
 * with `{site}` = /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Web/sites/{name}.
 * ARM answers over https and the SDK refuses to send bearer tokens over http, so the fake serves
 * TLS with a certificate made at start (`ca` is what clients must trust). A second, plain http
 * port serves what lives outside ARM: each slot's `/version` endpoint (the build it runs) and an
 * App Service managed-identity token endpoint (IDENTITY_ENDPOINT), so DefaultAzureCredential can
 * be exercised in-process. The endpoint plays Entra too: it remembers every token it issued (for
 * which resource, which identity, until when), so a resource server such as the TDS fake can
 * validate a token as Entra-issued (`issuedToken`); `failNextToken` makes it issue a token for
 * another resource, an expired one, answer as for a client id the app has no identity for, or
 * never answer.
 *
 * A swap exchanges the slots' non-sticky app settings (the build id setting moves with the build)
 * when its operation completes; a failing warm-up ends the operation failed and leaves the slots
 * unchanged, as Azure does when it reverts. `onSwap(site, slot)` lets a test move whatever a
 * simulated target app serves. Every ARM request is recorded.
 */
import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createTlsIdentity } from './tls.js';

export interface ArmRequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  /** The bearer token sent, or null. */
  token: string | null;
  body: unknown;
  status: number;
}

export interface FakeSite {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  /** App settings per slot; "production" is the site itself. */
  slots: Record<string, Record<string, string>>;
  /** Slot-sticky setting names (stay with the slot on swap). */
  sticky?: string[];
  /** The App Service plan the site runs on (same resource group), with its instance count. */
  plan?: { name: string; capacity: number; sku?: string };
}

/** An access restriction as ARM returns it in siteConfig.ipSecurityRestrictions. */
export interface FakeAccessRule {
  name?: string;
  action?: string;
  ipAddress?: string;
  tag?: string;
  priority?: number;
  description?: string;
}

interface SiteState {
  def: FakeSite;
  slots: Map<string, Record<string, string>>;
  sticky: Set<string>;
  /** A swap is running (ours or "someone else's"): new swaps get 409. */
  busy: Operation | { external: true } | null;
  nextFailure: { code: string; message: string } | null;
  restarts: number;
  rules: FakeAccessRule[];
}

interface PlanState {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  sku: string;
  capacity: number;
}

interface PlanOperation {
  id: string;
  plan: PlanState;
  capacity: number;
  pollsLeft: number;
  done: boolean;
}

interface Operation {
  id: string;
  site: SiteState;
  slot: string;
  pollsLeft: number;
  /** performance.now() before which the operation is still running. */
  runsUntil: number;
  outcome: 'running' | 'succeeded' | 'failed';
  error: { code: string; message: string } | null;
  failWith: { code: string; message: string } | null;
}

export interface ArmFakeOptions {
  /** 202 answers before the final one (default 2). */
  pollsBeforeDone?: number;
  /** Also send Azure-AsyncOperation (status documents) besides Location. */
  asyncOperationHeader?: boolean;
  /** Called when a swap completes (routing switched). */
  onSwap?: (site: string, slot: string) => void | Promise<void>;
  /** Called when a site restarts (a test's target app can drop what a restart clears). */
  onRestart?: (site: string) => void | Promise<void>;
  /** Setting that /version reports as the build id (default APP_BUILD_ID), and the release tag. */
  buildSetting?: string;
  releaseSetting?: string;
  /** Fixed ports for ARM (https) and the side (http: identity endpoint, /version); default: free ones. */
  ports?: { arm?: number; side?: number };
}

/** A token the managed-identity endpoint issued: what Entra would put in its aud, appid, oid and exp claims. */
export interface IssuedToken {
  resource: string;
  /** The identity's client id (appid): the user-assigned one asked for, or the system-assigned identity's. */
  appId: string;
  /** The identity's object id (oid) in Entra. */
  objectId: string;
  expiresOnMs: number;
}

export type TokenFault = 'wrong-resource' | 'expired' | 'hang' | 'unknown-identity' | 'throttled';

/** The app's system-assigned identity, as the fake endpoint knows it. */
export const SYSTEM_ASSIGNED_CLIENT_ID = '5ca1ab1e-0000-4000-8000-000000000001';

type Fault = { method: string; path: RegExp; status: number; times: number; body?: unknown } | { method: string; path: RegExp; drop: true; times: number; afterAccept: boolean };

const SITE = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Web\/sites\/([^/]+)(\/.*)?$/i;
const PLAN = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Web\/serverfarms\/([^/]+)(\/.*)?$/i;

export class ArmFake {
  readonly requests: ArmRequestRecord[] = [];
  readonly tokenRequests: { resource: string | null; clientId: string | null; header: string | null }[] = [];
  readonly ca: string;
  private readonly sites = new Map<string, SiteState>();
  private readonly operations = new Map<string, Operation>();
  private readonly plans = new Map<string, PlanState>();
  private readonly planOperations = new Map<string, PlanOperation>();
  private readonly faults: Fault[] = [];
  private readonly tokenFaults: { fault: TokenFault; clientId: string | undefined }[] = [];
  private readonly issued = new Map<string, IssuedToken>();
  private armServer: https.Server | undefined;
  private sideServer: http.Server | undefined;
  private armPort = 0;
  private sidePort = 0;
  private readonly key: string;

  constructor(private readonly o: ArmFakeOptions = {}) {
    const id = createTlsIdentity();
    this.ca = id.cert;
    this.key = id.key;
  }

  get armUrl(): string {
    return `https://127.0.0.1:${this.armPort}`;
  }
  get sideUrl(): string {
    return `http://127.0.0.1:${this.sidePort}`;
  }
  /** For IDENTITY_ENDPOINT (with IDENTITY_HEADER = `identityHeader`). */
  get identityEndpoint(): string {
    return `${this.sideUrl}/msi/token`;
  }
  readonly identityHeader = 'fake-identity-header';
  /**
   * Real time a swap takes from now on (default 0): its polls answer "running" until it has
   * passed, as Azure's do while it warms the slot up and switches routing (minutes in production).
   */
  swapMs = 0;

  versionUrl(site: string, slot: string): string {
    return `${this.sideUrl}/sites/${site}/${slot}/version`;
  }

  async start(): Promise<this> {
    this.armServer = https.createServer({ cert: this.ca, key: this.key }, (req, res) => void this.handleArm(req, res));
    this.sideServer = http.createServer((req, res) => this.handleSide(req, res));
    this.armPort = await listen(this.armServer, this.o.ports?.arm ?? 0);
    try {
      this.sidePort = await listen(this.sideServer, this.o.ports?.side ?? 0);
    } catch (err) {
      await close(this.armServer);
      throw err;
    }
    return this;
  }

  async stop(): Promise<void> {
    await Promise.all([close(this.armServer), close(this.sideServer)]);
  }

  /**
   * Takes the plain http side (identity endpoint, /version) down, so connecting is refused, until
   * the returned function brings it back on the same port. (The Azure SDK keeps the identity
   * endpoint it first found for the life of the process, so a test cannot point it elsewhere.)
   */
  async takeSideDown(): Promise<() => Promise<void>> {
    await close(this.sideServer);
    return async () => {
      this.sideServer = http.createServer((req, res) => this.handleSide(req, res));
      await listen(this.sideServer, this.sidePort);
    };
  }

  addSite(def: FakeSite): void {
    const slots = new Map<string, Record<string, string>>();
    for (const [name, settings] of Object.entries(def.slots)) slots.set(name.toLowerCase(), { ...settings });
    this.sites.set(def.name.toLowerCase(), { def, slots, sticky: new Set(def.sticky ?? []), busy: null, nextFailure: null, restarts: 0, rules: [] });
    if (def.plan) this.plans.set(def.plan.name.toLowerCase(), { subscriptionId: def.subscriptionId, resourceGroup: def.resourceGroup, name: def.plan.name, sku: def.plan.sku ?? 'P1v3', capacity: def.plan.capacity });
  }

  /** How many times the site was restarted through ARM. */
  restarts(site: string): number {
    return this.site(site).restarts;
  }

  /** The site's access restrictions (siteConfig.ipSecurityRestrictions). */
  accessRules(site: string): FakeAccessRule[] {
    return this.site(site).rules.map((r) => ({ ...r }));
  }

  /** The plan's instance count (sku.capacity). */
  capacity(plan: string): number | undefined {
    return this.plans.get(plan.toLowerCase())?.capacity;
  }

  /** Puts a plan and a site's rules back as a scenario starts. */
  resetSite(site: string, capacity?: number): void {
    const s = this.site(site);
    s.restarts = 0;
    s.rules = [];
    const plan = s.def.plan && this.plans.get(s.def.plan.name.toLowerCase());
    if (plan && capacity !== undefined) plan.capacity = capacity;
  }

  private site(name: string): SiteState {
    const s = this.sites.get(name.toLowerCase());
    if (!s) throw new Error(`fake: no site ${name}`);
    return s;
  }

  settings(site: string, slot: string): Record<string, string> {
    return { ...(this.site(site).slots.get(slot.toLowerCase()) ?? {}) };
  }

  /** A deploy to the slot (outside any swap): replaces its non-sticky settings. */
  deploy(site: string, slot: string, settings: Record<string, string>): void {
    const s = this.site(site);
    const current = s.slots.get(slot.toLowerCase()) ?? {};
    const kept = Object.fromEntries(Object.entries(current).filter(([k]) => s.sticky.has(k)));
    s.slots.set(slot.toLowerCase(), { ...kept, ...settings });
  }

  buildOf(site: string, slot: string): string | undefined {
    return this.site(site).slots.get(slot.toLowerCase())?.[this.o.buildSetting ?? 'APP_BUILD_ID'];
  }

  /** The next swap of `site` runs, then fails warm-up (Azure reverts: slots unchanged). */
  failNextSwap(site: string, error = { code: 'BadRequest', message: `Cannot swap slots for site '${site}' because the warmup requests to application in 'staging' slot have timed out.` }): void {
    this.site(site).nextFailure = error;
  }

  /** Someone else's swap runs on `site` until the returned function is called. */
  beginExternalSwap(site: string): () => void {
    const s = this.site(site);
    s.busy = { external: true };
    return () => {
      s.busy = null;
    };
  }

  /** The next `times` requests matching answer `status` (with an ARM error body). */
  failNext(method: string, path: RegExp, status: number, times = 1): void {
    this.faults.push({ method, path, status, times });
  }

  /**
   * The next matching request gets no answer: the connection is destroyed. With `afterAccept`
   * the request is processed first (a swap POST starts its operation), as when an answer is lost.
   */
  dropNext(method: string, path: RegExp, afterAccept = true): void {
    this.faults.push({ method, path, drop: true, times: 1, afterAccept });
  }

  clearFaults(): void {
    this.faults.length = 0;
    this.tokenFaults.length = 0;
  }

  /**
   * The next `times` token requests (for `clientId` only, when given: the SDK may still be
   * retrying another test's request) get `fault` instead of a good token.
   */
  failNextToken(fault: TokenFault, o: { clientId?: string; times?: number } = {}): void {
    for (let i = 0; i < (o.times ?? 1); i++) this.tokenFaults.push({ fault, clientId: o.clientId });
  }

  /** What the endpoint issued as `token`, or undefined when it never did. */
  issuedToken(token: string): IssuedToken | undefined {
    const t = this.issued.get(token);
    return t && { ...t };
  }

  /** The Entra identity (client id and object id) the endpoint issues tokens to for `clientId` (none: system-assigned). */
  identity(clientId?: string): { appId: string; objectId: string } {
    const appId = clientId ?? SYSTEM_ASSIGNED_CLIENT_ID;
    const h = createHash('sha256').update(appId).digest('hex');
    return { appId, objectId: `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}` };
  }

  /** Completes every running operation now (time passes in Azure without anyone polling). */
  async settle(): Promise<void> {
    for (const op of this.operations.values()) if (op.outcome === 'running') await this.complete(op);
  }

  count(method: string, path?: RegExp): number {
    return this.requests.filter((r) => r.method === method && (!path || path.test(r.path))).length;
  }

  /** Requests that could change something (swaps), as opposed to reads and polls. */
  swapRequests(): ArmRequestRecord[] {
    return this.requests.filter((r) => r.method === 'POST' && /\/slotsswap$/i.test(r.path));
  }

  private takeFault(method: string, path: string): Fault | undefined {
    const i = this.faults.findIndex((f) => f.method === method && f.path.test(path) && f.times > 0);
    if (i < 0) return undefined;
    const f = this.faults[i]!;
    f.times--;
    if (f.times <= 0) this.faults.splice(i, 1);
    return f;
  }

  private async handleArm(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.armUrl);
    const text = await readBody(req);
    let body: unknown = undefined;
    try {
      body = text ? (JSON.parse(text) as unknown) : undefined;
    } catch {
      body = text;
    }
    const auth = req.headers.authorization ?? '';
    const token = /^Bearer (\S+)$/.exec(auth)?.[1] ?? null;
    const record: ArmRequestRecord = { method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), token, body, status: 0 };
    this.requests.push(record);
    const send = (status: number, payload?: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      const out = payload === undefined ? '' : JSON.stringify(payload);
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-ms-request-id': randomUUID(), ...headers });
      res.end(out);
    };
    const armError = (status: number, code: string, message: string) => send(status, { error: { code, message } });

    if (!token) return armError(401, 'AuthenticationFailed', 'Authentication failed. The Authorization header is missing.');
    if (!url.searchParams.get('api-version')) return armError(400, 'MissingApiVersionParameter', "The api-version query parameter (?api-version=) is required for all requests.");

    const fault = this.takeFault(record.method, url.pathname);
    const isSwap = record.method === 'POST' && /\/slotsswap$/i.test(url.pathname);
    const isRestart = record.method === 'POST' && /\/sites\/[^/]+\/restart$/i.test(url.pathname);
    if (fault && 'drop' in fault && (!fault.afterAccept || !(isSwap || isRestart))) {
      record.status = -1;
      req.socket.destroy();
      return;
    }
    if (fault && 'status' in fault) return armError(fault.status, fault.status === 429 ? 'TooManyRequests' : 'InternalServerError', `Injected ${fault.status}.`);

    const pm = PLAN.exec(url.pathname);
    if (pm) return this.handlePlan(record, url, body, pm, send, armError);
    const m = SITE.exec(url.pathname);
    if (!m) return armError(404, 'NotFound', `No route for ${url.pathname}.`);
    const [, sub, rg, name, rest = ''] = m;
    const site = this.sites.get((name ?? '').toLowerCase());
    if (!site || site.def.subscriptionId.toLowerCase() !== sub?.toLowerCase() || site.def.resourceGroup.toLowerCase() !== rg?.toLowerCase()) {
      return armError(404, 'ResourceNotFound', `The Resource 'Microsoft.Web/sites/${name}' under resource group '${rg}' was not found.`);
    }
    const base = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Web/sites/${name}`;

    // App settings of the site or of a slot.
    const list = /^(?:\/slots\/([^/]+))?\/config\/appsettings\/list$/i.exec(rest);
    if (list && record.method === 'POST') {
      const slot = (list[1] ?? 'production').toLowerCase();
      const settings = site.slots.get(slot);
      if (!settings) return armError(404, 'NotFound', `Slot ${slot} of ${name} was not found.`);
      return send(200, { id: `${base}${list[1] ? `/slots/${list[1]}` : ''}/config/appsettings`, name: 'appsettings', type: 'Microsoft.Web/sites/config', properties: { ...settings } });
    }

    // The site itself.
    if (rest === '' && record.method === 'GET') {
      const plan = site.def.plan;
      return send(200, {
        id: base,
        name,
        type: 'Microsoft.Web/sites',
        location: 'West Europe',
        properties: { state: 'Running', serverFarmId: plan ? `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Web/serverfarms/${plan.name}` : null },
      });
    }

    // Restart (synchronous=true answers when the app is back, as ARM's does).
    if (/^\/restart$/i.test(rest) && record.method === 'POST') {
      site.restarts += 1;
      await this.o.onRestart?.(site.def.name);
      if (fault && 'drop' in fault) {
        // Restarted, and the answer lost on the way back.
        record.status = -1;
        req.socket.destroy();
        return;
      }
      return send(url.searchParams.get('synchronous') === 'true' ? 200 : 202);
    }

    // siteConfig: the access restrictions are what the traffic rule changes.
    if (/^\/config\/web$/i.test(rest) && (record.method === 'GET' || record.method === 'PATCH' || record.method === 'PUT')) {
      if (record.method !== 'GET') {
        const props = ((body ?? {}) as { properties?: { ipSecurityRestrictions?: unknown } }).properties ?? {};
        if (props.ipSecurityRestrictions !== undefined) {
          if (!Array.isArray(props.ipSecurityRestrictions)) return armError(400, 'BadRequest', 'ipSecurityRestrictions must be an array.');
          site.rules = (props.ipSecurityRestrictions as FakeAccessRule[]).map((r) => ({ ...r }));
        }
      }
      return send(200, { id: `${base}/config/web`, name: 'web', type: 'Microsoft.Web/sites/config', properties: { ipSecurityRestrictions: site.rules.map((r) => ({ ...r })), ipSecurityRestrictionsDefaultAction: 'Allow' } });
    }

    // Swap a slot with production.
    if (/^\/slotsswap$/i.test(rest) && record.method === 'POST') {
      const entity = (body ?? {}) as { targetSlot?: unknown; preserveVnet?: unknown };
      const slot = typeof entity.targetSlot === 'string' ? entity.targetSlot.toLowerCase() : '';
      if (!slot || !site.slots.has(slot) || slot === 'production') {
        return armError(400, 'BadRequest', `Slot '${String(entity.targetSlot)}' of site '${name}' cannot be swapped with production.`);
      }
      if (site.busy) {
        const opName = 'id' in site.busy ? site.busy.id : randomUUID();
        return armError(
          409,
          'Conflict',
          `Cannot modify this site because another operation is in progress. Details: Id: ${opName}, OperationName: SwapSiteSlots, CreatedTime: ${new Date().toISOString()}`,
        );
      }
      const op: Operation = {
        id: randomUUID(),
        site,
        slot,
        pollsLeft: this.o.pollsBeforeDone ?? 2,
        runsUntil: performance.now() + this.swapMs,
        outcome: 'running',
        error: null,
        failWith: site.nextFailure,
      };
      site.nextFailure = null;
      site.busy = op;
      this.operations.set(op.id, op);
      if (fault && 'drop' in fault) {
        record.status = -1;
        req.socket.destroy();
        return;
      }
      const apiVersion = url.searchParams.get('api-version') ?? '';
      const headers: Record<string, string> = { location: `${this.armUrl}${base}/operationresults/${op.id}?api-version=${apiVersion}` };
      if (this.o.asyncOperationHeader) headers['azure-asyncoperation'] = `${this.armUrl}${base}/operationstatus/${op.id}?api-version=${apiVersion}`;
      return send(202, undefined, headers);
    }

    // Polls.
    const poll = /^\/(operationresults|operationstatus)\/([^/]+)$/i.exec(rest);
    if (poll && record.method === 'GET') {
      const op = this.operations.get(poll[2] ?? '');
      if (!op) return armError(404, 'NotFound', `Operation ${poll[2]} was not found.`);
      const kind = poll[1]!.toLowerCase();
      if (op.outcome === 'running') {
        if (op.pollsLeft > 0 || performance.now() < op.runsUntil) {
          op.pollsLeft = Math.max(0, op.pollsLeft - 1);
          if (kind === 'operationstatus') return send(200, { id: op.id, name: op.id, status: 'InProgress' });
          return send(202, undefined, { location: `${this.armUrl}${url.pathname}${url.search}` });
        }
        await this.complete(op);
      }
      if (kind === 'operationstatus') {
        return op.outcome === 'succeeded'
          ? send(200, { id: op.id, name: op.id, status: 'Succeeded' })
          : send(200, { id: op.id, name: op.id, status: 'Failed', error: op.error });
      }
      return op.outcome === 'succeeded' ? send(200) : armError(400, op.error?.code ?? 'BadRequest', op.error?.message ?? 'The swap failed.');
    }

    return armError(404, 'NotFound', `No fake for ${record.method} ${rest || '/'}.`);
  }

  private planDoc(p: PlanState): unknown {
    const id = `/subscriptions/${p.subscriptionId}/resourceGroups/${p.resourceGroup}/providers/Microsoft.Web/serverfarms/${p.name}`;
    return { id, name: p.name, type: 'Microsoft.Web/serverfarms', location: 'West Europe', kind: 'app', sku: { name: p.sku, tier: 'PremiumV3', size: p.sku, family: 'Pv3', capacity: p.capacity }, properties: { numberOfWorkers: p.capacity, provisioningState: 'Succeeded', status: 'Ready' } };
  }

  private handlePlan(
    record: ArmRequestRecord,
    url: URL,
    body: unknown,
    m: RegExpExecArray,
    send: (status: number, payload?: unknown, headers?: Record<string, string>) => void,
    armError: (status: number, code: string, message: string) => void,
  ): void {
    const [, sub, rg, name, rest = ''] = m;
    const plan = this.plans.get((name ?? '').toLowerCase());
    if (!plan || plan.subscriptionId.toLowerCase() !== sub?.toLowerCase() || plan.resourceGroup.toLowerCase() !== rg?.toLowerCase()) {
      return armError(404, 'ResourceNotFound', `The Resource 'Microsoft.Web/serverfarms/${name}' under resource group '${rg}' was not found.`);
    }
    const base = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Web/serverfarms/${name}`;
    if (rest === '' && record.method === 'GET') {
      // Time passes in Azure whether or not anyone polls: a read sees a scale operation finished.
      for (const op of this.planOperations.values()) {
        if (op.plan === plan && !op.done) {
          op.done = true;
          plan.capacity = op.capacity;
        }
      }
      return send(200, this.planDoc(plan));
    }
    if (rest === '' && record.method === 'PUT') {
      const capacity = ((body ?? {}) as { sku?: { capacity?: unknown } }).sku?.capacity;
      if (typeof capacity !== 'number' || !Number.isInteger(capacity) || capacity < 1 || capacity > 30) return armError(400, 'BadRequest', 'sku.capacity must be an integer from 1 to 30 for this tier.');
      if (capacity === plan.capacity) return send(200, this.planDoc(plan));
      // Changing the instance count runs a while: 202 and an operation to follow.
      const op: PlanOperation = { id: randomUUID(), plan, capacity, pollsLeft: this.o.pollsBeforeDone ?? 2, done: false };
      this.planOperations.set(op.id, op);
      return send(202, undefined, { location: `${this.armUrl}${base}/operationresults/${op.id}?api-version=${url.searchParams.get('api-version') ?? ''}` });
    }
    const poll = /^\/operationresults\/([^/]+)$/i.exec(rest);
    if (poll && record.method === 'GET') {
      const op = this.planOperations.get(poll[1] ?? '');
      if (!op) return armError(404, 'NotFound', `Operation ${poll[1]} was not found.`);
      if (!op.done && op.pollsLeft > 0) {
        op.pollsLeft -= 1;
        return send(202, undefined, { location: `${this.armUrl}${url.pathname}${url.search}` });
      }
      if (!op.done) {
        op.done = true;
        op.plan.capacity = op.capacity;
      }
      return send(200, this.planDoc(op.plan));
    }
    return armError(404, 'NotFound', `No fake for ${record.method} serverfarms${rest || '/'}.`);
  }

  /** Requests that changed a site or a plan beyond swaps: restarts, plan PUTs, siteConfig PATCHes. */
  changeRequests(): ArmRequestRecord[] {
    return this.requests.filter((r) => (r.method === 'POST' && /\/restart$/i.test(r.path)) || (r.method === 'PUT' && /\/serverfarms\/[^/]+$/i.test(r.path)) || ((r.method === 'PATCH' || r.method === 'PUT') && /\/config\/web$/i.test(r.path)));
  }

  private async complete(op: Operation): Promise<void> {
    const site = op.site;
    if (op.failWith) {
      op.outcome = 'failed';
      op.error = op.failWith;
    } else {
      const prod = site.slots.get('production') ?? {};
      const other = site.slots.get(op.slot) ?? {};
      const moved = (from: Record<string, string>, stay: Record<string, string>) => {
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(stay)) if (site.sticky.has(k)) out[k] = v;
        for (const [k, v] of Object.entries(from)) if (!site.sticky.has(k)) out[k] = v;
        return out;
      };
      site.slots.set('production', moved(other, prod));
      site.slots.set(op.slot, moved(prod, other));
      op.outcome = 'succeeded';
      await this.o.onSwap?.(site.def.name, op.slot);
    }
    if (site.busy === op) site.busy = null;
  }

  private handleSide(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', this.sideUrl);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/msi/token') {
      const resource = url.searchParams.get('resource');
      const clientId = url.searchParams.get('client_id');
      this.tokenRequests.push({ resource, clientId, header: (req.headers['x-identity-header'] as string) ?? null });
      if (req.headers['x-identity-header'] !== this.identityHeader) return json(401, { error: 'invalid identity header' });
      const i = this.tokenFaults.findIndex((f) => f.clientId === undefined || f.clientId === clientId);
      const fault = i < 0 ? undefined : this.tokenFaults.splice(i, 1)[0]?.fault;
      // No answer at all; stop() closes the connection.
      if (fault === 'hang') return;
      if (fault === 'throttled') return json(429, { statusCode: 429, message: 'Too many requests to the identity endpoint.', correlationId: randomUUID() });
      if (fault === 'unknown-identity') return json(400, { statusCode: 400, message: 'No managed identity found for specified ClientId/ResourceId/PrincipalId.', correlationId: randomUUID() });
      const token = `fake-mi-token-${this.tokenRequests.length}`;
      const expiresOnMs = Date.now() + (fault === 'expired' ? -300_000 : 3_600_000);
      const { appId, objectId } = this.identity(clientId ?? undefined);
      this.issued.set(token, { resource: fault === 'wrong-resource' ? 'https://management.azure.com/' : (resource ?? ''), appId, objectId, expiresOnMs });
      return json(200, { access_token: token, expires_on: String(Math.floor(expiresOnMs / 1000)), resource, token_type: 'Bearer', client_id: appId });
    }
    const v = /^\/sites\/([^/]+)\/([^/]+)\/version$/.exec(url.pathname);
    if (v) {
      const settings = this.sites.get((v[1] ?? '').toLowerCase())?.slots.get((v[2] ?? '').toLowerCase());
      if (!settings) return json(404, { error: 'no such slot' });
      return json(200, { buildId: settings[this.o.buildSetting ?? 'APP_BUILD_ID'] ?? null, releaseTag: settings[this.o.releaseSetting ?? 'APP_RELEASE_TAG'] ?? null });
    }
    json(404, { error: 'not found' });
  }
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function listen(server: http.Server | https.Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function close(server: http.Server | https.Server | undefined): Promise<void> {
  if (!server) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
