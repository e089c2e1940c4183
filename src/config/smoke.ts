/**
 * Settings of the smoke probes (App Settings in Azure). Probes go only to the hosts the current
 * policy's endpoints name (every service's baseUrl, instances and webBaseUrl); one setting widens
 * that:
 *   SMOKE_ALLOWED_HOSTS  optional; comma-separated host names or "*.suffix" patterns probes may
 *                        reach as well. Nothing else is probed: not a host a running incident's
 *                        snapshot names after the policy dropped it, not a target handed to the
 *                        smoke suite by anything but the policy (the function app's probes, and
 *                        their credentials, go nowhere the deployed policy does not send them).
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
  /** Hosts (and "*.suffix" patterns) probes may reach: the policy's, then SMOKE_ALLOWED_HOSTS. */
  allowedHosts: string[];
  /** Why the policy named no hosts, when it could not be read. */
  policyProblem: string | null;
  /** The value of a SMOKE_* credential setting, or undefined when unset or empty. */
  secret(name: string): string | undefined;
}

export type SmokeSettingsResult = { ok: true; settings: SmokeSettings } | { ok: false; issues: Issue[] };

/** The hosts the policy's endpoints name, or why there are none (the policy cannot be read). */
export interface PolicyHosts {
  hosts: string[];
  problem: string | null;
}

export function readSmokeSettings(env: NodeJS.ProcessEnv, policy: PolicyHosts = { hosts: [], problem: null }): SmokeSettingsResult {
  const parsed = schema.safeParse(env);
  if (!parsed.success) return { ok: false, issues: toIssues(parsed.error) };
  return {
    ok: true,
    settings: {
      allowedHosts: [...new Set([...policy.hosts.map((h) => h.toLowerCase()), ...(parsed.data.SMOKE_ALLOWED_HOSTS ?? [])])],
      policyProblem: policy.problem,
      secret: (name) => {
        if (!/^SMOKE_[A-Z0-9_]{1,64}$/.test(name)) return undefined;
        const value = env[name];
        return value === undefined || value.trim() === '' ? undefined : value.trim();
      },
    },
  };
}

/** Whether a host is allowed by the patterns ("api.contoso.com", "*.azurewebsites.net"). */
export function hostAllowed(host: string, patterns: readonly string[]): boolean {
  const h = host.toLowerCase();
  return patterns.some((p) => (p.startsWith('*.') ? h.endsWith(p.slice(1)) && h.length > p.length - 1 : h === p));
}
