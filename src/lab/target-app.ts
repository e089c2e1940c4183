/**
 * A simulated target application (the Admin API + Web of the runbooks) for tests, drills and
 * benchmarks: two App Service slots (production and staging) on their own loopback ports, each
 * serving a deployment (build id, release tag, injected faults). `swap()` exchanges the
 * deployments, so production then serves what staging served, faults included: a fault describes
 * a bad build, and a slot swap to the last known good release is what removes it.
 *
 * Feature flags and configuration are shared by both slots (they live in the environment's SQL
 * database) and change behaviour the way the runbooks describe:
 *   - flag EnableLegacyHttpSse on: slow first SSE event and heartbeats far apart (see options);
 *   - config Network:SseKeepAliveSeconds: the SSE heartbeat interval (fractions allowed).
 *
 * Routes per slot: GET /healthz, /ready, /version, /sse, /config/effective, the UI pages
 * (/config, /flags, /jobs, /evidence, /dashboard, with a marker) and JSON contract endpoints
 * (/api/flags, /api/jobs, /api/config). Faults: slow first event, heartbeat gaps, closing the
 * stream, a 5xx rate, ready/health red, degraded components, added latency, wrong contract shape,
 * missing page marker, hang (never answers), huge body.
 *
 * Control: programmatically (swap, setFault, setFlag, setConfig, setBuild) or, with
 * `control: true`, over a small HTTP API on its own port (GET /state, POST /swap,
 * PUT /faults/{slot}, PATCH /faults/{slot}, PUT /flags/{name}, PUT /config/{key}, PUT /builds/{slot},
 * POST /reset).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { errorText } from '../domain/errors.js';

export type Slot = 'production' | 'staging';
export const SLOTS: readonly Slot[] = ['production', 'staging'];

export interface Build {
  buildId: string;
  releaseTag: string;
}

/** Which paths a fault applies to: true = every app route, or a list of exact paths. */
export type PathSelector = boolean | string[];

export interface TargetFaults {
  /** Delay between the SSE response headers and the first event. */
  sseFirstEventDelayMs?: number;
  /** Heartbeat interval override (otherwise from config Network:SseKeepAliveSeconds). */
  sseHeartbeatMs?: number;
  /** Silences: after the n-th event (1 = the first), wait gapMs before the next one. */
  sseGaps?: { afterEvent: number; gapMs: number }[];
  /** End the stream after this many events. */
  sseCloseAfterEvents?: number;
  /** Answer /sse as JSON instead of an event stream. */
  sseWrongContentType?: boolean;
  /** Fraction of requests answered 500 with an error envelope, deterministically (every k-th). */
  errorRate?: number;
  errorPaths?: PathSelector;
  /** /ready answers 503 Unhealthy (sql down). */
  readyRed?: boolean;
  /** /healthz answers 503 Unhealthy. */
  healthRed?: boolean;
  /** /ready answers 200 Degraded with these components degraded. */
  degradedComponents?: string[];
  /** Added before answering. */
  latencyMs?: number;
  latencyPaths?: PathSelector;
  /** The JSON contract endpoints answer another shape (items renamed to data). */
  wrongContract?: boolean;
  /** UI pages answer 200 without their marker (a blank error shell). */
  missingMarker?: boolean;
  /** Never answers (keeps the connection open). */
  hang?: PathSelector;
  /** Streams an endless body (until the client goes away, or hugeBodyBytes). */
  hugeBody?: PathSelector;
}

export interface SseConnectionLog {
  slot: Slot;
  buildId: string;
  /** performance.now() when the request arrived / headers and each event were written. */
  receivedAt: number;
  headersAt: number | null;
  /** The injected first-event delay in force for this connection. */
  plannedFirstEventDelayMs: number;
  writes: number[];
  closedAt: number | null;
}

