/**
 * Telemetry settings. The connection string turns on OpenTelemetry to Application Insights; the
 * authentication string says which identity sends it (local authentication is off on the
 * component the template deploys). Both are the settings the Functions host reads too.
 */
import type { Issue } from './issues.js';

export interface TelemetrySettings {
  /** Null: telemetry stays in the process (the dev host prints a summary). */
  connectionString: string | null;
  /** Entra-authenticated ingestion: the managed identity's client id (null: the system-assigned one). */
  entra: { clientId: string | null } | null;
}

/**
 * `Authorization=AAD;ClientId=<guid>` (App Service's format): ingestion with a managed identity
 * token. Anything else is refused by name rather than silently sent without authentication,
 * which a component with local authentication off would drop.
 */
export function parseAuthenticationString(text: string): { ok: true; clientId: string | null } | { ok: false; issue: Issue } {
  const parts = new Map(
    text
      .split(';')
      .map((p) => p.trim())
      .filter(Boolean)
      .map((p) => {
        const i = p.indexOf('=');
        return [p.slice(0, i < 0 ? p.length : i).trim().toLowerCase(), i < 0 ? '' : p.slice(i + 1).trim()] as const;
      }),
  );
  if ((parts.get('authorization') ?? '').toUpperCase() !== 'AAD') {
    return { ok: false, issue: { path: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', code: 'invalid', message: 'must be "Authorization=AAD" (optionally ";ClientId=<managed identity client id>")' } };
  }
  return { ok: true, clientId: parts.get('clientid') || null };
}

export function readTelemetrySettings(env: NodeJS.ProcessEnv): { ok: true; settings: TelemetrySettings } | { ok: false; issues: Issue[] } {
  const connectionString = env.APPLICATIONINSIGHTS_CONNECTION_STRING?.trim() || null;
  const auth = env.APPLICATIONINSIGHTS_AUTHENTICATION_STRING?.trim();
  if (!auth) return { ok: true, settings: { connectionString, entra: null } };
  const parsed = parseAuthenticationString(auth);
  if (!parsed.ok) return { ok: false, issues: [parsed.issue] };
  return { ok: true, settings: { connectionString, entra: { clientId: parsed.clientId } } };
}
