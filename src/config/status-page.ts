/**
 * The status page webhook's settings (README "Status page webhook"):
 *
 *   STATUS_PAGE_WEBHOOK_URL         where the updates are POSTed: https (http only to a loopback
 *                                   address, for local receivers and tests). Unset: no status page.
 *   STATUS_PAGE_WEBHOOK_SECRET      the HMAC-SHA256 key the body is signed with (at least 32
 *                                   characters; in Azure a Key Vault reference). Required with the URL.
 *   STATUS_PAGE_WEBHOOK_TIMEOUT_MS  one request's upper bound (default 10000).
 *
 * The address and the secret are settings, not policy: the policy names the component only.
 */
import type { Issue } from './issues.js';

export interface StatusPageSettings {
  url: string;
  secret: string;
  timeoutMs: number;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function readStatusPageSettings(env: NodeJS.ProcessEnv): { ok: true; settings: StatusPageSettings | null } | { ok: false; issues: Issue[] } {
  const raw = env.STATUS_PAGE_WEBHOOK_URL?.trim();
  const secret = env.STATUS_PAGE_WEBHOOK_SECRET?.trim() ?? '';
  const issues: Issue[] = [];
  if (!raw) {
    if (secret) issues.push({ path: 'STATUS_PAGE_WEBHOOK_URL', code: 'missing', message: 'is not set but STATUS_PAGE_WEBHOOK_SECRET is: set both, or neither' });
    return issues.length ? { ok: false, issues } : { ok: true, settings: null };
  }
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    issues.push({ path: 'STATUS_PAGE_WEBHOOK_URL', code: 'invalid', message: 'must be an absolute https URL' });
  }
  if (url && !(url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname)))) {
    issues.push({ path: 'STATUS_PAGE_WEBHOOK_URL', code: 'invalid', message: 'must be https (http only to a loopback address)' });
  }
  if (url && (url.username || url.password)) issues.push({ path: 'STATUS_PAGE_WEBHOOK_URL', code: 'invalid', message: 'must not carry credentials: the body is signed with STATUS_PAGE_WEBHOOK_SECRET' });
  if (secret.length < 32) issues.push({ path: 'STATUS_PAGE_WEBHOOK_SECRET', code: secret ? 'invalid' : 'missing', message: 'must be set with the URL: at least 32 characters (a Key Vault reference in Azure)' });
  const t = env.STATUS_PAGE_WEBHOOK_TIMEOUT_MS?.trim();
  const timeoutMs = t ? Number(t) : 10_000;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 60_000) issues.push({ path: 'STATUS_PAGE_WEBHOOK_TIMEOUT_MS', code: 'invalid', message: 'must be a whole number of milliseconds from 100 to 60000' });
  if (issues.length || !url) return { ok: false, issues };
  return { ok: true, settings: { url: url.toString(), secret, timeoutMs } };
}
