/** Handlers of the incident bookkeeping activities. */
import type { z } from 'zod';
import type { IncidentStore } from '../ports/incident-store.js';
import type { closeCorrelation, readFollowUps, recordProgress } from './incident.contracts.js';

export function createIncidentActivities(store: () => IncidentStore) {
  return {
    async recordProgress(input: z.output<typeof recordProgress.input>): Promise<z.input<typeof recordProgress.output>> {
      await store().putSummary(input.summary);
      if (input.timeline.length) await store().appendTimeline(input.summary.incidentId, input.timeline);
      return { recorded: input.timeline.length };
    },
    async readFollowUps(input: z.output<typeof readFollowUps.input>): Promise<z.input<typeof readFollowUps.output>> {
      return { events: (await store().getFollowUps(input.incidentId)).slice(0, 1000) };
    },
    async closeCorrelation(input: z.output<typeof closeCorrelation.input>): Promise<z.input<typeof closeCorrelation.output>> {
      await store().closeIncident(input.environment, input.service, input.incidentId);
      return { closed: true };
    },
  };
}
