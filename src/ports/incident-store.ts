/**
 * Incident bookkeeping outside the orchestration: which alert deliveries were seen, which incident
 * is open for a service in an environment, and the summaries and timelines the API lists.
 */
import type { FollowUpEvent } from '../domain/follow-up.js';
import type { AlertRecord, IncidentSummary, TimelineEntry } from '../domain/incident.js';
import type { AlertRef } from '../domain/incident-record.js';

export interface DeliveryRecord {
  /** Delivered = its incident was started or the alert raised into it. */
  state: 'pending' | 'delivered';
  incidentId: string | null;
  outcome: string | null;
  at: string;
}

export interface SummaryQuery {
  environment?: string;
  service?: string;
  status?: 'open' | 'resolved';
  from?: string;
  to?: string;
  limit: number;
}

export interface IncidentStore {
  /** Records a delivery; `existing` when this alertId+condition was seen before (even concurrently). */
  claimDelivery(key: string, at: string): Promise<{ fresh: true } | { fresh: false; existing: DeliveryRecord }>;
  markDelivered(key: string, incidentId: string | null, outcome: string, at: string): Promise<void>;
  /** Gives up a claim that is still pending (its delivery failed), so a redelivery starts afresh. */
  releaseDelivery(key: string): Promise<void>;
  /**
   * The open incident for service@environment, opening one (with the id `makeId(sequence)`) when
   * none is open. Safe under concurrency: every caller gets the same incident.
   */
  openIncident(environment: string, service: string, makeId: (sequence: number) => string, at: string): Promise<{ incidentId: string; opened: boolean }>;
  /** The open incident for service@environment, if any. */
  findOpen(environment: string, service: string): Promise<string | undefined>;
  /** Closes the correlation when `incidentId` is still the open one (a later incident is untouched). */
  closeIncident(environment: string, service: string, incidentId: string): Promise<void>;
  /** Inserts the summary unless one exists (intake writes the first one). */
  createSummary(summary: IncidentSummary): Promise<void>;
  putSummary(summary: IncidentSummary): Promise<void>;
  getSummary(incidentId: string): Promise<IncidentSummary | undefined>;
  /**
   * Changes a summary under optimistic concurrency: `change` gets the stored summary and returns
   * the new one, or undefined to leave it. A concurrent writer makes it read and decide again, so
   * of two callers claiming the same thing exactly one succeeds. Returns what was written, or
   * undefined (no such summary, or `change` declined).
   */
  updateSummary(incidentId: string, change: (current: IncidentSummary) => IncidentSummary | undefined): Promise<IncidentSummary | undefined>;
  /** Resolved incidents whose postmortem reminder needs a look at `at` or before (see src/domain/postmortem-reminder.ts). */
  listRemindersDue(at: string, limit: number): Promise<IncidentSummary[]>;
  listSummaries(query: SummaryQuery): Promise<IncidentSummary[]>;
  /** Upserts timeline entries by sequence number, and with them (`alerts`) the references `recordAlerts` keeps. */
  appendTimeline(incidentId: string, entries: TimelineEntry[], alerts?: readonly AlertRef[]): Promise<void>;
  /**
   * Keeps an alert for a running incident without waking its orchestration (it would change
   * nothing there now: see `alertChangesIncident`); the orchestration takes it at its next step or
   * its next sweep (FOLD_SWEEP_MS in src/domain/incident-events.ts).
   */
  foldAlert(incidentId: string, key: string, alert: AlertRecord): Promise<void>;
  /**
   * The alerts folded for `incidentId` and not yet acknowledged (at most `limit`, oldest first),
   * after forgetting those in `ack` (taken by the previous call and recorded since). A call that
   * fails after its acknowledgements were forgotten loses nothing: unacknowledged ones come again.
   */
  takeFolded(incidentId: string, ack: readonly string[], limit: number): Promise<{ key: string; alert: AlertRecord }[]>;
  getTimeline(incidentId: string): Promise<TimelineEntry[]>;
  /**
   * Keeps the references of alerts the incident's record took (one row per dedupe key: the same
   * alert again writes the same row), for the evidence pack of a long incident, whose orchestration
   * carries only a few characters of each alert from one execution to the next.
   */
  recordAlerts(incidentId: string, alerts: readonly AlertRef[]): Promise<void>;
  /** The references `recordAlerts` kept, in the order received. */
  getAlerts(incidentId: string): Promise<AlertRef[]>;
  /**
   * Records a follow-up as number `event.seq`: false when that number is taken (another request
   * recorded one meanwhile: read again and decide again), so no two follow-ups share a number.
   */
  appendFollowUp(incidentId: string, event: FollowUpEvent): Promise<boolean>;
  /** The incident's follow-ups in order. */
  getFollowUps(incidentId: string): Promise<FollowUpEvent[]>;
}
