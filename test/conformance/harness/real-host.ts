/**
 * The app on the real Durable extension: the conformance host (.NET, test/conformance/host) runs the
 * extension on Azurite, and this process plays the Node.js worker: it loads the app with the dev
 * host's loader, invokes its handlers with the dev host's invoker (the real `@azure/functions`
 * programming model), and serves
 *   - POST /_conformance/orchestrator/{name} and /_conformance/activity/{name}: the invocations the
 *     .NET stubs forward (a failure answers 500 with the error's message and stack, which the stub
 *     turns into the Functions host's RPC exception text);
 *   - the app's HTTP triggers under the route prefix, with a Durable client whose data is the one
 *     the extension's [DurableClient] binding produced (its rpcBaseUrl is the extension's own);
 *   - /runtime/webhooks/durabletask/*, forwarded to the extension's HTTP API (in Azure the Functions
 *     host serves these URLs with the same handler).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { loadApp, readHostJson, type LoadedApp, type AzuriteInstance, triggerOf, readExchange, send, buildRoutes, findRoute, invokeHttp, type HttpRoute, type IncomingExchange, type OutgoingResponse, formatTimeSpan, Invoker, Logger, type LogLevel, type LogRecord } from '../../../src/devhost/index.js';
import { buildHost, workDir } from './build.js';

export interface RealHostOptions {
  azurite: AzuriteInstance;
  appRoot: string;
  hubName?: string;
  env?: Record<string, string>;
  logLevel?: LogLevel;
  /**
   * The longest wait between polls of an idle queue (Azure: 30 s). Shorter makes the tests wait less
   * for each step; it changes nothing else.
   */
  maxPollMs?: number;
  /** A scale model of the Azure Storage provider's long-timer limits (6 days; 3-day chunks). */
  timerScale?: { maximumMs: number; intervalMs: number };
  /** How long a running activity's message stays invisible (Azure: 5 min): when an aborted one runs again. */
  workItemVisibilityMs?: number;
  /** The same for control-queue messages (Azure: 5 min): when an episode cut off by a stop runs again. */
  controlVisibilityMs?: number;
}

const WEBHOOKS = '/runtime/webhooks/durabletask';
const WORKER = '/_conformance';
const MAX_BODY = 100 * 1024 * 1024;

export class RealHost {
  private engine: ChildProcess | undefined;
  private clientJson = '';
  private rpcBase = '';
  /** Handler invocations in progress (a test can wait for the app to go quiet). */
  private running = 0;
  private stopping = false;
  /** Times the extension's host stopped by itself and was started again, as the Functions host does. */
  restarts = 0;

  private constructor(
    readonly logs: LogRecord[],
    readonly app: LoadedApp,
    readonly hubName: string,
    private readonly options: RealHostOptions,
    private readonly server: http.Server,
    readonly baseUrl: string,
    private readonly invoker: Invoker,
    private readonly routes: HttpRoute[],
    private readonly logger: Logger,
    private readonly dll: string,
  ) {}

