/**
 * The orchestration engine of the dev host: instances, their inboxes, episodes, activities,
 * durable timers and sub-orchestrations, persisted in Table storage (see store.ts) so that a
 * restart resumes every running instance.
 *
 * Per instance, work is serial: one episode at a time, for one message (a raised event, an activity
 * result, a fired timer...) or for the completions and events that queued up while the previous
 * one ran; each committed before its side effects start. Side effects are derived from the
 * committed history, so after a crash the same derivation re-arms timers, re-runs activities that
 * have no recorded result (activities run at least once, as in Azure) and re-creates children.
 *
 * What a client sends (raised events, terminate, suspend, resume) and what a child orchestration
 * reports is stored in the instance's inbox before it is queued: it must survive a restart. A fired
 * timer and an activity's result are only queued in memory: the commit of the episode that applies
 * them is their durable record, and until then the history alone says what to do again after a
 * restart (arm the timer, run the activity: at least once, as in Azure when a worker stops before
 * it reports). A storage write per result would sit on the path of every fan-in, and 50 of them
 * at once hold up the commits they race with.
 */
import { randomUUID } from 'node:crypto';
import type { Clock, TimerHandle } from '../clock.js';
import type { Registration, Registry } from '../core-api.js';
import type { Invoker } from '../invoker.js';
import type { Logger } from '../logger.js';
import { emptyBook, runEpisode, type LongTimerLimits, type ScheduledActivity, type ScheduledSub } from './episode.js';
import { activityFailure } from './failures.js';
import { EventType, ev, outstanding, type HistoryEvent } from './history.js';
import {
  ConcurrencyError,
  type HubStore,
  MAX_TEXT,
  PayloadTooLargeError,
  TERMINAL,
  type InboxBody,
  type InboxMessage,
  type InstanceState,
  type RuntimeStatus,
} from './store.js';
import { errorText } from '../../domain/errors.js';

export interface EngineOptions {
  store: HubStore;
  registry: Registry;
  invoker: Invoker;
  clock: Clock;
  logger: Logger;
  maxConcurrentActivities: number;
  activityTimeoutMs: number | undefined;
  /** The long-timer limits the orchestrator library is told (default: Azure Storage's, 6 days / 3 days). */
  longTimers?: LongTimerLimits;
}

/** Queued work; without a key it is held in memory only (a start, a fired timer, an activity's result). */
type Work = InboxMessage | { key: undefined; executionId: string; body: InboxBody | { kind: 'start' } | { kind: 'timer'; timerId: number; fireAt: string } };

interface Live {
  state: InstanceState;
  history: HistoryEvent[];
  queue: Work[];
  busy: boolean;
  timers: Map<number, TimerHandle>;
  retryAt: TimerHandle | undefined;
  failures: number;
}

export class InstanceExistsError extends Error {
  override name = 'InstanceExistsError';
}
export class BadRequestError extends Error {
  override name = 'BadRequestError';
}

export type Delivery = 'accepted' | 'notFound' | 'gone';

// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const INVALID_ID = /[/\\#?\u0000-\u001f\u007f-\u009f]/;
export const NON_TERMINAL: RuntimeStatus[] = ['Pending', 'Running', 'Suspended', 'ContinuedAsNew'];

export class Engine {
  private readonly live = new Map<string, Live>();
  private readonly inflight = new Set<string>();
  private readonly slots: Semaphore;
  private keySeq = 0;
  private outstandingWork = 0;
  private idleWaiters: (() => void)[] = [];
  private stopped = false;
  /** Loading at start-up; client operations wait for it (an inbox read before they stored a message would miss it). */
  private starting: Promise<void> | undefined;
  /** Instances being created: a message for one waits until it is live. */
  private readonly creating = new Map<string, Promise<void>>();

  constructor(private readonly o: EngineOptions) {
    this.slots = new Semaphore(o.maxConcurrentActivities);
  }

  get hubName(): string {
    return this.o.store.hubName;
  }

  /** Loads every unfinished instance and resumes its work. */
  start(): Promise<void> {
    this.starting ??= this.load();
    return this.starting;
  }

  private async load(): Promise<void> {
    const states = await this.o.store.allStates(NON_TERMINAL);
    for (const state of states) {
      const [history, inbox] = await Promise.all([
        this.o.store.loadHistory(state.instanceId, state.historyLength),
        this.o.store.loadInbox(state.instanceId),
      ]);
      this.live.set(state.instanceId, this.makeLive(state, history, inbox));
    }
    for (const live of this.live.values()) this.resume(live);
    if (states.length) this.o.logger.info('DurableTask', `Resumed ${states.length} unfinished orchestration instance(s).`);
  }

