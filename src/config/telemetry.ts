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

export interface CanarySettings {
  /** The hourly canary checks (CANARY_ENABLED, default true; the sample local settings turn it off). */
  enabled: boolean;
  /** Announce the delegated Teams sign-in this many days before it stops working (TEAMS_SIGNIN_WARN_DAYS, default 7). */
  warnDays: number;
  /** The tenant's maximum sign-in age in days, when a Conditional Access sign-in frequency sets one (TEAMS_SIGNIN_MAX_AGE_DAYS). */
  maxAgeDays: number | null;
}

function days(value: string | undefined, name: string, issues: Issue[]): number | null {
  const raw = value?.trim();
  if (!raw) return null;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 365) {
    issues.push({ path: name, code: 'invalid', message: 'must be a whole number of days from 1 to 365' });
    return null;
  }
  return n;
}

export function readCanarySettings(env: NodeJS.ProcessEnv): { ok: true; settings: CanarySettings } | { ok: false; issues: Issue[] } {
  const issues: Issue[] = [];
  const warnDays = days(env.TEAMS_SIGNIN_WARN_DAYS, 'TEAMS_SIGNIN_WARN_DAYS', issues) ?? 7;
  const maxAgeDays = days(env.TEAMS_SIGNIN_MAX_AGE_DAYS, 'TEAMS_SIGNIN_MAX_AGE_DAYS', issues);
  const flag = env.CANARY_ENABLED?.trim().toLowerCase();
  if (flag && !['true', 'false', '1', '0'].includes(flag)) issues.push({ path: 'CANARY_ENABLED', code: 'invalid', message: 'must be true or false' });
  const enabled = flag !== 'false' && flag !== '0';
  return issues.length ? { ok: false, issues } : { ok: true, settings: { enabled, warnDays, maxAgeDays } };
}
