/**
 * Receiving external events in a long-running orchestrator loop without losing any.
 *
 * The loop races a wait for every event name against a timer (Task.any). In durable-functions an
 * event is handed to the newest *yielded* wait of its name that has not received one, or buffered
 * when there is none. A wait that lost a race is still registered, so an event that arrives while
 * the orchestrator is busy (running the commands of the previous event) lands in that abandoned
 * wait. A loop that only looks at the race's winner drops it: an acknowledgement raised right
 * after another event, or a containment decision raised during a smoke run, would vanish
 * (the same trap as Azure/azure-functions-durable-extension#1410).
 *
 * So every wait ever yielded is kept, and `take()` returns every event that has landed in any of
 * them and was not taken yet, the winner included. A wait is never yielded twice (a second yield
 * would register it twice, and its second registration would swallow a later event). Replay sees
 * the same history in the same order, so what `take()` returns is deterministic.
 */
import type * as df from 'durable-functions';

export interface ReceivedEvent {
  name: string;
  payload: unknown;
}

interface Wait {
  name: string;
  task: df.Task;
  /** Creation order, the tie-break when two events carry the same time. */
  seq: number;
}

export class EventInbox {
  private waits: Wait[] = [];
  private seq = 0;
  private taken = 0;

  constructor(
    private readonly context: df.OrchestrationContext,
    private readonly names: readonly string[],
  ) {}

  /** Fresh waits, one per event name, to race (with a timer) in Task.any. */
  open(): df.Task[] {
    const fresh = this.names.map((name) => ({ name, task: this.context.df.waitForExternalEvent(name), seq: this.seq++ }));
    this.waits.push(...fresh);
    return fresh.map((w) => w.task);
  }

  /** The names it waits for. */
  get eventNames(): ReadonlySet<string> {
    return new Set(this.names);
  }

  /** How many events its waits have received in this execution (taken or not). */
  get received(): number {
    return this.taken + this.waits.filter((w) => w.task.isCompleted).length;
  }

  /**
   * Every event received since the last call, oldest first: by the time the sender stamped on it
   * (`at`, or `receivedAt` for alerts), then by the order the waits were created.
   */
  take(): ReceivedEvent[] {
    const done = this.waits.filter((w) => w.task.isCompleted);
    if (!done.length) return [];
    this.waits = this.waits.filter((w) => !w.task.isCompleted);
    this.taken += done.length;
    return done
      .map((w) => ({ w, at: stampOf(w.task.result) }))
      .sort((a, b) => (a.at === b.at ? a.w.seq - b.w.seq : a.at < b.at ? -1 : 1))
      .map(({ w }) => ({ name: w.name, payload: w.task.result }));
  }
}

function stampOf(payload: unknown): string {
  if (payload && typeof payload === 'object') {
    const p = payload as { at?: unknown; receivedAt?: unknown };
    if (typeof p.at === 'string') return p.at;
    if (typeof p.receivedAt === 'string') return p.receivedAt;
  }
  return '';
}
