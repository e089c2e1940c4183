/**
 * httpRoute (src/app/routes.ts) registers a route with a loader: the handler is imported on the
 * route's first request and kept; a load that fails is answered 500 through the error envelope
 * and tried again on the next request; a guarded route admits the caller before loading the
 * handler. Runs a fixture app of two routes (test/fixtures/lazy-route-app, on the built dist/)
 * through the dev host's loader and HTTP invocation, in process.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildRoutes, findRoute, invokeHttp, Invoker, loadApp, Logger, type HttpRoute } from '../../src/devhost/index.js';
import { repoRoot } from '../harness/devhost.js';

const loads = (): { flaky: number; guarded: number } => (globalThis as unknown as { lazyRouteLoads: { flaky: number; guarded: number } }).lazyRouteLoads;

let invoker: Invoker;
let routes: HttpRoute[];

async function get(route: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const found = findRoute(routes, 'GET', route);
  if (!found || found === 'methodNotAllowed') throw new Error(`no route ${route}`);
  const out = await invokeHttp(invoker, found.route, { method: 'GET', url: new URL(`http://127.0.0.1/api/${route}`), headers, body: Buffer.alloc(0) }, found.params, undefined);
  return { status: out.status, body: JSON.parse(out.body.toString('utf8') || '{}') as Record<string, unknown> };
}

beforeAll(async () => {
  const app = await loadApp(path.join(repoRoot, 'test', 'fixtures', 'lazy-route-app'));
  invoker = new Invoker(app.registry, new Logger('none', () => undefined));
  routes = buildRoutes([...app.registry.functions.values()]);
});

describe('httpRoute loads its handler on the first request', () => {
  it('loads nothing at registration', () => {
    expect(loads()).toEqual({ flaky: 0, guarded: 0 });
  });

  it('answers a failed load with the error envelope, tries again on the next request, then keeps the handler', async () => {
    const first = await get('flaky');
    expect(first.status).toBe(500);
    expect(first.body).toMatchObject({ error: { code: 'internal_error', requestId: expect.any(String) as unknown } });
    expect((await get('flaky')).body).toMatchObject({ loads: 2 });
    expect((await get('flaky')).body).toMatchObject({ loads: 2 });
    expect(loads().flaky).toBe(2);
  });

  it('admits the caller, then loads the guarded handler once and hands it the caller', async () => {
    expect(loads().guarded).toBe(0);
    expect((await get('guarded')).body).toMatchObject({ caller: 'function-key' });
    expect((await get('guarded')).body).toMatchObject({ caller: 'function-key' });
    expect(loads().guarded).toBe(1);
  });
});

describe('orchestrationLoadedOnFirstUse: what GET /api/health asks', () => {
  type Failures = () => Promise<{ name: string; error: string }[]>;
  const orchestratorLoads = (): { whole: number; broken: number } => (globalThis as unknown as { lazyOrchestratorLoads: { whole: number; broken: number } }).lazyOrchestratorLoads;

  it('loads no orchestrator at registration, then reports the one whose code does not load, by name and why, and loads it again next time', async () => {
    expect(orchestratorLoads()).toEqual({ whole: 0, broken: 0 });
    // The fixture registered through the built module: the same instance holds its loaders.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the fixture's instance (require's cache), not a second one through the test's module loader
    const { orchestratorLoadFailures } = require(path.join(repoRoot, 'dist', 'src', 'app', 'orchestrations.js')) as { orchestratorLoadFailures: Failures };
    expect(await orchestratorLoadFailures()).toEqual([{ name: 'brokenOrchestration', error: expect.stringContaining('the orchestrator module failed to load') as unknown }]);
    expect(await orchestratorLoadFailures()).toEqual([]);
    expect(orchestratorLoads()).toEqual({ whole: 1, broken: 2 });
  });
});
