/**
 * One face for the two hosts a conformance test runs on: the dev host (manual clock) and the real
 * Durable extension (the conformance host, real time). A test body takes a `Target` and must pass
 * on both. Time: `elapse(ms)` moves the dev host's clock, and waits that long on the real engine.
 *
 * Without a .NET SDK the real-extension runs are skipped (the test name says so), except under CI,
 * where they run and fail: CI must prove the code on the real engine.
 */
import { type AzuriteInstance, ManualClock } from '../../../src/devhost/index.js';
import { startTestHost, type InstanceStatus, type RuntimeStatus, type TestHost } from '../../harness/devhost.js';
import { dotnetAvailable } from './build.js';
import { RealHost } from './real-host.js';

export type HostKind = 'dev host' | 'real extension';

export interface TargetOptions {
  azurite: AzuriteInstance;
  appRoot: string;
  hubName?: string;
  env?: Record<string, string>;
  /** The long-timer limits (Azure: 6 days, 3-day chunks), scaled down on both hosts alike. */
  timerScale?: { maximumMs: number; intervalMs: number };
  /** Real engine only: how long a running activity's message stays invisible (Azure: 5 min). */
  workItemVisibilityMs?: number;
}

export interface Target {
  kind: HostKind;
  baseUrl: string;
  json<T = unknown>(pathAndQuery: string, init?: RequestInit): Promise<{ status: number; body: T; headers: Headers }>;
  /** POST to the start webhook; the raw answer (a duplicate start is answered differently by hosts). */
  start(name: string, input?: unknown, instanceId?: string): Promise<{ status: number; body: unknown }>;
  status(id: string, history?: boolean): Promise<InstanceStatus | undefined>;
  raise(id: string, event: string, data: unknown): Promise<number>;
  terminate(id: string, reason: string): Promise<number>;
  /** Waits (in real time; the dev host settles first) until the instance reaches one of `statuses`. */
  waitFor(id: string, statuses?: RuntimeStatus[], timeoutMs?: number): Promise<InstanceStatus>;
  /** Waits until `ready` holds for the instance's status (with history). */
  until(id: string, ready: (s: InstanceStatus) => boolean, what: string, timeoutMs?: number): Promise<InstanceStatus>;
  /** Lets `ms` of orchestration time pass. */
  elapse(ms: number): Promise<void>;
  /** Stops the host and starts it again on the same storage and task hub. */
  restart(): Promise<void>;
  /** How often the host stopped by itself and was started again (a function timeout on the real engine). */
  restarts(): number;
  stop(): Promise<void>;
}

const dotnet = dotnetAvailable();
/** Under CI the real engine is required: its tests fail there rather than skip. */
export const realEngineAvailable = dotnet || Boolean(process.env.CI);
/** The hosts a conformance test runs on, with the reason in the name when one is skipped. */
export const hostKinds: { kind: HostKind; name: string; skip: boolean }[] = [
  { kind: 'dev host' as const, name: 'dev host', skip: false },
  realEngineAvailable
    ? { kind: 'real extension' as const, name: 'real Durable extension', skip: false }
    : { kind: 'real extension' as const, name: 'real Durable extension (skipped: no .NET SDK here and CI is not set)', skip: true },
  // CONFORMANCE_ONLY=dev or =real narrows a local run to one host (never set in CI).
].filter((h) => !process.env.CONFORMANCE_ONLY || h.kind.startsWith(process.env.CONFORMANCE_ONLY));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const webhook = '/runtime/webhooks/durabletask';

function common(kind: HostKind, host: { baseUrl: string; json: Target['json'] }, settle: () => Promise<void>) {
  const status = async (id: string, history = false): Promise<InstanceStatus | undefined> => {
    const res = await host.json<InstanceStatus>(`${webhook}/instances/${encodeURIComponent(id)}${history ? '?showHistory=true&showHistoryOutput=true' : ''}`);
    return res.status === 404 ? undefined : res.body;
  };
  const until = async (id: string, ready: (s: InstanceStatus) => boolean, what: string, timeoutMs = 60_000, history = true): Promise<InstanceStatus> => {
    const deadline = Date.now() + timeoutMs;
    let last: InstanceStatus | undefined;
    while (Date.now() < deadline) {
      await settle();
      last = await status(id, history);
      if (last && ready(last)) return last;
      await sleep(kind === 'dev host' ? 20 : 200);
    }
    throw new Error(`[${kind}] ${id} did not reach ${what}; last: ${JSON.stringify(last, null, 1)}`);
  };
  return {
    kind,
    get baseUrl() {
      return host.baseUrl;
    },
    json: host.json.bind(host),
    async start(name: string, input?: unknown, instanceId?: string) {
      const res = await host.json(`${webhook}/orchestrators/${name}${instanceId ? `/${encodeURIComponent(instanceId)}` : ''}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: input === undefined ? '' : JSON.stringify(input),
      });
      return { status: res.status, body: res.body };
    },
    status,
    async raise(id: string, event: string, data: unknown) {
      const res = await host.json(`${webhook}/instances/${encodeURIComponent(id)}/raiseEvent/${event}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(data),
      });
      return res.status;
    },
    async terminate(id: string, reason: string) {
      const res = await host.json(`${webhook}/instances/${encodeURIComponent(id)}/terminate?reason=${encodeURIComponent(reason)}`, { method: 'POST' });
      return res.status;
    },
    waitFor(id: string, statuses: RuntimeStatus[] = ['Completed'], timeoutMs?: number) {
      // Without history: the extension cannot list the history of an instance that failed on a
      // non-deterministic replay (two TaskScheduled events with one id), it answers 500.
      return until(id, (s) => statuses.includes(s.runtimeStatus), statuses.join('/'), timeoutMs, false);
    },
    until,
  };
}

export async function startTarget(kind: HostKind, o: TargetOptions): Promise<Target> {
  if (kind === 'dev host') {
    let host: TestHost = await startDev(o, new ManualClock(Date.UTC(2026, 0, 1)));
    const target = {
      ...common(kind, { get baseUrl() { return host.baseUrl; }, json: (p, i) => host.json(p, i) }, () => host.settle()),
      get baseUrl() {
        return host.baseUrl;
      },
      async elapse(ms: number) {
        await host.advance(ms);
      },
      async restart() {
        const at = host.clock.now();
        await host.stop();
        host = await startDev({ ...o, hubName: host.hubName }, new ManualClock(at));
      },
      restarts: () => 0,
      stop: () => host.stop(),
    } satisfies Target;
    return target;
  }
  const host = await RealHost.start({ ...o, ...(o.timerScale ? { timerScale: o.timerScale } : {}) });
  return {
    ...common(kind, host, () => Promise.resolve()),
    elapse: (ms: number) => sleep(ms),
    restart: () => host.restart(),
    restarts: () => host.restarts,
    stop: () => host.stop(),
  } satisfies Target;
}

function startDev(o: TargetOptions, clock: ManualClock): Promise<TestHost> {
  return startTestHost({
    azurite: o.azurite,
    appRoot: o.appRoot,
    clock,
    logLevel: 'warning',
    ...(o.hubName ? { hubName: o.hubName } : {}),
    ...(o.env ? { env: o.env } : {}),
    ...(o.timerScale ? { longTimers: o.timerScale } : {}),
  });
}