export interface TargetAppOptions {
  environment?: string;
  builds?: Partial<Record<Slot, Build>>;
  flags?: Record<string, boolean>;
  config?: Record<string, string>;
  /** Heartbeats as named events (default) or as comment lines. */
  sseHeartbeat?: 'event' | 'comment';
  /** What EnableLegacyHttpSse does to the stream. */
  legacySse?: { firstEventDelayMs: number; heartbeatMs: number };
  /** Size of a huge body when the client reads it all (default 256 MiB). */
  hugeBodyBytes?: number;
  /** Start the HTTP control API. */
  control?: boolean;
  /**
   * Where flags are read from, when not from this app's own table (e.g. the SQL fake, as the real
   * app reads them from its database); undefined for a flag falls back to the own table.
   */
  flagSource?: (name: string) => boolean | undefined;
  /** Where config values are read from, likewise (undefined for a key: this app's own value). */
  configSource?: (key: string) => string | undefined;
  host?: string;
  /** Fixed ports (default: free ones). */
  ports?: Partial<Record<Slot | 'control', number>>;
}

export const PAGE_MARKER = 'data-app="kendobridge-admin"';
export const PAGES = ['/config', '/flags', '/jobs', '/evidence', '/dashboard'] as const;

export const DEFAULT_CONFIG: Readonly<Record<string, string>> = {
  'Network:SseKeepAliveSeconds': '10',
  'Cors:AllowedOrigins': 'https://admin.contoso.test',
  'RateLimit:PerMinute': '600',
  'Jobs:MaxParallel': '4',
};
export const DEFAULT_FLAGS: Readonly<Record<string, boolean>> = { EnableLegacyHttpSse: false, EnableNewDashboard: true };

interface Deployment {
  build: Build;
  faults: TargetFaults;
  requests: number;
  errorCounter: number;
}

interface SlotServer {
  server: Server;
  port: number;
  sockets: Set<Socket>;
}

export interface TargetAppState {
  environment: string;
  slots: Record<Slot, { url: string; build: Build; faults: TargetFaults; requests: number }>;
  flags: Record<string, boolean>;
  config: Record<string, string>;
  swaps: number;
}

export class TargetApp {
  readonly environment: string;
  private readonly deployments: Record<Slot, Deployment>;
  private flags: Record<string, boolean>;
  private config: Record<string, string>;
  private pinned: Record<string, string> = {};
  private readonly servers = new Map<Slot, SlotServer>();
  private controlServer: SlotServer | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly initial: { builds: Record<Slot, Build>; flags: Record<string, boolean>; config: Record<string, string> };
  swaps = 0;
  readonly sseLog: SseConnectionLog[] = [];
  /** Bytes written for each huge body, by path. */
  readonly hugeBodies: { slot: Slot; path: string; bytesSent: number; done: boolean }[] = [];
  /** Every request to a slot; `authorization` tells whether credentials came along. */
  readonly requestLog: { slot: Slot; method: string; path: string; at: number; authorization: string | null }[] = [];

  private constructor(private readonly options: TargetAppOptions) {
    this.environment = options.environment ?? 'Prod';
    const builds: Record<Slot, Build> = {
      production: options.builds?.production ?? { buildId: 'build-1001', releaseTag: 'v1.4.0' },
      staging: options.builds?.staging ?? { buildId: 'build-1002', releaseTag: 'v1.5.0' },
    };
    this.initial = { builds, flags: { ...DEFAULT_FLAGS, ...options.flags }, config: { ...DEFAULT_CONFIG, ...options.config } };
    this.deployments = {
      production: { build: { ...builds.production }, faults: {}, requests: 0, errorCounter: 0 },
      staging: { build: { ...builds.staging }, faults: {}, requests: 0, errorCounter: 0 },
    };
    this.flags = { ...this.initial.flags };
    this.config = { ...this.initial.config };
  }

