/**
 * The incident orchestration (RB-03 as code). This version declares the incident, records every
 * event (further alerts, acknowledgements, notes, decisions, rollback requests, extensions) on the
 * timeline, keeps the summary current, and waits for resolution; the runbook's timeboxes and
 * actions build on it. Its input contract and event names are final (src/domain).
 */
import * as df from 'durable-functions';
import { callActivity } from '../src/activities/define.js';
import { closeCorrelation, recordProgress } from '../src/activities/incident.contracts.js';
import { IncidentInput } from '../src/domain/incident.js';
import { IncidentEventName } from '../src/domain/incident-events.js';
import { applyEvent, declare, summaryOf, type IncidentState } from '../src/domain/incident-state.js';

const EVENTS = Object.values(IncidentEventName);

function customStatus(state: IncidentState): Record<string, unknown> {
  return {
    phase: state.phase,
    severity: state.severity,
    service: state.service,
    environment: state.environment,
    alerts: state.alerts,
    recoverySignals: state.recoverySignals,
    acknowledgedBy: state.acknowledged.map((a) => a.by),
    decision: state.decision,
    updatedAt: state.updatedAt,
  };
}

df.app.orchestration('incident', function* (context: df.OrchestrationContext) {
  const input = IncidentInput.parse(context.df.getInput());
  const declared = declare(input);
  let state = declared.state;
  context.df.setCustomStatus(customStatus(state));
  yield* callActivity(context, recordProgress, { summary: summaryOf(state), timeline: declared.entries });

  while (!state.resolved) {
    const waits = EVENTS.map((name) => context.df.waitForExternalEvent(name));
    const winner = (yield context.df.Task.any(waits)) as df.Task;
    const name = EVENTS[waits.indexOf(winner)] ?? 'unknown';
    const applied = applyEvent(state, name, winner.result, context.df.currentUtcDateTime.toISOString());
    state = applied.state;
    context.df.setCustomStatus(customStatus(state));
    if (applied.entries.length) yield* callActivity(context, recordProgress, { summary: summaryOf(state), timeline: applied.entries });
  }

  yield* callActivity(context, closeCorrelation, { incidentId: state.incidentId, service: state.service, environment: state.environment });
  return summaryOf(state);
});
