/**
 * A resolved incident's telemetry facts, read from its record: the MTTx seconds are `metricsOf`'s
 * (the evidence pack's metrics.json), the timebox verdicts `timeboxesOf`'s, the actions the
 * record's own. Nothing is worked out here; the targets are the policy's timeboxes for the
 * incident's severity, as the runbook sets them (acknowledge; decide then contain; decide then
 * recover). Pure.
 */
import { metricsOf, timeboxesOf, type Duration, type Incident } from './incident-record.js';
import type { IncidentOutcome } from './telemetry.js';

const seconds = (d: Duration | null): number | null => (d === null ? null : d.seconds);

export function incidentOutcomeOf(s: Incident): IncidentOutcome {
  const m = metricsOf(s);
  const box = s.boxes[s.severity];
  return {
    incidentId: s.id,
    service: s.service,
    environment: s.environment,
    severity: s.severity,
    source: s.source,
    drill: s.drill,
    rolledBack: s.rolledBack,
    seconds: { detect: seconds(m.timeToDeclare), acknowledge: seconds(m.timeToAcknowledge), mitigate: seconds(m.timeToMitigate), recover: seconds(m.timeToRecover) },
    targets: {
      acknowledge: box.ackMinutes * 60,
      mitigate: (box.decisionMinutes + box.containmentMinutes) * 60,
      recover: (box.decisionMinutes + box.recoveryMinutes) * 60,
    },
    timeboxes: timeboxesOf(s).map((t) => ({ name: t.name, verdict: t.verdict })),
    actions: s.actions.map((a) => ({ action: a.action, outcome: a.outcome.kind, mode: a.mode })),
  };
}
