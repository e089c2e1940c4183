/**
 * One orchestrator episode: replay the committed history plus the new events through the real
 * durable-functions library, then turn the actions it returns into the history events and work
 * the host must schedule.
 *
 * The library numbers its tasks 0, 1, 2... in the order they are yielded and matches completions
 * by that number, but it never checks TaskScheduled/TimerCreated events: the host must hand out
 * the same numbers. The library returns every action since the execution began (schema V2+), so
 * the host keeps a "book" of the actions it has already seen (flattened depth-first, duplicates of
 * a reused task removed) with the id each one received; the actions past the book are new.
 * Retries (CallActivityWithRetry) also consume numbers while an event is processed, before user
 * code resumes: a failure takes one id for the retry timer, the timer firing takes one for the
 * next attempt. So an event that takes part in a retry (a failure, a timer) is delivered alone;
 * completions and raised events, which consume no numbers, may come several per episode (the host
 * batches what queued up while the previous episode ran, as Azure does).
 */
import { EventType, ev, type HistoryEvent } from './history.js';
import { errorText } from '../../domain/errors.js';

export const ActionType = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  SignalEntity: 9,
  WhenAny: 11,
  WhenAll: 12,
} as const;

const actionNames: Record<number, string> = Object.fromEntries(Object.entries(ActionType).map(([k, v]) => [v, k]));

export interface RetryRef {
  /** 'chunk': one chunk of a long timer (CreateTimer further away than the long-timer limit). */
  role: 'attempt' | 'timer' | 'chunk';
  /** Index of the CallActivityWithRetry / CallSubOrchestratorWithRetry / CreateTimer action in the book. */
  action: number;
  attempt: number;
  /** First attempt's time (retries); the long timer's own fire time (chunks). */
  firstAt: number;
  final?: boolean;
}

export interface Book {
  seq: number;
  /** Per action: its type, task id and (activities, sub-orchestrations) function name. */
  actions: { t: number; id: number; n?: string }[];
  retries: Record<string, RetryRef>;
  canceled: number[];
}

export const emptyBook = (): Book => ({ seq: 0, actions: [], retries: {}, canceled: [] });

export interface EpisodeInstance {
  instanceId: string;
  name: string;
  input: string | undefined;
  parentInstanceId: string | undefined;
}

export interface ScheduledActivity {
  id: number;
  name: string;
  input: string | undefined;
}
export interface ScheduledSub {
  id: number;
  name: string;
  instanceId: string;
  input: string | undefined;
}

export type Outcome =
  | { kind: 'running' }
  | { kind: 'completed'; output: string | undefined }
  | { kind: 'failed'; message: string; details: string | undefined }
  | { kind: 'continueAsNew'; input: string | undefined };

export interface EpisodeResult {
  /** Events to append to the committed history, in order. */
  appended: HistoryEvent[];
  book: Book;
  outcome: Outcome;
  customStatus: string | undefined;
  activities: ScheduledActivity[];
  timers: { id: number; fireAt: number }[];
  subOrchestrations: ScheduledSub[];
  /** Timer ids the orchestrator cancelled in this episode. */
  canceledTimers: number[];
  /** Timers still pending when the orchestration finished (a likely bug in the orchestrator). */
  danglingTimers: number;
}

/**
 * Runs the orchestrator with the trigger payload. It must hand the library a copy (the worker's
 * JSON transport does): the library mutates the events it replays.
 */
export type OrchestratorInvoker = (payload: Record<string, unknown>) => Promise<unknown>;

/**
 * The Durable extension's long-timer limits on the Azure Storage provider: a timer further away than
 * `maximumMs` is split by the JS library into chunks of `intervalMs` (each chunk its own task id).
 */
export interface LongTimerLimits {
  maximumMs: number;
  intervalMs: number;
}
export const AZURE_STORAGE_TIMERS: LongTimerLimits = { maximumMs: 6 * 24 * 3600_000, intervalMs: 3 * 24 * 3600_000 };
const OUT_OF_PROC_MARKER = '$OutOfProcData$:';

interface LibraryAction {
  actionType: number;
  functionName?: string;
  input?: unknown;
  instanceId?: string;
  fireAt?: Date | string;
  isCanceled?: boolean;
  retryOptions?: {
    firstRetryIntervalInMilliseconds: number;
    maxNumberOfAttempts: number;
    backoffCoefficient?: number;
    maxRetryIntervalInMilliseconds?: number;
    retryTimeoutInMilliseconds?: number;
  };
  compoundActions?: LibraryAction[];
}

