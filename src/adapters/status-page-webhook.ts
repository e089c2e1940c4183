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
 * backoff (Retry-After honoured) until the caller's deadline; any other answer is final (redirects
 * are not followed).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { errorText, TransientError } from '../domain/errors.js';
import type { StatusPageSettings } from '../config/status-page.js';
import type { StatusPageUpdate } from '../domain/communications.js';
import { StatusPageError, type StatusPagePort, type StatusPagePublished } from '../ports/status-page.js';
import { fetchBounded, isRetryableStatus, parseRetryAfter } from './http-bounded.js';

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

/** A receiver's answer is not needed: at most this much of it is read (a misbehaving one cannot make us buffer more). */
const MAX_ANSWER_BYTES = 64 * 1024;

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
      const timeoutMs = Math.min(this.settings.timeoutMs, left);
      try {
        // Signed per attempt: a retry minutes later still falls inside the receiver's replay window.
        // fetchBounded: the timeout covers the whole exchange, redirects are not followed, the answer is bounded.
        const res = await fetchBounded(this.settings.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            [SIGNATURE_HEADER]: signStatusPageBody(this.settings.secret, body, Math.floor(this.now() / 1000)),
            [IDEMPOTENCY_HEADER]: options.idempotencyKey,
            'user-agent': 'incident-autopilot-status-page/1',
          },
          body,
          timeoutMs,
          maxBytes: MAX_ANSWER_BYTES,
        });
        if (res.status >= 200 && res.status < 300) return { status: res.status, attempts };
        lastStatus = res.status;
        last = `the receiver answered ${res.status}`;
        if (!isRetryableStatus(res.status)) throw new StatusPageError('rejected', `Status page update refused: ${last}.`, { status: res.status, attempts });
        retryAfter = parseRetryAfter(res.headers.get('retry-after'), this.now());
      } catch (err) {
        if (err instanceof StatusPageError) throw err;
        // A timeout, a dropped connection or an oversized answer: the update may have arrived; the idempotency key makes the retry safe.
        const timedOut = err instanceof TransientError && (err.cause as { name?: unknown } | undefined)?.name === 'TimeoutError';
        last = !timedOut
          ? errorText(err)
          : `no answer within ${this.settings.timeoutMs} ms${timeoutMs < this.settings.timeoutMs ? ` (the last attempt had the ${timeoutMs} ms left before the deadline)` : ''}`;
      }
      const pause = Math.min(retryAfter ?? wait, this.o.maxBackoffMs ?? 8_000);
      if (this.now() + pause >= options.deadline) break;
      await new Promise((r) => setTimeout(r, pause));
      wait = Math.min(wait * 2, this.o.maxBackoffMs ?? 8_000);
    }
    throw new StatusPageError('deadline', `Status page update not delivered before its deadline after ${attempts} attempt(s)${last ? `: ${last}` : ''}.`, { ...(lastStatus !== undefined ? { status: lastStatus } : {}), attempts });
  }
}
