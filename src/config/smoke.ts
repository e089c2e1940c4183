/**
 * Settings of the smoke probes (App Settings in Azure). Only one is structural:
 *   SMOKE_ALLOWED_HOSTS  optional; comma-separated host names or "*.suffix" patterns. When set, a
 *                        probe to any other host is refused (a guard against a policy typo or an
 *                        edited policy aiming the function app's probes, and credentials, elsewhere).
 * Credentials for probing are App Settings named SMOKE_* too (e.g. SMOKE_API_TOKEN, usually a Key
 * Vault reference); a target's `auth` names the setting, and its value is read at run time and
 * never echoed.
 */
import { z } from 'zod';
import { toIssues, type Issue } from './issues.js';

const HostPattern = z
  .string()
  .regex(/^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$|^\[[0-9a-f:]+\]$/, 'must be a host name, "*.suffix" or a bracketed IPv6 address');

const schema = z.object({
  SMOKE_ALLOWED_HOSTS: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' ? v.split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== '') : undefined),
    z.array(HostPattern).max(200).optional(),
  ),
});

export interface SmokeSettings {
  /** null: any host may be probed. */
  allowedHosts: string[] | null;
  /** The value of a SMOKE_* credential setting, or undefined when unset or empty. */
  secret(name: string): string | undefined;
}

export type SmokeSettingsResult = { ok: true; settings: SmokeSettings } | { ok: false; issues: Issue[] };

export function readSmokeSettings(env: NodeJS.ProcessEnv = process.env): SmokeSettingsResult {
  const parsed = schema.safeParse(env);
  if (!parsed.success) return { ok: false, issues: toIssues(parsed.error) };
  return {
    ok: true,
    settings: {
      allowedHosts: parsed.data.SMOKE_ALLOWED_HOSTS ?? null,
      secret: (name) => {
        if (!/^SMOKE_[A-Z0-9_]{1,64}$/.test(name)) return undefined;
        const value = env[name];
        return value === undefined || value.trim() === '' ? undefined : value.trim();
      },
    },
  };
}

/** Whether a host is allowed by the patterns ("api.contoso.com", "*.azurewebsites.net"). */
export function hostAllowed(host: string, patterns: readonly string[] | null): boolean {
  if (patterns === null) return true;
  const h = host.toLowerCase();
  return patterns.some((p) => (p.startsWith('*.') ? h.endsWith(p.slice(1)) && h.length > p.length - 1 : h === p));
}