interface LibraryState {
  isDone: boolean;
  actions: LibraryAction[][];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
}

export async function runEpisode(args: {
  invoke: OrchestratorInvoker;
  instance: EpisodeInstance;
  history: readonly HistoryEvent[];
  book: Book;
  now: number;
  /**
   * The events this episode delivers, in arrival order; empty for the first episode of an
   * execution. More than one only for completions and raised events (see above).
   */
  events: readonly HistoryEvent[];
  /** Default: the Azure Storage provider's (6 days, 3-day chunks). */
  longTimers?: LongTimerLimits;
}): Promise<EpisodeResult> {
  const { instance, now } = args;
  const limits = args.longTimers ?? AZURE_STORAGE_TIMERS;
  const event = args.events.length === 1 ? args.events[0] : undefined;
  const book: Book = structuredClone(args.book);
  const appended: HistoryEvent[] = [ev.orchestratorStarted(now)];
  if (args.events.length) appended.push(...args.events);
  else appended.push(ev.executionStarted(now, instance.name, instance.input));

  const result: EpisodeResult = {
    appended,
    book,
    outcome: { kind: 'running' },
    customStatus: undefined,
    activities: [],
    timers: [],
    subOrchestrations: [],
    canceledTimers: [],
    danglingTimers: 0,
  };
  const fail = (message: string, details?: string, prefixed = true): EpisodeResult => {
    result.outcome = { kind: 'failed', message: prefixed ? `Orchestrator function '${instance.name}' failed: ${message}` : message, details };
    result.activities = [];
    result.timers = [];
    result.subOrchestrations = [];
    appended.push(ev.orchestratorCompleted(now), ev.executionCompleted(now, 'Failed', JSON.stringify(result.outcome.message)));
    return result;
  };

  const payload = {
    history: [...args.history.map((e) => ({ ...e, IsPlayed: true })), ...appended.map((e) => ({ ...e, IsPlayed: false }))],
    input: instance.input === undefined ? undefined : (JSON.parse(instance.input) as unknown),
    instanceId: instance.instanceId,
    isReplaying: args.history.length > 0,
    parentInstanceId: instance.parentInstanceId ?? '',
    upperSchemaVersion: 1,
    // What extension 3.x announces (the JS library's schema V4).
    upperSchemaVersionNew: 3,
    longRunningTimerIntervalDuration: dotnetTimeSpan(limits.intervalMs),
    maximumShortTimerDuration: dotnetTimeSpan(limits.maximumMs),
    defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
  };

  let state: LibraryState;
  try {
    state = (await args.invoke(payload)) as LibraryState;
  } catch (err) {
    const { message, customStatus } = readFailure(err);
    if (customStatus !== undefined) result.customStatus = customStatus;
    return fail(message, err instanceof Error ? err.stack : undefined);
  }
  if (!state || typeof state !== 'object' || !Array.isArray(state.actions)) {
    return fail('the orchestrator returned no orchestration state: register it with df.app.orchestration().');
  }

  if (state.customStatus !== undefined) {
    const text = JSON.stringify(state.customStatus);
    // The extension's limit: 16 KB of the JSON as UTF-16, in whole KB rounded down (so 17,408 bytes,
    // 8,704 UTF-16 code units of JSON, is the first size refused), and the orchestration fails.
    const kb = text === undefined ? 0 : Math.floor((text.length * 2) / 1024);
    if (kb > 16) {
      return fail(`The UTF-16 size of the JSON-serialized payload must not exceed 16 KB. The current payload size is ${kb} KB.`);
    }
    result.customStatus = text;
  }

  const actions = flatten(state.actions);
  for (let i = 0; i < Math.min(book.actions.length, actions.length); i++) {
    const seen = book.actions[i];
    const now_ = actions[i];
    if (!seen || !now_) continue;
    const mismatch = nonDeterminism(i, seen, now_);
    if (mismatch) return fail(mismatch, undefined, false);
  }
  if (actions.length < book.actions.length && !state.isDone) {
    return fail(`non-deterministic orchestrator: it replayed ${actions.length} actions where its history has ${book.actions.length}.`);
  }

  // 1. Retry bookkeeping for the delivered event (happens before user code resumes).
  if (event) {
    const failedId =
      event.EventType === EventType.TaskFailed || event.EventType === EventType.SubOrchestrationInstanceFailed
        ? event.TaskScheduledId
        : undefined;
    const firedId = event.EventType === EventType.TimerFired ? event.TimerId : undefined;
    const attempt = failedId === undefined ? undefined : book.retries[String(failedId)];
    const timer = firedId === undefined ? undefined : book.retries[String(firedId)];
    if (attempt?.role === 'attempt') {
      const action = actions[attempt.action];
      const opts = action?.retryOptions;
      if (!action || !opts) return fail(`cannot find the retry policy of task ${failedId}.`);
      const delay = Math.min(
        opts.firstRetryIntervalInMilliseconds * Math.pow(opts.backoffCoefficient ?? 1, attempt.attempt - 1),
        opts.maxRetryIntervalInMilliseconds && opts.maxRetryIntervalInMilliseconds > 0 ? opts.maxRetryIntervalInMilliseconds : Infinity,
      );
      const timedOut =
        opts.retryTimeoutInMilliseconds !== undefined &&
        opts.retryTimeoutInMilliseconds > 0 &&
        now + delay - attempt.firstAt > opts.retryTimeoutInMilliseconds;
      // After the last failure the library still waits for one timer before it surfaces the error.
      const final = attempt.attempt >= opts.maxNumberOfAttempts || timedOut;
      const id = book.seq++;
      const fireAt = final ? now : now + delay;
      book.retries[String(id)] = { role: 'timer', action: attempt.action, attempt: attempt.attempt, firstAt: attempt.firstAt, final };
      appended.push(ev.timerCreated(now, id, fireAt));
      result.timers.push({ id, fireAt });
    } else if (timer?.role === 'chunk') {
      // The extension's long timer: after each chunk it schedules the next one (a new task id),
      // until the timer's own time; once the orchestrator has cancelled it, it schedules no more.
      // (The JS library keeps numbering chunks after a cancel: the ids drift, as in Azure.)
      const action = actions[timer.action];
      const remaining = timer.firstAt - now;
      if (action && !action.isCanceled && remaining > 0) {
        const id = book.seq++;
        const fireAt = remaining > limits.maximumMs ? now + limits.intervalMs : timer.firstAt;
        book.retries[String(id)] = { role: 'chunk', action: timer.action, attempt: timer.attempt + 1, firstAt: timer.firstAt };
        appended.push(ev.timerCreated(now, id, fireAt));
        result.timers.push({ id, fireAt });
      }
    } else if (timer?.role === 'timer' && !timer.final) {
      const action = actions[timer.action];
      if (!action) return fail(`cannot find the action retried by timer ${firedId}.`);
      const id = book.seq++;
      book.retries[String(id)] = { role: 'attempt', action: timer.action, attempt: timer.attempt + 1, firstAt: timer.firstAt };
      schedule(action, id, instance, now, appended, result);
    }
  }

  // 2. New actions, numbered in the order the library numbered them.
  for (let i = book.actions.length; i < actions.length; i++) {
    const action = actions[i];
    if (!action) continue;
    switch (action.actionType) {
      case ActionType.WaitForExternalEvent:
      case ActionType.ContinueAsNew:
        book.actions.push({ t: action.actionType, id: -1 });
        break;
      case ActionType.CallActivity:
      case ActionType.CallActivityWithRetry:
      case ActionType.CallSubOrchestrator:
      case ActionType.CallSubOrchestratorWithRetry:
      case ActionType.CreateTimer: {
        const id = book.seq++;
        book.actions.push({ t: action.actionType, id, ...(action.functionName === undefined ? {} : { n: action.functionName }) });
        if (action.actionType === ActionType.CallActivityWithRetry || action.actionType === ActionType.CallSubOrchestratorWithRetry) {
          book.retries[String(id)] = { role: 'attempt', action: i, attempt: 1, firstAt: now };
        }
        if (action.actionType === ActionType.CreateTimer && toMs(action.fireAt) - now > limits.maximumMs) {
          // A long timer: the extension waits in chunks (see step 1).
          book.retries[String(id)] = { role: 'chunk', action: i, attempt: 1, firstAt: toMs(action.fireAt) };
          appended.push(ev.timerCreated(now, id, now + limits.intervalMs));
          result.timers.push({ id, fireAt: now + limits.intervalMs });
          if (action.isCanceled) book.canceled.push(id);
          break;
        }
        if (action.actionType === ActionType.CreateTimer && action.isCanceled) {
          // Created and cancelled in the same episode: recorded and armed all the same (its
          // TimerFired arrives, as in Azure).
          book.canceled.push(id);
        }
        schedule(action, id, instance, now, appended, result);
        break;
      }
      default:
        return fail(
          `it uses ${actionNames[action.actionType] ?? `action type ${action.actionType}`}, which the dev host does not ` +
            `support (Durable entities and durable HTTP calls need Core Tools or Azure).`,
        );
    }
  }

  // 3. Timers the orchestrator has cancelled since they were created.
  const fired = new Set(
    [...args.history, ...appended].filter((e) => e.EventType === EventType.TimerFired).map((e) => e.TimerId),
  );
  book.actions.forEach((entry, i) => {
    const action = actions[i];
    if (entry.t === ActionType.CreateTimer && action?.isCanceled && !fired.has(entry.id) && !book.canceled.includes(entry.id)) {
      book.canceled.push(entry.id);
      result.canceledTimers.push(entry.id);
    }
  });

  // 4. The outcome.
  if (state.isDone) {
    const continueAsNew = actions.find((a) => a.actionType === ActionType.ContinueAsNew);
    result.activities = [];
    result.subOrchestrations = [];
    result.timers = [];
    const pendingTimers = new Set(
      book.actions.filter((a) => a.t === ActionType.CreateTimer && !book.canceled.includes(a.id) && !fired.has(a.id)).map((a) => a.id),
    );
    result.danglingTimers = pendingTimers.size;
    appended.push(ev.orchestratorCompleted(now));
    if (continueAsNew) {
      const input = encodeInput(continueAsNew.input);
      result.outcome = { kind: 'continueAsNew', input };
      appended.push(ev.continueAsNew(now, input));
    } else {
      const output = state.output === undefined ? undefined : JSON.stringify(state.output);
      result.outcome = { kind: 'completed', output };
      appended.push(ev.executionCompleted(now, 'Completed', output));
    }
  } else {
    appended.push(ev.orchestratorCompleted(now));
  }
  return result;
}

