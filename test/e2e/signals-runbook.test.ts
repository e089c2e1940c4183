/**
 * End to end, issue 16: the runbook judges recovery by the real signal. The real `incident`
 * orchestration (dist/) on the dev host, the signal readers composed from the app settings and
 * talking through the real Azure SDKs to the loopback Azure Monitor fake (`w.monitor`: scripted
 * metric series, alerts, logs), the target app, ARM and SQL fakes. Each scenario is one incident;
 * its cases read what people read: the incident API (timeline, custom status), the Teams thread
 * and the sealed evidence pack.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SinkRecord } from '../../src/adapters/teams-sink.js';
import { series, type SeriesFn } from '../fakes/monitor-server.js';
import { MINUTE, ProductWorld, SITE_ID, type IncidentRead } from '../harness/product.js';
import { approver as who, Scenarios } from '../harness/truth.js';

let w: ProductWorld;
let x: Scenarios;

beforeAll(async () => {
  w = await ProductWorld.start({ signals: true });
  expect((await w.recordLkg()).status).toBe(201);
  x = new Scenarios(w);
});
afterAll(async () => {
  await w?.stop();
});

const texts = (r: { timeline: { text: string }[] }): string[] => r.timeline.map((t) => t.text);
const status = (r: IncidentRead) => r.runtime.customStatus as { phase?: string; signals?: { recovered: boolean; basis: string; summary: string } | null } | undefined;

/** The 5xx rate of the API site, in % (Http5xx per 100 requests a minute), and the metric the fixture alert fired on. */
function fiveXx(fn: SeriesFn): void {
  w.monitor.setMetric(SITE_ID, 'Requests', series.constant(100));
  w.monitor.setMetric(SITE_ID, 'Http5xx', fn);
  // The fixture alert fired on Http5xxPercent of the site it names (its own subscription id).
  w.monitor.setMetric(ALERT_TARGET, 'Http5xxPercent', fn);
}
const ALERT_TARGET = '/subscriptions/00000000-1111-2222-3333-444444444444/resourcegroups/rg-admin-prod/providers/microsoft.web/sites/admin-api-prod';

const LOGS = {
  topErrorCodes: [
    { code: 'feature_disabled', count: 412 },
    { code: 'origin_forbidden', count: 37 },
  ],
  failingRequests: [
    { timestamp: '2026-11-20T10:14:02Z', requestId: 'req-7f3a91', operationId: 'op-1', route: 'GET /api/jobs', resultCode: '500', code: 'feature_disabled' },
    { timestamp: '2026-11-20T10:14:05Z', requestId: 'req-7f3a92', operationId: 'op-2', route: 'GET /api/jobs', resultCode: '500', code: 'feature_disabled' },
  ],
  p95ByRoute: [
    { route: 'GET /api/jobs', p95Ms: 1840, count: 900 },
    { route: 'GET /healthz', p95Ms: 12, count: 60 },
  ],
};

/** A fresh world for a scenario: the bad release, its 5xx, its logs; no alert in Azure Monitor, no reader faults. */
function scenario(fn: SeriesFn): void {
  w.monitor.clearFaults();
  w.monitor.clearAlerts();
  fiveXx(fn);
  w.monitor.setLogs(LOGS);
}

