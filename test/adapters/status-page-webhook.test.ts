/**
 * The status page webhook adapter against a real HTTP receiver on 127.0.0.1: the signature a
 * receiver checks (HMAC-SHA256 over "<t>.<raw body>", a replay window), the Idempotency-Key kept
 * across retries, what is retried (408, 429 with Retry-After, 5xx, a lost answer) and what is not
 * (another 4xx), the request timeout and the caller's deadline; and the settings that configure it.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { REPLAY_WINDOW_S, signStatusPageBody, verifyStatusPageSignature, WebhookStatusPage } from '../../src/adapters/status-page-webhook.js';
import { readStatusPageSettings } from '../../src/config/status-page.js';
import type { StatusPageUpdate } from '../../src/domain/communications.js';
import { StatusPageError } from '../../src/ports/status-page.js';

const SECRET = 'k'.repeat(40);
const UPDATE: StatusPageUpdate = { component: 'Admin API', status: 'investigating', message: 'We are investigating a problem affecting the API of Admin API since 10:15 UTC.', incidentId: 'inc-1', sequence: 3, updatedAt: '2026-11-20T10:16:00.000Z' };

type Answer = (res: ServerResponse, req: { headers: IncomingHttpHeaders; raw: string }) => void;
const seen: { headers: IncomingHttpHeaders; raw: string }[] = [];
let answers: Answer[] = [];
let url: string;
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const r = { headers: req.headers, raw: Buffer.concat(chunks).toString('utf8') };
    seen.push(r);
    (answers.shift() ?? ((x) => x.writeHead(200).end()))(res, r);
  });
});

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  seen.length = 0;
  answers = [];
});

const hook = (timeoutMs = 2_000) => new WebhookStatusPage({ url, secret: SECRET, timeoutMs }, { backoffMs: 20, maxBackoffMs: 50 });
const publish = (deadlineMs = 5_000, timeoutMs?: number) => hook(timeoutMs).publish(UPDATE, { idempotencyKey: 'key-1', deadline: Date.now() + deadlineMs });

describe('signing', () => {
  it('signs "<t>.<raw body>" with HMAC-SHA256 and the receiver recomputes it', () => {
    const body = JSON.stringify(UPDATE);
    const header = signStatusPageBody(SECRET, body, 1_700_000_000);
    expect(header).toBe(`t=1700000000,v1=${createHmac('sha256', SECRET).update(`1700000000.${body}`).digest('hex')}`);
    expect(verifyStatusPageSignature(SECRET, header, body, 1_700_000_000 + REPLAY_WINDOW_S)).toEqual({ ok: true, timestampS: 1_700_000_000 });
  });

  it('refuses a changed body, another key, a timestamp outside the replay window either way, and a malformed header', () => {
    const body = JSON.stringify(UPDATE);
    const header = signStatusPageBody(SECRET, body, 1_700_000_000);
    expect(verifyStatusPageSignature(SECRET, header, body.replace('"sequence":3', '"sequence":4'), 1_700_000_000)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyStatusPageSignature('x'.repeat(40), header, body, 1_700_000_000)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyStatusPageSignature(SECRET, header, body, 1_700_000_000 + REPLAY_WINDOW_S + 1)).toEqual({ ok: false, reason: 'stale' });
    expect(verifyStatusPageSignature(SECRET, header, body, 1_700_000_000 - REPLAY_WINDOW_S - 1)).toEqual({ ok: false, reason: 'stale' });
    expect(verifyStatusPageSignature(SECRET, 'v1=abc', body, 1_700_000_000)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyStatusPageSignature(SECRET, undefined, body, 1_700_000_000)).toEqual({ ok: false, reason: 'malformed' });
  });
});

describe('delivery', () => {
  it('POSTs the update as JSON with a signature that verifies over the raw bytes and the Idempotency-Key', async () => {
    expect(await publish()).toEqual({ status: 200, attempts: 1 });
    const r = seen[0];
    expect(r?.headers['content-type']).toBe('application/json');
    expect(r?.headers['idempotency-key']).toBe('key-1');
    expect(JSON.parse(r?.raw ?? '')).toEqual(UPDATE);
    expect(verifyStatusPageSignature(SECRET, r?.headers['x-signature'] as string, r?.raw ?? '', Math.floor(Date.now() / 1000)).ok).toBe(true);
  });

  it('retries 503, 429 (after its Retry-After), 408 and a lost answer with the same Idempotency-Key, each attempt signed anew', async () => {
    answers = [(res) => res.writeHead(503).end(), (res) => res.writeHead(429, { 'retry-after': '0' }).end(), (res) => res.writeHead(408).end(), (res) => res.socket?.destroy()];
    expect(await publish()).toEqual({ status: 200, attempts: 5 });
    expect(seen.map((r) => r.headers['idempotency-key'])).toEqual(Array(5).fill('key-1'));
    for (const r of seen) expect(verifyStatusPageSignature(SECRET, r.headers['x-signature'] as string, r.raw, Math.floor(Date.now() / 1000)).ok).toBe(true);
  });

  it('does not retry a 400: refused, with the status', async () => {
    answers = [(res) => res.writeHead(400).end('bad')];
    const err = await publish().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StatusPageError);
    expect(err).toMatchObject({ failure: 'rejected', details: { status: 400, attempts: 1 } });
    expect(seen).toHaveLength(1);
  });

  it('gives each request its timeout and stops retrying at the deadline', async () => {
    // The receiver never answers in time.
    answers = Array.from({ length: 50 }, () => () => undefined);
    const err = await publish(600, 100).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StatusPageError);
    expect((err as StatusPageError).failure).toBe('deadline');
    expect((err as StatusPageError).message).toContain('no answer within 100 ms');
    expect((err as StatusPageError).details.attempts).toBeGreaterThanOrEqual(1);
  });
});

describe('settings', () => {
  it('none: no status page; a URL needs a secret of 32+ characters; https only, except loopback; no credentials in the URL', () => {
    expect(readStatusPageSettings({})).toEqual({ ok: true, settings: null });
    expect(readStatusPageSettings({ STATUS_PAGE_WEBHOOK_URL: 'https://status.example.net/hook', STATUS_PAGE_WEBHOOK_SECRET: SECRET })).toEqual({ ok: true, settings: { url: 'https://status.example.net/hook', secret: SECRET, timeoutMs: 10_000 } });
    const paths = (env: Record<string, string>) => {
      const r = readStatusPageSettings(env);
      return r.ok ? [] : r.issues.map((i) => i.path);
    };
    expect(paths({ STATUS_PAGE_WEBHOOK_URL: 'https://status.example.net/hook' })).toEqual(['STATUS_PAGE_WEBHOOK_SECRET']);
    expect(paths({ STATUS_PAGE_WEBHOOK_URL: 'http://status.example.net/hook', STATUS_PAGE_WEBHOOK_SECRET: SECRET })).toEqual(['STATUS_PAGE_WEBHOOK_URL']);
    expect(paths({ STATUS_PAGE_WEBHOOK_URL: 'https://u:p@status.example.net/hook', STATUS_PAGE_WEBHOOK_SECRET: SECRET })).toEqual(['STATUS_PAGE_WEBHOOK_URL']);
    expect(paths({ STATUS_PAGE_WEBHOOK_URL: url, STATUS_PAGE_WEBHOOK_SECRET: SECRET, STATUS_PAGE_WEBHOOK_TIMEOUT_MS: '5' })).toEqual(['STATUS_PAGE_WEBHOOK_TIMEOUT_MS']);
    expect(paths({ STATUS_PAGE_WEBHOOK_SECRET: SECRET })).toEqual(['STATUS_PAGE_WEBHOOK_URL']);
  });
});