  stop(): void {
    this.stopped = true;
    for (const live of this.live.values()) {
      for (const t of live.timers.values()) t.cancel();
      live.timers.clear();
      live.retryAt?.cancel();
    }
    this.live.clear();
  }

  /** Resolves once no episode, activity or delivery is in progress (timers may still be pending). */
  idle(): Promise<void> {
    if (this.outstandingWork === 0 && [...this.live.values()].every((l) => !l.busy && !this.hasRunnable(l))) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  // ---------------------------------------------------------------------------------------------
  // Client operations (the management API calls these)

  orchestratorNamed(name: string): Registration | undefined {
    const reg = this.o.registry.functions.get(name.toLowerCase());
    return reg && isTriggerType(reg, 'orchestrationTrigger') ? reg : undefined;
  }

  async startNew(name: string, instanceId: string | undefined, input: string | undefined): Promise<InstanceState> {
    const reg = this.orchestratorNamed(name);
    if (!reg) throw new BadRequestError(`The function '${name}' doesn't exist, is disabled, or is not an orchestrator function.`);
    await this.starting?.catch(() => undefined);
    const id = instanceId ?? randomUUID().replace(/-/g, '');
    validateInstanceId(id);
    if (input !== undefined && input.length > MAX_TEXT) {
      throw new PayloadTooLargeError(`The input is ${input.length} characters; the dev host stores at most ${MAX_TEXT}.`);
    }
    const now = this.o.clock.now();
    const state: InstanceState = {
      instanceId: id,
      name: reg.metadata.name,
      executionId: randomUUID(),
      status: 'Pending',
      input,
      output: undefined,
      customStatus: undefined,
      createdTime: now,
      lastUpdatedTime: now,
      parent: undefined,
      historyLength: 0,
      book: emptyBook(),
    };
    await this.createOrReplace(state);
    return state;
  }

  async raiseEvent(instanceId: string, name: string, input: string | undefined): Promise<Delivery> {
    if (input !== undefined && input.length > MAX_TEXT) {
      throw new PayloadTooLargeError(`The event data is ${input.length} characters; the dev host stores at most ${MAX_TEXT}.`);
    }
    return this.deliverFromClient(instanceId, { kind: 'event', name, input });
  }

  terminate(instanceId: string, reason: string): Promise<Delivery> {
    return this.deliverFromClient(instanceId, { kind: 'terminate', reason });
  }

  suspend(instanceId: string, reason: string): Promise<Delivery> {
    return this.deliverFromClient(instanceId, { kind: 'suspend', reason });
  }

  resumeInstance(instanceId: string, reason: string): Promise<Delivery> {
    return this.deliverFromClient(instanceId, { kind: 'resume', reason });
  }

  async getState(instanceId: string): Promise<{ state: InstanceState; history: () => Promise<HistoryEvent[]> } | undefined> {
    const live = this.live.get(instanceId);
    if (live) return { state: live.state, history: () => Promise.resolve(live.history) };
    const state = await this.o.store.getState(instanceId);
    if (!state) return undefined;
    return { state, history: () => this.o.store.loadHistory(instanceId, state.historyLength) };
  }

  listInstances(query: Parameters<HubStore['listStates']>[0]): ReturnType<HubStore['listStates']> {
    return this.o.store.listStates(query);
  }

  /** Deletes a finished instance; running ones are kept (terminate them first), as in Azure. */
  async purge(instanceId: string): Promise<boolean> {
    if (this.live.has(instanceId)) return false;
    const state = await this.o.store.getState(instanceId);
    if (!state || !TERMINAL.has(state.status)) return false;
    return this.o.store.purge(instanceId);
  }

  // ---------------------------------------------------------------------------------------------
  // Internals

  private makeLive(state: InstanceState, history: HistoryEvent[], inbox: InboxMessage[]): Live {
    return { state, history, queue: [...inbox], busy: false, timers: new Map(), retryAt: undefined, failures: 0 };
  }

  private createOrReplace(state: InstanceState): Promise<void> {
    const id = state.instanceId;
    // A second start for an id that is being created waits for the first (it then finds the
    // instance and is refused), so the guard that holds client messages back lasts until both have
    // settled; replacing it would let a raise slip into the stored inbox of an instance that went
    // live with an empty queue.
    const prior = this.creating.get(id);
    const creating = prior ? prior.then(() => this.doCreateOrReplace(state)) : this.doCreateOrReplace(state);
    const settled = creating.then(
      () => undefined,
      () => undefined,
    );
    this.creating.set(id, settled);
    void settled.then(() => {
      if (this.creating.get(id) === settled) this.creating.delete(id);
    });
    return creating;
  }

  private async doCreateOrReplace(state: InstanceState): Promise<void> {
    const id = state.instanceId;
    if (this.live.has(id)) throw new InstanceExistsError(`An orchestration instance with the ID '${id}' is already running.`);
    // Most starts are of a new id: insert first (one round trip before the first episode) and only
    // read the existing instance when the insert finds one.
    if (!(await this.o.store.createState(state))) {
      const existing = await this.o.store.getState(id);
      if (!existing) throw new InstanceExistsError(`The instance '${id}' was started or purged concurrently.`);
      if (!TERMINAL.has(existing.status)) {
        throw new InstanceExistsError(`An orchestration instance with the ID '${id}' and status ${existing.status} already exists.`);
      }
      // A finished instance is replaced by the new one, as the Durable extension does.
      await this.o.store.clearExecution(id);
      state.etag = existing.etag;
      await this.o.store.replaceState(state).catch((err: unknown) => {
        if (err instanceof ConcurrencyError) throw new InstanceExistsError(`The instance '${id}' was started concurrently.`);
        throw err;
      });
    }
    if (this.live.has(id)) throw new InstanceExistsError(`An orchestration instance with the ID '${id}' is already running.`);
    const live = this.makeLive(state, [], []);
    this.live.set(id, live);
    this.kick(live);
  }

  /**
   * A client's message for an instance. 410 ("gone") only for a finished one: an instance that is
   * running in storage but not loaded here (the engine is stopping, or it is being created) gets
   * the message stored in its inbox, which the engine that runs it next applies.
   */
  private async deliverFromClient(instanceId: string, body: InboxBody): Promise<Delivery> {
    await this.starting?.catch(() => undefined);
    for (;;) {
      const live = this.live.get(instanceId);
      if (live) {
        await this.enqueue(live, live.state.executionId, body);
        return 'accepted';
      }
      const creating = this.creating.get(instanceId);
      if (creating) {
        await creating;
        continue;
      }
      const state = await this.o.store.getState(instanceId);
      if (!state) return 'notFound';
      if (TERMINAL.has(state.status)) return 'gone';
      if (this.live.has(instanceId) || this.creating.has(instanceId)) continue;
      const msg: InboxMessage = { key: this.newKey(), executionId: state.executionId, body };
      await this.o.store.addInbox(instanceId, msg);
      // Loaded meanwhile (a start in this process): hand it the message as well.
      const now = this.live.get(instanceId);
      if (now && now.state.executionId === msg.executionId && !now.queue.some((m) => m.key === msg.key)) {
        now.queue.push(msg);
        this.kick(now);
      }
      return 'accepted';
    }
  }

  /** Persists a message to the instance's inbox, then queues it. */
  private async enqueue(live: Live, executionId: string, body: InboxBody): Promise<void> {
    const msg: InboxMessage = { key: this.newKey(), executionId, body };
    const id = live.state.instanceId;
    await this.o.store.addInbox(id, msg);
    const current = this.live.get(id);
    if (current === live || (current && current.state.executionId === executionId)) {
      // The same instance, or its copy reloaded from storage (which may have read the row already).
      if (!current.queue.some((m) => m.key === msg.key)) current.queue.push(msg);
      this.kick(current);
      return;
    }
    // Stopped meanwhile: the row stays, and the next start applies it.
    if (this.stopped) return;
    // The instance finished meanwhile: the message will never be applied.
    await this.o.store.deleteRow(id, msg.key);
  }

  /** Inbox keys sort in arrival order within and across runs of the host. */
  private newKey(): string {
    this.keySeq = (this.keySeq + 1) % 1_679_616;
    return `i${Date.now().toString(36).padStart(9, '0')}${this.keySeq.toString(36).padStart(4, '0')}${randomUUID().slice(0, 4)}`;
  }

  /** Re-derives and restarts the side effects of committed history (start-up and recovery). */
  private resume(live: Live): void {
    const execId = live.state.executionId;
    const answered = new Set(
      live.queue.flatMap((m) => ('taskId' in m.body && m.executionId === execId ? [m.body.taskId] : [])),
    );
    for (const e of outstanding(live.history)) {
      if (answered.has(e.EventId)) continue;
      if (e.EventType === EventType.TaskScheduled) {
        this.runActivity(live, { id: e.EventId, name: e.Name ?? '', input: e.Input });
      } else if (e.EventType === EventType.TimerCreated) {
        // Cancelled ones too: in Azure a cancelled timer's TimerFired still arrives (one more replay).
        this.armTimer(live, e.EventId, Date.parse(e.FireAt ?? ''));
      } else if (e.EventType === EventType.SubOrchestrationInstanceCreated) {
        void this.track(this.startChild(live, { id: e.EventId, name: e.Name ?? '', instanceId: e.InstanceId ?? '', input: e.Input }));
      }
    }
    this.kick(live);
  }

  private hasRunnable(live: Live): boolean {
    return this.peek(live) !== undefined;
  }

  /**
   * Starts applying the instance's queue unless it is already being applied. `gather`: from the
   * next turn of the event loop, so the results of activities that finished together join one
   * episode instead of one each. Everything else starts at once: a timer the manual clock fires
   * mid-step must run its episode at its own instant (the clock moves on when the step's timers
   * have fired), as the real engine runs it when it fires.
   */
  private kick(live: Live, gather = false): void {
    if (live.busy || this.stopped) return;
    if (!this.hasRunnable(live)) {
      this.settle();
      return;
    }
    live.busy = true;
    if (!gather) {
      void this.track(this.pump(live));
      return;
    }
    void this.track(new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.pump(live)));
  }

