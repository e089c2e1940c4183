/**
 * Cold import: the framework floor (@azure/functions and durable-functions, with the dev host's
 * @azure/functions-core stand-in) next to the product app (every entry file of package.json
 * "main", loaded as the dev host loads it, registrations captured), each in a fresh `node`
 * process, alternating so that machine load hits both alike. `importMs` is the import measured
 * inside the child; `processMs` adds Node's own start-up and exit. Also: what the app loads
 * beyond the floor (packages, and its own modules by layer), and which of the lazily loaded SDKs
 * the import pulled in (the right answer is none). Activity handlers are not among the modules:
 * they load on an activity's first invocation (src/activities/define.ts, `activityHandlers`), with
 * the activity's contract (`activityNamed`); nor the orchestrators (functions/orchestrations.ts: on
 * their first episode); nor are the HTTP handlers and the timers' work (src/app/routes.ts,
 * `httpRoute(name, options, load)`); telemetry starts in the app's appStart hook.
 */
import { coldImport, type ColdImport, lazySdksIn } from '../harness/cold-import.js';
import type { BenchResult } from './run.js';
import { goal, round, summary } from './stats.js';

const RUNS = 15;

/** The app's own modules the import loaded, by layer (dist/src/domain/x.js -> src/domain): where the import's cost beyond the floor comes from. */
function byLayer(own: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const f of own) {
    const layer = f.replace(/^dist\//, '').split('/').slice(0, f.includes('/src/') ? 2 : 1).join('/');
    counts[layer] = (counts[layer] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).sort((x, y) => y[1] - x[1]));
}

export async function coldImportBenchmarks(emit: (r: BenchResult) => void): Promise<void> {
  // Warm-up: the OS file cache, so the first measured run does not read the disk.
  await coldImport('floor');
  await coldImport('app');
  const floor: ColdImport[] = [];
  const app: ColdImport[] = [];
  for (let i = 0; i < RUNS; i++) {
    floor.push(await coldImport('floor'));
    app.push(await coldImport('app'));
  }
  const first = (runs: ColdImport[]): ColdImport => runs[0] as ColdImport;
  const { p50: floorP50 } = summary(floor.map((r) => r.ms));
  const { p50: appP50 } = summary(app.map((r) => r.ms));
  const floorPackages = new Set(first(floor).packages);
  emit({
    bench: 'coldImport',
    runs: RUNS,
    floor: { what: '@azure/functions + durable-functions + zod (functions-core stand-in)', importMs: summary(floor.map((r) => r.ms)), processMs: summary(floor.map((r) => r.processMs)), modules: first(floor).modules },
    app: { what: 'package.json "main" entry files via the dev host loader', importMs: summary(app.map((r) => r.ms)), processMs: summary(app.map((r) => r.processMs)), modules: first(app).modules },
    ratioP50: round(appP50 / floorP50),
    overFloorP50Ms: round(appP50 - floorP50),
    functionsRegistered: first(app).functions,
    packagesBeyondFloor: first(app).packages.filter((p) => !floorPackages.has(p)),
    ownModulesByLayer: byLayer(first(app).own),
    lazySdksLoaded: [...new Set(app.flatMap((r) => lazySdksIn(r.packages)))],
    goals: [goal('cold import of the app / framework floor (@azure/functions + durable-functions + zod), p50', '≤ 1.2', `${round(appP50 / floorP50)} (${round(appP50)} / ${round(floorP50)} ms)`, appP50 / floorP50 <= 1.2)],
  });
}
