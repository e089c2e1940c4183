/**
 * Dev host conformance: instances live in Table storage, so a new host on the same task hub
 * resumes them: timers re-armed, unfinished activities re-run, inbox messages applied once. The
 * last test kills a separate dev host process with SIGKILL in the middle of a run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type AzuriteInstance } from '../../src/devhost/azurite.js';
import { ManualClock } from '../../src/devhost/clock.js';
import { conformanceApp, repoRoot, startTestAzurite, startTestHost, uniqueHubName, type InstanceStatus } from '../harness/devhost.js';

let azurite: AzuriteInstance;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'devhost-'));

beforeAll(async () => {
  azurite = await startTestAzurite();
});
afterAll(async () => {
  await azurite?.stop();
});

const journal = (file: string): string[] => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : []);

describe('restart of an in-process host', () => {
  it('re-arms a durable timer and finishes after the restart', async () => {
    const hubName = uniqueHubName('Timer');
    const first = await startTestHost({ azurite, hubName });
    const id = await first.start('sleeper', { waitMs: 3_600_000 });
    await first.settle();
    await first.stop();

    const second = await startTestHost({ azurite, hubName, clock: new ManualClock(Date.UTC(2026, 0, 1, 0, 30)) });
    expect((await second.status(id))?.runtimeStatus).toBe('Running');
    await second.advance(29 * 60_000);
    expect((await second.status(id))?.runtimeStatus).toBe('Running');
    await second.advance(60_000);
    expect((await second.waitFor(id)).output).toBe('Hello woke up');
    await second.stop();
  });

  it('applies an event that was stored but not yet processed, exactly once', async () => {
    const hubName = uniqueHubName('Inbox');
    const first = await startTestHost({ azurite, hubName });
    const id = await first.start('statusReporter');
    await first.settle();
    await first.stop();
    // An event stored by the previous host generation (as if it crashed right after accepting it).
    const second = await startTestHost({ azurite, hubName });
    expect(await second.raise(id, 'note', 'after restart')).toBe(202);
    const done = await second.waitFor(id);
    expect(done.output).toBe('after restart');
    const history = (await second.status(id, '?showHistory=true')) as InstanceStatus;
    expect(history.historyEvents?.filter((e) => e.EventType === 'EventRaised')).toHaveLength(1);
    await second.stop();
  });

  it('re-runs an activity that had not reported when the host stopped, and no completed one', async () => {
    const hubName = uniqueHubName('Rerun');
    const file = path.join(tmp, `${hubName}.log`);
    const marker = path.join(tmp, `${hubName}.marker`);
    const first = await startTestHost({ azurite, hubName });
    const id = await first.start('journaled', {
      file,
      steps: [{ name: 'one' }, { name: 'two', sleepMs: 1500, marker }],
    });
    while (!existsSync(marker)) await new Promise((r) => setTimeout(r, 10));
    await first.stop(); // step two is still sleeping: its result will never be stored

    const second = await startTestHost({ azurite, hubName });
    const done = await second.waitFor(id);
    expect(done.output).toEqual(['one', 'two', 'completed']);
    const lines = journal(file);
    expect(lines.filter((l) => l.endsWith(' one'))).toHaveLength(1);
    expect(lines.filter((l) => l.endsWith(' two'))).toHaveLength(2); // at-least-once: re-run after the stop
    expect(lines.filter((l) => l.endsWith(' completed'))).toHaveLength(1);
    await second.stop();
  });
});

describe('kill -9 of a dev host process', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGKILL');
  });

  function startProcess(port: number, hubName: string): Promise<ChildProcess> {
    const proc = spawn(
      process.execPath,
      [path.join(repoRoot, 'dist', 'src', 'devhost', 'cli.js'), '--app', conformanceApp, '--port', String(port), '--azurite', 'off', '--log-level', 'warning'],
      { env: { ...process.env, AzureWebJobsStorage: azurite.connectionString, TaskHubName: hubName }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    return new Promise((resolve, reject) => {
      const deadline = Date.now() + 20_000;
      const poll = async (): Promise<void> => {
        if (proc.exitCode !== null) return reject(new Error(`dev host exited with ${proc.exitCode}`));
        try {
          const res = await fetch(`http://127.0.0.1:${port}/admin/host/status`);
          if (res.ok) return resolve(proc);
        } catch {
          // not up yet
        }
        if (Date.now() > deadline) return reject(new Error('dev host did not start'));
        setTimeout(() => void poll(), 50);
      };
      void poll();
    });
  }

  it('finishes the run exactly once after the process is killed mid-activity and started again', async () => {
    const hubName = uniqueHubName('Kill');
    const port = await freePort();
    const file = path.join(tmp, `${hubName}.log`);
    const marker = path.join(tmp, `${hubName}.marker`);
    child = await startProcess(port, hubName);
    const res = await fetch(`http://127.0.0.1:${port}/runtime/webhooks/durabletask/orchestrators/journaled`, {
      method: 'POST',
      body: JSON.stringify({ file, steps: [{ name: 'one' }, { name: 'two', sleepMs: 1500, marker }, { name: 'three' }] }),
    });
    const { id } = (await res.json()) as { id: string };
    while (!existsSync(marker)) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGKILL');
    await new Promise((r) => child?.once('exit', r));

    child = await startProcess(port, hubName);
    let status: InstanceStatus | undefined;
    for (let i = 0; i < 300; i++) {
      status = (await (await fetch(`http://127.0.0.1:${port}/runtime/webhooks/durabletask/instances/${id}`)).json()) as InstanceStatus;
      if (status.runtimeStatus === 'Completed') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(status?.output).toEqual(['one', 'two', 'three', 'completed']);
    const lines = journal(file);
    expect(lines.filter((l) => l.endsWith(' one'))).toHaveLength(1);
    expect(lines.filter((l) => l.endsWith(' two'))).toHaveLength(2);
    expect(lines.filter((l) => l.endsWith(' three'))).toHaveLength(1);
    expect(lines.filter((l) => l.endsWith(' completed'))).toHaveLength(1);
    child.kill('SIGTERM');
    await new Promise((r) => child?.once('exit', r));
    child = undefined;
  });
});
