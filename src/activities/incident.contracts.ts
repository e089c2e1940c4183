/** Activities of the incident bookkeeping (summary, timeline, correlation). */
import { z } from 'zod';
import { FollowUpEvent } from '../domain/follow-up.js';
import { IncidentSummary, StoredAlertRef, TimelineEntry } from '../domain/incident.js';
import type { AlertFacts } from '../domain/incident-record.js';
import { defineActivity } from './define.js';

/** Storage hiccups are retried for a while; the incident waits, it does not fail. */
const storageRetry = { firstRetryMs: 2000, maxAttempts: 6, backoff: 2, maxRetryMs: 60_000 };

/**
 * A folded alert as recordProgress returns it: the facts the incident record keeps of it
 * (`alertFacts`: about a fifth of the alert record, whose payload stays in the archive), so that
 * the history a replay reads holds 200 of them per call, not 200 whole alert records. Validated
 * where it is read (the store's takeFolded parses each row), not again each time a replay reads
 * the history that holds it (a storm's thousand alerts would be parsed on every episode).
 */
const FoldedAlert = z.custom<AlertFacts>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'a folded alert');

/** At most this many folded alerts come back from one recordProgress (the next call takes more). */
export const FOLDED_PER_CALL = 200;

export const recordProgress = defineActivity({
  name: 'incident_recordProgress',
  input: z.object({
    summary: IncidentSummary,
    timeline: z.array(TimelineEntry),
    /** Keys of folded alerts the previous call returned, recorded since: they are forgotten. */
    ack: z.array(z.string()).default([]),
    /** References of alerts raised into the record since the last call (folded ones are recorded as they are taken). */
    alerts: z.array(StoredAlertRef).default([]),
  }),
  // Histories recorded before folding have no `folded` in their results: none.
  output: z.object({ recorded: z.number().int(), folded: z.array(z.object({ key: z.string(), alert: FoldedAlert })).default([]) }),
  retry: storageRetry,
});

/** Where a page of the stored record starts: how many timeline entries and alert references came before it. */
const RecordCursor = z.object({ timeline: z.number().int().min(0), alerts: z.number().int().min(0) });

/**
 * About this much JSON a page of the stored record holds (at least one entry): each page is one
 * event in the orchestration's history, so a storm of thousands of alerts is read in pages that
 * each stay far under what a history event may hold (the dev host stores 600,000 characters).
 */
export const RECORD_PAGE_CHARS = 200_000;

/**
 * What the incident store holds of a long incident's record: its stored timeline and its alerts'
 * references (for the evidence pack of an incident that continued as new, whose run carries
 * neither), a page from `from`; `next` is where the next page starts, null after the last.
 * Read when the pack is written.
 */
export const readRecord = defineActivity({
  name: 'incident_readRecord',
  input: z.object({ incidentId: z.string(), from: RecordCursor.default({ timeline: 0, alerts: 0 }) }),
  output: z.object({ timeline: z.array(TimelineEntry), alerts: z.array(StoredAlertRef), next: RecordCursor.nullable().default(null) }),
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
