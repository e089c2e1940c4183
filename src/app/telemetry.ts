/**
 * The app's telemetry, composed at start-up: OpenTelemetry to Application Insights when
 * APPLICATIONINSIGHTS_CONNECTION_STRING is set (the SDKs load then, not otherwise), else the
 * in-memory summary the dev host prints; and the invocation hook that opens one span per
 * function invocation (src/app/telemetry-hooks.ts).
 */
import type { app as functionsApp } from '@azure/functions';
import { startTelemetry, telemetry } from '../adapters/telemetry.js';
import { appSettings, type AppSettings } from './settings.js';
import { registerTelemetryHooks, type Hooks } from './telemetry-hooks.js';

export { telemetry };

export function startAppTelemetry(hook: (typeof functionsApp)['hook'], settings: AppSettings = appSettings()): void {
  startTelemetry(settings.telemetry);
  registerTelemetryHooks(hook as unknown as Hooks, telemetry);
}
