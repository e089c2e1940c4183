/**
 * The lab on its own: what it simulates comes from the policy's Lab service; the settings it hands
 * the app; faults by name over its HTTP API (and their undoing); its page and channel view.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channelLines, channelMarkdown, channelMessages } from '../../src/lab/channel.js';
import { parseFaults } from '../../src/lab/faults.js';
import { Lab, LabSetupError } from '../../src/lab/lab.js';
import { LabServer } from '../../src/lab/lab-server.js';
import { repoRoot } from '../harness/devhost.js';

const sample = (): Record<string, unknown> => JSON.parse(readFileSync(path.join(repoRoot, 'policy.sample.json'), 'utf8')) as Record<string, unknown>;
let lab: Lab;
let page: LabServer;

beforeAll(async () => {
  lab = await Lab.start({ policyDocument: sample(), dir: mkdtempSync(path.join(tmpdir(), 'lab-')), ports: 'free' });
  page = await LabServer.start(lab, 0);
});
afterAll(async () => {
  await page?.stop();
  await lab?.stop();
});

const call = async (method: string, p: string, body?: unknown) => {
  const res = await fetch(`${page.url}${p}`, { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { message: string }; state?: { slots: { production: { build: { buildId: string }; faults: object } }; flags: Record<string, boolean>; faults: string[] } } };
};

describe('the lab', () => {
  it("simulates the policy's Lab service: its site, SQL setting and scope, flag and Teams channel", () => {
    expect(lab.service).toMatchObject({ service: 'admin-api', environment: 'Lab', site: 'admin-api-lab', resourceGroup: 'rg-admin-lab', sqlSetting: 'SQL_CONNECTION_ADMIN_LAB', scope: 'Lab', flag: 'EnableLegacyHttpSse', channelId: '19:lab-incidents@thread.tacv2' });
    expect(lab.state()).toMatchObject({ slots: { production: { build: { buildId: 'b41' }, faults: {} }, staging: { build: { buildId: 'b40' } } }, flags: { EnableLegacyHttpSse: false }, swaps: 0 });
  });

  it('hands the app settings that point at its simulators, and the policy with its own ports', () => {
    const s = lab.settings({ APPROVAL_SIGNING_KEY: 'kept' });
    expect(s).toMatchObject({ TEAMS_DELIVERY: 'channel', TEAMS_GRAPH_URL: lab.graph.url, APPSERVICE_ARM_ENDPOINT: lab.arm.armUrl, APPROVAL_IDENTITY: 'link', APPROVAL_SIGNING_KEY: 'kept' });
    expect(s.SMOKE_ALLOWED_HOSTS).toBeUndefined();
    expect(s.SQL_CONNECTION_ADMIN_LAB).toContain(`127.0.0.1,${lab.sql.port}`);
    const policy = JSON.parse(s.POLICY_JSON ?? '{}') as { services: { environment: string; endpoints?: { baseUrl: string; stagingBaseUrl?: string } }[] };
    const labService = policy.services.find((x) => x.environment === 'Lab');
    expect(labService?.endpoints).toMatchObject({ baseUrl: lab.target.url('production'), stagingBaseUrl: lab.target.url('staging') });
    // The other environments are left as they are.
    expect(policy.services.find((x) => x.environment === 'Prod')?.endpoints?.baseUrl).toBe('https://admin-api-prod.azurewebsites.net');
  });

  it('refuses a policy without a Lab service, saying what it needs', async () => {
    const doc = sample();
    doc.services = (doc.services as { environment: string }[]).filter((s) => s.environment !== 'Lab');
    await expect(Lab.start({ policyDocument: doc, dir: mkdtempSync(path.join(tmpdir(), 'lab-')), ports: 'free' })).rejects.toThrow(LabSetupError);
  });

  it('injects and takes back faults over HTTP: a bad release swapped into production, a flag turned on through the procedure', async () => {
    const bad = await call('POST', '/faults/bad-release');
    expect(bad.status).toBe(200);
    expect(bad.body.state?.slots.production).toMatchObject({ build: { buildId: 'b42' }, faults: { readyRed: true } });
    expect((await fetch(`${lab.target.url('production')}/ready`)).status).toBe(503);
    const flag = await call('POST', '/faults/breaking-flag');
    expect(flag.body.state?.flags.EnableLegacyHttpSse).toBe(true);
    expect(lab.sql.db.audit.at(-1)).toMatchObject({ actor: 'dana.kim@contoso.example', entityKey: 'EnableLegacyHttpSse', beforeValue: '0', afterValue: '1' });
    expect(flag.body.state?.faults).toEqual(['bad-release', 'breaking-flag']);

    expect((await call('DELETE', '/faults/bad-release')).body.state?.slots.production.faults).toEqual({});
    expect((await fetch(`${lab.target.url('production')}/ready`)).status).toBe(200);
    expect((await call('DELETE', '/faults/breaking-flag')).body.state?.flags.EnableLegacyHttpSse).toBe(false);
  });

  it('slow swaps and a throttled Graph take parameters; unknown faults and bad parameters are refused with the reason', async () => {
    expect((await call('POST', '/faults/slow-swap', { ms: 2500 })).status).toBe(200);
    expect(lab.arm.swapMs).toBe(2500);
    expect((await call('POST', '/faults/throttled-graph', { count: 2, retryAfterSeconds: 1 })).status).toBe(200);
    expect(lab.graph.faults).toHaveLength(2);
    expect(await call('POST', '/faults/slow-swap', { ms: -1 })).toMatchObject({ status: 400, body: { error: { message: 'ms must be a number from 1 to 600000.' } } });
    expect((await call('POST', '/faults/meteor')).status).toBe(404);
    await call('DELETE', '/faults/slow-swap');
    await call('DELETE', '/faults/throttled-graph');
    expect(lab.arm.swapMs).toBe(0);
    expect(lab.graph.faults).toHaveLength(0);
    expect(() => parseFaults(['bad-release,nope'])).toThrow('Unknown lab fault(s): nope.');
  });

  it('shows its channel: messages as posted, replies under their thread, as text, Markdown and a page', async () => {
    const card = (text: string) => ({
      body: { contentType: 'html', content: '<attachment id="a1"></attachment>' },
      attachments: [{ id: 'a1', contentType: 'application/vnd.microsoft.card.adaptive', content: JSON.stringify({ type: 'AdaptiveCard', fallbackText: text, actions: [{ type: 'Action.OpenUrl', title: 'Approve', url: 'http://127.0.0.1/api/approvals/x' }] }) }],
    });
    const root = lab.graph.seed('team', 'channel', { attachmentId: 'a0' });
    const channel = lab.graph.channel('team', 'channel');
    Object.assign(channel[0] ?? {}, card('🚨 P1 INCIDENT — Lab\nIncident: inc-1'));
    lab.graph.seed('team', 'channel', { attachmentId: 'a2', threadId: root });
    const reply = channel[0]?.replies[0];
    if (reply) Object.assign(reply, card('⚖️ DECISION NEEDED\nDecide by 10:10'));
    const messages = channelMessages(lab.graph.allChannels());
    expect(messages.map((m) => [m.title, m.threadId])).toEqual([
      ['🚨 P1 INCIDENT — Lab', null],
      ['⚖️ DECISION NEEDED', root],
    ]);
    expect(messages[1]?.buttons).toEqual([{ title: 'Approve', url: 'http://127.0.0.1/api/approvals/x' }]);
    expect(channelLines(messages)[1]).toMatch(/^\d\d:\d\d:\d\d {3}↳ ⚖️ DECISION NEEDED$/);
    expect(channelMarkdown(messages, 'Channel')).toContain('```text\n⚖️ DECISION NEEDED\nDecide by 10:10\n```');
    const html = await (await fetch(page.url)).text();
    expect(html).toContain('Teams channel (2 message(s), newest first)');
    expect(html).toContain('⚖️ DECISION NEEDED');
    expect((await call('GET', '/nope')).status).toBe(404);
  });
});
