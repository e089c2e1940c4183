/**
 * The dev host: runs a Functions app (v4 Node programming model, durable-functions v3) without
 * Core Tools. One HTTP port serves the app's HTTP triggers and the Durable management webhooks;
 * a second loopback-only port serves the Durable client's RPC calls (as the real host does);
 * timer triggers fire on their schedules; orchestrations run on the engine in ./durable.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { azuriteConnectionString, createTableClient, isDevelopmentStorage, storageTarget, applyLocalSettings, resetAppSettings, setAppClock, telemetry, type SummaryTelemetry } from '../app/devhost-seam.js';
import { loadApp, readHostJson, type LoadedApp } from './app-loader.js';
import { developmentStoragePlan, DEVELOPMENT_STORAGE_PORTS, startAzurite, type AzuriteInstance } from './azurite.js';
import { ClockKeeper } from './clock-keeper.js';
import { ManualClock, RealClock, type Clock } from './clock.js';
import { Engine } from './durable/engine.js';
import { durableClientData, handleManagement, type MgmtResponse, type WebhookUrls } from './durable/mgmt-api.js';
import type { LongTimerLimits } from './durable/episode.js';
import { HubStore } from './durable/store.js';
import { authorized, buildRoutes, findRoute, invokeHttp, parseFunctionKeys, type HttpRoute, type IncomingExchange, type Keys, type OutgoingResponse } from './http-triggers.js';
import { Invoker } from './invoker.js';
import { Logger, type LogLevel } from './logger.js';
import { HubLease } from './hub-lease.js';
import { TimerTriggers } from './timer-triggers.js';
import { errorText } from '../domain/errors.js';

/** Storage does not answer at start: the message names its address (not a usage error). */
export class StorageUnreachableError extends Error {
  override name = 'StorageUnreachableError';
}

function firstLine(err: unknown): string {
  return errorText(err).split('\n')[0]?.slice(0, 300) ?? '';
}

export interface DevHostOptions {
  appRoot: string;
  /** Port for HTTP triggers and webhooks; 0 picks a free one. Default 7071. */
  port?: number;
  clock?: Clock;
  /** Check function keys (default: when DEVHOST_FUNCTION_KEYS is set). */
  enforceKeys?: boolean;
  /** Start an embedded Azurite when AzureWebJobsStorage=UseDevelopmentStorage=true and none runs. */
  azurite?: 'memory' | 'disk' | 'off';
  azuriteLocation?: string;
  /**
   * Where the embedded Azurite listens (or an Azurite already does) when AzureWebJobsStorage is
   * UseDevelopmentStorage=true, for machines where 10000-10002 are taken; the app then gets a
   * connection string for these ports instead.
   */
  azuritePorts?: { blob: number; queue: number; table: number };
  logLevel?: LogLevel;
  logger?: Logger;
  /** Copy local.settings.json Values into the environment first (default true). */
  loadLocalSettings?: boolean;
  maxRequestBytes?: number;
  /** Long-timer limits (default: the Azure Storage provider's); tests scale them down. */
  longTimers?: LongTimerLimits;
}

const WEBHOOK_PREFIX = '/runtime/webhooks/durabletask';
const DEFAULT_MAX_REQUEST = 100 * 1024 * 1024;
/** Idle keep-alive connections are held this long (longer than Node's clients keep theirs, 5 s). */
const KEEP_ALIVE_MS = 65_000;
const HUB_NAME = /^[A-Za-z][A-Za-z0-9]{2,44}$/;
/** How long a stop waits for running requests (one may be raising an event) before cutting them off. */
const DRAIN_MS = 5000;

export class DevHost {
  /** Requests being handled, so a stop lets them finish. */
  private readonly inflight = new Set<Promise<void>>();
  /** This host's heartbeat in the task hub (another host on the same hub is warned about). */
  private lease: HubLease | undefined;

  private constructor(
    readonly app: LoadedApp,
    readonly engine: Engine,
    readonly clock: Clock,
    readonly keys: Keys,
    readonly baseUrl: string,
    private readonly server: http.Server,
    private readonly rpcServer: http.Server,
    private readonly timers: TimerTriggers,
    private readonly invoker: Invoker,
    private readonly azurite: AzuriteInstance | undefined,
    private readonly logger: Logger,
    private readonly clockKeeper: ClockKeeper | undefined,
  ) {}

  get port(): number {
    return Number(new URL(this.baseUrl).port);
  }

