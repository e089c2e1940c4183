/** Handlers of the incident bookkeeping activities. */
import type { z } from 'zod';
import { alertFacts } from '../domain/incident-record.js';
import type { IncidentStore } from '../ports/incident-store.js';
import { FOLDED_PER_CALL, type closeCorrelation, type readFollowUps, type recordProgress } from './incident.contracts.js';

export function createIncidentActivities(store: () => IncidentStore) {
  return {
    async recordProgress(input: z.output<typeof recordProgress.input>): Promise<z.input<typeof recordProgress.output>> {
      await store().putSummary(input.summary);
      if (input.timeline.length) await store().appendTimeline(input.summary.incidentId, input.timeline);
      // The alerts the intake folded since (the record takes them, and the next call forgets them).
      const folded = await store().takeFolded(input.summary.incidentId, input.ack, FOLDED_PER_CALL);
      return { recorded: input.timeline.length, folded: folded.map((f) => ({ key: f.key, alert: alertFacts(f.alert) })) };
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