  private async pump(live: Live): Promise<void> {
    try {
      for (;;) {
        if (this.stopped || this.live.get(live.state.instanceId) !== live) return;
        const work = this.peek(live);
        if (!work) return;
        const ok = await this.process(live, work);
        if (!ok) return;
      }
    } finally {
      live.busy = false;
      this.settle();
    }
  }

  /** The next message to apply, without removing it (removed once its commit succeeded). */
  private peek(live: Live): Work | undefined {
    if (TERMINAL.has(live.state.status)) return undefined;
    const terminate = live.queue.find((m) => m.body.kind === 'terminate');
    if (terminate) return terminate;
    if (live.state.status === 'Suspended') return live.queue.find((m) => m.body.kind === 'resume');
    if (live.history.length === 0) return { key: undefined, executionId: live.state.executionId, body: { kind: 'start' } };
    return live.queue[0];
  }

  private consume(live: Live, work: Work): void {
    const i = live.queue.indexOf(work);
    if (i >= 0) live.queue.splice(i, 1);
  }

  /** Applies one message. Returns false when the pump must pause (a storage failure: retried later). */
  private async process(live: Live, work: Work): Promise<boolean> {
    try {
      await this.apply(live, work);
      live.failures = 0;
      return true;
    } catch (err) {
      if (err instanceof ConcurrencyError) {
        this.o.logger.warn('DurableTask', `${err.message} Reloading it.`);
        await this.reload(live).catch((e: unknown) => this.o.logger.error('DurableTask', String(e)));
        return false;
      }
      live.failures++;
      const delay = Math.min(30_000, 250 * 2 ** Math.min(live.failures, 7));
      this.o.logger.error(
        'DurableTask',
        `Instance ${live.state.instanceId}: could not apply ${work.body.kind} (${errorText(err)}); retrying in ${delay} ms.`,
      );
      // Real time on purpose: storage recovers in wall-clock time whatever the orchestration clock says.
      const timer = setTimeout(() => {
        live.retryAt = undefined;
        this.kick(live);
      }, delay);
      live.retryAt = { cancel: () => clearTimeout(timer) };
      return false;
    }
  }

