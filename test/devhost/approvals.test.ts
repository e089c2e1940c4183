/**
 * Approval links on the dev host with Azurite: the product's approval endpoint (registered by
 * registerApprovalRoutes from the build output, as functions/approvals.ts does) next to a
 * stand-in incident orchestration that waits for the `decision` event (test/fixtures/approvals-app).
 * A valid decision reaches the running instance through the real Durable client; replayed,
 * expired, tampered, wrong-approver and not-running requests are refused and record nothing.
 * Needs `npm run build` first (the app is loaded from dist/, as Azure loads it).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTableClient, storageTarget } from '../../src/adapters/storage.js';
import { mintApprovalLinks, proposalNonce, signApprovalToken, type ApprovalClaims } from '../../src/activities/approval-token.js';
import type { AzuriteInstance } from '../../src/devhost/azurite.js';
import { LocalSinkTeams } from '../../src/adapters/teams-sink.js';
import type { ContainmentChoice } from '../../src/domain/incident-events.js';
import { samples, updateNo } from '../fixtures/teams/messages.js';
import { repoRoot, startTestAzurite, startTestHost, uniqueHubName, type TestHost } from '../harness/devhost.js';
import { principal } from '../harness/product.js';
import { setAppEnv } from '../harness/env.js';

const app = path.join(repoRoot, 'test', 'fixtures', 'approvals-app');
const sinkFile = path.join(mkdtempSync(path.join(tmpdir(), 'approvals-')), 'teams-outbox.jsonl');
const key = randomBytes(32);
const TABLE = uniqueHubName('Approvals');
let azurite: AzuriteInstance;
let h: TestHost;
let seq = 0;

beforeAll(async () => {
  if (!existsSync(path.join(repoRoot, 'dist', 'src', 'app', 'approval-routes.js'))) throw new Error('Run "npm run build" before this test.');
  azurite = await startTestAzurite();
  h = await startTestHost({
    azurite,
    appRoot: app,
    env: { APPROVAL_SIGNING_KEY: key.toString('base64'), APPROVAL_TABLE: TABLE, APPROVAL_IDENTITY: 'link', TEAMS_DELIVERY: 'local', TEAMS_SINK_FILE: sinkFile },
  });
});
afterAll(async () => {
  await h?.stop();
  await azurite?.stop();
});
beforeEach(() => {
  setAppEnv({ APPROVAL_IDENTITY: 'link', APPROVERS: undefined, WEBSITE_AUTH_ENABLED: undefined });
});

async function runningIncident(prefix = 'inc'): Promise<string> {
  const id = `${prefix}-${++seq}-${randomBytes(3).toString('hex')}`;
  await h.start('awaitDecision', null, id);
  await h.waitFor(id, ['Running']);
  return id;
}

function links(incidentId: string, o: { expiresAt?: string; title?: string; choices?: ContainmentChoice[] } = {}) {
  return mintApprovalLinks(
    {
      incidentId,
      proposalId: 'prop-1',
      choices: o.choices ?? ['accept-proposal', 'monitor-only'],
      // Links expire at the decision deadline, in application time (the dev host's manual clock).
      expiresAt: o.expiresAt ?? new Date(h.clock.now() + 10 * 60_000).toISOString(),
      title: o.title ?? 'Roll back API to LKG v2.3.9 by slot swap',
      environment: 'Prod',
      severity: 'P1',
    },
    { keys: [key], baseUrl: h.baseUrl, audience: 'teams' },
    proposalNonce(key, incidentId, 'prop-1'),
  );
}

const pathOf = (url: string | undefined) => new URL(url ?? '').pathname;
const html = { accept: 'text/html,application/xhtml+xml' };
const json = { accept: 'application/json' };
const form = (choice?: string, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { ...html, 'content-type': 'application/x-www-form-urlencoded', ...headers },
  body: choice ? `choice=${choice}` : '',
});

async function recorded(incidentId: string): Promise<Record<string, unknown>[]> {
  const table = createTableClient(storageTarget({ AzureWebJobsStorage: azurite.connectionString }), TABLE);
  await table.createTable();
  const rows: Record<string, unknown>[] = [];
  for await (const e of table.listEntities({ queryOptions: { filter: `PartitionKey eq '${incidentId}'` } })) rows.push(e);
  return rows;
}

async function stillWaiting(id: string): Promise<void> {
  await h.settle();
  expect((await h.status(id))?.runtimeStatus).toBe('Running');
}

describe('approval links on the dev host', () => {
  it('shows a confirmation page that records nothing, then raises the decision into the running incident', async () => {
    const id = await runningIncident();
    const l = links(id);
    const page = await h.fetch(pathOf(l.perChoice['accept-proposal']), { headers: html });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    const body = await page.text();
    expect(body).toContain('Roll back API to LKG v2.3.9 by slot swap');
    expect(body).toContain('<form method="post">');
    expect(body).toContain('Confirm: Approve proposal');
    expect(await recorded(id)).toEqual([]);
    await stillWaiting(id);

    const post = await h.fetch(pathOf(l.perChoice['accept-proposal']), form('accept-proposal'));
    expect(post.status).toBe(200);
    expect(await post.text()).toContain('Decision recorded');
    const done = await h.waitFor(id);
    expect(done.output).toMatchObject({ actor: { id: 'approval-link', name: 'teams', via: 'approval-link' }, choice: 'accept-proposal', proposalId: 'prop-1' });
    expect((done.output as { at: string }).at).toBe(new Date(h.clock.now()).toISOString());
    expect(await recorded(id)).toMatchObject([{ proposalId: 'prop-1', choice: 'accept-proposal', actorId: 'approval-link', state: 'raised' }]);
  });

  it('refuses a replay, and the other buttons of a decided proposal, with 409', async () => {
    const id = await runningIncident();
    const l = links(id);
    expect((await h.fetch(pathOf(l.perChoice['accept-proposal']), form())).status).toBe(200);
    const replay = await h.json<{ error: { code: string; message: string } }>(pathOf(l.perChoice['accept-proposal']), { ...form(), headers: { ...json } });
    expect(replay.status).toBe(409);
    expect(replay.body.error.code).toBe('conflict');
    expect(replay.body.error.message).toContain('already decided: Approve proposal by teams (approval-link)');
    const other = await h.fetch(pathOf(l.perChoice['monitor-only']), form('monitor-only'));
    expect(other.status).toBe(409);
    expect(await other.text()).toContain('Nothing was recorded by this request.');
    expect(await recorded(id)).toHaveLength(1);
    expect((await h.waitFor(id)).output).toMatchObject({ choice: 'accept-proposal' });
  });

  it('lets exactly one of several simultaneous clicks decide', async () => {
    const id = await runningIncident();
    const l = links(id);
    const clicks: ContainmentChoice[] = ['accept-proposal', 'monitor-only', 'accept-proposal', 'monitor-only', 'accept-proposal', 'monitor-only'];
    const answers = await Promise.all(clicks.map((c) => h.fetch(pathOf(l.perChoice[c]), form(c)).then((r) => r.status)));
    expect(answers.filter((s) => s === 200)).toHaveLength(1);
    expect(answers.filter((s) => s === 409)).toHaveLength(5);
    const [row] = await recorded(id);
    expect((await h.waitFor(id)).output).toMatchObject({ choice: row?.choice });
  });

  it('refuses an expired link with 410 and records nothing', async () => {
    const id = await runningIncident();
    const l = links(id, { expiresAt: new Date(h.clock.now() - 60_000).toISOString() });
    const r = await h.fetch(pathOf(l.perChoice['accept-proposal']), form('accept-proposal'));
    expect(r.status).toBe(410);
    expect(await r.text()).toContain('Approval link expired');
    expect(await recorded(id)).toEqual([]);
    await stillWaiting(id);
  });

  it('refuses tampered and garbled links and records nothing', async () => {
    const id = await runningIncident();
    const token = pathOf(links(id).perChoice['monitor-only']).split('/').pop() ?? '';
    const [v, body, mac] = token.split('.');
    const claims = JSON.parse(Buffer.from(body ?? '', 'base64url').toString('utf8')) as ApprovalClaims;
    const forgedChoice = `${v}.${Buffer.from(JSON.stringify({ ...claims, ch: ['api-to-lkg'] })).toString('base64url')}.${mac}`;
    const r = await h.json<{ error: { code: string } }>(`/api/approvals/${forgedChoice}`, { ...form('api-to-lkg'), headers: json });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('forbidden');
    const otherKey = signApprovalToken(claims, randomBytes(32));
    expect((await h.fetch(`/api/approvals/${otherKey}`, form('monitor-only'))).status).toBe(403);
    expect((await h.fetch('/api/approvals/not-a-token', form())).status).toBe(400);
    // A link for one choice cannot carry another.
    const wrongChoice = await h.fetch(pathOf(links(id).perChoice['monitor-only']), form('accept-proposal'));
    expect(wrongChoice.status).toBe(400);
    expect(await recorded(id)).toEqual([]);
    await stillWaiting(id);
  });

  it('behind Entra authentication: records the approver, refuses others (403) and anonymous callers (401)', async () => {
    setAppEnv({ APPROVAL_IDENTITY: 'entra', APPROVERS: 'dana.kim@contoso.com, role:Incident.Approver' });
    const id = await runningIncident();
    const url = pathOf(links(id).perChoice['accept-proposal']);
    // Without App Service Authentication nobody vouches for principal headers: entra mode is refused
    // as not configured, and a forged approver records nothing.
    const forged = await h.fetch(url, form('accept-proposal', principal('dana.kim@contoso.com', 'aaaaaaaa-0000-0000-0000-000000000001')));
    expect(forged.status).toBe(503);
    expect(await forged.text()).toContain('APPROVAL_IDENTITY');
    expect(await recorded(id)).toEqual([]);
    setAppEnv({ WEBSITE_AUTH_ENABLED: 'True' });
    const anonymous = await h.fetch(url, form('accept-proposal'));
    expect(anonymous.status).toBe(401);
    const sam = await h.fetch(url, form('accept-proposal', principal('sam.lee@contoso.com', 'bbbbbbbb-0000-0000-0000-000000000002')));
    expect(sam.status).toBe(403);
    expect(await sam.text()).toContain('sam.lee@contoso.com is not on the approver list');
    expect(await recorded(id)).toEqual([]);
    await stillWaiting(id);
    const dana = await h.fetch(url, form('accept-proposal', principal('dana.kim@contoso.com', 'aaaaaaaa-0000-0000-0000-000000000001')));
    expect(dana.status).toBe(200);
    expect((await h.waitFor(id)).output).toMatchObject({
      actor: { id: 'aaaaaaaa-0000-0000-0000-000000000001', name: 'dana.kim@contoso.com', via: 'approval-link', verified: true },
      choice: 'accept-proposal',
    });
  });

  it("uses the approvers the policy gives the incident's service over the APPROVERS setting", async () => {
    setAppEnv({ APPROVAL_IDENTITY: 'entra', WEBSITE_AUTH_ENABLED: 'True', APPROVERS: 'dana.kim@contoso.com' });
    const id = await runningIncident('inc-policy');
    const url = pathOf(links(id).perChoice['accept-proposal']);
    const dana = await h.fetch(url, form('accept-proposal', principal('dana.kim@contoso.com', 'aaaaaaaa-0000-0000-0000-000000000001')));
    expect(dana.status).toBe(403);
    expect(await recorded(id)).toEqual([]);
    const approver = await h.fetch(url, form('accept-proposal', principal('policy.approver@contoso.com', 'cccccccc-0000-0000-0000-000000000003')));
    expect(approver.status).toBe(200);
    expect((await h.waitFor(id)).output).toMatchObject({ actor: { name: 'policy.approver@contoso.com' }, choice: 'accept-proposal' });
  });

  it('refuses with 410 when the incident automation is not running', async () => {
    const missing = await h.json<{ error: { code: string; message: string } }>(pathOf(links('inc-never-started').perChoice['accept-proposal']), { ...form(), headers: json });
    expect(missing.status).toBe(410);
    expect(missing.body.error.message).toContain('no incident automation is running under this id');
    const id = `inc-finished-${randomBytes(3).toString('hex')}`;
    await h.start('finishedIncident', null, id);
    await h.waitFor(id);
    const finished = await h.fetch(pathOf(links(id).perChoice['accept-proposal']), form('accept-proposal'));
    expect(finished.status).toBe(410);
    expect(await finished.text()).toContain('its automation has ended (Completed)');
    expect(await recorded(id)).toEqual([]);
    expect(await recorded('inc-never-started')).toEqual([]);
  });

  it('escapes what it shows', async () => {
    const id = await runningIncident();
    const r = await h.fetch(pathOf(links(id, { title: '<script>alert("x")</script> & co' }).perChoice['accept-proposal']), { headers: html });
    const body = await r.text();
    expect(body).not.toContain('<script>');
    expect(body).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; co');
  });
});

describe('from the card to the orchestration', () => {
  it('the Teams activities post the thread with signed buttons; clicking one decides the incident', async () => {
    const id = `inc-e2e-${randomBytes(3).toString('hex')}`;
    const deadline = new Date(Date.now() + 10 * 60_000).toISOString();
    await h.start('proposeAndAwait', {
      declared: { ...samples.declared, incidentId: id },
      proposal: { ...samples['containment-proposed'], incidentId: id, decisionDeadline: deadline },
      update: updateNo(1, id),
      deadline,
    }, id);
    await h.waitFor(id, ['Running']);
    await h.settle();
    const thread = (await LocalSinkTeams.readAll(sinkFile)).filter((r) => r.incidentId === id);
    expect(thread.map((r) => [r.op, r.kind])).toEqual([
      ['post', 'declared'],
      ['reply', 'containment-proposed'],
    ]);
    const buttons = (thread[1]?.card as { actions: { title: string; url: string }[] }).actions;
    const approve = buttons.find((b) => b.title === 'Approve rollback');
    expect(approve?.url.startsWith(`${h.baseUrl}/api/approvals/v1.`)).toBe(true);
    expect((await h.fetch(pathOf(approve?.url), form('accept-proposal'))).status).toBe(200);
    const done = await h.waitFor(id);
    const out = done.output as { thread: { threadId: string }; proposed: { kind: string }; decision: { choice: string }; ack: { kind: string; threadId: string } };
    expect(out.proposed.kind).toBe('done');
    expect(out.decision).toMatchObject({ choice: 'accept-proposal', proposalId: 'prop-1', actor: { via: 'approval-link' } });
    expect(out.ack).toMatchObject({ kind: 'done', threadId: out.thread.threadId });
    expect((await LocalSinkTeams.readAll(sinkFile)).filter((r) => r.incidentId === id)).toHaveLength(3);
  });
});
