/**
 * End to end, issue 17: people and authority as RB-03 section 4 and RB-02 section 4 define them.
 * The real `incident` orchestration (dist/) on the dev host with the wire-level fakes
 * (test/harness/product.ts), a rota and a Decision Owner for Prod. One P1 incident is followed
 * through: the rota pages the IC, the Deputy and the SME of the triage row that matched; the SRE
 * acknowledges (and becomes Deputy by the rota) but nobody takes the IC role, so the IC timebox
 * escalates; an approver who is not the Decision Owner is refused when overriding the P1 default
 * (a decision and a downgrade), the Decision Owner downgrades and the cadence follows; the Release
 * Manager takes the IC role, decides, and the evidence pack and the postmortem name the roles.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SinkRecord } from '../../src/adapters/teams-sink.js';
import { APPROVER, MINUTE, ProductWorld, principal, type IncidentRead } from '../harness/product.js';
import { Scenarios } from '../harness/truth.js';

const RM = { upn: 'rm@contoso.example', oid: 'aaaaaaaa-0000-4000-8000-000000000011' };
const BACKUP = 'sre-backup@contoso.example';
const SRE = { upn: 'sre@contoso.example', oid: 'aaaaaaaa-0000-4000-8000-000000000012' };
const DIRECTOR = { upn: 'director@contoso.example', oid: 'aaaaaaaa-0000-4000-8000-000000000013' };
const DEV_LEAD = 'devlead@contoso.example';
const TICKET = 'https://tickets.contoso.example/INC-4711';

let w: ProductWorld;
let x: Scenarios;
let id: string;
const steps: Record<string, { status: number; body: Record<string, unknown> }> = {};
let afterIcTimebox: IncidentRead;
let thread: SinkRecord[];
let linkOverride: { status: number; html: string };

const texts = (r: { timeline: { text: string }[] }): string[] => r.timeline.map((t) => t.text);
const as = (p: { upn: string; oid: string }) => principal(p.upn, p.oid);

beforeAll(async () => {
  w = await ProductWorld.start({
    people: {
      rota: { ic: [RM.upn, BACKUP], deputy: [SRE.upn], sme: { devLead: [DEV_LEAD], security: ['sec@contoso.example'] } },
      decisionOwner: DIRECTOR.upn,
    },
  });
  expect((await w.recordLkg()).status).toBe(201);
  x = new Scenarios(w);
  id = await x.deciding();
  const declaredAt = w.now();
  // The SRE on call acknowledges without naming a role: the rota makes them Deputy, not IC.
  steps.ack = await w.post(`/api/incidents/${id}/ack`, {}, as(SRE));
  // An approver who is not the Decision Owner tries to override the P1 default, twice.
  steps.monitorOnly = await w.post(`/api/incidents/${id}/decision`, { choice: 'monitor-only', reason: 'looks transient' }, as(APPROVER));
  steps.downgradeByApprover = await w.post(`/api/incidents/${id}/severity`, { level: 'P2', reason: 'one tenant' }, as(APPROVER));
  // Extending a P1's decision timebox postpones its automatic rollback: an override too.
  steps.extendByApprover = await w.post(`/api/incidents/${id}/extend`, { timebox: 'decision', minutes: 30, reason: 'need more time' }, as(APPROVER));
  // ...and through the proposal card's button: refused on the page, the link not used up.
  const link = await w.approvalPath(id, 'Do not contain; keep monitoring');
  const page = await w.host.fetch(link, { method: 'POST', headers: { accept: 'text/html', ...as(APPROVER), 'content-type': 'application/x-www-form-urlencoded' }, body: 'choice=monitor-only' });
  linkOverride = { status: page.status, html: await page.text() };
  await w.advance(2 * MINUTE, MINUTE);
  // The Decision Owner downgrades it: P2's cadence (30 min) and decision timebox (20 min) apply.
  steps.downgrade = await w.post(`/api/incidents/${id}/severity`, { level: 'P2', reason: 'only the jobs API of one tenant fails' }, as(DIRECTOR));
  await w.until(id, (r) => r.summary.severity === 'P2', 'the downgrade');
  // 15 minutes without an IC: the IC timebox escalates to the IC's backup.
  await w.advance(declaredAt + 15 * MINUTE - w.now(), MINUTE);
  afterIcTimebox = await w.until(id, (r) => r.timeline.some((t) => t.kind === 'escalation'), 'the IC escalation');
  // The Release Manager takes the IC role and accepts the proposal (roll back to LKG).
  steps.icAck = await w.post(`/api/incidents/${id}/ack`, { role: 'ic' }, as(RM));
  steps.decide = await w.post(`/api/incidents/${id}/decision`, { choice: 'accept-proposal' }, as(APPROVER));
  // Follow-ups while it runs: the ticket, and an action item the IC adds (both go into the evidence pack).
  steps.ticket = await w.post(`/api/incidents/${id}/actions`, { op: 'link-ticket', url: TICKET }, as(RM));
  steps.addItem = await w.post(`/api/incidents/${id}/actions`, { op: 'add', title: 'Alert on the jobs API 5xx per tenant', owner: SRE.upn, link: 'https://dev.contoso.example/items/77' }, as(RM));
  await w.until(id, (r) => r.runtime.customStatus?.phase === 'monitoring', 'monitoring');
  await w.advance(35 * MINUTE);
  await w.resolved(id);
  thread = await w.teams(id);
}, 120_000);

afterAll(async () => {
  await x?.close();
  await w?.stop();
});

describe('roles, authority and severity on one incident', () => {
  it('the rota pages the IC, the Deputy and the SME of the triage row that matched (5xx: Dev Lead), not the others', () => {
    const pages = thread.filter((m) => m.op === 'notify').map((m) => m.recipients);
    expect(pages).toContainEqual([RM.upn]);
    expect(pages).toContainEqual([SRE.upn]);
    expect(pages).toContainEqual([DEV_LEAD]);
    expect(pages.flat()).not.toContain('sec@contoso.example');
    // Each page says which role it is for; the declaration names who the rota paged for the roles nobody holds yet.
    const pageText = (who: string) => thread.find((m) => m.op === 'notify' && m.recipients?.includes(who))?.text ?? '';
    expect(pageText(RM.upn)).toMatch(new RegExp(`^📟 You are paged as Incident Commander for incident ${id}\\. 🚨 P1 INCIDENT`));
    expect(pageText(SRE.upn)).toMatch(/^📟 You are paged as Deputy for incident /);
    expect(pageText(DEV_LEAD)).toMatch(/^📟 You are paged as Dev Lead for incident /);
    const declaration = thread.find((m) => m.kind === 'declared' && m.op === 'post');
    expect(declaration?.text).toContain(`IC: not yet assigned (paged ${RM.upn})`);
    expect(declaration?.text).toContain(`Deputy: not yet assigned (paged ${SRE.upn})`);
    expect(texts(afterIcTimebox)).toContainEqual(expect.stringMatching(/^Incident Commander \(rota\): rm@contoso.example: /));
  });

  it('an acknowledgement without the IC role does not stop the chain: no IC within 15 minutes escalates to the IC backup', () => {
    expect(steps.ack?.status).toBe(202);
    expect(texts(afterIcTimebox)).toContain(`${SRE.oid} is Deputy (as the rota names them).`.replace(SRE.oid, `${SRE.upn} (${SRE.oid})`));
    const escalation = thread.find((m) => m.kind === 'escalation');
    expect(escalation?.text).toContain('No Incident Commander 15 min after the declaration (acknowledged by sre@contoso.example, but nobody took the IC role)');
    expect(thread.filter((m) => m.op === 'notify').map((m) => m.recipients)).toContainEqual([BACKUP]);
  });

  it("a non-owner's override of a P1 default is refused with a 403 naming the Decision Owner; nothing reaches the incident", () => {
    expect(steps.monitorOnly?.status).toBe(403);
    expect(steps.monitorOnly?.body).toMatchObject({
      error: { code: 'forbidden', message: `Choosing "monitor-only" overrides the P1 default in Prod; only the Decision Owner (${DIRECTOR.upn}), signed in, may do that, and ${APPROVER.upn} is not.` },
    });
    expect(linkOverride.status).toBe(403);
    expect(linkOverride.html).toContain('Not the Decision Owner');
    expect(linkOverride.html).toContain(`only the Decision Owner (${DIRECTOR.upn}), signed in, may do that`);
    expect(steps.extendByApprover?.status).toBe(403);
    expect(steps.extendByApprover?.body).toMatchObject({
      error: { code: 'forbidden', message: `Extending a P1's decision timebox (it postpones the automatic default) overrides the P1 default in Prod; only the Decision Owner (${DIRECTOR.upn}), signed in, may do that, and ${APPROVER.upn} is not.`, details: { reason: 'not-decision-owner', decisionOwner: DIRECTOR.upn, timebox: 'decision' } },
    });
    expect(texts(afterIcTimebox).filter((t) => t.includes('need more time') || t.includes('extended'))).toEqual([]);
    expect(steps.downgradeByApprover?.status).toBe(403);
    expect(JSON.stringify(steps.downgradeByApprover?.body)).toContain('Downgrading a P1 to P2 overrides the P1 default in Prod');
    expect(texts(afterIcTimebox).filter((t) => t.includes('monitor-only') || t.includes('looks transient') || t.startsWith('Ignored'))).toEqual([]);
  });

  it('the downgrade is recorded with who and why, announced in the thread, and re-derives the cadence and the decision timebox', () => {
    expect(steps.downgrade?.status).toBe(202);
    expect(texts(afterIcTimebox)).toContainEqual(`Severity lowered from P1 to P2 by ${DIRECTOR.upn} (${DIRECTOR.oid}): only the jobs API of one tenant fails`);
    const updates = thread.filter((m) => m.kind === 'update');
    expect(updates[0]?.text).toContain(`Severity lowered from P1 to P2 by ${DIRECTOR.upn}.`);
    expect(updates[0]?.text).toContain('Why the severity changed: only the jobs API of one tenant fails');
    // On P1's 15-minute cadence the next update would have followed at 10:33; on P2's it comes 30 min after the announcement.
    expect(updates[0]?.text).toMatch(/^⏱️ UPDATE #1 \[10:18 UTC\] — P2 Prod\. Severity lowered .* Next update at 10:48 UTC\./);
    expect(updates[1]?.text).toMatch(/^⏱️ UPDATE #2 \[10:48 UTC\] — P2 Prod\./);
    expect(afterIcTimebox.runtime.customStatus?.deadlines.decision).toBe(new Date(Date.parse(afterIcTimebox.timeline[0]?.at ?? '') + 20 * MINUTE).toISOString());
  });

  it('the IC claiming the role and the decision go through; the evidence pack and the postmortem name the roles', async () => {
    expect(steps.icAck?.status).toBe(202);
    expect(steps.decide?.status).toBe(202);
    const record = await x.json<{ roles: Record<string, string | null> }>(id, 'incident.json');
    expect(record.roles).toEqual({ ic: `${RM.upn} (${RM.oid})`, deputy: `${SRE.upn} (${SRE.oid})`, scribe: null, comms: null });
    const postmortem = await x.blob(id, 'postmortem.md');
    expect(postmortem).toContain(`| Roles | IC ${RM.upn} (${RM.oid}), deputy ${SRE.upn} (${SRE.oid}), scribe -, comms - |`);
  });
});

interface ActionsRead {
  items: { id: string; title: string; owner: string | null; source: string; status: string; links: string[]; closedBy: string | null }[];
  open: number;
  done: number;
  ticketUrl: string | null;
  postmortem: { done: boolean; by: string | null; dueAt: string | null };
}

describe('follow-through: action items with owners and links, tracked to closure (RB-03 section 11)', () => {
  const actions = async () => (await w.host.json<ActionsRead>(`/api/incidents/${id}/actions`, { headers: as(SRE) })).body;

  it("the postmortem lists the draft's items with owners from the roles, the item the IC added, and the ticket and evidence pack links", async () => {
    expect(steps.ticket?.status).toBe(201);
    expect(steps.addItem?.status).toBe(201);
    const record = await x.json<{ links: { label: string; url: string }[]; actionItems: { title: string; owner: string | null }[] }>(id, 'incident.json');
    expect(record.links[0]).toEqual({ label: 'Incident ticket', url: TICKET });
    expect(record.links[1]?.label).toMatch(/^Evidence pack \(incident-evidence\/Prod\/2026\/11\//);
    expect(record.actionItems).toEqual([expect.objectContaining({ title: 'Alert on the jobs API 5xx per tenant (https://dev.contoso.example/items/77)', owner: SRE.upn })]);
    const postmortem = await x.blob(id, 'postmortem.md');
    expect(postmortem).toContain(`[Incident ticket](${TICKET})`);
    expect(postmortem).toMatch(/\| Monitoring and alert improvements \(detect earlier, fewer flaps\) \| monitoring \| sre@contoso.example \(aaaaaaaa-0000-4000-8000-000000000012\) \|/);
    expect(postmortem).toMatch(/\| ADR or policy changes if needed .* \| adr-policy \| rm@contoso.example \(aaaaaaaa-0000-4000-8000-000000000011\) \|/);
    expect(postmortem).toContain('| Alert on the jobs API 5xx per tenant (https://dev.contoso.example/items/77) | other | sre@contoso.example |');
    expect(postmortem).not.toContain('(to assign)');
  });

  it('GET /actions starts from the same items; each is closed until none is open, and the postmortem is marked done (its reminders stop)', async () => {
    let read = await actions();
    for (let i = 0; i < 40 && !read.items.some((it) => it.source === 'postmortem'); i++) {
      await w.host.settle();
      read = await actions();
    }
    const drafted = read.items.filter((it) => it.source === 'postmortem');
    expect(drafted.length).toBeGreaterThanOrEqual(4);
    expect(drafted.every((it) => it.owner && !it.owner.includes('to assign'))).toBe(true);
    expect(read.items.find((it) => it.source === 'person')).toMatchObject({ id: 'a-1', owner: SRE.upn, links: ['https://dev.contoso.example/items/77'] });
    expect(read).toMatchObject({ ticketUrl: TICKET, done: 0, postmortem: { done: false } });

    const closeAll = read.items.map((it) => w.post(`/api/incidents/${id}/actions`, { op: 'close', item: it.id, note: 'done in sprint 48' }, as(SRE)));
    expect((await Promise.all(closeAll)).map((r) => r.status)).toEqual(read.items.map(() => 201));
    const again = await w.post(`/api/incidents/${id}/actions`, { op: 'close', item: 'pm-1' }, as(SRE));
    expect(again.status).toBe(409);
    expect((await w.post(`/api/incidents/${id}/actions`, { op: 'close', item: 'pm-99' }, as(SRE))).status).toBe(404);
    expect((await w.post(`/api/incidents/${id}/actions`, { op: 'shout' }, as(SRE))).status).toBe(400);

    const done = await w.post(`/api/incidents/${id}/actions`, { op: 'postmortem-done', url: `${TICKET}#postmortem` }, as(RM));
    expect(done.status).toBe(201);
    read = await actions();
    expect(read).toMatchObject({ open: 0, done: read.items.length, postmortem: { done: true, by: RM.upn } });
    expect(read.items.every((it) => it.status === 'done' && it.closedBy === SRE.upn)).toBe(true);
    const summary = (await w.incident(id)).summary as unknown as { postmortem: { doneAt: string | null } };
    expect(summary.postmortem.doneAt).not.toBeNull();
  });
});
