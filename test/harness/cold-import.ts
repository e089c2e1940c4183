/**
 * The app's cold import, each in a fresh `node` process (test/fixtures/cold-import/probe.js): the
 * framework floor (@azure/functions and durable-functions alone) or every entry file of the
 * product app loaded as the dev host loads it. Needs `npm run build` (it loads dist/).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { repoRoot } from './devhost.js';

/**
 * SDKs that only an activity or a trigger's work needs: the adapters load them on first use
 * (src/adapters/lazy.ts), so none may be loaded by importing the app. @azure/core-rest-pipeline is
 * the HTTP stack every Azure SDK client shares: loaded, it means some Azure SDK came with it.
 */
export const LAZY_SDKS = [
  '@azure-rest/core-client',
  '@azure/arm-appservice',
  '@azure/core-rest-pipeline',
  '@azure/data-tables',
  '@azure/identity',
  '@azure/monitor-query-logs',
  '@azure/monitor-query-metrics',
  '@azure/monitor-opentelemetry',
  '@azure/storage-blob',
  '@microsoft/microsoft-graph-client',
  'jose',
  'mssql',
  // The OpenTelemetry SDKs: loaded only when APPLICATIONINSIGHTS_CONNECTION_STRING is set
  // (src/adapters/telemetry.ts). The API (@opentelemetry/api) is not here: the framework floor loads it.
  '@opentelemetry/sdk-metrics',
  '@opentelemetry/sdk-node',
  '@opentelemetry/sdk-trace-base',
  'playwright-core',
  'tedious',
] as const;

export interface ColdImport {
  mode: 'floor' | 'app' | 'started';
  /** Time of the import itself, inside the child. */
  ms: number;
  /** From spawning the process to its exit (Node's own start-up included). */
  processMs: number;
  functions: number;
  modules: number;
  packages: string[];
  /** The app's own modules loaded, as paths under its root (`dist/functions/alerts.js`, ...). */
  own: string[];
}

/** "started": the app, then its appStart hooks (`ms` covers both). `appRoot`: the app to load in "app" mode (default: the product); `env`: settings the load sees. */
export function coldImport(mode: 'floor' | 'app' | 'started', appRoot = repoRoot, env: Record<string, string> = {}): Promise<ColdImport> {
  const probe = path.join(repoRoot, 'test', 'fixtures', 'cold-import', 'probe.js');
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    // A bare environment: nothing the parent set (a test host's settings, a loader) leaks in.
    execFile(process.execPath, [probe, mode, appRoot], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const processMs = performance.now() - t0;
      if (err) return reject(new Error(`cold import (${mode}) failed: ${stderr || err.message}`));
      resolve({ ...(JSON.parse(stdout) as Omit<ColdImport, 'processMs'>), processMs });
    });
  });
}

/** The lazily loaded SDKs among `packages`. */
export function lazySdksIn(packages: string[]): string[] {
  return packages.filter((p) => (LAZY_SDKS as readonly string[]).includes(p));
}
