/**
 * End to end, issue 12: what the product says about an incident is true, and every output says
 * the same. The real `incident` orchestration (dist/) on the dev host with the wire-level fakes
 * (test/harness/product.ts); each scenario runs once and its cases read what people read: the
 * Teams thread (local sink), the incident API, and the sealed evidence pack (incident.json,
 * metrics.json, postmortem.md, report.html, rollback/*.json). A last known good release is
 * recorded from the start (truth-no-lkg.test.ts: incidents without one).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SinkRecord } from '../../src/adapters/teams-sink.js';
import { MINUTE, ProductWorld, type IncidentRead } from '../harness/product.js';
import { approver as who, reportCard, Scenarios, type PackMetrics } from '../harness/truth.js';

let w: ProductWorld;
let x: Scenarios;

beforeAll(async () => {
  w = await ProductWorld.start();
  expect((await w.recordLkg()).status).toBe(201);
  x = new Scenarios(w);
});
afterAll(async () => {
  await w?.stop();
});

const texts = (r: { timeline: { text: string }[] }): string[] => r.timeline.map((t) => t.text);

// First in this file: no ARM token is cached in this process yet, so the managed identity is asked, and refuses.
describe('a person decides, and the App Service credentials are refused', () => {
  let thread: SinkRecord[];
  let actions: string[];

  beforeAll(async () => {
    w.reset();
    w.breakProduction();
    w.arm.failNextToken('unknown-identity', { times: 200 });
    const id = await x.start();
    await w.until(id, (r) => r.runtime.customStatus?.phase === 'deciding', 'the decision');
    await w.advance(2 * MINUTE, MINUTE);
    // The release manager decides, without acknowledging first.
    expect((await w.post(`/api/incidents/${id}/decision`, { choice: 'api-to-lkg' }, who())).status).toBe(202);
    await w.until(id, (r) => texts(r).some((t) => /^api-to-lkg: (refused|failed)/.test(t)), 'the refused swap');
    await w.advance(35 * MINUTE, MINUTE);
    expect((await w.post(`/api/incidents/${id}/resolve`, {}, who())).status).toBe(202);
    await w.resolved(id);
    thread = await w.teams(id);
    actions = await x.folder(id, 'rollback/');
    await x.close();
  }, 60_000);

  it('pages carry the cause in one line and the next step, not the raw credential error', () => {
    for (const m of thread) {
      expect(m.text).not.toMatch(/AggregateAuthenticationError|ChainedTokenCredential|ManagedIdentityCredential authentication failed/);
      for (const line of m.text.split('\n')) expect(line.length).toBeLessThanOrEqual(600);
    }
    const escalation = thread.find((m) => m.kind === 'escalation' && m.op === 'reply');
    expect(escalation?.text).toMatch(/credentials were not accepted/);
    expect(escalation?.text).toMatch(/Next step: Check the function app's managed identity/);
  });

  it('the raw error is kept in the evidence', () => {
    expect(actions.join('\n')).toMatch(/AuthenticationError|managed identity/i);
  });

  it("a person's decision acknowledges the incident: the chain is not paged for want of an acknowledgement", () => {
    expect(thread.filter((m) => m.kind === 'escalation').map((m) => m.text).join('\n')).not.toMatch(/acknowledg/i);
  });
});

describe('nobody answers: the runbook rolls back and resolves by itself', () => {
  let resolved: IncidentRead;
  let thread: SinkRecord[];
  let metrics: PackMetrics;
  let report: string;
  let postmortem: string;

  beforeAll(async () => {
    const id = await x.deciding();
    await w.advance(10 * MINUTE, MINUTE);
    await w.until(id, (r) => r.runtime.customStatus?.phase === 'monitoring', 'monitoring after the automatic rollback');
    await w.advance(35 * MINUTE);
    resolved = await w.resolved(id);
    thread = await w.teams(id);
    metrics = await x.json<PackMetrics>(id, 'metrics.json');
    report = await x.blob(id, 'report.html');
    postmortem = await x.blob(id, 'postmortem.md');
    await x.close();
  }, 60_000);

  it('the report and the postmortem say Resolved, as the API does', () => {
    expect(resolved.summary).toMatchObject({ status: 'resolved' });
    expect(report).toContain('<span class="pill resolved">Resolved</span>');
    expect(report).not.toContain('>Open<');
    expect(postmortem).toMatch(/^\| Status \| resolved/m);
  });

  it('the automatic decision at the deadline is a missed decision timebox, whatever the timer latency', () => {
    expect(metrics.timeboxes.find((t) => t.name === 'decision')?.verdict).toBe('missed');
  });

  it('Teams RESOLVED and the report give the same figures', () => {
    const done = thread.find((m) => m.kind === 'resolved')?.text ?? '';
    const fact = (label: string) => new RegExp(`^${label}: (.*)$`, 'm').exec(done)?.[1] ?? '(missing)';
    for (const label of ['Time to mitigate', 'Time to recover']) expect(fact(label)).toBe(reportCard(report, label));
    // Nobody acknowledged: the report has no figure, and Teams says why rather than leaving the line out.
    expect(reportCard(report, 'Time to acknowledge')).toBe('-');
    expect(fact('Time to acknowledge')).toBe('none: nobody acknowledged');
  });

  it('one clock: the freeze announcement and the rollback start are the same moment of the incident', () => {
    const freeze = thread.find((m) => m.kind === 'deploy-freeze')?.text ?? '';
    const started = thread.find((m) => m.kind === 'rollback-started')?.text ?? '';
    expect(/^Since: (.*)$/m.exec(freeze)?.[1]).toBe(/^Started: (.*)$/m.exec(started)?.[1]);
  });
});

describe('a monitoring window without regression, resolved by a person after it ended', () => {
  let metrics: PackMetrics;
  let report: string;

  beforeAll(async () => {
    const id = await x.deciding();
    expect((await w.post(`/api/incidents/${id}/decision`, { choice: 'api-to-lkg' }, who())).status).toBe(202);
    await w.until(id, (r) => r.runtime.customStatus?.phase === 'monitoring', 'monitoring after the rollback');
    // A blip that is no regression: /ready says Degraded from +25 min, so the runbook waits for green; a person resolves at +35.
    await w.advance(20 * MINUTE);
    w.target.setFault('production', { degradedComponents: ['cache'] });
    await w.advance(15 * MINUTE);
    expect((await w.post(`/api/incidents/${id}/resolve`, { summary: 'cache warm-up, not the release' }, who())).status).toBe(202);
    await w.resolved(id);
    metrics = await x.json<PackMetrics>(id, 'metrics.json');
    report = await x.blob(id, 'report.html');
    await x.close();
  }, 60_000);

  it('is met, in the figures and in the report', () => {
    expect(metrics.timeboxes.find((t) => t.name === 'monitoring')?.verdict).toBe('met');
    expect(report).toMatch(/Monitoring window <span class="pill met">met<\/span>/);
  });
});

describe('an alert that fired 16 days before it reached us (the README quick-start alert, replayed later)', () => {
  let declared: SinkRecord | undefined;
  let metrics: PackMetrics;
  let report: string;
  let postmortem: string;

  beforeAll(async () => {
    const id = await x.deciding({}, { firedDateTime: new Date(w.now() - 16 * 24 * 60 * MINUTE).toISOString() });
    expect((await w.post(`/api/incidents/${id}/resolve`, {}, who())).status).toBe(202);
    await w.resolved(id);
    declared = (await w.teams(id)).find((m) => m.kind === 'declared');
    metrics = await x.json<PackMetrics>(id, 'metrics.json');
    report = await x.blob(id, 'report.html');
    postmortem = await x.blob(id, 'postmortem.md');
    await x.close();
  }, 60_000);

  it('is kept and flagged where people read it', () => {
    expect(declared?.text).toContain('fired 16 days before it reached us');
    for (const doc of [report, postmortem]) expect(doc).toContain('fired 16 days before it reached us');
  });

  it('is not used for time to declare or the impact', () => {
    expect(metrics.timeToDeclare).toBeNull();
    for (const doc of [report, postmortem]) expect(doc.match(/.{0,80}(38\d h|\b16 d\b).{0,80}/g) ?? []).toEqual([]);
  });
});

describe('liveness and readiness both red, a person chooses to keep watching', () => {
  let read: IncidentRead;
  let update: SinkRecord | undefined;

  beforeAll(async () => {
    const id = await x.deciding({ healthRed: true });
    await w.advance(2 * MINUTE, MINUTE);
    expect((await w.post(`/api/incidents/${id}/decision`, { choice: 'monitor-only' }, who())).status).toBe(202);
    // Checks every 2 minutes; the status update at +15 min, before the containment timebox (15 min from the decision) ends.
    await w.advance(14 * MINUTE, MINUTE);
    read = await w.until(id, () => true);
    update = (await w.teams(id)).find((m) => m.kind === 'update');
    await x.close();
  }, 60_000);

  it('shows health and ready each from its own result', () => {
    expect(update?.text).toContain('Health ❌, Ready ❌');
  });

  it('collapses repeated identical check results, on the timeline and in the update', () => {
    const checks = texts(read).filter((t) => /^Smoke checks/.test(t));
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatch(/^Smoke checks \(verify\): red ×[5-7] since \d\d:\d\d, last \d\d:\d\d UTC: /);
    expect(update?.text).toMatch(/checks red ×\d+ since \d\d:\d\d UTC/);
  });
});
