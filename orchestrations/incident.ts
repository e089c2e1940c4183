/**
 * The incident orchestration: RB-03 and RB-02 as code. The runbook is a pure state machine over
 * the incident's record (src/domain/incident-run.ts, ./runbook.ts, ./incident-record.ts); this
 * file is its interpreter, a loop:
 *
 *   carry out the runbook's commands (each one named step: ./incident-steps.ts) -> record progress
 *   -> take the events people and alerts raised, or wait for the next one, the next deadline or
 *   the next sweep of folded alerts
 *
 * Every activity is idempotent per incident + step, and step keys are derived from the record, so
 * a replay or a retry never acts twice. Deterministic: time from the orchestration clock only.
 *
 * A long incident continues as new once its history passes HISTORY_BOUND events (or its record
 * RECORD_BOUND events in this execution), at a quiet
 * moment (no command waiting, about to wait for an event or a deadline, and every event raised so
 * far received: src/durable/continue-as-new.ts): the next execution of the same instance starts
 * from the run's checkpoint (the incident, the runbook's bookkeeping, the timeline lines not stored
 * yet) carried in its input, so a replay costs the events since then, not the whole incident; the
 * alerts' facts and the stored timeline stay in the incident store (the checkpoint keeps a few
 * characters an alert), where the evidence pack reads them back. Step keys come from the
 * record, which the checkpoint carries, so they never repeat across executions; deadlines are the
 * record's, so the next execution's timer is the same one.
 */
import type * as df from 'durable-functions';
import { callActivity } from '../src/activities/define.js';
import { FOLDED_PER_CALL, recordProgress } from '../src/activities/incident.contracts.js';
import { recordIncidentTelemetry } from '../src/activities/telemetry.contracts.js';
import { IncidentInput } from '../src/domain/incident.js';
import { FOLD_SWEEP_MS, INCIDENT_EVENT_NAMES, IncidentEventName, parseInbound } from '../src/domain/incident-events.js';
import { IncidentRun, type RunCheckpoint } from '../src/domain/incident-run.js';
import { incidentOutcomeOf } from '../src/domain/incident-telemetry.js';
import { HISTORY_BOUND, historyLength, MAX_CARRIED_CHARS, mayContinueAsNew, RECORD_BOUND } from '../src/durable/continue-as-new.js';
import { boundCustomStatus } from '../src/durable/custom-status.js';
import { EventInbox } from '../src/durable/event-inbox.js';
import { Steps } from './incident-steps.js';

/** What an execution carries to the next: the run's checkpoint, and the folded alerts still to acknowledge. */
interface Resume {
  run: RunCheckpoint;
  ack: string[];
  /** How many events the history of the execution that wrote it held (what the bound kept it to). */
  history: number;
}