  private async reload(live: Live): Promise<void> {
    const state = await this.o.store.getState(live.state.instanceId);
    if (!state) {
      this.live.delete(live.state.instanceId);
      return;
    }
    const [history, inbox] = await Promise.all([
      this.o.store.loadHistory(state.instanceId, state.historyLength),
      this.o.store.loadInbox(state.instanceId),
    ]);
    for (const t of live.timers.values()) t.cancel();
    const fresh = this.makeLive(state, history, inbox);
    // Activity results held in memory (they have no inbox row) stay queued: otherwise those
    // activities would run again. One already in the stored history is dropped as a duplicate.
    fresh.queue.push(...live.queue.filter((m) => m.key === undefined && m.executionId === state.executionId && 'taskId' in m.body));
    if (TERMINAL.has(state.status)) {
      this.live.delete(state.instanceId);
      return;
    }
    this.live.set(state.instanceId, fresh);
    this.resume(fresh);
  }

  private async apply(live: Live, work: Work): Promise<void> {
    const now = this.o.clock.now();
    const s = live.state;
    if (work.executionId !== undefined && work.executionId !== s.executionId) {
      return this.discard(live, work, 'it belongs to an earlier execution');
    }
    const body = work.body;
    switch (body.kind) {
      case 'start':
        return this.episode(live, [work], []);
      case 'event':
      case 'taskCompleted':
      case 'taskFailed':
      case 'subCompleted':
      case 'subFailed': {
        const open = new Set(outstanding(live.history).flatMap((e) => (e.EventType === EventType.TimerCreated ? [] : [e.EventId])));
        const first = messageEvent(body, now, open);
        if (!first) return this.discard(live, work, `task ${'taskId' in body ? body.taskId : '?'} is not outstanding (a duplicate result)`);
        const works: Work[] = [work];
        const events: HistoryEvent[] = [first];
        // What queued up behind it while the previous episode ran joins this episode: fewer
        // replays of a long history (a fan-in of 50 results is a few episodes, not 50). Only
        // completions and raised events: failures and timers drive retries, delivered alone.
        if (BATCHABLE.has(body.kind) && live.queue[0] === work) {
          let stored = work.key ? 1 : 0;
          for (const m of live.queue.slice(1, MAX_BATCH)) {
            if (!BATCHABLE.has(m.body.kind) || m.executionId !== s.executionId) break;
            if (m.key && stored === MAX_STORED_BATCH) break;
            const next = messageEvent(m.body, now, open);
            if (!next) break;
            works.push(m);
            events.push(next);
            if (m.key) stored++;
          }
        }
        return this.episode(live, works, events);
      }
      case 'timer': {
        const pending = outstanding(live.history).some((e) => e.EventType === EventType.TimerCreated && e.EventId === body.timerId);
        if (!pending) return this.discard(live, work, `timer ${body.timerId} is not pending`);
        return this.episode(live, [work], [ev.timerFired(now, body.timerId, body.fireAt)]);
      }
      case 'terminate':
        return this.finish(live, work, 'Terminated', JSON.stringify(body.reason), [ev.executionTerminated(now, JSON.stringify(body.reason))]);
      case 'suspend':
      case 'resume': {
        if ((body.kind === 'suspend') === (s.status === 'Suspended')) return this.discard(live, work, `the instance is already ${s.status}`);
        const status = body.kind === 'suspend' ? 'Suspended' : 'Running';
        const next: InstanceState = { ...s, status, lastUpdatedTime: now, historyLength: s.historyLength + 1 };
        const event = body.kind === 'suspend' ? ev.executionSuspended(now, body.reason) : ev.executionResumed(now, body.reason);
        await this.o.store.commit(next, s.historyLength, [event], work.key);
        this.committed(live, work, next, [event]);
        if (status === 'Suspended') await this.storeHeldResults(live);
        return;
      }
    }
  }

