/**
 * Loads a Functions app the way the Node.js worker does: the entry files named by package.json
 * `main` (a glob is allowed), with `@azure/functions-core` answered by the dev host, and reads the
 * app's host.json and local.settings.json.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { globSync } from 'tinyglobby';
import { captureInto, installCoreApi, keepCapturing, Registry } from './core-api.js';

export interface HostJson {
  routePrefix: string;
  hubName: string | undefined;
  maxConcurrentActivityFunctions: number;
  maxConcurrentOrchestratorFunctions: number;
  functionTimeoutMs: number | undefined;
}

export interface LoadedApp {
  root: string;
  registry: Registry;
  hostJson: HostJson;
  entryFiles: string[];
}

const loaded = new Map<string, Promise<LoadedApp>>();

/**
 * Loads the app at `root` once per process. Node caches the app's modules, so loading it a second
 * time could not capture its registrations again; the first load's registry is reused instead.
 */
export function loadApp(root: string): Promise<LoadedApp> {
  const abs = path.resolve(root);
  let app = loaded.get(abs);
  if (!app) {
    app = doLoad(abs);
    loaded.set(abs, app);
    app.catch(() => loaded.delete(abs));
  }
  return app;
}

async function doLoad(root: string): Promise<LoadedApp> {
  const pkgPath = path.join(root, 'package.json');
  if (!existsSync(pkgPath)) throw new Error(`No package.json in ${root}: the dev host needs the app's root folder.`);
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { main?: unknown; type?: unknown };
  if (typeof pkg.main !== 'string' || pkg.main.trim() === '') {
    throw new Error(`${pkgPath} has no "main": set it to the compiled entry files, e.g. "dist/functions/*.js".`);
  }
  const entryFiles = globSync(pkg.main, { cwd: root, absolute: true, onlyFiles: true }).sort();
  if (entryFiles.length === 0) {
    throw new Error(`package.json "main" (${pkg.main}) matches no file in ${root}. Did you run "npm run build"?`);
  }

  installCoreApi();
  const registry = new Registry();
  const requireFromApp = createRequire(pkgPath);
  const isEsm = pkg.type === 'module';
  const esmEntries: string[] = [];
  captureInto(registry, () => {
    for (const file of entryFiles) {
      if (isEsm || file.endsWith('.mjs')) esmEntries.push(file);
      else requireFromApp(file);
    }
  });
  keepCapturing(registry);
  for (const file of esmEntries) {
    // ESM entry points register while they evaluate; keepCapturing routes them to this registry.
    await import(pathToFileURL(file).href);
  }
  if (registry.functions.size === 0) {
    throw new Error(`The app in ${root} registered no functions (entry files: ${entryFiles.join(', ')}).`);
  }
  return { root, registry, hostJson: readHostJson(root), entryFiles };
}

/** Expands `%Setting%` references the way the Functions host does for host.json and bindings. */
export function resolveAppSetting(value: string, env: NodeJS.ProcessEnv = process.env): string {
  return value.replace(/%([^%]+)%/g, (whole, name: string) => env[name] ?? whole);
}

export function readHostJson(root: string): HostJson {
  const file = path.join(root, 'host.json');
  const json = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  const extensions = asRecord(json.extensions);
  const http = asRecord(extensions.http);
  const durable = asRecord(extensions.durableTask);
  const hub = typeof durable.hubName === 'string' ? resolveAppSetting(durable.hubName) : undefined;
  return {
    routePrefix: typeof http.routePrefix === 'string' ? http.routePrefix.replace(/^\/+|\/+$/g, '') : 'api',
    hubName: hub && !hub.includes('%') ? hub : undefined,
    maxConcurrentActivityFunctions: positiveInt(durable.maxConcurrentActivityFunctions, 20),
    maxConcurrentOrchestratorFunctions: positiveInt(durable.maxConcurrentOrchestratorFunctions, 20),
    functionTimeoutMs: typeof json.functionTimeout === 'string' ? parseTimeSpan(json.functionTimeout) : undefined,
  };
}

/** Parses a .NET TimeSpan such as "00:10:00" or "1.02:03:04" into milliseconds. */
export function parseTimeSpan(value: string): number | undefined {
  const m = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?$/.exec(value.trim());
  if (!m) return undefined;
  const [, d, h, min, s, frac] = m;
  const ms = frac ? Math.round(Number(`0.${frac}`) * 1000) : 0;
  return ((Number(d ?? 0) * 24 + Number(h)) * 60 + Number(min)) * 60_000 + Number(s) * 1000 + ms;
}

function asRecord(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function positiveInt(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : fallback;
}
