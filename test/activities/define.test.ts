/**
 * activityHandlers (src/activities/define.ts) as the worker runs it, on the compiled app (dist/)
 * loaded by the dev host: the handlers of an activity group are not loaded until the first
 * invocation, and a group whose settings are invalid answers each activity's refused outcome as
 * data (logging the problems by setting name) instead of throwing into Durable's retries. A group
 * without settings is loaded once per process, whatever the number of invocations (an incident
 * calls its activities on every step), and a load that failed is tried again. The activities are
 * registered by name (activityNamed): their contracts load with the first invocation too, and each
 * is the contract of the name it was registered under.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { activityHandlers, defineActivity } from '../../src/activities/define.js';
import { Invoker, loadApp, Logger, type LoadedApp, type LogRecord } from '../../src/devhost/index.js';
import { repoRoot } from '../harness/devhost.js';

let app: LoadedApp;
const logs: LogRecord[] = [];
const saved = process.env.EVIDENCE_CONTAINER;

beforeAll(async () => {
  // Before the app loads: the evidence settings may be read once per process.
  process.env.EVIDENCE_CONTAINER = 'Not_A_Container';
  app = await loadApp(repoRoot);
});
afterAll(() => {
  if (saved === undefined) delete process.env.EVIDENCE_CONTAINER;
  else process.env.EVIDENCE_CONTAINER = saved;
});

const loaded = (file: string) => Object.keys(require.cache).includes(path.join(repoRoot, 'dist', file));

const contractFiles = ['app-service', 'evidence', 'incident', 'signals', 'smoke', 'sql', 'status-page', 'teams', 'telemetry'].map((c) => `src/activities/${c}.contracts.js`);

describe('activityHandlers', () => {
  it('registers activities and orchestrations by name: no contract and no orchestrator is loaded until one runs', () => {
    expect(app.registry.byTrigger('activityTrigger').length).toBeGreaterThan(20);
    expect(contractFiles.filter(loaded)).toEqual([]);
    expect(app.registry.byTrigger('orchestrationTrigger').map((r) => r.metadata.name).sort()).toEqual(['incident', 'smokeSuite']);
    expect(['orchestrations/incident.js', 'orchestrations/smoke-suite.js', 'src/domain/incident-run.js'].filter(loaded)).toEqual([]);
  });

  it('loads a group on its first invocation and answers invalid settings with the refused outcome, as data', async () => {
    expect(loaded('functions/evidence-activities.js')).toBe(true);
    expect(loaded('src/app/evidence.js')).toBe(false);
    const reg = app.registry.functions.get('evidence_locate');
    if (!reg) throw new Error('evidence_locate is not registered');
    const invoker = new Invoker(app.registry, new Logger('debug', (r) => logs.push(r)));
    const pack = { incidentId: 'inc-prod-api-1', environment: 'Prod', service: 'api', severity: 'P2', declaredAt: '2026-11-20T10:00:00.000Z' };
    const { result } = await invoker.invoke(reg, { trigger: { string: JSON.stringify({ pack }) } });
    const out = result as { links: unknown; summary: string };
    expect(Object.keys(out).sort()).toEqual(['links', 'summary']);
    expect(out.links).toBeNull();
    expect(out.summary).toMatch(/^The evidence pack cannot be located: the evidence settings of the function app are invalid \(EVIDENCE_CONTAINER: .+\)\.$/);
    expect(logs.some((r) => r.level === 'error' && r.message.startsWith('Evidence settings are invalid:\nEVIDENCE_CONTAINER'))).toBe(true);
    expect(loaded('src/app/evidence.js')).toBe(true);
  });

  it('registers exactly the contracts\' activities, each under its contract\'s name (checked when its contract loads)', async () => {
    const contracts = new Map<string, string>();
    for (const file of contractFiles) {
      const mod = (await import(path.join(repoRoot, 'dist', file))) as Record<string, unknown>;
      for (const v of Object.values(mod)) {
        const d = v as { name?: unknown; input?: { parse?: unknown } } | null;
        if (typeof d?.name === 'string' && typeof d.input?.parse === 'function') contracts.set(d.name, file);
      }
    }
    const registered = app.registry.byTrigger('activityTrigger').map((r) => r.metadata.name).filter((n) => !n.startsWith('test_'));
    expect([...registered].sort()).toEqual([...contracts.keys()].sort());
    expect((await import(path.join(repoRoot, 'dist', 'src/activities/smoke.contracts.js')) as { SMOKE_SUITE_ORCHESTRATION: string }).SMOKE_SUITE_ORCHESTRATION).toBe('smokeSuite');
    // A number is no activity's input: each invocation loads its contract, which must be the one of
    // its name (else: "The activity registered as ... loaded the contract of ..."), and refuses the input.
    const invoker = new Invoker(app.registry, new Logger('error', () => undefined));
    for (const reg of app.registry.byTrigger('activityTrigger').filter((r) => !r.metadata.name.startsWith('test_'))) {
      const err = await invoker.invoke(reg, { trigger: { string: '12345' } }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, reg.metadata.name).toBeInstanceOf(Error);
      expect((err as Error).message, reg.metadata.name).not.toMatch(/loaded the contract of/);
      expect((err as Error).message, reg.metadata.name).toMatch(/expected object|Invalid input/i);
    }
  });

  it('loads a group without settings once for many invocations, and again after a load that failed', async () => {
    // Registered after the app loaded: the dev host's registry takes it as the worker would.
    let loads = 0;
    const register = activityHandlers(() => {
      loads++;
      return loads === 1 ? Promise.reject(new Error('the first load fails')) : Promise.resolve({ double: (n: number) => 2 * n });
    });
    const def = defineActivity({ name: 'test_defineDouble', input: z.object({ n: z.number() }), output: z.object({ n: z.number() }) });
    register(def, (h, input) => Promise.resolve({ n: h.double(input.n) }));
    const reg = app.registry.functions.get(def.name.toLowerCase());
    if (!reg) throw new Error(`${def.name} is not registered`);
    const invoker = new Invoker(app.registry, new Logger('debug', (r) => logs.push(r)));
    const call = (n: number) => invoker.invoke(reg, { trigger: { string: JSON.stringify({ n }) } });

    await expect(call(1)).rejects.toThrow('the first load fails');
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => call(i)));
    expect(answers.map((a) => (a.result as { n: number }).n)).toEqual(Array.from({ length: 20 }, (_, i) => 2 * i));
    expect(loads).toBe(2);
  });
});