  private async discard(live: Live, work: Work, why: string): Promise<void> {
    this.o.logger.debug('DurableTask', `Instance ${live.state.instanceId}: dropped ${work.body.kind}: ${why}.`);
    if (work.key) await this.o.store.deleteRow(live.state.instanceId, work.key);
    this.consume(live, work);
  }

  private committed(live: Live, work: Work | Work[], next: InstanceState, events: HistoryEvent[]): void {
    for (const w of Array.isArray(work) ? work : [work]) this.consume(live, w);
    live.history.push(...events);
    live.state = next;
  }

  private async episode(live: Live, works: Work[], events: HistoryEvent[]): Promise<void> {
    const work = works[0] as Work;
    const keys = works.flatMap((w) => (w.key ? [w.key] : []));
    const s = live.state;
    const now = this.o.clock.now();
    const reg = this.orchestratorNamed(s.name);
    if (!reg) {
      const message = `The function '${s.name}' doesn't exist, is disabled, or is not an orchestrator function.`;
      return this.finish(live, work, 'Failed', JSON.stringify(message), [ev.executionCompleted(now, 'Failed', JSON.stringify(message))]);
    }
    const result = await runEpisode({
      invoke: async (payload) => {
        const { result } = await this.o.invoker.invoke(reg, { trigger: { string: JSON.stringify(payload) } });
        return result;
      },
      instance: { instanceId: s.instanceId, name: s.name, input: s.input, parentInstanceId: s.parent?.instanceId },
      history: live.history,
      book: s.book,
      now,
      events,
      ...(this.o.longTimers ? { longTimers: this.o.longTimers } : {}),
    });

    const outcome = result.outcome;
    const next: InstanceState = {
      ...s,
      book: result.book,
      customStatus: result.customStatus ?? s.customStatus,
      lastUpdatedTime: now,
      historyLength: s.historyLength + result.appended.length,
      status: 'Running',
    };
    if (outcome.kind === 'completed') {
      next.status = 'Completed';
      next.output = outcome.output;
    } else if (outcome.kind === 'failed') {
      next.status = 'Failed';
      next.output = JSON.stringify(outcome.message);
      this.o.logger.error('DurableTask', `Instance ${s.instanceId}: ${outcome.message}`);
    } else if (outcome.kind === 'continueAsNew') {
      next.executionId = randomUUID();
      next.input = outcome.input;
      next.output = undefined;
      next.historyLength = 0;
      next.book = emptyBook();
    }
    try {
      await this.o.store.commit(next, s.historyLength, outcome.kind === 'continueAsNew' ? [] : result.appended, keys);
    } catch (err) {
      if (!(err instanceof PayloadTooLargeError) || outcome.kind === 'failed') throw err;
      // An output, custom status or input too large to store fails the orchestration, as in Azure.
      const message = `Orchestrator function '${s.name}' failed: ${err.message}`;
      return this.finish(live, works, 'Failed', JSON.stringify(message), [ev.executionCompleted(now, 'Failed', JSON.stringify(message))]);
    }

    if (outcome.kind === 'continueAsNew') {
      for (const w of works) this.consume(live, w);
      this.clearTimers(live);
      live.history = [];
      live.state = next;
      // Awaited: the next execution writes its history from row 0 as soon as this returns.
      await this.o.store
        .trimHistory(s.instanceId, 0)
        .catch((err: unknown) => this.o.logger.warn('DurableTask', `Could not delete old history rows: ${errorText(err)}`));
      return;
    }
    this.committed(live, works, next, result.appended);
    // Cancelled timers stay armed: the Durable extension does not withdraw a timer message, so its
    // TimerFired arrives all the same and the orchestrator replays once more (the library ignores it).
    if (TERMINAL.has(next.status)) {
      if (result.danglingTimers > 0) {
        this.o.logger.warn(
          'DurableTask',
          `Instance ${s.instanceId} finished with ${result.danglingTimers} timer(s) neither fired nor cancelled: ` +
            `cancel the timer that loses a Task.any, or Azure keeps the instance running until it fires.`,
        );
      }
      this.afterFinish(live);
      return;
    }
    for (const t of result.timers) this.armTimer(live, t.id, t.fireAt);
    for (const a of result.activities) this.runActivity(live, a);
    for (const sub of result.subOrchestrations) void this.track(this.startChild(live, sub));
  }