  get hubName(): string {
    return this.engine.hubName;
  }

  static async start(options: DevHostOptions): Promise<DevHost> {
    const logger = options.logger ?? new Logger(options.logLevel ?? 'information');
    if (options.loadLocalSettings !== false) {
      const settings = applyLocalSettings(options.appRoot);
      if (settings.file?.endsWith('local.settings.sample.json')) {
        logger.info('Host', 'No local.settings.json: using local.settings.sample.json (copy it to local.settings.json to change settings).');
      }
    }
    const env = process.env;
    const clock = options.clock ?? new RealClock();

    let azurite: AzuriteInstance | undefined;
    const mode = options.azurite ?? 'memory';
    if (!env.AzureWebJobsStorage && !env.AzureWebJobsStorage__accountName && mode !== 'off') {
      env.AzureWebJobsStorage = 'UseDevelopmentStorage=true';
    }
    if (isDevelopmentStorage(env.AzureWebJobsStorage) && mode !== 'off') {
      const ports = options.azuritePorts ?? DEVELOPMENT_STORAGE_PORTS;
      const where = `127.0.0.1:${ports.blob}/${ports.queue}/${ports.table} (blob/queue/table)`;
      if ((await developmentStoragePlan(ports)) === 'running') {
        logger.info('Host', `Using the Azurite already listening on ${where}.`);
      } else {
        azurite = await startAzurite({
          mode,
          ports: { ...ports },
          ...(options.azuriteLocation ? { location: options.azuriteLocation } : {}),
        });
        logger.info('Host', `Started Azurite (${mode}) on ${where}.`);
      }
      // UseDevelopmentStorage=true means 10000-10002: on other ports the app needs their address.
      if (options.azuritePorts) env.AzureWebJobsStorage = azuriteConnectionString(ports);
    }

    // Requests that arrive while the host starts wait until the engine has loaded its instances.
    let open: (host: DevHost) => void = () => undefined;
    let refuse: () => void = () => undefined;
    const opened = new Promise<DevHost | undefined>((resolve) => {
      open = resolve;
      refuse = () => resolve(undefined);
    });
    const maxBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST;
    let routes: HttpRoute[] = [];
    const server = http.createServer((req, res) => {
      void opened.then((host) => (host ? host.track(host.handle(req, res, maxBytes, routes)) : unavailable(res)));
    });
    const rpcServer = http.createServer((req, res) => {
      void opened.then((host) => (host ? host.handleRpc(req, res, maxBytes) : unavailable(res)));
    });
    // Node's clients keep idle connections for 5 s, exactly the server's default: a request sent on
    // one as the server closes it fails with ECONNRESET (under a busy event loop the durable
    // client's starts did, answered 503). The server keeps them longer than any client does.
    for (const s of [server, rpcServer]) s.keepAliveTimeout = KEEP_ALIVE_MS;
    let engine: Engine | undefined;
    let clockKeeper: ClockKeeper | undefined;
    let lease: HubLease | undefined;
    try {
      const loaded = await loadApp(options.appRoot);
      // host.json is read on every start: its %Setting% references may resolve differently.
      const app: LoadedApp = { ...loaded, hostJson: readHostJson(loaded.root) };
      const hub = app.hostJson.hubName ?? env.TaskHubName ?? 'TestHubName';
      if (!HUB_NAME.test(hub)) {
        throw new Error(`The task hub name "${hub}" is invalid: 3-45 letters and digits, starting with a letter.`);
      }
      const target = storageTarget(env);
      const store = new HubStore(createTableClient(target, `${hub}DevHost`), hub);
      await store.init().catch((err: unknown) => {
        throw new StorageUnreachableError(
          `Cannot reach the storage at ${target.tableEndpoint} (AzureWebJobsStorage): ${firstLine(err)}. ` +
            'Start Azurite there (npm start starts one itself when AzureWebJobsStorage is UseDevelopmentStorage=true), or point AzureWebJobsStorage at a storage account this machine can reach.',
        );
      });
      clockKeeper = await ClockKeeper.resume(clock, store, logger);

      const invoker = new Invoker(app.registry, logger);
      engine = new Engine({
        store,
        registry: app.registry,
        invoker,
        clock,
        logger,
        maxConcurrentActivities: app.hostJson.maxConcurrentActivityFunctions,
        activityTimeoutMs: app.hostJson.functionTimeoutMs,
        ...(options.longTimers ? { longTimers: options.longTimers } : {}),
      });
      const keys: Keys = {
        // Keys someone configured are meant to be checked: without the flag, they are when set.
        enforce: options.enforceKeys ?? !!env.DEVHOST_FUNCTION_KEYS?.trim(),
        ...parseFunctionKeys(env.DEVHOST_FUNCTION_KEYS),
        masterKey: env.DEVHOST_MASTER_KEY?.trim() || randomBytes(24).toString('base64url'),
      };
      if (keys.enforce && keys.functionKeys.length === 0 && !keys.perFunction?.size) keys.functionKeys.push(randomBytes(24).toString('base64url'));

      const timers = new TimerTriggers(app.registry.byTrigger('timerTrigger'), invoker, clock, store, logger);
      routes = buildRoutes(app.registry.byTrigger('httpTrigger'));

      const port = await listen(server, options.port ?? 7071);
      const rpcPort = await listen(rpcServer, 0);
      const baseUrl = `http://127.0.0.1:${port}`;
      // durable-functions rewrites webhook URLs to localhost:7071 unless WEBSITE_HOSTNAME is set.
      env.WEBSITE_HOSTNAME = `127.0.0.1:${port}`;
      env.NO_PROXY = [env.NO_PROXY, '127.0.0.1', 'localhost'].filter(Boolean).join(',');

      lease = await HubLease.begin(store, baseUrl, logger);
      const host = new DevHost(app, engine, clock, keys, baseUrl, server, rpcServer, timers, invoker, azurite, logger, clockKeeper);
      host.lease = lease;
      // Every function that declares a Durable client input gets one (HTTP, timer, activity), as in Azure.
      const client = (): { string: string } => ({
        string: JSON.stringify(durableClientData(host.engine, host.webhookUrls, `http://127.0.0.1:${rpcPort}`)),
      });
      invoker.supplyInput('durableClient', client);
      invoker.supplyInput('orchestrationClient', client);
      // The app stamps times (declaredAt, message deadlines) that orchestrations compare with their own clock.
      if (clock.kind !== 'real') setAppClock(() => clock.now());
      // The app parses its settings once per process; this start changed some (storage,
      // local.settings.json, WEBSITE_HOSTNAME, a test's own): it reads them anew, as a worker
      // restarted by a settings change would (its appStart hook takes the snapshot).
      resetAppSettings();
      await invoker.runAppHooks('appStart');
      await engine.start();
      // The routes are printed before the first request is answered: whoever sees an answer can read them.
      logger.info('Host', `Functions: ${[...app.registry.functions.values()].map((f) => f.metadata.name).join(', ')}`);
      for (const r of routes) {
        logger.info('Host', `  ${r.reg.metadata.name}: [${r.methods?.join(',') ?? 'ALL'}] ${baseUrl}/${prefixed(app, r.route.template)}`);
      }
      open(host);
      await timers.start();
      if (keys.enforce) {
        const scoped = [...(keys.perFunction?.keys() ?? [])];
        logger.info('Host', `Function keys enforced.${keys.functionKeys[0] ? ` Function key: ${keys.functionKeys[0]}` : ''}${scoped.length ? ` Keys of their own for: ${scoped.join(', ')}` : ''}`);
      }
      logger.info('Host', `Dev host listening on ${baseUrl} (task hub ${hub}, ${clock.kind} clock).`);
      if (telemetry().mode === 'summary') {
        logger.info('Host', 'Telemetry: not sent (APPLICATIONINSIGHTS_CONNECTION_STRING is not set); a summary prints when the host stops, and GET /admin/devhost/telemetry shows it.');
      }
      return host;
    } catch (err) {
      refuse();
      engine?.stop();
      await clockKeeper?.stop();
      await lease?.end();
      await Promise.all([close(server), close(rpcServer)]);
      if (clock.kind !== 'real') setAppClock(null);
      await azurite?.stop();
      throw err;
    }
  }

