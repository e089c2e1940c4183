/**
 * The Orchestrations port on the durable-functions client. The client reports most outcomes as
 * thrown errors with the HTTP status in the text, so those are mapped back to data here.
 */
import type { DurableClient } from 'durable-functions';
import { declarationAttributes } from '../domain/telemetry.js';
import type { InstanceState, Orchestrations } from '../ports/orchestrations.js';
import { telemetry } from './telemetry.js';

const TERMINAL = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);

function statusIn(err: unknown): number | undefined {
  const m = /status code: (\d{3})|HTTP (\d{3})/.exec(err instanceof Error ? err.message : String(err));
  const code = m?.[1] ?? m?.[2];
  return code ? Number(code) : undefined;
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
      if (statusIn(err) === 409) return 'exists';
      throw err;
    }
  }

  async raise(instanceId: string, event: string, data: unknown): Promise<'raised' | 'gone' | 'missing'> {
    telemetry().setIncident(instanceId);
    try {
      await this.client.raiseEvent(instanceId, event, data);
      return 'raised';
    } catch (err) {
      const status = statusIn(err);
      if (status === 410) return 'gone';
      if (status === 404 || /No instance with ID/i.test(String(err))) return 'missing';
      throw err;
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
      throw err;
    }
  }
}