  /** Ends an instance without an episode (terminate, missing orchestrator). */
  private async finish(live: Live, work: Work | Work[], status: RuntimeStatus, output: string, events: HistoryEvent[]): Promise<void> {
    const now = this.o.clock.now();
    const next: InstanceState = { ...live.state, status, output, lastUpdatedTime: now, historyLength: live.state.historyLength + events.length };
    const keys = (Array.isArray(work) ? work : [work]).flatMap((w) => (w.key ? [w.key] : []));
    await this.o.store.commit(next, live.state.historyLength, events, keys);
    this.committed(live, work, next, events);
    this.afterFinish(live);
  }

  private afterFinish(live: Live): void {
    const s = live.state;
    this.clearTimers(live);
    this.live.delete(s.instanceId);
    // Messages that can no longer be applied are removed from storage.
    for (const m of live.queue) if (m.key) void this.track(this.o.store.deleteRow(s.instanceId, m.key).catch(() => undefined));
    live.queue = [];
    this.o.logger.info('DurableTask', `Instance ${s.instanceId} (${s.name}) ${s.status}.`);
    if (s.parent) void this.track(this.notifyParent(s));
  }

  private clearTimers(live: Live): void {
    for (const t of live.timers.values()) t.cancel();
    live.timers.clear();
  }

  private armTimer(live: Live, timerId: number, fireAt: number): void {
    if (live.timers.has(timerId)) return;
    const executionId = live.state.executionId;
    const handle = this.o.clock.at(fireAt, () => {
      live.timers.delete(timerId);
      if (this.live.get(live.state.instanceId) !== live) return;
      live.queue.push({ key: undefined, executionId, body: { kind: 'timer', timerId, fireAt: new Date(fireAt).toISOString() } });
      this.kick(live);
    });
    live.timers.set(timerId, handle);
  }