function schedule(
  action: LibraryAction,
  id: number,
  instance: EpisodeInstance,
  now: number,
  appended: HistoryEvent[],
  result: EpisodeResult,
): void {
  switch (action.actionType) {
    case ActionType.CallActivity:
    case ActionType.CallActivityWithRetry: {
      const input = encodeInput(action.input);
      const name = action.functionName ?? '';
      appended.push(ev.taskScheduled(now, id, name, input));
      result.activities.push({ id, name, input });
      break;
    }
    case ActionType.CallSubOrchestrator:
    case ActionType.CallSubOrchestratorWithRetry: {
      // Unlike activity inputs, the library does not pre-encode sub-orchestration inputs.
      const input = action.input === undefined ? undefined : JSON.stringify(action.input);
      const name = action.functionName ?? '';
      // Deterministic child ids keep a retried or recovered creation idempotent.
      const childId = action.instanceId || `${instance.instanceId}:${id}`;
      appended.push(ev.subOrchestrationCreated(now, id, name, childId, input));
      result.subOrchestrations.push({ id, name, instanceId: childId, input });
      break;
    }
    case ActionType.CreateTimer: {
      const fireAt = toMs(action.fireAt);
      appended.push(ev.timerCreated(now, id, fireAt));
      result.timers.push({ id, fireAt });
      break;
    }
    default:
      break;
  }
}

