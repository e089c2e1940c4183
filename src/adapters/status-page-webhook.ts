/**
 * The status page as a signed outbound webhook (README "Status page webhook"): each update is one
 * POST of a JSON body with
 *
 *   X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 *   Idempotency-Key: <the same for every attempt of one update>
 *
 * A receiver recomputes the HMAC over the raw bytes it received (before parsing), compares in
 * constant time, and refuses a timestamp outside its replay window (5 minutes either way), so a
 * captured request cannot be replayed later and a changed body does not verify.
 * `verifyStatusPageSignature` below is that check, for receivers written in TypeScript and for
 * the tests.
 *
 * Every request has a timeout; 408, 429, 5xx, timeouts and dropped connections are retried with
 * backoff (Retry-After honoured) until the caller's deadline; any other 4xx is final.
 */
import { errorText } from '../domain/errors.js';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { StatusPageSettings } from '../config/status-page.js';
import type { StatusPageUpdate } from '../domain/communications.js';
import { StatusPageError, type StatusPagePort, type StatusPagePublished } from '../ports/status-page.js';

export const SIGNATURE_HEADER = 'x-signature';
export const IDEMPOTENCY_HEADER = 'idempotency-key';
/** How far a signature's timestamp may be from the receiver's clock (either way). */
export const REPLAY_WINDOW_S = 300;

export function signStatusPageBody(secret: string, rawBody: string, timestampS: number): string {
  const mac = createHmac('sha256', secret).update(`${timestampS}.${rawBody}`, 'utf8').digest('hex');
  return `t=${timestampS},v1=${mac}`;
}

export type Verification = { ok: true; timestampS: number } | { ok: false; reason: 'malformed' | 'stale' | 'mismatch' };

/** The receiver's check: the header's HMAC over the raw body, and its timestamp within the replay window of `nowS`. */
export function verifyStatusPageSignature(secret: string, header: string | null | undefined, rawBody: string, nowS: number, windowS = REPLAY_WINDOW_S): Verification {
  const parts = new Map((header ?? '').split(',').map((p) => p.trim().split('=', 2) as [string, string | undefined]));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1') ?? '';
  if (!Number.isInteger(t) || !/^[0-9a-f]{64}$/.test(v1)) return { ok: false, reason: 'malformed' };
  if (Math.abs(nowS - t) > windowS) return { ok: false, reason: 'stale' };
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${rawBody}`, 'utf8').digest('hex'), 'utf8');
  return timingSafeEqual(expected, Buffer.from(v1, 'utf8')) ? { ok: true, timestampS: t } : { ok: false, reason: 'mismatch' };
}

export interface WebhookOptions {
  /** The wall clock (signature timestamps, deadlines). */
  now?: () => number;
  /** First retry wait; doubles up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

const RETRYABLE = (status: number): boolean => status === 408 || status === 429 || status >= 500;

function retryAfterMs(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  const s = Number(value);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export class WebhookStatusPage implements StatusPagePort {
  private readonly now: () => number;

  constructor(
    private readonly settings: StatusPageSettings,
    private readonly o: WebhookOptions = {},
  ) {
    this.now = o.now ?? Date.now;
  }

  async publish(update: StatusPageUpdate, options: { idempotencyKey: string; deadline: number }): Promise<StatusPagePublished> {
    const body = JSON.stringify(update);
    let wait = this.o.backoffMs ?? 500;
    let attempts = 0;
    let last = '';
    let lastStatus: number | undefined;
    for (;;) {
      const left = options.deadline - this.now();
      if (left <= 0) break;
      attempts += 1;
      let retryAfter: number | undefined;
      try {
        // Signed per attempt: a retry minutes later still falls inside the receiver's replay window.
        const res = await fetch(this.settings.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            [SIGNATURE_HEADER]: signStatusPageBody(this.settings.secret, body, Math.floor(this.now() / 1000)),
            [IDEMPOTENCY_HEADER]: options.idempotencyKey,
            'user-agent': 'incident-autopilot-status-page/1',
          },
          body,
          signal: AbortSignal.timeout(Math.min(this.settings.timeoutMs, left)),
        });
        // The body is not needed; reading it frees the connection.
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return { status: res.status, attempts };
        lastStatus = res.status;
        last = `the receiver answered ${res.status}`;
        if (!RETRYABLE(res.status)) throw new StatusPageError('rejected', `Status page update refused: ${last}.`, { status: res.status, attempts });
        retryAfter = retryAfterMs(res.headers.get('retry-after'), this.now());
      } catch (err) {
        if (err instanceof StatusPageError) throw err;
        // A timeout or a dropped connection: the update may have arrived; the idempotency key makes the retry safe.
        last = err instanceof Error && err.name === 'TimeoutError' ? `no answer within ${this.settings.timeoutMs} ms` : `the connection failed (${errorText(err)})`;
      }
      const pause = Math.min(retryAfter ?? wait, this.o.maxBackoffMs ?? 8_000);
      if (this.now() + pause >= options.deadline) break;
      await new Promise((r) => setTimeout(r, pause));
      wait = Math.min(wait * 2, this.o.maxBackoffMs ?? 8_000);
    }
    throw new StatusPageError('deadline', `Status page update not delivered before its deadline after ${attempts} attempt(s)${last ? `: ${last}` : ''}.`, { ...(lastStatus !== undefined ? { status: lastStatus } : {}), attempts });
  }
}