  private runActivity(live: Live, activity: ScheduledActivity): void {
    const instanceId = live.state.instanceId;
    const executionId = live.state.executionId;
    const key = `${instanceId}|${executionId}|${activity.id}`;
    if (this.inflight.has(key)) return;
    this.inflight.add(key);
    const run = async (): Promise<void> => {
      const body = await this.slots.run(() => this.invokeActivity(activity));
      // In memory (see the top of this file): the episode that applies it commits it. A suspended
      // instance may wait for a long time: its results are stored, as a client's messages are.
      const current = this.live.get(instanceId);
      if (!current || current.state.executionId !== executionId || this.stopped) return;
      if (current.state.status === 'Suspended') return this.deliverResult(instanceId, executionId, body);
      current.queue.push({ key: undefined, executionId, body });
      this.kick(current, true);
    };
    void this.track(run().finally(() => this.inflight.delete(key)));
  }

  /** Stores the activity results held in memory (the instance was just suspended: they may wait long). */
  private async storeHeldResults(live: Live): Promise<void> {
    const held = live.queue.filter((m) => m.key === undefined && 'taskId' in m.body);
    await Promise.all(
      held.map(async (m) => {
        const msg: InboxMessage = { key: this.newKey(), executionId: m.executionId, body: m.body as InboxBody };
        try {
          await this.o.store.addInbox(live.state.instanceId, msg);
        } catch (err) {
          this.o.logger.warn('DurableTask', `Instance ${live.state.instanceId}: could not store a held ${msg.body.kind} (${errorText(err)}); a restart runs its activity again.`);
          return;
        }
        const i = live.queue.indexOf(m);
        if (i >= 0) live.queue[i] = msg;
      }),
    );
  }

  private async invokeActivity(activity: ScheduledActivity): Promise<InboxBody> {
    const reg = this.o.registry.functions.get(activity.name.toLowerCase());
    if (!reg || !isTriggerType(reg, 'activityTrigger')) {
      return {
        kind: 'taskFailed',
        taskId: activity.id,
        reason: `The function '${activity.name}' doesn't exist, is disabled, or is not an activity function.`,
        details: 'The dev host found no activity function of that name in the app.',
      };
    }
    try {
      const { result } = await this.o.invoker.invoke(reg, {
        trigger: activity.input === undefined ? {} : { string: activity.input },
        ...(this.o.activityTimeoutMs ? { timeoutMs: this.o.activityTimeoutMs } : {}),
      });
      const text = JSON.stringify(result === undefined ? null : result);
      if (text.length > MAX_TEXT) {
        return {
          kind: 'taskFailed',
          taskId: activity.id,
          reason: `Activity function '${reg.metadata.name}' failed: its result is ${text.length} characters of JSON; the dev host stores at most ${MAX_TEXT}.`,
          details: 'Return a reference (a blob name) instead of the data.',
        };
      }
      return { kind: 'taskCompleted', taskId: activity.id, result: text };
    } catch (err) {
      return {
        kind: 'taskFailed',
        taskId: activity.id,
        ...activityFailure(reg.metadata.name, err),
      };
    }
  }