describe('checks green but the 5xx rate still above its threshold', () => {
  let verifying: IncidentRead;
  let resolved: IncidentRead;
  let thread: SinkRecord[];
  let signals: string[];
  let decidedAt: number;

  beforeAll(async () => {
    scenario(series.constant(30));
    const id = await x.deciding();
    decidedAt = w.now();
    // The release manager rolls back; the rolled-back slot answers green at once, but the 5xx rate stays at 30 %.
    expect((await w.post(`/api/incidents/${id}/decision`, { choice: 'api-to-lkg' }, who())).status).toBe(202);
    await w.until(id, (r) => texts(r).some((t) => /^Smoke checks \(verify\): green/.test(t)), 'a green verification round');
    await w.advance(16 * MINUTE, MINUTE);
    verifying = await w.incident(id);
    // The 5xx rate comes down now; it must hold under 1 % for 5 minutes before it counts.
    fiveXx(series.step(w.now(), 30, 0));
    await w.advance(10 * MINUTE, MINUTE);
    await w.until(id, (r) => status(r)?.phase === 'monitoring', 'monitoring once the 5xx rate held under its threshold');
    await w.advance(31 * MINUTE, MINUTE);
    resolved = await w.resolved(id);
    thread = await w.teams(id);
    signals = await x.folder(id, 'signals/');
    await x.close();
  }, 120_000);

  it('is not recovered: containment continues past green checks, and says why', () => {
    expect(status(verifying)?.phase).toBe('verifying');
    expect(status(verifying)?.signals).toMatchObject({ recovered: false, basis: 'signals' });
    expect(status(verifying)?.signals?.summary).toMatch(/^Not recovered: Http5xxPercent \(Average\) 30 > 1 \(latest value\); 5xx rate 30 % > 1 % \(latest value\)/);
    expect(texts(verifying)).not.toContainEqual(expect.stringMatching(/^Checks green: monitoring until/));
    expect(texts(verifying)).toContainEqual(expect.stringMatching(/^Signals \(verification\): Not recovered: .*5xx rate 30 % > 1 %/));
  });

  it('recovers only once the metric has held under its threshold for the hold time', () => {
    const started = resolved.timeline.find((t) => /^Checks green: monitoring until/.test(t.text));
    expect(started).toBeDefined();
    // Decided, 16 min of 30 %, then at least the 5 min hold.
    expect(Date.parse(started!.at) - decidedAt).toBeGreaterThanOrEqual(21 * MINUTE);
    expect(texts(resolved)).toContainEqual(expect.stringMatching(/^Resolved by the runbook: the monitoring window passed with green checks, the fired metric under its threshold and no alert active/));
  });

  it('a Teams progress update carries the top error codes and requestIds from the logs, and the verdict', () => {
    const update = thread.find((m) => m.kind === 'update' && /feature_disabled/.test(m.text));
    expect(update, thread.map((m) => `${m.kind}: ${m.text}`).join('\n---\n')).toBeDefined();
    expect(update!.text).toMatch(/Top error codes \(\d\d:\d\d-\d\d:\d\d UTC\): feature_disabled ×412, origin_forbidden ×37/);
    expect(update!.text).toMatch(/Failing requests: req-7f3a91 \(GET \/api\/jobs, 500, feature_disabled\); req-7f3a92/);
    expect(update!.text).toMatch(/p95 over 600 ms on 1 of 2 route\(s\): GET \/api\/jobs 1840 ms/);
    expect(update!.text).toMatch(/Progress: P1: verifying recovery after the rollback; checks green ×\d+ since \d\d:\d\d UTC, but not recovered: .*5xx rate 30 % > 1 %/);
    expect(update!.text).toMatch(/Signals: Not recovered: .*5xx rate 30 % > 1 %/);
    expect(update!.text).toMatch(/Query: https:\/\/portal\.azure\.com\/#blade\/Microsoft_Azure_Monitoring_Logs\/LogsBlade\/resourceId\/\S+\/q\/\S+$/m);
  });

  it('the snapshot carries the triage, and the evidence pack keeps every reading', () => {
    expect(texts(resolved)).toContainEqual(expect.stringMatching(/^Signals \(at the snapshot\): .*Top error codes .*feature_disabled ×412.*req-7f3a91/));
    const reads = signals.map((s) => JSON.parse(s) as { purpose: string; triage: { requestIds: string[] } | null; recovery: { recovered: boolean } | null });
    expect(reads.map((r) => r.purpose)).toEqual(expect.arrayContaining(['snapshot', 'verify', 'update', 'monitor']));
    expect(reads.find((r) => r.purpose === 'snapshot')?.triage?.requestIds).toEqual(['req-7f3a91', 'req-7f3a92']);
    expect(reads.some((r) => r.purpose === 'verify' && r.recovery?.recovered === false)).toBe(true);
  });
});

describe('the 5xx rate flaps four times in ten minutes', () => {
  let r: IncidentRead;
  let thread: SinkRecord[];

  beforeAll(async () => {
    // 30 % and 0 % a minute each, four times, ending now: four healthy -> unhealthy steps.
    const now = w.now();
    scenario(series.piecewise([[now - 8 * MINUTE, 30], [now - 7 * MINUTE, 0], [now - 6 * MINUTE, 30], [now - 5 * MINUTE, 0], [now - 4 * MINUTE, 30], [now - 3 * MINUTE, 0], [now - 2 * MINUTE, 30], [now - MINUTE, 0], [now + 60 * MINUTE, 0]], 0));
    const id = await x.deciding();
    // Keep watching: no containment change; only the flap rule can roll back before the containment deadline.
    expect((await w.post(`/api/incidents/${id}/decision`, { choice: 'monitor-only' }, who())).status).toBe(202);
    r = await w.until(id, (x) => texts(x).some((t) => /^api-to-lkg: /.test(t)), 'the rollback');
    thread = await w.teams(id);
    await x.close();
  }, 120_000);

  it('rolls back on the flap rule, at once, naming the flaps', () => {
    expect(texts(r)).toContainEqual(expect.stringMatching(/flapped 4 times in 10 min \(at \d\d:\d\d, \d\d:\d\d, \d\d:\d\d, \d\d:\d\d UTC\): the policy rolls back at 3/));
    const started = thread.find((m) => m.kind === 'rollback-started');
    expect(started?.text).toMatch(/flapped 4 times in 10 min/);
  });
});

describe('an alert still active at the end of the monitoring window', () => {
  let extended: IncidentRead;
  let resolved: IncidentRead;

  beforeAll(async () => {
    scenario(series.constant(0));
    const id = await x.deciding();
    expect((await w.post(`/api/incidents/${id}/decision`, { choice: 'api-to-lkg' }, who())).status).toBe(202);
    await w.until(id, (r) => status(r)?.phase === 'monitoring', 'monitoring');
    // Mid-window, a 5xx alert fires in Azure Monitor and does not resolve (it never reaches the intake).
    await w.advance(10 * MINUTE, MINUTE);
    const lingering = w.monitor.fireAlert({ rule: 'prod-api-http5xx-rate', targetResource: SITE_ID, at: w.now() });
    await w.advance(21 * MINUTE, MINUTE);
    extended = await w.incident(id);
    w.monitor.resolveAlert(lingering.id, w.now());
    await w.advance(16 * MINUTE, MINUTE);
    resolved = await w.resolved(id);
    await x.close();
  }, 120_000);

  it('extends the window (policy: extend) instead of resolving, naming the alert', () => {
    expect(extended.summary.status).toBe('open');
    expect(status(extended)?.phase).toBe('monitoring');
    expect(texts(extended)).toContainEqual(expect.stringMatching(/^Monitoring window extended to \d\d:\d\d UTC: not recovered at the end of the window \(1 alert\(s\) still active: prod-api-http5xx-rate .*\); extension 1 of 2/));
  });

  it('resolves once the alert has resolved', () => {
    expect(resolved.summary.status).toBe('resolved');
    expect(texts(resolved)).toContainEqual(expect.stringMatching(/^Resolved by the runbook: the monitoring window passed/));
  });
});

describe('a reader down', () => {
  let r: IncidentRead;

  beforeAll(async () => {
    scenario(series.constant(0));
    // The alerts API refuses the identity (no Monitoring Reader on the scope) for the whole incident.
    w.monitor.failNext('alerts', 403, 10_000);
    const id = await x.deciding();
    expect((await w.post(`/api/incidents/${id}/decision`, { choice: 'api-to-lkg' }, who())).status).toBe(202);
    r = await w.until(id, (x) => status(x)?.phase === 'monitoring', 'monitoring on the checks and the metric');
    await x.close();
  }, 120_000);

  it('the verdict names what it could not see, and falls back to what it could', () => {
    expect(status(r)?.signals).toMatchObject({ recovered: true, basis: 'checks-and-partial' });
    expect(status(r)?.signals?.summary).toMatch(/^Recovered: smoke checks green; Http5xxPercent \(Average\) <= 1 for 5 min or more \(latest 0\); 5xx rate <= 1 % for 5 min or more \(latest 0 %\)\. Could not see: active alerts: the reader could not answer \(.*403.*\)\./);
    expect(texts(r)).toContainEqual(expect.stringMatching(/^Signals \(verification\): Recovered: .*Could not see: active alerts: the reader could not answer/));
  });
});
