/** Handlers of the incident bookkeeping activities. */
import type { z } from 'zod';
import { alertFacts } from '../domain/incident-record.js';
import type { IncidentStore } from '../ports/incident-store.js';
import { FOLDED_PER_CALL, RECORD_PAGE_CHARS, type closeCorrelation, type readFollowUps, type readRecord, type recordProgress } from './incident.contracts.js';

export function createIncidentActivities(store: () => IncidentStore) {
  return {
    async recordProgress(input: z.output<typeof recordProgress.input>): Promise<z.input<typeof recordProgress.output>> {
      const id = input.summary.incidentId;
      await store().putSummary(input.summary);
      // A raised alert's reference goes with its timeline line (one transaction: same partition).
      if (input.timeline.length || input.alerts.length) await store().appendTimeline(id, input.timeline, input.alerts);
      // The alerts the intake folded since (the record takes them, and the next call forgets them).
      const folded = (await store().takeFolded(id, input.ack, FOLDED_PER_CALL)).map((f) => ({ key: f.key, alert: alertFacts(f.alert) }));
      // Recorded as they are taken (before the record takes them, so none is ever missing): the
      // orchestration does not send them back, and the evidence pack finds each one here.
      if (folded.length) await store().recordAlerts(id, folded.map((f) => ({ dedupeKey: f.alert.dedupeKey, receivedAt: f.alert.receivedAt, payloadRef: f.alert.payloadRef })));
      return { recorded: input.timeline.length, folded };
    },
    async readRecord(input: z.output<typeof readRecord.input>): Promise<z.input<typeof readRecord.output>> {
      const [timeline, alerts] = await Promise.all([store().getTimeline(input.incidentId), store().getAlerts(input.incidentId)]);
      // A page of about RECORD_PAGE_CHARS, the timeline first; the lists keep the store's order, so
      // the offsets of the next page mean the same in the next call.
      let budget = RECORD_PAGE_CHARS;
      const take = <T>(all: T[], from: number): T[] => {
        const page: T[] = [];
        for (let i = from; i < all.length; i++) {
          const size = JSON.stringify(all[i]).length;
          if (page.length > 0 && size > budget) break;
          page.push(all[i] as T);
          budget -= size;
        }
        return page;
      };
      const pageTimeline = take(timeline, input.from.timeline);
      const pageAlerts = budget > 0 ? take(alerts, input.from.alerts) : [];
      const next = { timeline: input.from.timeline + pageTimeline.length, alerts: input.from.alerts + pageAlerts.length };
      const done = next.timeline >= timeline.length && next.alerts >= alerts.length;
      return { timeline: pageTimeline, alerts: pageAlerts, next: done ? null : next };
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