  /** Delivers a result to its instance, retrying storage failures: a result must not be lost. */
  private async deliverResult(instanceId: string, executionId: string, body: InboxBody): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const live = this.live.get(instanceId);
      if (!live || live.state.executionId !== executionId || this.stopped) return;
      try {
        await this.enqueue(live, executionId, body);
        return;
      } catch (err) {
        const delay = Math.min(30_000, 200 * 2 ** Math.min(attempt, 7));
        this.o.logger.error('DurableTask', `Instance ${instanceId}: could not store a ${body.kind} (${errorText(err)}); retrying in ${delay} ms.`);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private async startChild(parent: Live, sub: ScheduledSub): Promise<void> {
    const parentId = parent.state.instanceId;
    const link = { instanceId: parentId, taskId: sub.id, executionId: parent.state.executionId };
    const fail = (reason: string): Promise<void> =>
      this.deliverResult(parentId, link.executionId, { kind: 'subFailed', taskId: sub.id, reason, details: '' });
    const reg = this.orchestratorNamed(sub.name);
    if (!reg) return fail(`The function '${sub.name}' doesn't exist, is disabled, or is not an orchestrator function.`);
    try {
      validateInstanceId(sub.instanceId);
    } catch (err) {
      return fail(errorText(err));
    }
    const existingLive = this.live.get(sub.instanceId);
    const existing = existingLive?.state ?? (await this.o.store.getState(sub.instanceId));
    if (existing) {
      const sameLink =
        existing.parent?.instanceId === link.instanceId &&
        existing.parent.taskId === link.taskId &&
        existing.parent.executionId === link.executionId;
      if (sameLink) {
        // Recovery: the child exists already. If it finished, make sure the parent hears of it.
        if (TERMINAL.has(existing.status)) await this.notifyParent(existing);
        return;
      }
      if (!TERMINAL.has(existing.status)) return fail(`An orchestration with the instance ID '${sub.instanceId}' is already running.`);
    }
    const now = this.o.clock.now();
    const child: InstanceState = {
      instanceId: sub.instanceId,
      name: reg.metadata.name,
      executionId: randomUUID(),
      status: 'Pending',
      input: sub.input,
      output: undefined,
      customStatus: undefined,
      createdTime: now,
      lastUpdatedTime: now,
      parent: link,
      historyLength: 0,
      book: emptyBook(),
    };
    try {
      await this.createOrReplace(child);
    } catch (err) {
      if (err instanceof InstanceExistsError) return fail(err.message);
      throw err;
    }
  }

  private async notifyParent(child: InstanceState): Promise<void> {
    const link = child.parent;
    if (!link) return;
    const body: InboxBody =
      child.status === 'Completed'
        ? { kind: 'subCompleted', taskId: link.taskId, result: child.output ?? 'null' }
        : {
            kind: 'subFailed',
            taskId: link.taskId,
            reason:
              child.status === 'Terminated'
                ? `Sub-orchestration '${child.instanceId}' was terminated: ${parseJsonText(child.output)}`
                : parseJsonText(child.output),
            // The extension's details of a failed sub-orchestration: "Message: <error>, StackTrace: <.NET stack>".
            details: child.status === 'Terminated' ? '' : `Message: ${parseJsonText(child.output).replace(/^Orchestrator function '[^']*' failed: /, '')}, StackTrace: `,
          };
    await this.deliverResult(link.instanceId, link.executionId, body);
  }

  /** Counts in-progress background work so `idle()` knows when everything has settled. */
  private track(p: Promise<void>): Promise<void> {
    this.outstandingWork++;
    return p
      .catch((err: unknown) => this.o.logger.error('DurableTask', `Background work failed: ${errorText(err)}`))
      .finally(() => {
        this.outstandingWork--;
        this.settle();
      });
  }

  private settle(): void {
    if (!this.idleWaiters.length) return;
    if (this.outstandingWork > 0) return;
    for (const l of this.live.values()) if (l.busy || (this.hasRunnable(l) && !l.retryAt)) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}

function isTriggerType(reg: Registration, type: string): boolean {
  return Object.values(reg.metadata.bindings).some((b) => b.type === type);
}

export function validateInstanceId(id: string): void {
  if (!id || id.length > 256 || INVALID_ID.test(id)) {
    throw new BadRequestError(
      `The instance ID '${id.slice(0, 80)}' is not valid: it must be 1-256 characters without '/', '\\', '#', '?' or control characters.`,
    );
  }
}

function parseJsonText(text: string | undefined): string {
  if (text === undefined) return '';
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'string' ? v : text;
  } catch {
    return text;
  }
}

/** A counting semaphore: at most `limit` activities run at once (maxConcurrentActivityFunctions). */
class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/** Message kinds that may share an episode (they consume no task numbers, see episode.ts). */
const BATCHABLE = new Set<string>(['event', 'taskCompleted', 'subCompleted']);
/** At most this many messages per episode (a fan-in of 100 results is one or two episodes)... */
const MAX_BATCH = 100;
/** ...and of them at most this many with an inbox row: those rows are deleted in the commit's transaction, beside the state row. */
const MAX_STORED_BATCH = 50;

/**
 * The history event for a result or raised event, or undefined when its task is not outstanding
 * (a duplicate). `open` holds the outstanding task ids and loses the ones answered here.
 */
function messageEvent(body: Work['body'], now: number, open: Set<number>): HistoryEvent | undefined {
  switch (body.kind) {
    case 'event':
      return ev.eventRaised(now, body.name, body.input);
    case 'taskCompleted':
    case 'taskFailed':
    case 'subCompleted':
    case 'subFailed':
      if (!open.delete(body.taskId)) return undefined;
      return body.kind === 'taskCompleted'
        ? ev.taskCompleted(now, body.taskId, body.result)
        : body.kind === 'taskFailed'
          ? ev.taskFailed(now, body.taskId, body.reason, body.details)
          : body.kind === 'subCompleted'
            ? ev.subOrchestrationCompleted(now, body.taskId, body.result)
            : ev.subOrchestrationFailed(now, body.taskId, body.reason, body.details);
    default:
      return undefined;
  }
}
