/**
 * End to end, issue 12: incidents when no last known good release was recorded when they were
 * declared. The decision card says what will really happen if nobody answers; the automatic
 * rollback is refused, and that refusal is named in RESOLVED and never counted as mitigation; two
 * escalations for two reasons read as two; an LKG recorded during the incident is the one every
 * output names after the rollback. (truth.test.ts: the scenarios with an LKG from the start.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SinkRecord } from '../../src/adapters/teams-sink.js';
import { MINUTE, ProductWorld } from '../harness/product.js';
import { approver as who, reportCard, Scenarios, type PackMetrics } from '../harness/truth.js';

let w: ProductWorld;
let x: Scenarios;

beforeAll(async () => {
  w = await ProductWorld.start();
  x = new Scenarios(w);
});
afterAll(async () => {
  await w?.stop();
});

const texts = (r: { timeline: { text: string }[] }): string[] => r.timeline.map((t) => t.text);

describe('nobody decides and there is no last known good release', () => {
  let thread: SinkRecord[];
  let metrics: PackMetrics;
  let record: { milestones: { mitigatedAt: string | null } };
  let report: string;

  beforeAll(async () => {
    const id = await x.deciding();
    // Nobody decides: the automatic rollback is refused (nothing to roll back to); nobody acknowledges either.
    await w.advance(10 * MINUTE, MINUTE);
    await w.until(id, (r) => texts(r).some((t) => /^api-to-lkg: refused/.test(t)), 'the refused rollback');
    await w.advance(6 * MINUTE, MINUTE);
    expect((await w.post(`/api/incidents/${id}/resolve`, { summary: 'fixed forward' }, who())).status).toBe(202);
    await w.resolved(id);
    thread = await w.teams(id);
    metrics = await x.json<PackMetrics>(id, 'metrics.json');
    record = await x.json(id, 'incident.json');
    report = await x.blob(id, 'report.html');
    await x.close();
  }, 60_000);

  it('the decision card does not promise a rollback to an unknown release: it says what will happen', () => {
    const proposal = thread.find((m) => m.kind === 'containment-proposed');
    expect(proposal?.text).toContain('Last known good: unknown');
    expect(proposal?.text).not.toMatch(/rolls back to the last known good release/);
    expect(proposal?.text).toMatch(/no last known good release is recorded for admin-api: unless one is recorded by then \(POST \/api\/lkg\), the rollback is refused and people are paged/);
  });

  it('the refused rollback is never counted as mitigation: not in the record, the figures, the report or Teams', () => {
    expect(record.milestones.mitigatedAt).toBeNull();
    expect(metrics.timeToMitigate).toBeNull();
    expect(reportCard(report, 'Time to mitigate')).toBe('-');
    expect(thread.find((m) => m.kind === 'resolved')?.text).toMatch(/^Time to mitigate: none: no containment change went through$/m);
  });

  it('RESOLVED names the refused rollback', () => {
    const resolved = thread.find((m) => m.kind === 'resolved')?.text ?? '';
    expect(resolved).toMatch(/Not done:\n\s+• The API rollback to the last known good release was refused: /);
    expect(resolved).not.toMatch(/^Solution: .*Deploys to Prod frozen/m);
  });

  it('two escalations for two reasons: two titles, each naming its reason', () => {
    const escalations = thread.filter((m) => m.kind === 'escalation' && m.op === 'reply');
    expect(escalations.length).toBeGreaterThanOrEqual(2);
    const titles = escalations.map((m) => m.headline.split(' — ')[0]);
    expect(new Set(titles).size).toBe(escalations.length);
    expect(titles.join('\n')).toMatch(/NO INCIDENT COMMANDER/);
    expect(titles.join('\n')).toMatch(/REFUSED/);
  });
});

describe('a last known good release recorded during the incident', () => {
  let thread: SinkRecord[];
  let record: { release: { lkg: string | null; restored: string | null } };

  beforeAll(async () => {
    const id = await x.deciding();
    // The deploy pipeline records r41 after the snapshot; then a person asks for the rollback.
    expect((await w.recordLkg()).status).toBe(201);
    expect((await w.post(`/api/incidents/${id}/rollback`, { reason: 'customers failing' }, who())).status).toBe(202);
    await w.until(id, (r) => r.runtime.customStatus?.phase === 'monitoring', 'monitoring after the rollback');
    expect((await w.post(`/api/incidents/${id}/resolve`, {}, who())).status).toBe(202);
    await w.resolved(id);
    thread = await w.teams(id);
    record = await x.json(id, 'incident.json');
    await x.close();
  }, 60_000);

  it('is the release every output names once production runs it', () => {
    expect(record.release).toMatchObject({ lkg: 'r41', restored: 'r41' });
    expect(thread.find((m) => m.kind === 'rollback-executed')?.headline).toMatch(/^↩️ Rolled back to r41 /);
  });
});
