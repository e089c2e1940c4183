/**
 * activityHandlers (src/activities/define.ts) as the worker runs it, on the compiled app (dist/)
 * loaded by the dev host: the handlers of an activity group are not loaded until the first
 * invocation, and a group whose settings are invalid answers each activity's refused outcome as
 * data (logging the problems by setting name) instead of throwing into Durable's retries.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

describe('activityHandlers', () => {
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
});
