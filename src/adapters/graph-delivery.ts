/**
 * Delivery to Graph under its throttling rules, bounded by the caller's deadline.
 *
 * - One FIFO lane per channel: a message is sent only after the previous one of the same channel
 *   was delivered (or given up), so the thread reads in order even while Graph throttles.
 * - Spacing: at most 4 requests per second per lane (250 ms apart) and, for channel posts, 2 per
 *   second per app per tenant (500 ms apart across all lanes): Graph's published limits for
 *   POST channel message. Messages wait; none is dropped.
 * - 429: wait `Retry-After` (seconds or HTTP date) and pause the lane and the tenant gate for that
 *   long, since the throttle may be either limit. 502/503/504 and transport errors: exponential
 *   backoff with jitter (or Retry-After when given). Other 4xx: fail at once (retrying will not help).
 * - Ambiguous failures (a timeout or a dropped connection after the request was sent) may have
 *   posted: the caller's `reconcile` looks for the message before the next attempt.
 * - Everything gives up when the deadline would pass, without sleeping past it.
 *
 * This replaces the Graph client's RetryHandler (our client is built without it, see
 * graph-client.ts): that handler retries 429/503/504 up to 3 times on its own clock and knows
 * nothing about the deadline or the other messages of the channel, and stacked on this loop it
 * would multiply attempts.
 *
 * Spacing is per process. Several Functions instances each keep their own gates; Graph's 429s
 * (honoured here) are what keeps them within the tenant limit together.
 */
import { ATTR } from '../domain/telemetry.js';
import { telemetry } from './telemetry.js';
import { errorText } from '../domain/errors.js';

export interface DeliveryClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realDeliveryClock: DeliveryClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export type Classified =
  | { retry: 'throttled'; afterMs: number | undefined; status: number }
  | { retry: 'transient'; afterMs: number | undefined; status: number | undefined }
  | { retry: 'ambiguous'; status: undefined }
  | { retry: false; status: number | undefined };

export interface DeliveryEvent {
  lane: string;
  attempt: number;
  /** Clock time the request was sent, or the failure observed. */
  at: number;
  outcome: 'sent' | 'delivered' | 'throttled' | 'transient' | 'ambiguous' | 'failed' | 'reconciled';
  status?: number;
  waitMs?: number;
}

export interface DeliveryQueueOptions {
  clock?: DeliveryClock;
  laneIntervalMs?: number;
  tenantIntervalMs?: number;
  backoff?: { firstMs: number; factor: number; maxMs: number };
  /** Observes every attempt (logs, tests). */
  onEvent?: (event: DeliveryEvent) => void;
  random?: () => number;
}

export interface RunOptions<T> {
  /** Epoch ms (on the queue's clock). */
  deadline: number;
  /** Upper bound of one request; the remaining time to the deadline bounds it further. */
  timeoutMs: number;
  /** Counts against the app-wide channel-post rate (2 rps per app per tenant). */
  tenantGate: boolean;
  classify: (err: unknown) => Classified;
  /** After an ambiguous failure: the message if it did arrive, undefined to send again. */
  reconcile?: () => Promise<T | undefined>;
}

export interface RunResult<T> {
  value: T;
  attempts: number;
  throttled: number;
}

export class DeadlineExceededError extends Error {
  override name = 'DeadlineExceededError';
  constructor(
    message: string,
    readonly attempts: number,
    readonly throttled: number,
    readonly lastStatus: number | undefined,
  ) {
    super(message);
  }
}

/** Graph refused the request for good (a 4xx other than 429, or an unexpected error). */
export class DeliveryRejectedError extends Error {
  override name = 'DeliveryRejectedError';
  constructor(
    readonly reason: unknown,
    readonly attempts: number,
    readonly throttled: number,
    readonly status: number | undefined,
  ) {
    super(errorText(reason));
  }
}

export const CHANNEL_LANE_INTERVAL_MS = 250;
export const TENANT_CHANNEL_POST_INTERVAL_MS = 500;

export class DeliveryQueue {
  private readonly clock: DeliveryClock;
  private readonly laneInterval: number;
  private readonly tenantInterval: number;
  private readonly backoff: { firstMs: number; factor: number; maxMs: number };
  private readonly random: () => number;
  private readonly lanes = new Map<string, Promise<unknown>>();
  private readonly laneNext = new Map<string, number>();
  private tenantNext = 0;

  constructor(private readonly o: DeliveryQueueOptions = {}) {
    this.clock = o.clock ?? realDeliveryClock;
    this.laneInterval = o.laneIntervalMs ?? CHANNEL_LANE_INTERVAL_MS;
    this.tenantInterval = o.tenantIntervalMs ?? TENANT_CHANNEL_POST_INTERVAL_MS;
    this.backoff = o.backoff ?? { firstMs: 1000, factor: 2, maxMs: 30_000 };
    this.random = o.random ?? Math.random;
  }

  /** Runs `send` in `lane` after everything queued before it in that lane. */
  run<T>(lane: string, send: (attempt: { signal: AbortSignal; attempt: number }) => Promise<T>, options: RunOptions<T>): Promise<RunResult<T>> {
    const previous = this.lanes.get(lane) ?? Promise.resolve();
    const mine = previous.then(() => this.deliver(lane, send, options));
    const tail = mine.then(
      () => undefined,
      () => undefined,
    );
    this.lanes.set(lane, tail);
    void tail.then(() => {
      if (this.lanes.get(lane) === tail) this.lanes.delete(lane);
    });
    return mine;
  }

  /** Messages waiting or in flight per lane (for logs). */
  get busyLanes(): number {
    return this.lanes.size;
  }

  private emit(event: DeliveryEvent): void {
    this.o.onEvent?.(event);
  }

