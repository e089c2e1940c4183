/**
 * Test harness: Azurite on free ports, the dev host in-process on a free port with a manual
 * clock and its own task hub, and small helpers to drive and observe orchestrations.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { startAzurite, type AzuriteInstance, ManualClock, type Clock, DevHost, Logger, type LogLevel, type LogRecord } from '../../src/devhost/index.js';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const conformanceApp = path.join(repoRoot, 'test', 'fixtures', 'devhost-app');

export type RuntimeStatus = 'Pending' | 'Running' | 'Completed' | 'ContinuedAsNew' | 'Failed' | 'Canceled' | 'Terminated' | 'Suspended';

export interface InstanceStatus {
  name: string;
  instanceId: string;
  runtimeStatus: RuntimeStatus;
  input: unknown;
  output: unknown;
  customStatus: unknown;
  createdTime: string;
  lastUpdatedTime: string;
  historyEvents?: Record<string, unknown>[];
}

export function startTestAzurite(): Promise<AzuriteInstance> {
  return startAzurite({ mode: 'memory' });
}

export interface TestHostOptions {
  azurite: AzuriteInstance;
  appRoot?: string;
  /** Defaults to a manual clock starting at 2026-01-01T00:00:00Z. */
  clock?: Clock;
  hubName?: string;
  enforceKeys?: boolean;
  env?: Record<string, string>;
  logLevel?: LogLevel;
  /** A fixed port (default: a free one). */
  port?: number;
  /** Long-timer limits (default: the Azure Storage provider's, 6 days / 3-day chunks). */
  longTimers?: { maximumMs: number; intervalMs: number };
}

export class TestHost {
  readonly logs: LogRecord[] = [];
  constructor(
    readonly host: DevHost,
    readonly hubName: string,
    logs: LogRecord[],
  ) {
    this.logs = logs;
  }

  get baseUrl(): string {
    return this.host.baseUrl;
  }

  get clock(): ManualClock {
    if (!(this.host.clock instanceof ManualClock)) throw new Error('This test host does not run on a manual clock.');
    return this.host.clock;
  }

  fetch(pathAndQuery: string, init?: RequestInit): Promise<Response> {
    return fetch(this.baseUrl + pathAndQuery, init);
  }