  static async start(options: RealHostOptions): Promise<RealHost> {
    const hubName = options.hubName ?? `Real${randomBytes(6).toString('hex')}`;
    process.env.AzureWebJobsStorage = options.azurite.connectionString;
    process.env.TaskHubName = hubName;
    for (const [k, v] of Object.entries(options.env ?? {})) process.env[k] = v;
    const dll = buildHost(options.appRoot);
    const loaded = await loadApp(options.appRoot);
    const app: LoadedApp = { ...loaded, hostJson: readHostJson(loaded.root) };
    const logs: LogRecord[] = [];
    const logger = new Logger(options.logLevel ?? 'warning', (r) => {
      logs.push(r);
      if (process.env.DEVHOST_TEST_LOGS) process.stderr.write(`${r.level} ${r.category}: ${r.message}\n`);
    });
    const invoker = new Invoker(app.registry, logger);
    const routes = buildRoutes(app.registry.byTrigger('httpTrigger'));
    // Until the host object exists, requests are answered 503.
    const ready: { host?: RealHost } = {};
    const server = http.createServer((req, res) => {
      if (!ready.host) return send(res, { status: 503, headers: [], body: Buffer.alloc(0) });
      void ready.host.handle(req, res);
    });
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
    });
    const baseUrl = `http://127.0.0.1:${port}`;
    process.env.WEBSITE_HOSTNAME = `127.0.0.1:${port}`;
    process.env.NO_PROXY = [process.env.NO_PROXY, '127.0.0.1', 'localhost'].filter(Boolean).join(',');
    const host = new RealHost(logs, app, hubName, options, server, baseUrl, invoker, routes, logger, dll);
    ready.host = host;
    const client = (): { string: string } => ({ string: host.clientJson });
    invoker.supplyInput('durableClient', client);
    invoker.supplyInput('orchestrationClient', client);
    await invoker.runAppHooks('appStart');
    try {
      await host.startEngine();
    } catch (err) {
      await host.stop();
      throw err;
    }
    return host;
  }

  /** The extension's local RPC endpoint (what the Node.js client calls in Azure). */
  get rpcBaseUrl(): string {
    return this.rpcBase;
  }

  get extensionLog(): string {
    return path.join(workDir, 'logs', `${this.hubName}.log`);
  }

  /** Starts the .NET host and waits for its ready line with the Durable client data. */
  private async startEngine(): Promise<void> {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DOTNET_CLI_TELEMETRY_OPTOUT: '1',
      DOTNET_NOLOGO: '1',
      CONFORMANCE_STORAGE: this.options.azurite.connectionString,
      CONFORMANCE_HUB: this.hubName,
      CONFORMANCE_WORKER: `${this.baseUrl}${WORKER}`,
      CONFORMANCE_WEBHOOKS: `${this.baseUrl}${WEBHOOKS}`,
      CONFORMANCE_MAX_POLL_MS: String(this.options.maxPollMs ?? 500),
      CONFORMANCE_MAX_ACTIVITIES: String(this.app.hostJson.maxConcurrentActivityFunctions),
      CONFORMANCE_MAX_ORCHESTRATORS: String(this.app.hostJson.maxConcurrentOrchestratorFunctions),
      CONFORMANCE_LOG_FILE: this.extensionLog,
    };
    if (this.app.hostJson.functionTimeoutMs) env.CONFORMANCE_FUNCTION_TIMEOUT = formatTimeSpan(this.app.hostJson.functionTimeoutMs);
    const states = overridableStates(this.app.root);
    if (states) env.CONFORMANCE_OVERRIDABLE_STATES = states;
    if (this.options.workItemVisibilityMs) env.CONFORMANCE_WORKITEM_VISIBILITY_MS = String(this.options.workItemVisibilityMs);
    if (this.options.controlVisibilityMs) env.CONFORMANCE_CONTROL_VISIBILITY_MS = String(this.options.controlVisibilityMs);
    if (this.options.timerScale) {
      env.CONFORMANCE_TIMER_SCALE = `${formatTimeSpan(this.options.timerScale.maximumMs)};${formatTimeSpan(this.options.timerScale.intervalMs)}`;
    }
    mkdirSync(path.dirname(this.extensionLog), { recursive: true });
    const proc = spawn('dotnet', [this.dll], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.engine = proc;
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const ready = new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`the conformance host did not start in 120 s: ${stderr}`)), 120_000);
      proc.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /^CONFORMANCE_READY (.*)\r?\n/m.exec(out);
        if (m?.[1]) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the conformance host exited with ${code}: ${stderr}\n(log: ${this.extensionLog})`));
      });
    });
    try {
      const line = await ready;
      // Keep draining stdout (the extension's own event lines) so the child never blocks on a full pipe.
      proc.stdout?.resume();
      const data = JSON.parse(line) as { rpcBaseUrl?: string };
      if (!data.rpcBaseUrl) throw new Error(`The Durable client data has no rpcBaseUrl: ${line}`);
      this.clientJson = line;
      this.rpcBase = data.rpcBaseUrl;
    } catch (err) {
      await this.stopEngine();
      throw err;
    }
    // The JobHost stops itself when an invocation outlives functionTimeout; the Functions host then
    // starts again (with a new worker). So does this one.
    proc.once('exit', () => {
      if (this.engine !== proc || this.stopping) return;
      this.restarts++;
      this.logger.warn('Worker', `The extension's host stopped by itself (a function timeout?): starting it again.`);
      this.engine = undefined;
      this.restarting = this.startEngine().catch((err: unknown) => this.logger.error('Worker', `Restart failed: ${String(err)}`));
    });
  }

  private restarting: Promise<void> | undefined;

  private async stopEngine(): Promise<void> {
    await this.restarting;
    const proc = this.engine;
    this.engine = undefined;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
      proc.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      proc.kill('SIGTERM');
    });
  }

  /** Stops the extension's host (a clean shutdown, as on a deployment) and starts a new one on the same task hub. */
  async restart(): Promise<void> {
    this.stopping = true;
    await this.stopEngine();
    this.stopping = false;
    await this.startEngine();
  }

  /** Resolves once no handler invocation has been running for `quietMs`. */
  async quiet(quietMs = 300): Promise<void> {
    let since = Date.now();
    while (Date.now() - since < quietMs) {
      if (this.running > 0) since = Date.now();
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  fetch(pathAndQuery: string, init?: RequestInit): Promise<Response> {
    return fetch(this.baseUrl + pathAndQuery, init);
  }

  async json<T = unknown>(pathAndQuery: string, init?: RequestInit): Promise<{ status: number; body: T; headers: Headers }> {
    const res = await this.fetch(pathAndQuery, init);
    const text = await res.text();
    let body: unknown = undefined;
    try {
      body = text ? (JSON.parse(text) as unknown) : undefined;
    } catch {
      body = text;
    }
    return { status: res.status, body: body as T, headers: res.headers };
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.stopEngine();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    await this.invoker.runAppHooks('appTerminate').catch(() => undefined);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    try {
      const ex = await readExchange(req, MAX_BODY, this.baseUrl);
      if (!ex) return send(res, { status: 413, headers: [], body: Buffer.alloc(0) });
      const p = ex.url.pathname;
      if (p.startsWith(`${WORKER}/`)) return send(res, await this.worker(ex, p.slice(WORKER.length + 1)));
      if (p === WEBHOOKS || p.startsWith(`${WEBHOOKS}/`)) return send(res, await this.forward(ex, p.slice(WEBHOOKS.length)));
      const prefix = this.app.hostJson.routePrefix;
      const rel = prefix === '' ? p : p.toLowerCase().startsWith(`/${prefix.toLowerCase()}/`) ? p.slice(prefix.length + 1) : undefined;
      const found = rel === undefined ? undefined : findRoute(this.routes, ex.method, rel);
      if (!found) return send(res, { status: 404, headers: [], body: Buffer.alloc(0) });
      if (found === 'methodNotAllowed') return send(res, { status: 405, headers: [], body: Buffer.alloc(0) });
      const out = await this.track(() => invokeHttp(this.invoker, found.route, ex, found.params, this.app.hostJson.functionTimeoutMs)).catch(
        (err: unknown) => {
          this.logger.error(`Function.${found.route.reg.metadata.name}`, `Failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
          return { status: 500, headers: [], body: Buffer.alloc(0) } satisfies OutgoingResponse;
        },
      );
      send(res, out);
    } catch (err) {
      this.logger.error('Worker', `Request failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      if (!res.headersSent) send(res, { status: 500, headers: [], body: Buffer.alloc(0) });
    }
  }

  /** An orchestrator episode or an activity call forwarded by the .NET stubs. */
  private async worker(ex: IncomingExchange, rest: string): Promise<OutgoingResponse> {
    const m = /^(orchestrator|activity)\/(.+)$/.exec(rest);
    const reg = m?.[2] ? this.app.registry.functions.get(decodeURIComponent(m[2]).toLowerCase()) : undefined;
    const wanted = m?.[1] === 'orchestrator' ? 'orchestrationTrigger' : 'activityTrigger';
    if (!m || !reg || triggerOf(reg.metadata)?.type !== wanted) return json(404, { message: `No ${m?.[1] ?? 'function'} '${rest}'.` });
    const body = ex.body.toString('utf8');
    try {
      // No timeout here: the .NET host enforces functionTimeout, as the Functions host does.
      const { result } = await this.track(() => this.invoker.invoke(reg, { trigger: body === '' ? {} : { string: body } }));
      if (result === undefined) return { status: 204, headers: [], body: Buffer.alloc(0) };
      return json(200, result);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      return json(500, { message: e.message, stack: e.stack ?? '' });
    }
  }

  /** The Durable HTTP API, answered by the extension. */
  private async forward(ex: IncomingExchange, rest: string): Promise<OutgoingResponse> {
    const url = new URL(rest.replace(/^\//, '') + ex.url.search, this.rpcBase);
    const headers: Record<string, string> = {};
    const type = ex.headers['content-type'];
    if (typeof type === 'string') headers['content-type'] = type;
    const res = await fetch(url, {
      method: ex.method,
      headers,
      ...(ex.method === 'GET' || ex.method === 'HEAD' ? {} : { body: ex.body }),
    });
    const out: [string, string][] = [];
    res.headers.forEach((v, k) => {
      if (k === 'content-type' || k === 'location' || k === 'retry-after' || k.startsWith('x-ms-')) out.push([k, v]);
    });
    return { status: res.status, headers: out, body: Buffer.from(await res.arrayBuffer()) };
  }

  private async track<T>(work: () => Promise<T>): Promise<T> {
    this.running++;
    try {
      return await work();
    } finally {
      this.running--;
    }
  }
}

function json(status: number, body: unknown): OutgoingResponse {
  return { status, headers: [['content-type', 'application/json; charset=utf-8']], body: Buffer.from(JSON.stringify(body)) };
}

/** host.json durableTask.overridableExistingInstanceStates, if set. */
function overridableStates(root: string): string | undefined {
  // readHostJson does not keep this one.
  const raw = JSON.parse(readFileSync(path.join(root, 'host.json'), 'utf8')) as { extensions?: { durableTask?: { overridableExistingInstanceStates?: unknown } } };
  const v = raw.extensions?.durableTask?.overridableExistingInstanceStates;
  return typeof v === 'string' ? v : undefined;
}