const TASK_KIND: Record<number, string> = {
  [ActionType.CallActivity]: 'an activity task',
  [ActionType.CallActivityWithRetry]: 'an activity task',
  [ActionType.CallSubOrchestrator]: 'a sub-orchestration',
  [ActionType.CallSubOrchestratorWithRetry]: 'a sub-orchestration',
  [ActionType.CreateTimer]: 'a timer',
};

/** DurableTask.Core's names of the actions, as its replay check prints them. */
const DTFX_ACTION: Record<number, string> = {
  [ActionType.CallActivity]: 'ScheduleTaskOrchestratorAction',
  [ActionType.CallActivityWithRetry]: 'ScheduleTaskOrchestratorAction',
  [ActionType.CallSubOrchestrator]: 'CreateSubOrchestrationAction',
  [ActionType.CallSubOrchestratorWithRetry]: 'CreateSubOrchestrationAction',
  [ActionType.CreateTimer]: 'CreateTimerOrchestratorAction',
};

/**
 * The replay check of the Durable extension (DurableTask.Core): per sequence number, the kind of
 * action and, for activities and sub-orchestrations, the function name (case-insensitive) must be
 * the ones recorded. A plain call changed into a call with retry is refused too (the retry is
 * scheduled differently). Texts as DurableTask.Core words them; undefined when the action matches.
 */