  /** Waits for the lane's (and the tenant's) next slot and takes it; answers the slot's time. */
  private async waitTurn(lane: string, tenantGate: boolean, deadline: number, state: { attempts: number; throttled: number; lastStatus?: number }): Promise<number> {
    for (;;) {
      const now = this.clock.now();
      const wait = Math.max(0, (this.laneNext.get(lane) ?? 0) - now, tenantGate ? this.tenantNext - now : 0);
      if (wait === 0) {
        // Reserve the slot before any await, so concurrent lanes see it.
        this.laneNext.set(lane, now + this.laneInterval);
        if (tenantGate) this.tenantNext = now + this.tenantInterval;
        return now;
      }
      if (now + wait >= deadline) throw this.deadlineError(lane, deadline, state);
      await this.clock.sleep(wait);
    }
  }

  private deadlineError(lane: string, deadline: number, s: { attempts: number; throttled: number; lastStatus?: number }): DeadlineExceededError {
    const last = s.lastStatus !== undefined ? `; last answer HTTP ${s.lastStatus}` : '';
    return new DeadlineExceededError(
      `Not delivered to ${lane} before the deadline ${new Date(deadline).toISOString()} (${s.attempts} attempt(s), ${s.throttled} throttled${last}).`,
      s.attempts,
      s.throttled,
      s.lastStatus,
    );
  }

  private pause(lane: string, tenantGate: boolean, until: number): void {
    this.laneNext.set(lane, Math.max(this.laneNext.get(lane) ?? 0, until));
    if (tenantGate) this.tenantNext = Math.max(this.tenantNext, until);
  }

  private backoffMs(retry: number): number {
    const base = Math.min(this.backoff.maxMs, this.backoff.firstMs * this.backoff.factor ** Math.max(0, retry - 1));
    // Full jitter on the upper half: spreads instances out without ever retrying instantly.
    return Math.round(base / 2 + (this.random() * base) / 2);
  }

  /** One message to its end, counted in `autopilot.teams.deliveries` by how it ended. */
  private async deliver<T>(
    lane: string,
    send: (attempt: { signal: AbortSignal; attempt: number }) => Promise<T>,
    o: RunOptions<T>,
  ): Promise<RunResult<T>> {
    const operation = o.tenantGate ? 'channel-message' : 'activity-notification';
    const outcome = { value: 'delivered' };
    try {
      return await this.attempts(lane, send, o, operation, outcome);
    } catch (err) {
      outcome.value = err instanceof DeadlineExceededError ? 'deadline' : 'rejected';
      throw err;
    } finally {
      telemetry().count('teamsDeliveries', { [ATTR.operation]: operation, [ATTR.outcome]: outcome.value });
    }
  }

  private async attempts<T>(
    lane: string,
    send: (attempt: { signal: AbortSignal; attempt: number }) => Promise<T>,
    o: RunOptions<T>,
    operation: string,
    outcome: { value: string },
  ): Promise<RunResult<T>> {
    const state: { attempts: number; throttled: number; lastStatus?: number; transient: number } = { attempts: 0, throttled: 0, transient: 0 };
    let checkFirst = false;
    for (;;) {
      if (this.clock.now() >= o.deadline) throw this.deadlineError(lane, o.deadline, state);
      if (checkFirst && o.reconcile) {
        const found = await o.reconcile();
        if (found !== undefined) {
          outcome.value = 'reconciled';
          this.emit({ lane, attempt: state.attempts, at: this.clock.now(), outcome: 'reconciled' });
          return { value: found, attempts: state.attempts, throttled: state.throttled };
        }
      }
      // The slot's time, not a second reading of the clock after the await: the spacing the events
      // show is the spacing the slots keep (a busy event loop may resume this a few ms later).
      const sentAt = await this.waitTurn(lane, o.tenantGate, o.deadline, state);
      state.attempts++;
      const timeout = Math.max(1, Math.min(o.timeoutMs, o.deadline - sentAt));
      this.emit({ lane, attempt: state.attempts, at: sentAt, outcome: 'sent' });
      try {
        const attempt = state.attempts;
        // Each request's latency, by how it ended (ok, throttled, transient, ambiguous, http-4xx).
        const value = await telemetry().external('graph', operation, () => send({ signal: AbortSignal.timeout(timeout), attempt }), (err) => {
          const c = o.classify(err);
          return c.retry === false ? `http-${c.status ?? 'error'}` : c.retry;
        });
        this.emit({ lane, attempt: state.attempts, at: this.clock.now(), outcome: 'delivered' });
        return { value, attempts: state.attempts, throttled: state.throttled };
      } catch (err) {
        const c = o.classify(err);
        const now = this.clock.now();
        if (c.status !== undefined) state.lastStatus = c.status;
        if (c.retry === false) {
          this.emit({ lane, attempt: state.attempts, at: now, outcome: 'failed', status: c.status });
          throw new DeliveryRejectedError(err, state.attempts, state.throttled, c.status);
        }
        let wait: number;
        if (c.retry === 'throttled') {
          state.throttled++;
          telemetry().count('teamsThrottled', { [ATTR.operation]: operation, [ATTR.httpStatus]: c.status });
          wait = c.afterMs ?? this.backoffMs(state.throttled);
        } else {
          state.transient++;
          wait = (c.retry === 'transient' ? c.afterMs : undefined) ?? this.backoffMs(state.transient);
        }
        checkFirst = c.retry === 'ambiguous';
        this.emit({ lane, attempt: state.attempts, at: now, outcome: c.retry, status: c.status, waitMs: wait });
        if (now + wait >= o.deadline) throw this.deadlineError(lane, o.deadline, state);
        this.pause(lane, o.tenantGate && c.retry === 'throttled', now + wait);
      }
    }
  }
}
