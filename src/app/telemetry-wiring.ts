/**
 * Where the app's telemetry plugs into the Functions worker (functions/telemetry.ts), with nothing
 * loaded but this file: the hooks are registered when the entry files load, and what they run
 * (./telemetry.ts: the settings, the adapter, the span hook) loads in the appStart hook. The
 * worker runs appStart before it dispatches any invocation (the dev host too: src/devhost/host.ts),
 * so telemetry has started before the first invocation, and every invocation's preInvocation hook
 * wraps its handler in a span. The hook awaits the same load (settled after appStart), so it holds
 * even for an invocation dispatched without an appStart first, as a test harness may do.
 */
import type { app as functionsApp } from '@azure/functions';
import { errorText } from '../domain/errors.js';
import { loadOnce } from '../domain/load-once.js';
import type { Hooks } from './telemetry-hooks.js';

type Wiring = typeof import('./telemetry.js');

/** `load`: how the telemetry code is brought in (a test gives one that fails). */
export function wireAppTelemetry(hook: (typeof functionsApp)['hook'] | Hooks, load: () => Promise<Wiring> = () => import('./telemetry.js')): void {
  // A failed load is tried again by the next hook rather than remembered.
  const wiring = loadOnce(load);
  const hooks = hook as unknown as Hooks;
  hooks.appStart(async () => (await wiring()).startAppTelemetry());
  hooks.preInvocation(async (c) => {
    // Telemetry never stands between an alert and the incident: when its code does not load, the
    // invocation runs without its span (and says why in its log), and the next one tries again.
    let loaded: Wiring;
    try {
      loaded = await wiring();
    } catch (err) {
      c.invocationContext.error(`Telemetry did not load (${errorText(err)}); this invocation runs without its span.`);
      return;
    }
    loaded.traceInvocation(c);
  });
  hooks.appTerminate(async () => (await wiring()).flushTelemetry());
}
