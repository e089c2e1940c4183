/**
 * The dev host held to the real Durable extension: each behaviour where the two could differ, one
 * test body run on both (test/fixtures/conformance-app). Where the dev host deliberately differs
 * (README, "Dev host"), the body says which host does what, and both are pinned.
 *
 * Time: the dev host's clock is moved; the real engine waits. The long-timer limits (Azure: 6 days,
 * 3-day chunks) are scaled down to 6 s / 3 s on both hosts so a long timer can be seen in seconds.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AzuriteInstance } from '../../src/devhost/index.js';
import { repoRoot, startTestAzurite, type InstanceStatus } from '../harness/devhost.js';
import { hostKinds, startTarget, type Target } from './harness/hosts.js';

const appRoot = path.join(repoRoot, 'test', 'fixtures', 'conformance-app');
const variant = createRequire(__filename)(path.join(appRoot, 'functions', 'variant.js')) as { set(v: string): void };
const SCALE = { maximumMs: 6000, intervalMs: 3000 };

type HistoryItem = { EventType: string; FireAt?: string; Timestamp: string; Name?: string; FunctionName?: string };
const history = (s: InstanceStatus): HistoryItem[] => (s.historyEvents ?? []) as unknown as HistoryItem[];
const events = (s: InstanceStatus, type: string): HistoryItem[] => history(s).filter((e) => e.EventType === type);

describe.each(hostKinds)('$name', ({ kind, skip }) => {
  let azurite: AzuriteInstance;
  let t: Target;
  beforeAll(async () => {
    if (skip) return;
    azurite = await startTestAzurite();
    t = await startTarget(kind, { azurite, appRoot, timerScale: SCALE });
  }, 300_000);
  afterAll(async () => {
    await t?.stop();
    await azurite?.stop();
  });
  const test = skip ? it.skip : it;

  test('an orchestrator whose code a preInvocation hook loads (as the product registers its own) runs every episode with it', async () => {
    expect((await t.start('loadedOnFirstUse', null, 'lazy-1')).status).toBe(202);
    const done = await t.waitFor('lazy-1', ['Completed', 'Failed']);
    expect(done).toMatchObject({ runtimeStatus: 'Completed', output: ['echo one', 'echo two'] });
  });

  test('a start under the id of a running instance is refused with 409; the running one keeps its input', async () => {
    expect((await t.start('waitsForever', { n: 1 }, 'dup-1')).status).toBe(202);
    await t.waitFor('dup-1', ['Running']);
    const again = await t.start('waitsForever', { n: 2 }, 'dup-1');
    // Extension 3.19.0 answers 409 (older versions answered 500): the product reads the status instead.
    expect(again.status).toBe(409);
    expect(await t.status('dup-1')).toMatchObject({ runtimeStatus: 'Running', input: { n: 1 } });
    expect(await t.terminate('dup-1', 'done')).toBe(202);
  });

  test('a custom status of 8,704 UTF-16 code units of JSON or more (16 KB rounded down) fails the instance', async () => {
    // JSON of a string of n characters is n + 2 code units; an emoji is two code units.
    const cases = [
      { id: 'cs-ascii-ok', chars: 8701, ch: 'a', ok: true },
      { id: 'cs-ascii-big', chars: 8702, ch: 'a', ok: false },
      { id: 'cs-emoji-ok', chars: 4350, ch: '😀', ok: true },
      { id: 'cs-emoji-big', chars: 4351, ch: '😀', ok: false },
    ];
    for (const c of cases) await t.start('bigStatus', { chars: c.chars, ch: c.ch }, c.id);
    for (const c of cases) {
      const s = await t.until(c.id, (x) => x.runtimeStatus === 'Failed' || (x.runtimeStatus === 'Running' && x.customStatus !== null), 'its status');
      if (c.ok) {
        expect(s.runtimeStatus).toBe('Running');
        expect(String(s.customStatus).length).toBe(c.chars * c.ch.length);
        await t.terminate(c.id, 'done');
      } else {
        expect(s.runtimeStatus).toBe('Failed');
        expect(s.output).toBe(
          "Orchestrator function 'bigStatus' failed: The UTF-16 size of the JSON-serialized payload must not exceed 16 KB. The current payload size is 17 KB.",
        );
      }
    }
  });

  test('replay checks the activity name per sequence number, ignoring case', async () => {
    const run = async (id: string, next: string): Promise<InstanceStatus> => {
      variant.set('v1');
      await t.start('evolving', null, id);
      await t.until(id, (s) => events(s, 'TaskCompleted').length === 1, 'its first step');
      variant.set(next);
      try {
        expect(await t.raise(id, 'next', 'N')).toBe(202);
        return await t.waitFor(id, ['Completed', 'Failed']);
      } finally {
        variant.set('v1');
      }
    };
    const upper = await run('evolve-upper', 'upper');
    expect(upper).toMatchObject({ runtimeStatus: 'Completed', output: { first: 'echo one', next: 'N', last: 'echo two' } });
    const renamed = await run('evolve-renamed', 'renamed');
    expect(renamed.runtimeStatus).toBe('Failed');
    expect(renamed.output).toBe(
      "Non-Deterministic workflow detected: A previous execution of this orchestration scheduled an activity task with sequence number 0 named 'echo', " +
        "but the current orchestration replay instead scheduled an activity task named 'echoAgain' with this sequence number.  " +
        'Was a change made to the orchestrator code after this instance had already started running?',
    );
  });

  test('replay refuses a plain call that became a call with retry, and an activity that became a timer', async () => {
    for (const [id, next] of [['evolve-retry', 'retry'], ['evolve-timer', 'timer']] as const) {
      variant.set('v1');
      await t.start('evolving', null, id);
      await t.until(id, (s) => events(s, 'TaskCompleted').length === 1, 'its first step');
      variant.set(next);
      try {
        await t.raise(id, 'next', 'N');
        const s = await t.waitFor(id, ['Completed', 'Failed']);
        expect(s.runtimeStatus).toBe('Failed');
        expect(String(s.output)).toMatch(/^Non-Deterministic workflow detected: A previous execution of this orchestration scheduled an activity task with sequence (number|ID) 0/);
      } finally {
        variant.set('v1');
      }
    }
  });

  test('a timer longer than maximumShortTimerDuration is split into chunks of longRunningTimerIntervalDuration', async () => {
    await t.start('sleeps', { waitMs: 8000 }, 'long-1');
    await t.waitFor('long-1', ['Running']);
    await t.elapse(3000);
    await t.elapse(5000);
    const s = await t.until('long-1', (x) => x.runtimeStatus === 'Completed', 'completed');
    const started = Date.parse(events(s, 'ExecutionStarted')[0]?.Timestamp ?? '');
    const timers = events(s, 'TimerCreated');
    // The first chunk: 3 s after the start (the library computes it from the episode's time).
    expect(Date.parse(timers[0]?.FireAt ?? '') - started).toBeGreaterThanOrEqual(2900);
    expect(Date.parse(timers[0]?.FireAt ?? '') - started).toBeLessThan(4000);
    expect(timers.length).toBeGreaterThanOrEqual(2);
    expect(new Set(timers.map((x) => x.FireAt)).size).toBeGreaterThanOrEqual(2);
  });

  test('a cancelled timer still delivers TimerFired (one more replay), and the instance goes on', async () => {
    await t.start('raceThenWait', { waitMs: 2000 }, 'race-short');
    await t.waitFor('race-short', ['Running']);
    expect(await t.raise('race-short', 'go', 'G')).toBe(202);
    await t.elapse(3000);
    await t.until('race-short', (s) => events(s, 'TimerFired').length === 1, 'the cancelled timer fired');
    expect(await t.raise('race-short', 'next', 'N')).toBe(202);
    const s = await t.waitFor('race-short', ['Completed']);
    expect(s.output).toEqual({ winner: 'event', next: 'N', after: 'echo after' });
  });

  test('a cancelled long timer breaks the instance once its chunk fires (keep runbook timers below maximumShortTimerDuration)', async () => {
    await t.start('raceThenWait', { waitMs: 8000 }, 'race-long');
    await t.waitFor('race-long', ['Running']);
    await t.raise('race-long', 'go', 'G');
    await t.elapse(4000);
    await t.until('race-long', (s) => events(s, 'TimerFired').length === 1, 'the first chunk fired');
    await t.raise('race-long', 'next', 'N');
    // The JS library gives the next chunk a task id that the extension never schedules: the
    // activity's result lands on that id, and the instance waits for ever. Same on the dev host.
    await t.until('race-long', (x) => events(x, 'TaskCompleted').length === 1, 'the activity result');
    await t.elapse(3000);
    expect(await t.status('race-long')).toMatchObject({ runtimeStatus: 'Running', output: null });
    await t.terminate('race-long', 'stuck');
  }, 90_000);

  test("an activity failure reads \"Activity function '<name>' failed:  <message>\", then ' \\n ' and the .NET exception as JSON", async () => {
    await t.start('catchesFailure', null, 'fail-1');
    const s = await t.waitFor('fail-1', ['Completed']);
    const message = (s.output as { message: string }).message;
    const [reason, details] = message.split(' \n ');
    expect(reason).toBe("Activity function 'fails' failed:  exploded: kaput\nsecond line of the message");
    const json = JSON.parse(details ?? '') as { ClassName: string; Message: string; InnerException: { Message: string } };
    expect(json).toMatchObject({ ClassName: 'System.Exception', Message: ' exploded: kaput\nsecond line of the message' });
    expect(json.InnerException.Message).toMatch(/^Result: Failure\nException: exploded: kaput\nsecond line of the message\nStack: Error: exploded: kaput/);
  });

  test('a sub-orchestration failure reads "Orchestrator function \'<name>\' failed: <message>", then " \\n Message: <message>, StackTrace: ..."', async () => {
    await t.start('catchesChildFailure', null, 'fail-2');
    const s = await t.waitFor('fail-2', ['Completed']);
    const message = (s.output as { message: string }).message;
    expect(message.split(' \n ')[0]).toBe("Orchestrator function 'throws' failed: the step is broken (child input)");
    expect(message.split(' \n ')[1]).toMatch(/^Message: the step is broken \(child input\), StackTrace: /);
    expect(await t.status('fail-2:child')).toMatchObject({ runtimeStatus: 'Failed', output: "Orchestrator function 'throws' failed: the step is broken (child input)" });
  });

  test('an event for a finished instance is answered 410, for an unknown one 404', async () => {
    await t.start('finishesSoon', { delayMs: 1 }, 'fin-1');
    await t.waitFor('fin-1', ['Completed']);
    expect(await t.raise('fin-1', 'late', 1)).toBe(410);
    expect(await t.raise('no-such-instance', 'late', 1)).toBe(404);
  });

  test('continue-as-new drops the events its history holds but the code did not receive (JavaScript cannot preserve them); counting them first loses none', async () => {
    const run = async (id: string, guarded: boolean): Promise<void> => {
      await t.start('ticker', { got: [], until: 4, guarded, delayMs: 5000, executions: 0 }, id);
      await t.waitFor(id, ['Running']);
      expect(await t.raise(id, 'tick', 'a')).toBe(202);
      // Two more while its timer runs: in the history before it decides to continue.
      await t.until(id, (s) => events(s, 'TimerCreated').length === 1, 'its timer');
      expect(await t.raise(id, 'tick', 'b')).toBe(202);
      expect(await t.raise(id, 'tick', 'c')).toBe(202);
      await t.until(id, (s) => events(s, 'EventRaised').length === 3, 'both events in its history');
    };
    await run('can-naive', false);
    await run('can-guarded', true);
    await t.elapse(5000);
    // The naive one continued with "a" alone: "b" and "c" went with the old execution.
    const naive = await t.until('can-naive', (s) => (s.input as { executions?: number } | null)?.executions === 1, 'its second execution');
    expect(naive.input).toMatchObject({ got: ['a'], executions: 1 });
    // The guarded one received them before continuing.
    const guarded = await t.until('can-guarded', (s) => (s.input as { executions?: number } | null)?.executions === 1, 'its second execution');
    expect(guarded.input).toMatchObject({ got: ['a', 'b', 'c'], executions: 1 });
    // An event raised after the continue reaches the new execution of the same instance.
    expect(await t.raise('can-guarded', 'tick', 'd')).toBe(202);
    expect((await t.waitFor('can-guarded', ['Completed'])).output).toEqual(['a', 'b', 'c', 'd']);
    expect(await t.terminate('can-naive', 'done')).toBe(202);
  });

  test('a timer wakes the orchestrator at its time: up to 1 s early on the real engine, exactly on the dev host', async () => {
    await t.start('sleeps', { waitMs: 2000 }, 'precise-1');
    await t.waitFor('precise-1', ['Running']);
    await t.elapse(2000);
    const s = await t.waitFor('precise-1', ['Completed']);
    const { fireAt, wokeAt } = s.output as { fireAt: string; wokeAt: string };
    const late = Date.parse(wokeAt) - Date.parse(fireAt);
    // Azure Storage queues take a message's visibility delay in whole seconds (rounded down), so a
    // timer can wake its orchestrator up to a second before fireAt; currentUtcDateTime is then earlier.
    if (kind === 'dev host') expect(late).toBe(0);
    else expect(late).toBeGreaterThan(-1000);
  });
});