  static async start(options: TargetAppOptions = {}): Promise<TargetApp> {
    const app = new TargetApp(options);
    try {
      for (const slot of SLOTS) app.servers.set(slot, await app.listen((req, res) => app.handle(slot, req, res), options.ports?.[slot]));
      if (options.control) app.controlServer = await app.listen((req, res) => app.handleControl(req, res), options.ports?.control);
    } catch (err) {
      await app.stop();
      throw err;
    }
    return app;
  }

  private host(): string {
    return this.options.host ?? '127.0.0.1';
  }

  private async listen(handler: (req: IncomingMessage, res: ServerResponse) => void, port = 0): Promise<SlotServer> {
    const sockets = new Set<Socket>();
    const server = createServer(handler);
    server.keepAliveTimeout = 1000;
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.host(), () => resolve());
    });
    return { server, port: (server.address() as AddressInfo).port, sockets };
  }

  /** The base URL a slot answers on (the production URL stays the production URL across swaps). */
  url(slot: Slot): string {
    const s = this.servers.get(slot);
    if (!s) throw new Error(`slot ${slot} is not running`);
    return `http://${this.host()}:${s.port}`;
  }

  get controlUrl(): string | undefined {
    return this.controlServer ? `http://${this.host()}:${this.controlServer.port}` : undefined;
  }

  build(slot: Slot): Build {
    return { ...this.deployments[slot].build };
  }

  /** Slot swap: production serves staging's deployment and the other way round. */
  swap(): { production: Build; staging: Build } {
    const p = this.deployments.production;
    this.deployments.production = this.deployments.staging;
    this.deployments.staging = p;
    this.swaps++;
    return { production: this.build('production'), staging: this.build('staging') };
  }

  /** Deploys a build to a slot (its faults are cleared: a new build). */
  setBuild(slot: Slot, build: Build, faults: TargetFaults = {}): void {
    this.deployments[slot] = { build: { ...build }, faults: { ...faults }, requests: 0, errorCounter: 0 };
  }

  /** Replaces the faults of the deployment in a slot ({} clears them). */
  setFault(slot: Slot, faults: TargetFaults): void {
    this.deployments[slot].faults = { ...faults };
    this.deployments[slot].errorCounter = 0;
  }

  /** Adds to the faults of the deployment in a slot. */
  addFault(slot: Slot, faults: TargetFaults): void {
    this.deployments[slot].faults = { ...this.deployments[slot].faults, ...faults };
  }

  faults(slot: Slot): TargetFaults {
    return { ...this.deployments[slot].faults };
  }

  setFlag(name: string, enabled: boolean): void {
    this.flags[name] = enabled;
  }

  /** Every known flag with the value in force (`flagSource` first). */
  effectiveFlags(): Record<string, boolean> {
    return Object.fromEntries(Object.keys(this.flags).map((k) => [k, this.flag(k)]));
  }

  flag(name: string): boolean {
    return this.options.flagSource?.(name) ?? this.flags[name] ?? false;
  }

  setConfig(key: string, value: string | null): void {
    if (value === null) delete this.config[key];
    else this.config[key] = value;
  }

  configValue(key: string): string | undefined {
    return this.pinned[key] ?? this.options.configSource?.(key) ?? this.config[key];
  }

  /**
   * Pins a config value over the database (an App Service app setting that wins over the value the
   * app reads from SQL): reapplying the database value then changes nothing (null unpins).
   */
  pinConfig(key: string, value: string | null): void {
    if (value === null) delete this.pinned[key];
    else this.pinned[key] = value;
  }

  /** Every config key with the value in force. */
  effectiveConfigValues(): Record<string, string> {
    const keys = new Set([...Object.keys(this.config), ...Object.keys(this.pinned)]);
    return Object.fromEntries([...keys].map((k) => [k, this.configValue(k) ?? '']));
  }

  /** Back to the initial builds, flags and config, with no faults and empty logs. */
  reset(): void {
    for (const slot of SLOTS) this.setBuild(slot, this.initial.builds[slot]);
    this.flags = { ...this.initial.flags };
    this.config = { ...this.initial.config };
    this.pinned = {};
    this.swaps = 0;
    this.sseLog.length = 0;
    this.hugeBodies.length = 0;
    this.requestLog.length = 0;
  }

  state(): TargetAppState {
    const slots = {} as TargetAppState['slots'];
    for (const slot of SLOTS) {
      const d = this.deployments[slot];
      slots[slot] = { url: this.url(slot), build: { ...d.build }, faults: { ...d.faults }, requests: d.requests };
    }
    return { environment: this.environment, slots, flags: { ...this.flags }, config: { ...this.config }, swaps: this.swaps };
  }

  /** The effective configuration document, as GET /config/effective returns it. */
  effectiveConfig(slot: Slot): Record<string, unknown> {
    const d = this.deployments[slot];
    return {
      environment: this.environment,
      build: { ...d.build, slot },
      config: this.effectiveConfigValues(),
      features: this.effectiveFlags(),
    };
  }

  /** The heartbeat interval in force (ms): fault override, legacy SSE, then config. */
  heartbeatMs(slot: Slot): number {
    const f = this.deployments[slot].faults;
    if (f.sseHeartbeatMs !== undefined) return f.sseHeartbeatMs;
    if (this.flag('EnableLegacyHttpSse')) return this.legacy().heartbeatMs;
    const seconds = Number.parseFloat(this.configValue('Network:SseKeepAliveSeconds') ?? '10');
    return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 10_000;
  }

  private legacy(): { firstEventDelayMs: number; heartbeatMs: number } {
    return this.options.legacySse ?? { firstEventDelayMs: 800, heartbeatMs: 20_000 };
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const all = [...this.servers.values(), ...(this.controlServer ? [this.controlServer] : [])];
    await Promise.all(
      all.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.server.close(() => resolve());
            for (const socket of s.sockets) socket.destroy();
          }),
      ),
    );
  }

  private later(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
    return t;
  }

  // -------------------------------------------------------------------------------------------
  // App routes

  private handle(slot: Slot, req: IncomingMessage, res: ServerResponse): void {
    const receivedAt = performance.now();
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    // The deployment is the one in the slot when the request arrives; a swap does not move it.
    const d = this.deployments[slot];
    d.requests++;
    this.requestLog.push({ slot, method: req.method ?? 'GET', path, at: receivedAt, authorization: req.headers.authorization ?? null });
    const f = d.faults;
    req.resume();
    if (selected(f.hang, path)) return; // never answers
    const go = (): void => {
      if (res.destroyed) return;
      if (f.errorRate && f.errorRate > 0 && selected(f.errorPaths ?? true, path)) {
        const n = d.errorCounter++;
        if (Math.floor((n + 1) * f.errorRate) > Math.floor(n * f.errorRate)) {
          json(res, 500, { error: { code: 'internal_error', message: 'Injected failure.', requestId: `req-${n}` } });
          return;
        }
      }
      if (selected(f.hugeBody, path)) {
        this.hugeBody(slot, path, res);
        return;
      }
      this.route(slot, d, path, req, res, receivedAt);
    };
    const latency = f.latencyMs && selected(f.latencyPaths ?? true, path) ? f.latencyMs : 0;
    if (latency > 0) this.later(latency, go);
    else go();
  }

  private route(slot: Slot, d: Deployment, path: string, req: IncomingMessage, res: ServerResponse, receivedAt: number): void {
    const f = d.faults;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      json(res, 405, { error: { code: 'method_not_allowed', message: 'Only GET here.', requestId: 'req-405' } });
      return;
    }
    switch (path) {
      case '/healthz':
        json(res, f.healthRed ? 503 : 200, { status: f.healthRed ? 'Unhealthy' : 'Healthy' });
        return;
      case '/ready': {
        const entries: Record<string, { status: string; description?: string }> = {
          sql: { status: 'Healthy' },
          'child-mcp': { status: 'Healthy' },
          config: { status: 'Healthy' },
        };
        for (const c of f.degradedComponents ?? []) entries[c] = { status: 'Degraded', description: 'Injected degradation.' };
        if (f.readyRed) entries.sql = { status: 'Unhealthy', description: 'Cannot open a connection to SQL Server.' };
        const worst = f.readyRed ? 'Unhealthy' : (f.degradedComponents?.length ?? 0) > 0 ? 'Degraded' : 'Healthy';
        json(res, f.readyRed ? 503 : 200, { status: worst, totalDuration: '00:00:00.0123', entries });
        return;
      }
      case '/version':
        json(res, 200, { ...d.build, slot, environment: this.environment });
        return;
      case '/config/effective':
        json(res, 200, this.effectiveConfig(slot));
        return;
      case '/sse':
        this.sse(slot, d, res, receivedAt);
        return;
      case '/api/flags': {
        const items = Object.entries(this.effectiveFlags()).map(([key, enabled]) => ({ key, enabled, scope: this.environment }));
        json(res, 200, f.wrongContract ? { data: items } : { items, total: items.length });
        return;
      }
      case '/api/jobs': {
        const items = [
          { id: 'job-1', state: 'Succeeded' },
          { id: 'job-2', state: 'Running' },
        ];
        json(res, 200, f.wrongContract ? { data: items } : { items, total: items.length, page: 1 });
        return;
      }
      case '/api/config': {
        const items = Object.entries(this.effectiveConfigValues()).map(([key, value]) => ({ key, value }));
        json(res, 200, f.wrongContract ? { data: items } : { items, total: items.length });
        return;
      }
      default:
        if ((PAGES as readonly string[]).includes(path)) {
          const name = path.slice(1);
          const body = f.missingMarker
            ? '<!doctype html><html><body><p>Something went wrong.</p></body></html>'
            : `<!doctype html><html><head><title>Admin ${name}</title></head><body><div id="root" ${PAGE_MARKER} data-page="${name}" data-build="${d.build.buildId}"></div></body></html>`;
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body) });
          res.end(body);
          return;
        }
        json(res, 404, { error: { code: 'not_found', message: `No route ${path}.`, requestId: 'req-404' } });
    }
  }

  private sse(slot: Slot, d: Deployment, res: ServerResponse, receivedAt: number): void {
    const f = d.faults;
    if (f.sseWrongContentType) {
      json(res, 200, { error: 'this is not an event stream' });
      return;
    }
    const legacy = this.flag('EnableLegacyHttpSse');
    const firstDelay = f.sseFirstEventDelayMs ?? (legacy ? this.legacy().firstEventDelayMs : 0);
    const log: SseConnectionLog = {
      slot,
      buildId: d.build.buildId,
      receivedAt,
      headersAt: null,
      plannedFirstEventDelayMs: firstDelay,
      writes: [],
      closedAt: null,
    };
    this.sseLog.push(log);
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.flushHeaders();
    log.headersAt = performance.now();
    let n = 0;
    let timer: NodeJS.Timeout | undefined;
    const style = this.options.sseHeartbeat ?? 'event';
    const write = (): void => {
      if (res.destroyed) return;
      n++;
      const text =
        n === 1
          ? `retry: 3000\nid: ${n}\nevent: hello\ndata: {"build":"${d.build.buildId}","slot":"${slot}"}\n\n`
          : style === 'comment'
            ? `: keep-alive ${n}\n\n`
            : `id: ${n}\nevent: heartbeat\ndata: {"n":${n}}\n\n`;
      res.write(text);
      log.writes.push(performance.now());
      if (f.sseCloseAfterEvents !== undefined && n >= f.sseCloseAfterEvents) {
        res.end();
        return;
      }
      const gap = f.sseGaps?.find((g) => g.afterEvent === n);
      timer = this.later(gap ? gap.gapMs : this.heartbeatMs(slot), write);
    };
    res.on('close', () => {
      log.closedAt = performance.now();
      if (timer) {
        clearTimeout(timer);
        this.timers.delete(timer);
      }
    });
    if (firstDelay > 0) timer = this.later(firstDelay, write);
    else write();
  }

  private hugeBody(slot: Slot, path: string, res: ServerResponse): void {
    const total = this.options.hugeBodyBytes ?? 256 * 1024 * 1024;
    const record = { slot, path, bytesSent: 0, done: false };
    this.hugeBodies.push(record);
    const isJson = path.startsWith('/api') || path === '/healthz' || path === '/ready' || path === '/config/effective' || path === '/version';
    res.writeHead(200, { 'content-type': isJson ? 'application/json' : 'text/html; charset=utf-8' });
    const chunk = Buffer.alloc(64 * 1024, isJson ? ' ' : 'x');
    if (isJson) res.write('{"items":[');
    const pump = (): void => {
      while (!res.destroyed && record.bytesSent < total) {
        const ok = res.write(chunk);
        record.bytesSent += chunk.length;
        if (!ok) {
          res.once('drain', pump);
          return;
        }
      }
      if (!res.destroyed) {
        record.done = true;
        res.end(isJson ? ']}' : '');
      }
    };
    res.on('close', () => res.removeListener('drain', pump));
    pump();
  }

  // -------------------------------------------------------------------------------------------
  // Control API

  private handleControl(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= 64 * 1024) chunks.push(c);
    });
    req.on('end', () => {
      try {
        if (size > 64 * 1024) return json(res, 413, { error: 'body too large' });
        const text = Buffer.concat(chunks).toString('utf8');
        const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
        const path = decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/');
        const method = req.method ?? 'GET';
        const slotOf = (s: string | undefined): Slot => {
          if (s === 'production' || s === 'staging') return s;
          throw new ControlError(`unknown slot ${s}`);
        };
        let m: RegExpExecArray | null;
        if (method === 'GET' && path === '/state') return json(res, 200, this.state());
        if (method === 'POST' && path === '/swap') {
          this.swap();
          return json(res, 200, this.state());
        }
        if (method === 'POST' && path === '/reset') {
          this.reset();
          return json(res, 200, this.state());
        }
        if ((m = /^\/faults\/([^/]+)$/.exec(path)) && (method === 'PUT' || method === 'PATCH')) {
          const slot = slotOf(m[1]);
          if (method === 'PUT') this.setFault(slot, body);
          else this.addFault(slot, body);
          return json(res, 200, this.state());
        }
        if ((m = /^\/flags\/([^/]+)$/.exec(path)) && method === 'PUT') {
          if (typeof body.enabled !== 'boolean') throw new ControlError('send { "enabled": true|false }');
          this.setFlag(m[1] as string, body.enabled);
          return json(res, 200, this.state());
        }
        if ((m = /^\/config\/([^/]+)$/.exec(path)) && method === 'PUT') {
          if (typeof body.value !== 'string' && body.value !== null) throw new ControlError('send { "value": "text" | null }');
          this.setConfig(m[1] as string, body.value);
          return json(res, 200, this.state());
        }
        if ((m = /^\/builds\/([^/]+)$/.exec(path)) && method === 'PUT') {
          if (typeof body.buildId !== 'string' || typeof body.releaseTag !== 'string') throw new ControlError('send { "buildId", "releaseTag" }');
          this.setBuild(slotOf(m[1]), { buildId: body.buildId, releaseTag: body.releaseTag });
          return json(res, 200, this.state());
        }
        return json(res, 404, { error: `no control route ${method} ${path}` });
      } catch (err) {
        return json(res, 400, { error: errorText(err) });
      }
    });
  }
}

class ControlError extends Error {}

function selected(sel: PathSelector | undefined, path: string): boolean {
  if (sel === undefined || sel === false) return false;
  if (sel === true) return true;
  return sel.includes(path);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function startTargetApp(options: TargetAppOptions = {}): Promise<TargetApp> {
  return TargetApp.start(options);
}
