/**
 * When an orchestrator may continue as new without losing an external event.
 *
 * durable-functions v3 (JavaScript) has `continueAsNew(input)` only: the Durable extension runs it
 * as `ContinueAsNew(input, preserveUnprocessedEvents: false)`, so an event already in this
 * execution's history that the orchestrator code has not received is dropped with the execution
 * (Azure/azure-functions-durable-extension#1676; the extension's out-of-process shim passes no
 * flag). Such an event is either buffered by the library (raised while no wait of its name was
 * open) or further down the history than the point where the code decided to continue (the
 * library stops replaying there). Events raised after the continue-as-new reach the next
 * execution (extension 1.8.0 and later; the same instance id).
 *
 * So the orchestrator counts: the events of its names that the history holds, against the events
 * its waits received. Equal: nothing would be dropped. And it decides only while the library
 * plays the new part of the history, never in a replay: the history it counts is the whole of it,
 * so the same point of an earlier episode saw fewer events, and a replay that decided differently
 * from the episode that first ran would be non-deterministic (an execution that continued is never
 * replayed). `context.df.isReplaying` does not say this: it is also true when the code was resumed
 * by an event replayed earlier and buffered until now, so the library's own flag is read. The history is the array the library
 * replays (`context.df.state`) and whether it is replaying is its executor's flag
 * (`_isReplaying`), neither in its typings: when they cannot be read, the answer is "not safe" and
 * the orchestration simply does not continue as new (its history grows, as before).
 * Proven against the real extension by test/conformance/durable-behaviour.test.ts.
 */
import type * as df from 'durable-functions';

/**
 * History events of one execution past which a long-running orchestration (the incident) continues
 * as new at its next quiet moment: a replay then costs at most this many events plus one turn's.
 */
export const HISTORY_BOUND = 200;

/**
 * Events of the incident's record one execution may derive before it continues as new: a replay
 * derives them all again, and one history event (a batch of folded alerts) can bring 200. Under
 * one batch, so that a storm continues after each batch rather than every other one: what an
 * execution carries no longer grows with the alerts (src/domain/incident-run.ts), so continuing
 * is cheap, and each replay reads one batch's alerts and timeline lines in its history, not two.
 */
export const RECORD_BOUND = 150;

/**
 * The largest input (JSON characters) an orchestration continues with. The Azure Storage provider
 * moves a large message to a blob, but the dev host stores at most 600,000 characters in a row
 * and fails the instance past that: a run whose carried state would not fit keeps its history
 * growing instead (as it did before it could continue), rather than fail.
 */
export const MAX_CARRIED_CHARS = 500_000;

/** HistoryEventType.EventRaised in durable-functions and the Durable extension. */
const EVENT_RAISED = 15;

interface HistoryItem {
  EventType?: unknown;
  Name?: unknown;
}

function historyOf(context: df.OrchestrationContext): readonly HistoryItem[] | null {
  const h = (context.df as unknown as { state?: unknown }).state;
  return Array.isArray(h) ? (h as HistoryItem[]) : null;
}

/** Whether the library is replaying history an earlier episode played (null: unknown). */
function replaying(context: df.OrchestrationContext): boolean | null {
  const executor = (context.df as unknown as { taskOrchestratorExecutor?: { _isReplaying?: unknown } }).taskOrchestratorExecutor;
  return typeof executor?._isReplaying === 'boolean' ? executor._isReplaying : null;
}

/** How many history events this execution has (null: unknown). */
export function historyLength(context: df.OrchestrationContext): number | null {
  return historyOf(context)?.length ?? null;
}

/** How many events of these names the whole history of this execution holds (null: unknown). */
export function raisedInHistory(context: df.OrchestrationContext, names: ReadonlySet<string>): number | null {
  const history = historyOf(context);
  if (!history) return null;
  let n = 0;
  for (const e of history) if (e.EventType === EVENT_RAISED && typeof e.Name === 'string' && names.has(e.Name)) n++;
  return n;
}

/**
 * Whether continuing as new now drops nothing: every event of `names` in the history was received
 * by one of the orchestrator's waits (`received`), and no other is buffered or still to be replayed.
 */
export function mayContinueAsNew(context: df.OrchestrationContext, names: ReadonlySet<string>, received: number): boolean {
  if (replaying(context) !== false) return false;
  const raised = raisedInHistory(context, names);
  return raised !== null && raised === received;
}