  /**
   * Resolves once no orchestration work and no timer function is in progress (timers not yet due
   * stay pending). A timer function may start orchestration work and vice versa, so both are
   * waited for until neither is busy.
   */
  async idle(): Promise<void> {
    for (;;) {
      await this.timers.idle();
      await this.engine.idle();
      if (!this.timers.busy()) return;
    }
  }

  /**
   * Stops in the order that loses nothing: no new requests, running ones finish (one may be raising
   * an event), then the engine stops and the Durable client's RPC port closes.
   */
  async stop(): Promise<void> {
    this.timers.stop();
    await drain(this.server, this.inflight, DRAIN_MS);
    this.engine.stop();
    await close(this.rpcServer);
    await this.clockKeeper?.stop();
    await this.lease?.end();
    await this.invoker.runAppHooks('appTerminate').catch(() => undefined);
    const lines = summaryLines();
    if (lines) {
      if (lines.length) this.logger.info('Host', `Telemetry summary (not sent anywhere):\n  ${lines.join('\n  ')}`);
    }
    if (this.clock.kind !== 'real') setAppClock(null);
    this.clock.dispose();
    await this.azurite?.stop();
  }

  private track(work: Promise<void>): void {
    this.inflight.add(work);
    void work.finally(() => this.inflight.delete(work));
  }

