/** The incident orchestration as the approval endpoint sees it, through the Durable client. */
import type { DurableClient } from 'durable-functions';
import { IncidentEventName, type DecisionEvent } from '../domain/incident-events.js';
import type { DecisionTarget, InstanceState } from '../ports/approvals.js';
import { durableFailure, durableStatus } from './durable-orchestrations.js';
import { telemetry } from './telemetry.js';

/** Statuses in which a raised event will still be seen by the orchestrator. */
const WAITING = new Set(['Pending', 'Running', 'Suspended', 'ContinuedAsNew']);

export function durableDecisionTarget(client: DurableClient): DecisionTarget {
  return {
    async instance(incidentId: string): Promise<InstanceState> {
      // From here on the approval request is about that incident (its spans carry the id).
      telemetry().setIncident(incidentId);
      let status: { runtimeStatus?: unknown; customStatus?: unknown } | undefined;
      try {
        status = await client.getStatus(incidentId);
      } catch (err) {
        // durable-functions v3 throws for an unknown instance (HTTP 404 from the extension).
        if (durableStatus(err) === 404) return { state: 'missing' };
        throw durableFailure(err, ''); // the approval page words it (src/app/approvals.ts)
      }
      if (!status) return { state: 'missing' };
      const runtimeStatus = String(status.runtimeStatus);
      return WAITING.has(runtimeStatus) ? { state: 'waiting', runtimeStatus, customStatus: status.customStatus } : { state: 'finished', runtimeStatus };
    },
    async raiseDecision(incidentId: string, event: DecisionEvent): Promise<void> {
      // Note: the client resolves without error when the instance finished meanwhile (410).
      await client.raiseEvent(incidentId, IncidentEventName.decision, event);
    },
  };
}