  async json<T = unknown>(pathAndQuery: string, init?: RequestInit): Promise<{ status: number; body: T; headers: Headers }> {
    const res = await this.fetch(pathAndQuery, init);
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, headers: res.headers };
  }

  /** Starts an orchestration through the management webhook; returns its instance id. */
  async start(name: string, input?: unknown, instanceId?: string): Promise<string> {
    const url = `/runtime/webhooks/durabletask/orchestrators/${name}${instanceId ? `/${instanceId}` : ''}`;
    const res = await this.json<{ id: string }>(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: input === undefined ? '' : JSON.stringify(input),
    });
    if (res.status !== 202) throw new Error(`start ${name} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body.id;
  }

  async status(id: string, query = ''): Promise<InstanceStatus | undefined> {
    const res = await this.json<InstanceStatus>(`/runtime/webhooks/durabletask/instances/${encodeURIComponent(id)}${query}`);
    return res.status === 404 ? undefined : res.body;
  }

  async raise(id: string, event: string, data: unknown): Promise<number> {
    const res = await this.fetch(`/runtime/webhooks/durabletask/instances/${encodeURIComponent(id)}/raiseEvent/${event}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(data),
    });
    return res.status;
  }

  async terminate(id: string, reason: string): Promise<number> {
    const res = await this.fetch(`/runtime/webhooks/durabletask/instances/${encodeURIComponent(id)}/terminate?reason=${encodeURIComponent(reason)}`, {
      method: 'POST',
    });
    return res.status;
  }

  /** Lets all in-progress work finish (no time passes on a manual clock). */
  settle(): Promise<void> {
    return this.host.idle();
  }

  /** Moves the manual clock forward and lets the work it triggers finish. */
  async advance(ms: number): Promise<void> {
    await this.settle();
    this.clock.advance(ms);
    await this.settle();
  }

  /** Waits (in real time) until the instance reaches one of `statuses`. */
  async waitFor(id: string, statuses: RuntimeStatus[] = ['Completed'], timeoutMs = 15_000): Promise<InstanceStatus> {
    const deadline = Date.now() + timeoutMs;
    let last: InstanceStatus | undefined;
    while (Date.now() < deadline) {
      last = await this.status(id);
      if (last && statuses.includes(last.runtimeStatus)) return last;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`Instance ${id} did not reach ${statuses.join('/')} in ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
  }

  async stop(): Promise<void> {
    await this.host.stop();
  }
}

export function uniqueHubName(prefix = 'Test'): string {
  return `${prefix}${randomBytes(6).toString('hex')}`;
}

export async function startTestHost(options: TestHostOptions): Promise<TestHost> {
  const hubName = options.hubName ?? uniqueHubName();
  process.env.AzureWebJobsStorage = options.azurite.connectionString;
  process.env.TaskHubName = hubName;
  // The hourly canary stays off unless a test turns it on (as in local.settings.sample.json): a
  // manual clock moved past minute 7 would otherwise run it in the middle of another test's scenario.
  process.env.CANARY_ENABLED = 'false';
  for (const [k, v] of Object.entries(options.env ?? {})) process.env[k] = v;
  const logs: LogRecord[] = [];
  const logger = new Logger(options.logLevel ?? 'debug', (r) => {
    logs.push(r);
    if (process.env.DEVHOST_TEST_LOGS && (r.level === 'warning' || r.level === 'error' || process.env.DEVHOST_TEST_LOGS === 'all')) {
      process.stderr.write(`${r.level} ${r.category}: ${r.message}\n`);
    }
  });
  const host = await DevHost.start({
    appRoot: options.appRoot ?? conformanceApp,
    port: options.port ?? 0,
    clock: options.clock ?? new ManualClock(Date.UTC(2026, 0, 1)),
    // Unset: as the CLI does (keys are checked when DEVHOST_FUNCTION_KEYS is set).
    ...(options.enforceKeys !== undefined ? { enforceKeys: options.enforceKeys } : {}),
    azurite: 'off',
    loadLocalSettings: false,
    logger,
    ...(options.longTimers ? { longTimers: options.longTimers } : {}),
  });
  return new TestHost(host, hubName, logs);
}

/**
 * Starts the dev host CLI (dist/) as a separate process on the conformance app and resolves once
 * it answers GET /admin/host/status. `args` are extra CLI options (e.g. --time-scale 600).
 */
export function startHostProcess(options: { port: number; hubName: string; azurite: AzuriteInstance; args?: string[] }): Promise<ChildProcess> {
  const cli = path.join(repoRoot, 'dist', 'src', 'devhost', 'cli.js');
  const proc = spawn(
    process.execPath,
    [cli, '--app', conformanceApp, '--port', String(options.port), '--azurite', 'off', '--log-level', 'warning', ...(options.args ?? [])],
    {
      env: { ...process.env, AzureWebJobsStorage: options.azurite.connectionString, TaskHubName: options.hubName },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 20_000;
    const poll = async (): Promise<void> => {
      if (proc.exitCode !== null) return reject(new Error(`dev host exited with ${proc.exitCode}: ${stderr}`));
      try {
        const res = await fetch(`http://127.0.0.1:${options.port}/admin/host/status`);
        if (res.ok) return resolve(proc);
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        return reject(new Error(`dev host did not start: ${stderr}`));
      }
      setTimeout(() => void poll(), 50);
    };
    void poll();
  });
}

/** Stops a dev host process with SIGTERM (a clean stop) and resolves with its exit code. */
export function stopHostProcess(proc: ChildProcess): Promise<number | null> {
  // Already gone: by its own exit (exitCode) or by a signal (signalCode, exitCode stays null).
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(proc.exitCode);
  return new Promise((resolve) => {
    proc.once('exit', (code) => resolve(code));
    proc.kill('SIGTERM');
  });
}