/** The `incident` orchestrator (registered by name in functions/orchestrations.ts, loaded on its first episode). */
export function* incidentOrchestrator(context: df.OrchestrationContext) {
  const raw = context.df.getInput<{ resume?: Resume } | null>();
  // The incident's input is validated; a checkpoint was written by this instance's previous execution.
  const input = IncidentInput.parse(raw);
  const resume = raw?.resume;
  const now = (): number => context.df.currentUtcDateTime.getTime();
  const run = new IncidentRun(input, now(), resume?.run);
  const steps = new Steps(context, input, run);
  const inbox = new EventInbox(context, INCIDENT_EVENT_NAMES);
  /** Keys of the folded alerts the last recordProgress returned: the next one lets the store forget them. */
  let ack: string[] = resume?.ack ?? [];
  /** The last recordProgress took a partial batch and the loop went round once more to store it. */
  let storing = false;

  /**
   * Stores the summary, the timeline entries and the raised alerts' references new since the last time, takes the alerts the
   * intake folded meanwhile (received now as any other alert), and shows the custom status.
   * How many folded alerts it took (0 when the incident is closed, -1 when the call failed): after a full batch there may be
   * more; after a partial one the loop stores once more what it took, and alerts folded later wait
   * for the next wake-up (the sweep, an event or a deadline), so a storm costs a few turns, not one
   * each.
   */
  function* recordProgressNow(): Generator<df.Task, number, unknown> {
    const timeline = run.pendingTimeline();
    const alerts = run.pendingAlerts();
    let took = 0;
    try {
      const { folded } = yield* callActivity(context, recordProgress, { summary: run.summary(), timeline, ack, alerts });
      run.timelineStored(timeline);
      run.alertsStored(alerts);
      for (const f of folded) run.receiveAlert(f.alert, now());
      // Received by a closed incident they are not in its record: left in the store (and the archive).
      ack = run.closed ? [] : folded.map((f) => f.key);
      took = run.closed ? 0 : folded.length;
    } catch {
      // Storage stayed down through the retries: the entries stay pending and go next time, and
      // folded alerts are looked for again at the next sweep (none may come to wake the incident).
      took = -1;
    }
    // Bounded by construction; the engine's limit (16 KB of UTF-16) is checked once more all the same.
    context.df.setCustomStatus(boundCustomStatus(run.customStatus()).value);
    return took;
  }

  /**
   * When to take the alerts the intake folded since the incident last took alerts (orchestration
   * time), or null when no sweep is due. The intake folds an alert that changes nothing only within
   * FOLD_WINDOW_MS of raising one into the incident (src/app/intake.ts), and every alert taken arms
   * the sweep FOLD_SWEEP_MS later (longer: the sweep comes after the folds of that window were
   * written), so a folded alert reaches the record within about FOLD_SWEEP_MS without another alert
   * to wake the incident; a sweep that finds nothing arms no other. A continued execution sweeps
   * once: the previous one may have had a sweep due.
   */
  let sweepAt: number | null = resume ? now() + FOLD_SWEEP_MS : null;
  const tookAlerts = (): void => {
    sweepAt = now() + FOLD_SWEEP_MS;
  };
  /** recordProgressNow, arming the sweep when it took folded alerts. */
  function* progress(): Generator<df.Task, number, unknown> {
    const took = yield* recordProgressNow();
    // Alerts taken, or none could be looked for: a sweep follows.
    if (took !== 0) tookAlerts();
    return Math.max(0, took);
  }
  /** Receives the events taken from the inbox (an alert among them arms the sweep). */
  const receive = (received: readonly { name: string; payload: unknown }[]): void => {
    for (const e of received) {
      if (e.name === IncidentEventName.alert) tookAlerts();
      run.receive(parseInbound(e.name, e.payload), now());
    }
  };

  for (;;) {
    for (let cmd = run.next(); cmd; cmd = run.next()) {
      // A containment step can take minutes (a swap, then Durable's retries of it): the decision,
      // the freeze and the phase are shown before it starts, not once every step has finished.
      if (cmd.kind === 'execute') yield* progress();
      const result = yield* steps.carryOut(cmd);
      run.complete(cmd, result, now());
    }
    const took = yield* progress();
    if (run.closed) break;
    if (run.busy) continue;

    // Events that arrived while the commands ran are handled before waiting again, and before the
    // next batch of folded alerts, so a storm's backlog does not hold a person's decision back.
    const received = inbox.take();
    if (received.length) {
      receive(received);
      continue;
    }
    // A quiet moment: bound what a replay of this execution costs (its history events, and the
    // record events it derives: a batch of folded alerts is one history event but 200 alerts),
    // never dropping an event raised so far. The folded alerts taken last are acknowledged by the
    // next execution's first recordProgress.
    const history = historyLength(context) ?? 0;
    if ((history > HISTORY_BOUND || run.events.length > RECORD_BOUND) && mayContinueAsNew(context, inbox.eventNames, inbox.received)) {
      const carried = { ...input, resume: { run: run.checkpoint(), ack, history } satisfies Resume };
      if (JSON.stringify(carried).length <= MAX_CARRIED_CHARS) {
        context.df.continueAsNew(carried);
        return undefined;
      }
    }
    // A full batch: there may be more. A partial one: once more, to store what it brought (the
    // summary and timeline go with the next call), not again for what came meanwhile.
    if (took >= FOLDED_PER_CALL || (took > 0 && !storing)) {
      storing = took < FOLDED_PER_CALL;
      continue;
    }
    storing = false;
    // One timer: the runbook's next deadline or the sweep, whichever comes first.
    const deadline = run.timerAt(now());
    const sweep = sweepAt === null ? null : Math.max(sweepAt, now());
    const wake = deadline === null ? sweep : sweep === null ? deadline : Math.min(deadline, sweep);
    const waits = inbox.open();
    const timer = wake === null ? undefined : context.df.createTimer(new Date(wake));
    const winner = (yield context.df.Task.any(timer ? [...waits, timer] : waits)) as df.Task;
    if (timer && winner === timer) {
      // The sweep: the next turn's recordProgress takes the folded alerts (and arms the sweep again
      // if there were any). The deadline: the runbook's timer.
      if (sweep !== null && (deadline === null || sweep <= deadline)) sweepAt = null;
      if (deadline !== null && (sweep === null || deadline <= sweep)) run.wake(now());
      continue;
    }
    // An event won: received at once (with any other that came with it), so that the next turn
    // records it with one recordProgress (two episodes per alert raised, not three).
    timer?.cancel();
    receive(inbox.take());
  }
  // The resolved incident's metrics (MTTx, timeboxes, actions), once, read from the closed record:
  // the same figures as its evidence pack. The activity keeps it to one emission per incident.
  try {
    yield* callActivity(context, recordIncidentTelemetry, incidentOutcomeOf(run.incident));
  } catch {
    // Telemetry never fails an incident; the activity's own failure is in the function log.
  }
  return run.summary();
}