  private get webhookUrls(): WebhookUrls {
    return { origin: this.baseUrl, systemKey: this.keys.masterKey, connectionName: 'Storage' };
  }

  private get rpcOrigin(): string {
    const address = this.rpcServer.address() as AddressInfo;
    return `http://127.0.0.1:${address.port}`;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse, maxBytes: number, routes: HttpRoute[]): Promise<void> {
    try {
      const ex = await readExchange(req, maxBytes, this.baseUrl);
      if (!ex) return send(res, { status: 413, headers: [], body: Buffer.from('Request body too large.') });
      const path = ex.url.pathname;
      if (path === WEBHOOK_PREFIX || path.startsWith(WEBHOOK_PREFIX + '/')) {
        if (!authorized('system', this.keys, ex)) return send(res, unauthorized());
        return send(res, mgmtToOutgoing(await this.management(ex, path.slice(WEBHOOK_PREFIX.length))));
      }
      if (path.startsWith('/admin/')) return send(res, await this.admin(ex));
      const prefix = this.app.hostJson.routePrefix;
      const rel = prefix === '' ? path : path.toLowerCase().startsWith(`/${prefix.toLowerCase()}/`) ? path.slice(prefix.length + 1) : undefined;
      if (rel === undefined) return send(res, notFound());
      const found = findRoute(routes, ex.method, rel);
      if (!found) return send(res, notFound());
      if (found === 'methodNotAllowed') return send(res, { status: 405, headers: [], body: Buffer.alloc(0) });
      if (!authorized(found.route.authLevel, this.keys, ex, found.route.reg.metadata.name)) return send(res, unauthorized());
      const started = Date.now();
      const out = await invokeHttp(this.invoker, found.route, ex, found.params, this.app.hostJson.functionTimeoutMs).catch((err: unknown) => {
        this.logger.error(`Function.${found.route.reg.metadata.name}`, `Failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        return { status: 500, headers: [], body: Buffer.alloc(0) } satisfies OutgoingResponse;
      });
      this.logger.debug('Host', `${ex.method} ${path} -> ${out.status} (${Date.now() - started} ms)`);
      send(res, out);
    } catch (err) {
      this.logger.error('Host', `Request failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      if (!res.headersSent) send(res, { status: 500, headers: [], body: Buffer.alloc(0) });
      else res.destroy();
    }
  }

  private async handleRpc(req: http.IncomingMessage, res: http.ServerResponse, maxBytes: number): Promise<void> {
    try {
      const ex = await readExchange(req, maxBytes, this.rpcOrigin);
      if (!ex) return send(res, { status: 413, headers: [], body: Buffer.alloc(0) });
      const path = ex.url.pathname;
      if (!path.startsWith('/durabletask/')) return send(res, notFound());
      send(res, mgmtToOutgoing(await this.management(ex, path.slice('/durabletask'.length))));
    } catch (err) {
      this.logger.error('Host', `RPC request failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      if (!res.headersSent) send(res, { status: 500, headers: [], body: Buffer.alloc(0) });
    }
  }

  private management(ex: IncomingExchange, path: string): Promise<MgmtResponse> {
    return handleManagement(this.engine, this.webhookUrls, {
      method: ex.method,
      path,
      query: ex.url.searchParams,
      headers: ex.headers,
      body: ex.body,
    });
  }

  /** A few of the host's admin endpoints: status, run a timer function now, move a manual clock. */
  private async admin(ex: IncomingExchange): Promise<OutgoingResponse> {
    if (!authorized('admin', this.keys, ex)) return unauthorized();
    const path = ex.url.pathname;
    if (path === '/admin/host/status' && ex.method === 'GET') {
      return jsonResponse(200, { state: 'Running', taskHub: this.hubName, clock: this.clock.kind, now: new Date(this.clock.now()).toISOString() });
    }
    const fn = /^\/admin\/functions\/([^/]+)$/.exec(path);
    if (fn?.[1] && ex.method === 'POST') {
      const run = this.timers.runNow(decodeURIComponent(fn[1]));
      if (!run) return jsonResponse(404, { message: `No timer function '${fn[1]}'.` });
      void run;
      return { status: 202, headers: [], body: Buffer.alloc(0) };
    }
    if (path === '/admin/devhost/telemetry' && ex.method === 'GET') {
      return jsonResponse(200, { mode: telemetry().mode, lines: summaryLines() ?? [] });
    }
    if (path === '/admin/devhost/clock' && ex.method === 'POST') {
      if (!(this.clock instanceof ManualClock)) return jsonResponse(409, { message: 'The clock is not manual.' });
      const ms = Number(ex.url.searchParams.get('advanceMs') ?? NaN);
      if (!Number.isFinite(ms) || ms < 0) return jsonResponse(400, { message: 'advanceMs must be a non-negative number.' });
      this.clock.advance(ms);
      // Stored before the answer: a host killed right after still resumes at the new time.
      await this.clockKeeper?.save(true);
      return jsonResponse(200, { now: new Date(this.clock.now()).toISOString() });
    }
    return notFound();
  }
}

/**
 * The in-memory telemetry's summary, or undefined when telemetry goes to Application Insights.
 * Read by shape: the app (from dist/) may hold another copy of the SummaryTelemetry class.
 */
function summaryLines(): string[] | undefined {
  const t = telemetry() as Partial<Pick<SummaryTelemetry, 'lines'>>;
  return typeof t.lines === 'function' ? t.lines() : undefined;
}

function prefixed(app: LoadedApp, template: string): string {
  return app.hostJson.routePrefix ? `${app.hostJson.routePrefix}/${template}` : template;
}

function listen(server: http.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Stops accepting, lets running requests finish for up to `graceMs`, then closes every connection. */
async function drain(server: http.Server, inflight: Set<Promise<void>>, graceMs: number): Promise<void> {
  const closed = close(server, false);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.allSettled([...inflight]), new Promise((r) => (timer = setTimeout(r, graceMs)))]);
  clearTimeout(timer);
  server.closeAllConnections();
  await closed;
}

function unavailable(res: http.ServerResponse): void {
  send(res, { status: 503, headers: [['retry-after', '5']], body: Buffer.from('The dev host failed to start.') });
}

function close(server: http.Server, cutOff = true): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    if (cutOff) server.closeAllConnections();
    else server.closeIdleConnections();
  });
}

/** Reads the request; undefined when its body exceeds `maxBytes` (the caller answers 413). */
export async function readExchange(req: http.IncomingMessage, maxBytes: number, origin: string): Promise<IncomingExchange | undefined> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) {
    req.resume();
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      req.resume();
      return undefined;
    }
    chunks.push(chunk);
  }
  return {
    method: req.method ?? 'GET',
    url: new URL(req.url ?? '/', origin),
    headers: req.headers,
    body: Buffer.concat(chunks),
  };
}

export function send(res: http.ServerResponse, out: OutgoingResponse): void {
  const grouped = new Map<string, string[]>();
  for (const [k, v] of out.headers) grouped.set(k.toLowerCase(), [...(grouped.get(k.toLowerCase()) ?? []), v]);
  for (const [k, v] of grouped) res.setHeader(k, k === 'set-cookie' ? v : v.join(', '));
  res.statusCode = out.status;
  res.end(out.body);
}

function jsonResponse(status: number, body: unknown, headers: [string, string][] = []): OutgoingResponse {
  return { status, headers: [['content-type', 'application/json; charset=utf-8'], ...headers], body: Buffer.from(JSON.stringify(body)) };
}

function mgmtToOutgoing(r: MgmtResponse): OutgoingResponse {
  const headers = Object.entries(r.headers ?? {});
  if (r.body === undefined) return { status: r.status, headers, body: Buffer.alloc(0) };
  return jsonResponse(r.status, r.body, headers);
}

function notFound(): OutgoingResponse {
  return { status: 404, headers: [], body: Buffer.alloc(0) };
}

function unauthorized(): OutgoingResponse {
  return { status: 401, headers: [], body: Buffer.alloc(0) };
}
