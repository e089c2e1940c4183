/** Activities of the incident bookkeeping (summary, timeline, correlation). */
import { z } from 'zod';
import { FollowUpEvent } from '../domain/follow-up.js';
import { IncidentSummary, TimelineEntry } from '../domain/incident.js';
import { defineActivity } from './define.js';

/** Storage hiccups are retried for a while; the incident waits, it does not fail. */
const storageRetry = { firstRetryMs: 2000, maxAttempts: 6, backoff: 2, maxRetryMs: 60_000 };

export const recordProgress = defineActivity({
  name: 'incident_recordProgress',
  input: z.object({ summary: IncidentSummary, timeline: z.array(TimelineEntry) }),
  output: z.object({ recorded: z.number().int() }),
  retry: storageRetry,
});

/** The follow-ups people recorded so far (read before the evidence pack is written). */
export const readFollowUps = defineActivity({
  name: 'incident_readFollowUps',
  input: z.object({ incidentId: z.string() }),
  output: z.object({ events: z.array(FollowUpEvent).max(1000) }),
  retry: storageRetry,
});

export const closeCorrelation = defineActivity({
  name: 'incident_closeCorrelation',
  input: z.object({ incidentId: z.string(), service: z.string(), environment: z.string() }),
  output: z.object({ closed: z.literal(true) }),
  retry: storageRetry,
});
