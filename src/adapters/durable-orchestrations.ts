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
import { TransientError } from '../ports/transient.js';
import { isTransientStorageError } from './storage.js';

const TERMINAL = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);

function statusIn(err: unknown): number | undefined {
  const m = /status code: (\d{3})|HTTP (\d{3})/.exec(err instanceof Error ? err.message : String(err));
  const code = m?.[1] ?? m?.[2];
  return code ? Number(code) : undefined;
}

/**
 * What the client threw, typed: a 408, 429 or 5xx from the extension, or a dropped or refused
 * connection, is transient (the caller may answer 503 and be asked again); anything else is not.
 */
function classified(err: unknown): unknown {
  const status = statusIn(err);
  const transient = status !== undefined ? status === 408 || status === 429 || status >= 500 : isTransientStorageError(err);
  return transient ? new TransientError(`The orchestration service failed: ${err instanceof Error ? err.message : String(err)}`.slice(0, 500), { cause: err }) : err;
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
      throw classified(err);
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
      if (statusIn(err) === 404 || /No instance with ID/i.test(String(err))) return 'missing';
      // The extension answers 500 when the instance finished between its own check and the raise.
      const after = await this.state(instanceId).catch(() => undefined);
      if (after === 'finished') return 'gone';
      throw classified(err);
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
      if (statusIn(err) === 404) return undefined;
      throw classified(err);
    }
  }
}
