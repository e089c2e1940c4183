/**
 * The Orchestrations port on the durable-functions client. The client reports most outcomes as
 * thrown errors with the HTTP status in the text, and the status codes differ between versions of
 * the Durable extension (a duplicate start is 409 in 3.x, 500 before; an event for an instance that
 * finishes meanwhile is 500), so after a failure the instance's status decides what happened.
 */
import type { DurableClient } from 'durable-functions';
import { declarationAttributes } from '../domain/telemetry.js';
import type { InstanceState, Orchestrations } from '../ports/orchestrations.js';
import { telemetry } from './telemetry.js';
import { errorText, PermanentError, TransientError } from '../domain/errors.js';
import { isTransientStorageError } from './storage.js';

const TERMINAL = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);

/**
 * The HTTP status the Durable extension answered with. durable-functions v3 gives no status field:
 * its client rejects with a plain Error whose text carries it ("...unexpected status code: 500...",
 * "...replied with HTTP 404 response", or "No instance with ID '...' found." for a 404 on
 * raiseEvent). This adapter is the one place that reads that text; above it failures are typed.
 */
export function durableStatus(err: unknown): number | undefined {
  const text = errorText(err);
  const m = /status code: (\d{3})|HTTP (\d{3})/.exec(text);
  const code = m?.[1] ?? m?.[2];
  if (code) return Number(code);
  return /^No instance with ID '.*' found\.$/.test(text) ? 404 : undefined;
}

/**
 * What the client threw, typed: a 408, 429 or 5xx from the extension, or a dropped or refused
 * connection, is transient (the caller may answer 503 and be asked again); anything else is
 * permanent (a retry would fail the same way).
 */
export function durableFailure(err: unknown, prefix = 'The orchestration service failed: '): TransientError | PermanentError {
  if (err instanceof TransientError || err instanceof PermanentError) return err;
  const status = durableStatus(err);
  const transient = status !== undefined ? status === 408 || status === 429 || status >= 500 : isTransientStorageError(err);
  const message = `${prefix}${errorText(err)}`.slice(0, 500);
  return transient ? new TransientError(message, { cause: err, status }) : new PermanentError(message, { cause: err, status });
}

export class DurableOrchestrations implements Orchestrations {
  constructor(private readonly client: DurableClient) {}

  async state(instanceId: string): Promise<InstanceState> {
    const described = await this.describe(instanceId);
    if (!described) return 'none';
    return TERMINAL.has(described.runtimeStatus) ? 'finished' : 'running';
  }

  async start(name: string, instanceId: string, input: unknown): Promise<'started' | 'exists'> {
    // From here on this request is about that incident (its spans carry the id).
    telemetry().setIncident(instanceId);
    try {
      await this.client.startNew(name, { instanceId, input });
      const declared = declarationAttributes(input);
      if (declared) telemetry().count('incidentsDeclared', declared);
      return 'started';
    } catch (err) {
      // Whatever the code (409, 500, a timeout after the start was stored): an instance under this
      // id that has not finished is the one a concurrent start created.
      const now = await this.describe(instanceId).catch(() => undefined);
      if (now && !TERMINAL.has(now.runtimeStatus)) return 'exists';
      throw durableFailure(err);
    }
  }

  async raise(instanceId: string, event: string, data: unknown, opts: { running?: boolean } = {}): Promise<'raised' | 'gone' | 'missing'> {
    telemetry().setIncident(instanceId);
    // The client resolves on 410 (a finished instance) as on 202, so a finished one is found first.
    const before = opts.running ? 'running' : await this.state(instanceId);
    if (before === 'none') return 'missing';
    if (before === 'finished') return 'gone';
    try {
      await this.client.raiseEvent(instanceId, event, data);
      // Accepted for an instance that was running a moment ago. One that finished in between
      // answers 410, which the client also resolves: that event is dropped, unseen from here.
      return 'raised';
    } catch (err) {
      if (durableStatus(err) === 404) return 'missing';
      // The extension answers 500 when the instance finished between its own check and the raise.
      const after = await this.state(instanceId).catch(() => undefined);
      if (after === 'finished') return 'gone';
      throw durableFailure(err);
    }
  }

  async describe(instanceId: string): Promise<{ runtimeStatus: string; customStatus: unknown; createdTime: string; lastUpdatedTime: string } | undefined> {
    try {
      const s = await this.client.getStatus(instanceId);
      return {
        runtimeStatus: String(s.runtimeStatus),
        customStatus: s.customStatus ?? null,
        createdTime: new Date(s.createdTime).toISOString(),
        lastUpdatedTime: new Date(s.lastUpdatedTime).toISOString(),
      };
    } catch (err) {
      if (durableStatus(err) === 404) return undefined;
      throw durableFailure(err);
    }
  }
}
