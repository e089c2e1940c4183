/**
 * End to end, issue 17 item 3: communications beyond the incident thread. The real `incident`
 * orchestration (dist/) on the dev host with the wire-level fakes (test/harness/product.ts), and
 * Prod's policy naming a release channel, a stakeholders' channel (P1: every 20 min) and a status
 * page component; the status page webhook points at a real HTTP receiver on 127.0.0.1 that checks
 * each request's signature and drops repeats by their Idempotency-Key, as a status page service
 * would. One P1 incident is rolled back to the last known good release and resolved:
 *
 *   - the release channel gets RB-02's rollback start and success messages (the thread's own text);
 *   - the stakeholders' summary arrives on its cadence, and a final one at resolution;
 *   - the receiver sees investigating -> identified -> monitoring -> resolved, signed, in order,
 *     once each, although the answer to one update was lost and the update was delivered again;
 *   - the evidence pack holds the customer message draft, in its manifest.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyStatusPageSignature, signStatusPageBody } from '../../src/adapters/status-page-webhook.js';
import type { SinkRecord } from '../../src/adapters/teams-sink.js';
import { APPROVER, LKG, BAD, MINUTE, ProductWorld, principal } from '../harness/product.js';
import { Scenarios } from '../harness/truth.js';

const TEAM = '6f1c2a4e-1b2c-4d3e-8f90-0123456789ab';
const RELEASE = { teamId: TEAM, channelId: '19:release@thread.tacv2' };
const STAKEHOLDERS = { teamId: TEAM, channelId: '19:stakeholders@thread.tacv2' };
const SECRET = randomBytes(32).toString('hex');
const RM = { upn: 'rm@contoso.example', oid: 'aaaaaaaa-0000-4000-8000-000000000011' };

interface Received {
  headers: IncomingHttpHeaders;
  raw: string;
  verdict: ReturnType<typeof verifyStatusPageSignature>;
  duplicate: boolean;
}

/** A status page service's webhook endpoint: verifies, keeps each Idempotency-Key once, and loses its answer to the first "identified" update. */
class Receiver {
  readonly requests: Received[] = [];
  readonly accepted: Record<string, unknown>[] = [];
  private readonly keys = new Set<string>();
  private dropped = false;
  private server!: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const verdict = verifyStatusPageSignature(SECRET, req.headers['x-signature'] as string | undefined, raw, Math.floor(Date.now() / 1000));
        const key = String(req.headers['idempotency-key'] ?? '');
        const duplicate = this.keys.has(key);
        this.requests.push({ headers: req.headers, raw, verdict, duplicate });
        if (!verdict.ok) return void res.writeHead(401).end();
        if (!duplicate) {
          this.keys.add(key);
          const update = JSON.parse(raw) as Record<string, unknown>;
          this.accepted.push(update);
          // Processed, but the answer is lost: the sender cannot tell, and delivers it again.
          if (update.status === 'identified' && !this.dropped) {
            this.dropped = true;
            return void req.socket.destroy();
          }
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ duplicate }));
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/status`;
  }

  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

const receiver = new Receiver();
let w: ProductWorld;
let x: Scenarios;
let id: string;
let sink: SinkRecord[];
const onChannel = (c: { channelId: string }) => sink.filter((m) => m.destination?.channelId === c.channelId);
/** The text without its footer (the footer names the message's own reference). */
const body = (text: string | undefined) => (text ?? '').replace(/\n?Incident \S+ · ref [0-9a-f]{32}\s*$/, '').trim();

beforeAll(async () => {
  const url = await receiver.start();
  w = await ProductWorld.start({
    people: { rota: { ic: [RM.upn] } },
    communications: {
      releaseChannel: RELEASE,
      stakeholders: { ...STAKEHOLDERS, everyMinutes: { P1: 20 } },
      statusPage: { component: 'Admin API' },
    },
    settings: { STATUS_PAGE_WEBHOOK_URL: url, STATUS_PAGE_WEBHOOK_SECRET: SECRET },
  });
  expect((await w.recordLkg()).status).toBe(201);
  x = new Scenarios(w);
  id = await x.deciding();
  expect((await w.post(`/api/incidents/${id}/ack`, { role: 'ic' }, principal(RM.upn, RM.oid))).status).toBe(202);
  expect((await w.post(`/api/incidents/${id}/decision`, { choice: 'accept-proposal' }, principal(APPROVER.upn, APPROVER.oid))).status).toBe(202);
  await w.until(id, (r) => r.runtime.customStatus?.phase === 'monitoring', 'monitoring');
  await w.advance(35 * MINUTE);
  await w.resolved(id);
  sink = await w.teams(id);
}, 120_000);

afterAll(async () => {
  await x?.close();
  await w?.stop();
  await receiver.stop();
});

describe('communications beyond the incident thread', () => {
  it("the release channel gets RB-02's rollback start and success messages, with the thread's own text", () => {
    const release = onChannel(RELEASE);
    expect(release.map((m) => [m.op, m.kind])).toEqual([
      ['post', 'rollback-started'],
      ['post', 'rollback-executed'],
    ]);
    const [start, success] = release;
    expect(start?.text).toMatch(new RegExp(`Declaring rollback in Prod for admin-api\\. Current release ${BAD.releaseTag} failing due to .*Reverting to LKG ${LKG.releaseTag} now\\. IC: .*rm@contoso\\.example`));
    expect(success?.text).toContain(`Rollback complete in Prod. Reverted to ${LKG.releaseTag}.`);
    expect(success?.text).toContain(`Investigating root cause on ${BAD.releaseTag}`);
    // One set of facts: the same message as in the incident thread, posted once each.
    const thread = sink.filter((m) => m.destination === null);
    for (const m of release) expect(body(m.text)).toBe(body(thread.find((t) => t.kind === m.kind)?.text));
    expect(new Set(release.map((m) => m.reference)).size).toBe(2);
  });

  it("the stakeholders' summary arrives on its own cadence (P1: 20 min) and ends with a final one; none of it goes to the thread", () => {
    const summaries = onChannel(STAKEHOLDERS);
    expect(summaries.length).toBeGreaterThanOrEqual(3);
    expect(summaries.every((m) => m.kind === 'stakeholder-summary' && m.op === 'post')).toBe(true);
    expect(sink.filter((m) => m.destination === null && m.kind === 'stakeholder-summary')).toEqual([]);
    const times = summaries.slice(0, -1).map((m) => /SUMMARY #\d+ \[(\d\d):(\d\d) UTC\]/.exec(m.text)).map((r) => Number(r?.[1]) * 60 + Number(r?.[2]));
    for (let i = 1; i < times.length; i += 1) expect((times[i] ?? 0) - (times[i - 1] ?? 0)).toBe(20);
    expect(summaries[0]?.text).toMatch(/^📣 SUMMARY #1 \[10:16 UTC\] — admin-api in Prod: Investigating\. Affected: the API, live updates since .*Next summary by 10:36 UTC/);
    const final = summaries.at(-1);
    expect(final?.text).toMatch(/FINAL SUMMARY .* Resolved\. Affected: the API, live updates from .* to .*This is the last summary/);
    expect(final?.text).toContain(`Rolled the API back to the last known good release (${LKG.releaseTag})`);
  });

  it('the status page receiver gets signed updates investigating -> identified -> monitoring -> resolved, once each, after a redelivery', () => {
    expect(receiver.requests.every((r) => r.verdict.ok)).toBe(true);
    expect(receiver.accepted.map((u) => u.status)).toEqual(['investigating', 'identified', 'monitoring', 'resolved']);
    // The lost answer was followed by the same update with the same Idempotency-Key, dropped as a repeat.
    const repeats = receiver.requests.filter((r) => r.duplicate);
    expect(repeats).toHaveLength(1);
    expect(JSON.parse(repeats[0]?.raw ?? '{}')).toMatchObject({ status: 'identified' });
    const sequences = receiver.accepted.map((u) => u.sequence as number);
    expect([...sequences].sort((a, b) => a - b)).toEqual(sequences);
    for (const u of receiver.accepted) {
      expect(Object.keys(u).sort()).toEqual(['component', 'incidentId', 'message', 'sequence', 'status', 'updatedAt']);
      expect(u).toMatchObject({ component: 'Admin API', incidentId: id });
      // Public words only: no alert text, release tags, hosts or people.
      expect(String(u.message)).not.toMatch(/5xx|r4[12]|127\.0\.0\.1|contoso|admin-api-prod/);
    }
    expect(receiver.accepted[3]?.message).toMatch(/^This incident has been resolved\. Admin API \(the API, live updates\) was affected from \d\d:\d\d to \d\d:\d\d UTC\.$/);
  });

  it('a tampered body or a stale timestamp does not verify', () => {
    const r = receiver.requests[0];
    const header = String(r?.headers['x-signature']);
    const raw = r?.raw ?? '';
    const nowS = Math.floor(Date.now() / 1000);
    expect(verifyStatusPageSignature(SECRET, header, raw, nowS).ok).toBe(true);
    expect(verifyStatusPageSignature(SECRET, header, raw.replace('investigating', 'resolved'), nowS)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyStatusPageSignature('another secret of at least thirty-two chars', header, raw, nowS)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyStatusPageSignature(SECRET, header, raw, nowS + 600)).toEqual({ ok: false, reason: 'stale' });
    expect(verifyStatusPageSignature(SECRET, signStatusPageBody(SECRET, raw, nowS - 3600), raw, nowS)).toEqual({ ok: false, reason: 'stale' });
  });

  it('the evidence pack holds the customer message draft (in its manifest), stating the status and impact window from the record', async () => {
    const draft = await x.blob(id, 'customer-draft.md');
    expect(draft).toContain('DRAFT for a person to review and send');
    expect(draft).toContain('# Resolved: service disruption affecting admin-api');
    expect(draft).toMatch(/\*\*Impact:\*\* the API, live updates of admin-api \(Prod\) were affected from 2026-11-20 10:\d\d UTC to 2026-11-20 1\d:\d\d UTC\./);
    expect(draft).toContain(`- Rolled the API back to the last known good release (${LKG.releaseTag})`);
    const manifest = await x.json<{ artifacts: { name: string; sha256: string }[] }>(id, 'manifest.json');
    const entry = manifest.artifacts.find((a) => a.name === 'customer-draft.md');
    expect(entry?.sha256).toBe(createHash('sha256').update(draft, 'utf8').digest('hex'));
    // Never sent: no Teams message, status page update or page carries it.
    expect(sink.some((m) => m.text.includes('DRAFT for a person'))).toBe(false);
  });
});
