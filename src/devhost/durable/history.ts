/**
 * Orchestration history events in the JSON shape the durable-functions library replays
 * (PascalCase, as the Durable extension sends them to out-of-process workers).
 */
export enum EventType {
  ExecutionStarted = 0,
  ExecutionCompleted = 1,
  ExecutionFailed = 2,
  ExecutionTerminated = 3,
  TaskScheduled = 4,
  TaskCompleted = 5,
  TaskFailed = 6,
  SubOrchestrationInstanceCreated = 7,
  SubOrchestrationInstanceCompleted = 8,
  SubOrchestrationInstanceFailed = 9,
  TimerCreated = 10,
  TimerFired = 11,
  OrchestratorStarted = 12,
  OrchestratorCompleted = 13,
  EventSent = 14,
  EventRaised = 15,
  ContinueAsNew = 16,
  GenericEvent = 17,
  HistoryState = 18,
  ExecutionSuspended = 19,
  ExecutionResumed = 20,
}

export interface HistoryEvent {
  EventType: EventType;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: string;
  Name?: string;
  Input?: string;
  Result?: string;
  Reason?: string;
  Details?: string;
  TaskScheduledId?: number;
  TimerId?: number;
  FireAt?: string;
  InstanceId?: string;
  OrchestrationStatus?: string;
}

const iso = (ms: number): string => new Date(ms).toISOString();

function base(type: EventType, at: number, eventId = -1): HistoryEvent {
  return { EventType: type, EventId: eventId, IsPlayed: false, Timestamp: iso(at) };
}

export const ev = {
  orchestratorStarted: (at: number): HistoryEvent => base(EventType.OrchestratorStarted, at),
  orchestratorCompleted: (at: number): HistoryEvent => base(EventType.OrchestratorCompleted, at),
  executionStarted: (at: number, name: string, input: string | undefined): HistoryEvent => ({
    ...base(EventType.ExecutionStarted, at),
    Name: name,
    ...(input === undefined ? {} : { Input: input }),
  }),
  executionCompleted: (at: number, status: string, result: string | undefined): HistoryEvent => ({
    ...base(EventType.ExecutionCompleted, at),
    OrchestrationStatus: status,
    ...(result === undefined ? {} : { Result: result }),
  }),
  executionTerminated: (at: number, reason: string): HistoryEvent => ({
    ...base(EventType.ExecutionTerminated, at),
    Input: reason,
  }),
  executionSuspended: (at: number, reason: string): HistoryEvent => ({ ...base(EventType.ExecutionSuspended, at), Reason: reason }),
  executionResumed: (at: number, reason: string): HistoryEvent => ({ ...base(EventType.ExecutionResumed, at), Reason: reason }),
  continueAsNew: (at: number, input: string | undefined): HistoryEvent => ({
    ...base(EventType.ContinueAsNew, at),
    ...(input === undefined ? {} : { Result: input }),
  }),
  taskScheduled: (at: number, id: number, name: string, input: string | undefined): HistoryEvent => ({
    ...base(EventType.TaskScheduled, at, id),
    Name: name,
    ...(input === undefined ? {} : { Input: input }),
  }),
  taskCompleted: (at: number, taskId: number, result: string): HistoryEvent => ({
    ...base(EventType.TaskCompleted, at),
    TaskScheduledId: taskId,
    Result: result,
  }),
  taskFailed: (at: number, taskId: number, reason: string, details: string): HistoryEvent => ({
    ...base(EventType.TaskFailed, at),
    TaskScheduledId: taskId,
    Reason: reason,
    Details: details,
  }),
  subOrchestrationCreated: (at: number, id: number, name: string, instanceId: string, input: string | undefined): HistoryEvent => ({
    ...base(EventType.SubOrchestrationInstanceCreated, at, id),
    Name: name,
    InstanceId: instanceId,
    ...(input === undefined ? {} : { Input: input }),
  }),
  subOrchestrationCompleted: (at: number, taskId: number, result: string): HistoryEvent => ({
    ...base(EventType.SubOrchestrationInstanceCompleted, at),
    TaskScheduledId: taskId,
    Result: result,
  }),
  subOrchestrationFailed: (at: number, taskId: number, reason: string, details: string): HistoryEvent => ({
    ...base(EventType.SubOrchestrationInstanceFailed, at),
    TaskScheduledId: taskId,
    Reason: reason,
    Details: details,
  }),
  timerCreated: (at: number, id: number, fireAt: number): HistoryEvent => ({
    ...base(EventType.TimerCreated, at, id),
    FireAt: iso(fireAt),
  }),
  timerFired: (at: number, timerId: number, fireAt: string): HistoryEvent => ({
    ...base(EventType.TimerFired, at),
    TimerId: timerId,
    FireAt: fireAt,
  }),
  eventRaised: (at: number, name: string, input: string | undefined): HistoryEvent => ({
    ...base(EventType.EventRaised, at),
    Name: name,
    ...(input === undefined ? {} : { Input: input }),
  }),
};

/** Task ids that have a completion (or failure) in `history`. */
export function completedTaskIds(history: readonly HistoryEvent[]): Set<number> {
  const done = new Set<number>();
  for (const e of history) {
    if (
      e.EventType === EventType.TaskCompleted ||
      e.EventType === EventType.TaskFailed ||
      e.EventType === EventType.SubOrchestrationInstanceCompleted ||
      e.EventType === EventType.SubOrchestrationInstanceFailed
    ) {
      if (e.TaskScheduledId !== undefined) done.add(e.TaskScheduledId);
    } else if (e.EventType === EventType.TimerFired && e.TimerId !== undefined) {
      done.add(e.TimerId);
    }
  }
  return done;
}

/** Scheduled work (activities, timers, sub-orchestrations) that has no completion yet. */
export function outstanding(history: readonly HistoryEvent[]): HistoryEvent[] {
  const done = completedTaskIds(history);
  return history.filter(
    (e) =>
      (e.EventType === EventType.TaskScheduled ||
        e.EventType === EventType.TimerCreated ||
        e.EventType === EventType.SubOrchestrationInstanceCreated) &&
      !done.has(e.EventId),
  );
}