function nonDeterminism(seq: number, seen: Book['actions'][number], now: LibraryAction): string | undefined {
  const tail = 'Was a change made to the orchestrator code after this instance had already started running?';
  if (seen.t !== now.actionType) {
    const was = TASK_KIND[seen.t] ?? actionNames[seen.t] ?? String(seen.t);
    const named = seen.n === undefined ? '' : ` named '${seen.n}'`;
    return (
      `Non-Deterministic workflow detected: A previous execution of this orchestration scheduled ${was} with sequence number ${seq}${named}, ` +
      `but the current orchestration replay instead produced a ${DTFX_ACTION[now.actionType] ?? actionNames[now.actionType] ?? now.actionType} action with this sequence number. ${tail}`
    );
  }
  if (seen.n !== undefined && now.functionName !== undefined && seen.n.toLowerCase() !== now.functionName.toLowerCase()) {
    const kind = TASK_KIND[seen.t] ?? 'a task';
    return (
      `Non-Deterministic workflow detected: A previous execution of this orchestration scheduled ${kind} with sequence number ${seq} ` +
      `named '${seen.n}', but the current orchestration replay instead scheduled ${kind} named '${now.functionName}' with this sequence number.  ${tail}`
    );
  }
  return undefined;
}

/** Depth-first, with a task that appears in several compound tasks counted once. */
function flatten(actions: LibraryAction[][]): LibraryAction[] {
  const out: LibraryAction[] = [];
  const seen = new Set<LibraryAction>();
  const visit = (a: LibraryAction): void => {
    if (a.actionType === ActionType.WhenAll || a.actionType === ActionType.WhenAny) {
      for (const child of a.compoundActions ?? []) visit(child);
      return;
    }
    if (seen.has(a)) return;
    seen.add(a);
    out.push(a);
  };
  for (const group of actions) for (const a of group) visit(a);
  return out;
}

/** Action inputs: strings arrive JSON-encoded already, anything else is encoded here. */
function encodeInput(input: unknown): string | undefined {
  if (input === undefined) return undefined;
  return typeof input === 'string' ? input : JSON.stringify(input);
}

/** A .NET TimeSpan text ("6.00:00:00", "00:00:03.500"), as the extension writes them. */
export function dotnetTimeSpan(ms: number): string {
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  const days = Math.floor(ms / 86_400_000);
  const rest = ms % 86_400_000;
  const hms = `${pad(Math.floor(rest / 3_600_000))}:${pad(Math.floor((rest % 3_600_000) / 60_000))}:${pad(Math.floor((rest % 60_000) / 1000))}`;
  const frac = rest % 1000 ? `.${pad(rest % 1000, 3)}` : '';
  return `${days ? `${days}.` : ''}${hms}${frac}`;
}

function toMs(value: Date | string | undefined): number {
  if (value instanceof Date) return value.getTime();
  const ms = value ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw new Error(`A timer has no valid fireAt (${String(value)}).`);
  return ms;
}

function readFailure(err: unknown): { message: string; customStatus: string | undefined } {
  const text = errorText(err);
  const at = text.indexOf(OUT_OF_PROC_MARKER);
  if (at >= 0) {
    try {
      const state = JSON.parse(text.slice(at + OUT_OF_PROC_MARKER.length)) as LibraryState;
      return {
        message: state.error ?? text.slice(0, at).trim(),
        customStatus: state.customStatus === undefined ? undefined : JSON.stringify(state.customStatus),
      };
    } catch {
      // fall through: report the raw message
    }
  }
  return { message: text, customStatus: undefined };
}
