/**
 * The incident orchestration: RB-03 and RB-02 as code. The runbook is a pure state machine over
 * the incident's record (src/domain/incident-run.ts, ./runbook.ts, ./incident-record.ts); this
 * file is its interpreter, a loop:
 *
 *   carry out the runbook's commands (each one named step: ./incident-steps.ts) -> record progress
 *   -> take the events people and alerts raised, or wait for the next one or the next deadline
 *
 * Every activity is idempotent per incident + step, and step keys are derived from the record, so
 * a replay or a retry never acts twice. Deterministic: time from the orchestration clock only.
 */
import * as df from 'durable-functions';
import { callActivity } from '../src/activities/define.js';
import { recordProgress } from '../src/activities/incident.contracts.js';
import { recordIncidentTelemetry } from '../src/activities/telemetry.contracts.js';
import { IncidentInput } from '../src/domain/incident.js';
import { INCIDENT_EVENT_NAMES, parseInbound } from '../src/domain/incident-events.js';
import { IncidentRun } from '../src/domain/incident-run.js';
import { incidentOutcomeOf } from '../src/domain/incident-telemetry.js';
import { boundCustomStatus } from '../src/durable/custom-status.js';
import { EventInbox } from '../src/durable/event-inbox.js';
import { Steps } from './incident-steps.js';

df.app.orchestration('incident', function* (context: df.OrchestrationContext) {
  const input = IncidentInput.parse(context.df.getInput());
  const now = (): number => context.df.currentUtcDateTime.getTime();
  const run = new IncidentRun(input, now());
  const steps = new Steps(context, input, run);
  const inbox = new EventInbox(context, INCIDENT_EVENT_NAMES);

  /** Stores the summary and the timeline entries new since the last time, and shows the custom status. */
  function* recordProgressNow(): Generator<df.Task, void, unknown> {
    const timeline = run.pendingTimeline();
    try {
      yield* callActivity(context, recordProgress, { summary: run.summary(), timeline });
      run.timelineStored(timeline);
    } catch {
      // Storage stayed down through the retries: the entries stay pending and go next time.
    }
    // Bounded by construction; the engine's limit (16 KB of UTF-16) is checked once more all the same.
    context.df.setCustomStatus(boundCustomStatus(run.customStatus()).value);
  }

  for (;;) {
    for (let cmd = run.next(); cmd; cmd = run.next()) {
      // A containment step can take minutes (a swap, then Durable's retries of it): the decision,
      // the freeze and the phase are shown before it starts, not once every step has finished.
      if (cmd.kind === 'execute') yield* recordProgressNow();
      const result = yield* steps.carryOut(cmd);
      run.complete(cmd, result, now());
    }
    yield* recordProgressNow();
    if (run.closed) break;

    // Events that arrived while the commands ran are handled before waiting again.
    const received = inbox.take();
    if (received.length) {
      for (const e of received) run.receive(parseInbound(e.name, e.payload), now());
      continue;
    }
    const wake = run.timerAt(now());
    const waits = inbox.open();
    const timer = wake === null ? undefined : context.df.createTimer(new Date(wake));
    const winner = (yield context.df.Task.any(timer ? [...waits, timer] : waits)) as df.Task;
    if (timer && winner === timer) {
      run.wake(now());
      continue;
    }
    // An event won: the next turn of the loop takes it (with any other that came with it).
    timer?.cancel();
  }
  // The resolved incident's metrics (MTTx, timeboxes, actions), once, read from the closed record:
  // the same figures as its evidence pack. The activity keeps it to one emission per incident.
  try {
    yield* callActivity(context, recordIncidentTelemetry, incidentOutcomeOf(run.incident));
  } catch {
    // Telemetry never fails an incident; the activity's own failure is in the function log.
  }
  return run.summary();
});
