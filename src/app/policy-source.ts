/**
 * Where the running app gets its policy: the POLICY_JSON setting (the document itself, e.g. from a
 * Key Vault reference) or POLICY_PATH (a file, relative to the app's root), as the app's settings
 * say (src/app/settings.ts). Parsed once and cached; a file is re-read when it changes, so a local
 * edit applies without a restart.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { PolicyError, parsePolicyText, type Policy } from '../config/policy.js';
import type { PolicyHosts } from '../config/smoke.js';
import { smokeTargetsOf } from '../domain/smoke-plan.js';
import { appSettings, type PolicySource } from './settings.js';

export { APP_ROOT } from './settings.js';

let cache: { key: string; policy: Policy } | undefined;

/** The current policy; throws PolicyError (with every problem) when it is missing or invalid. */
export function loadPolicy(location: PolicySource = appSettings().policy): Policy {
  if (location.kind === 'none') {
    throw new PolicyError('No policy is configured: set POLICY_PATH (a file) or POLICY_JSON (the document).', []);
  }
  if (location.kind === 'inline') {
    const text = location.text;
    // The whole text decides: two documents that differ only in the middle (the lab's ports) are two policies.
    const key = `inline:${createHash('sha256').update(text).digest('hex')}`;
    if (cache?.key !== key) cache = { key, policy: parsePolicyText(text, 'POLICY_JSON') };
    return cache.policy;
  }
  let stamp: string;
  try {
    const s = statSync(location.where);
    stamp = `${s.mtimeMs}:${s.size}`;
  } catch {
    throw new PolicyError(`The policy file ${location.where} (POLICY_PATH) does not exist.`, []);
  }
  const key = `file:${location.where}:${stamp}`;
  if (cache?.key !== key) cache = { key, policy: parsePolicyText(readFileSync(location.where, 'utf8'), location.where) };
  return cache.policy;
}

/** For tests that switch policies within one process. */
export function forgetPolicy(): void {
  cache = undefined;
}

/**
 * One line for the app's start: null when the policy loads, else what is wrong with it (every
 * problem, with its path). Said at start so that a broken policy is seen before the first alert
 * is answered 503 (the Functions host's log in Azure; the console on the dev host).
 */
export function policyProblemAtStart(location: PolicySource = appSettings().policy): string | null {
  try {
    loadPolicy(location);
    return null;
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err;
    const where = location.kind === 'none' ? 'no POLICY_PATH or POLICY_JSON' : location.where;
    return `The incident policy is broken (${where}): alerts will be archived, listed as unmatched and answered 503 until it is fixed.\n${err.message}`;
  }
}

/** The hosts smoke probes may reach by the current policy: those its services' endpoints name. */
export function policySmokeHosts(location: PolicySource = appSettings().policy): PolicyHosts {
  let policy: Policy;
  try {
    policy = loadPolicy(location);
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err;
    return { hosts: [], problem: err.message.split('\n')[0] ?? 'invalid' };
  }
  const hosts = new Set<string>();
  for (const s of policy.services) {
    if (!s.endpoints) continue;
    for (const t of smokeTargetsOf(s.endpoints)) hosts.add(new URL(t.baseUrl).hostname.toLowerCase());
  }
  return { hosts: [...hosts], problem: null };
}
