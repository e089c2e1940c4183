/**
 * The app's telemetry, composed at start-up: OpenTelemetry to Application Insights when
 * APPLICATIONINSIGHTS_CONNECTION_STRING is set (the SDKs load then, not otherwise), else the
 * in-memory summary the dev host prints; and the invocation hook that opens one span per
 * function invocation (src/app/telemetry-hooks.ts).
 *
 * Loaded by the hooks that ./telemetry-wiring.ts registers, when the app starts, not when the
 * Functions worker loads the entry files: the settings, the adapter and the catalogue of metric
 * names are no part of a cold import.
 */
import { startTelemetry, telemetry } from '../adapters/telemetry.js';
import { appSettings, type AppSettings } from './settings.js';
import { wrapInvocation, type PreInvocation } from './telemetry-hooks.js';

export { telemetry };

/** The appStart hook's work: telemetry from the app settings (read now, once per process). */
export function startAppTelemetry(settings: AppSettings = appSettings()): void {
  startTelemetry(settings.telemetry);
}

/** The preInvocation hook's work: the invocation's span around its handler. */
export function traceInvocation(c: PreInvocation): void {
  wrapInvocation(c, telemetry);
}

/** The appTerminate hook's work: what is still buffered goes out. */
export function flushTelemetry(): Promise<void> {
  return telemetry().flush();
}
