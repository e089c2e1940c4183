/**
 * A Microsoft Graph stand-in on https://127.0.0.1 for the Teams endpoints we use, talked to by the
 * real Graph client:
 *   POST /v1.0/teams/{team}/channels/{channel}/messages             (root message)
 *   POST /v1.0/teams/{team}/channels/{channel}/messages/{id}/replies (reply)
 *   GET  the same two (list, $top)
 *   POST /v1.0/teams/{team}/sendActivityNotification
 *   POST /v1.0/users/{user}/teamwork/sendActivityNotification  ({user}: object id or UPN, as in Graph)
 * Channels are kept apart by team + channel id (a reply to a thread of another channel is a 404),
 * and each notification records its recipient. With a user directory (`users`), a notification to
 * someone not in it answers Graph's 404, and the post records whom the id or UPN resolved to.
 * It checks tokens the way Graph does for these calls, as far as a test can tell token kinds
 * apart (test tokens are unsigned JWTs; delegated ones carry `scp`, app-only ones `roles`):
 * channel posts need a delegated token with ChannelMessage.Send (app-only gets Graph's 401
 * "Message POST is allowed in application-only context only for import purposes"), listing needs
 * ChannelMessage.Read.All, activity notifications need TeamsActivity.Send. It records every
 * request (order, arrival time, status) and every accepted post, and injects faults on demand:
 * 429 with Retry-After, 503/504, slow answers after processing (ambiguous timeouts).
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { selfSignedLoopbackCert, trustingFetchOptions } from './tls.js';

export type PostKind = 'message' | 'reply' | 'activity';

export interface RecordedPost {
  seq: number;
  /** performance.now() when the request arrived. */
  at: number;
  kind: PostKind;
  path: string;
  teamId?: string;
  channelId?: string;
  threadId?: string;
  userId?: string;
  /** The directory entry `userId` resolved to (when the fake has a user directory). */
  user?: FakeUser;
  /** Assigned message id (channel posts). */
  id?: string;
  body: Record<string, unknown>;
  claims: Record<string, unknown>;
}

export interface RequestLog {
  seq: number;
  at: number;
  method: string;
  path: string;
  kind: PostKind | 'list' | 'other';
  status: number;
}

export interface Fault {
  /** Which requests it applies to (default: any POST). */
  kind?: PostKind | 'list' | 'post';
  status?: 429 | 500 | 502 | 503 | 504 | 400 | 403;
  retryAfter?: string;
  /** Process the request normally, but answer only after this long (the client times out first). */
  delayAfterProcessingMs?: number;
}

export interface FakeUser {
  id: string;
  upn: string;
}

export interface StoredMessage {
  id: string;
  replyToId: string | null;
  createdDateTime: string;
  importance: unknown;
  body: unknown;
  attachments: unknown;
  webUrl: string;
  replies: StoredMessage[];
}

export const APP_ONLY_CHANNEL_POST =
  'Message POST is allowed in application-only context only for import purposes. Refer to https://docs.microsoft.com/microsoftteams/platform/graph-api/import-messages/import-external-messages-to-teams for more details.';

/** An unsigned JWT carrying `claims`, for test credentials and the fake login server. */
export function testToken(claims: Record<string, unknown>): string {
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${enc({ alg: 'none', typ: 'JWT' })}.${enc(claims)}.sig`;
}

export const DELEGATED_CLAIMS = { idtyp: 'user', scp: 'ChannelMessage.Send ChannelMessage.Read.All', upn: 'incident-bot@contoso.test', oid: '11111111-2222-3333-4444-555555555555' };
export const APP_CLAIMS = { idtyp: 'app', roles: ['TeamsActivity.Send'], appid: '99999999-8888-7777-6666-555555555555' };

function claimsOf(req: IncomingMessage): Record<string, unknown> | undefined {
  const auth = req.headers.authorization;
  const m = typeof auth === 'string' ? /^Bearer (\S+)$/.exec(auth) : null;
  const payload = m?.[1]?.split('.')[1];
  if (!payload) return undefined;
  try {
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

const scopes = (c: Record<string, unknown>) => (typeof c.scp === 'string' ? c.scp.split(' ') : []);
const roles = (c: Record<string, unknown>) => (Array.isArray(c.roles) ? (c.roles as string[]) : []);

export class GraphFake {
  readonly posts: RecordedPost[] = [];
  readonly requests: RequestLog[] = [];
  readonly faults: Fault[] = [];
  /** Entra users (object id + UPN) notifications may reach; undefined: anyone. */
  users: FakeUser[] | undefined;
  private readonly channels = new Map<string, StoredMessage[]>();
  private seq = 0;
  private nextId = 1_700_000_000_000;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly ca: string,
    private readonly now: () => number,
  ) {}

  /**
   * `now` stamps messages (createdDateTime): the lab passes the dev host's clock, so a channel seen
   * under --time-scale reads in the incident's time, as Teams would in real time.
   */
  static async start(o: { port?: number; now?: () => number } = {}): Promise<GraphFake> {
    const tls = selfSignedLoopbackCert();
    const holder: { fake?: GraphFake } = {};
    const server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
      void holder.fake?.handle(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port ?? 0, '127.0.0.1', resolve);
    });
    const port = (server.address() as AddressInfo).port;
    holder.fake = new GraphFake(server, `https://127.0.0.1:${port}`, tls.cert, o.now ?? Date.now);
    return holder.fake;
  }

  /** fetch options trusting this server's certificate (pass to the Graph client). */
  trust(): Promise<{ options: Record<string, unknown>; close: () => Promise<void> }> {
    return trustingFetchOptions(this.ca);
  }

  /** Queues faults for the next matching requests, in order. */
  inject(...faults: Fault[]): void {
    this.faults.push(...faults);
  }

  /** Messages (with replies) of a channel, oldest first. */
  channel(teamId: string, channelId: string): StoredMessage[] {
    return this.channels.get(`${teamId}/${channelId}`) ?? [];
  }

  /** Every channel that holds messages, as "team/channel" keys with its messages (replies inside their thread). */
  allChannels(): { teamId: string; channelId: string; messages: StoredMessage[] }[] {
    return [...this.channels.entries()].map(([key, messages]) => {
      const [teamId = '', channelId = ''] = key.split('/');
      return { teamId, channelId, messages };
    });
  }

  /** Seeds a message as if posted earlier (for reconcile tests). */
  seed(teamId: string, channelId: string, message: { attachmentId: string; threadId?: string }): string {
    return this.store(teamId, channelId, message.threadId, {
      body: { contentType: 'html', content: `<attachment id="${message.attachmentId}"></attachment>` },
      attachments: [{ id: message.attachmentId }],
    }).id;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private store(teamId: string, channelId: string, threadId: string | undefined, body: Record<string, unknown>): StoredMessage {
    const key = `${teamId}/${channelId}`;
    const list = this.channels.get(key) ?? [];
    this.channels.set(key, list);
    const id = String(this.nextId++);
    const msg: StoredMessage = {
      id,
      replyToId: threadId ?? null,
      createdDateTime: new Date(this.now()).toISOString(),
      importance: body.importance ?? 'normal',
      body: body.body,
      attachments: body.attachments,
      webUrl: `https://teams.microsoft.com/l/message/${encodeURIComponent(channelId)}/${id}`,
      replies: [],
    };
    if (threadId) {
      const root = list.find((m) => m.id === threadId);
      if (!root) throw new Error('thread not found');
      root.replies.push(msg);
    } else list.push(msg);
    return msg;
  }

  private send(res: ServerResponse, log: RequestLog, status: number, body?: unknown, headers: Record<string, string> = {}): void {
    log.status = status;
    this.requests.push(log);
    res.writeHead(status, { ...(body === undefined ? {} : { 'content-type': 'application/json' }), 'request-id': `fake-${log.seq}`, ...headers });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  }

  private error(res: ServerResponse, log: RequestLog, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
    this.send(res, log, status, { error: { code, message, innerError: { 'request-id': `fake-${log.seq}`, date: new Date().toISOString() } } }, headers);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = performance.now();
    const seq = ++this.seq;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const method = req.method ?? 'GET';
    const log: RequestLog = { seq, at, method, path: url.pathname, kind: 'other', status: 0 };

    // Route
    let kind: RequestLog['kind'] = 'other';
    let teamId: string | undefined;
    let channelId: string | undefined;
    let threadId: string | undefined;
    let userId: string | undefined;
    if (parts[0] === 'v1.0' && parts[1] === 'teams' && parts[3] === 'channels' && parts[5] === 'messages') {
      teamId = parts[2];
      channelId = parts[4];
      if (parts.length === 6) kind = method === 'POST' ? 'message' : 'list';
      else if (parts.length === 8 && parts[7] === 'replies') {
        threadId = parts[6];
        kind = method === 'POST' ? 'reply' : 'list';
      }
    } else if (parts[0] === 'v1.0' && parts[1] === 'teams' && parts[3] === 'sendActivityNotification' && parts.length === 4 && method === 'POST') {
      teamId = parts[2];
      kind = 'activity';
    } else if (parts[0] === 'v1.0' && parts[1] === 'users' && parts[3] === 'teamwork' && parts[4] === 'sendActivityNotification' && method === 'POST') {
      userId = parts[2];
      kind = 'activity';
    }
    log.kind = kind;
    if (kind === 'other') return this.error(res, log, 404, 'NotFound', `No fake for ${method} ${url.pathname}`);

    const claims = claimsOf(req);
    if (!claims) return this.error(res, log, 401, 'InvalidAuthenticationToken', 'Access token is empty.');

    // Faults (before processing, except slow answers which process first)
    const faultIndex = this.faults.findIndex((f) => (f.kind ?? 'post') === kind || ((f.kind ?? 'post') === 'post' && method === 'POST'));
    const fault = faultIndex >= 0 ? this.faults[faultIndex] : undefined;
    if (fault) this.faults.splice(faultIndex, 1);
    if (fault?.status === 429) {
      return this.error(res, log, 429, 'TooManyRequests', 'Too many requests.', fault.retryAfter ? { 'retry-after': fault.retryAfter } : {});
    }
    if (fault?.status) return this.error(res, log, fault.status, 'ServiceUnavailable', 'Service unavailable.', fault.retryAfter ? { 'retry-after': fault.retryAfter } : {});

    let body: Record<string, unknown> = {};
    if (chunks.length) {
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        return this.error(res, log, 400, 'BadRequest', 'Invalid JSON.');
      }
    }

    if (kind === 'list') {
      if (!scopes(claims).includes('ChannelMessage.Read.All')) return this.error(res, log, 403, 'Forbidden', 'Missing role permissions on the request.');
      const list = this.channel(teamId ?? '', channelId ?? '');
      const source = threadId ? (list.find((m) => m.id === threadId)?.replies ?? []) : list;
      const top = Math.min(50, Number(url.searchParams.get('$top') ?? 20));
      const value = [...source].reverse().slice(0, top).map(({ replies: _r, ...m }) => m);
      return this.send(res, log, 200, { value });
    }

    if (kind === 'activity') {
      if (!roles(claims).includes('TeamsActivity.Send') && !scopes(claims).includes('TeamsActivity.Send')) {
        return this.error(res, log, 403, 'Forbidden', 'Missing role permissions on the request. API requires one of TeamsActivity.Send.');
      }
      const problem = activityProblem(body, userId === undefined);
      if (problem) return this.error(res, log, 400, 'BadRequest', problem);
      // Graph resolves /users/{id | userPrincipalName} case-insensitively.
      const user = userId !== undefined && this.users ? this.users.find((u) => u.id.toLowerCase() === userId.toLowerCase() || u.upn.toLowerCase() === userId.toLowerCase()) : undefined;
      if (userId !== undefined && this.users && !user) return this.error(res, log, 404, 'Request_ResourceNotFound', `Resource '${userId}' does not exist or one of its queried reference-property objects are not present.`);
      this.posts.push({ seq, at, kind, path: url.pathname, teamId, userId, ...(user ? { user } : {}), body, claims });
      return this.send(res, log, 204);
    }

    // Channel posts: delegated only.
    if (!scopes(claims).length) return this.error(res, log, 401, 'Unauthorized', APP_ONLY_CHANNEL_POST);
    if (!scopes(claims).includes('ChannelMessage.Send')) return this.error(res, log, 403, 'Forbidden', 'Missing scope permissions on the request.');
    const problem = chatMessageProblem(body);
    if (problem) return this.error(res, log, 400, 'BadRequest', problem);
    let stored: StoredMessage;
    try {
      stored = this.store(teamId ?? '', channelId ?? '', threadId, body);
    } catch {
      return this.error(res, log, 404, 'NotFound', 'Parent message not found.');
    }
    this.posts.push({ seq, at, kind, path: url.pathname, teamId, channelId, threadId, id: stored.id, body, claims });
    if (fault?.delayAfterProcessingMs) await new Promise((r) => setTimeout(r, fault.delayAfterProcessingMs));
    const { replies: _replies, ...message } = stored;
    return this.send(res, log, 201, { '@odata.context': 'fake', ...message, messageType: 'message' });
  }
}

function chatMessageProblem(body: Record<string, unknown>): string | undefined {
  const b = body.body as { contentType?: unknown; content?: unknown } | undefined;
  if (!b || typeof b.content !== 'string') return 'body.content is required.';
  const attachments = body.attachments;
  if (attachments === undefined) return undefined;
  if (!Array.isArray(attachments)) return 'attachments must be an array.';
  for (const a of attachments as { id?: unknown; contentType?: unknown; content?: unknown }[]) {
    if (typeof a.id !== 'string' || !b.content.includes(`<attachment id="${a.id}"></attachment>`)) return 'Every attachment must be referenced in the body by <attachment id="...">.';
    if (b.contentType !== 'html') return 'Messages with attachments need body.contentType html.';
    if (a.contentType === 'application/vnd.microsoft.card.adaptive') {
      try {
        JSON.parse(String(a.content));
      } catch {
        return 'Adaptive Card content must be a JSON string.';
      }
    }
  }
  return undefined;
}

function activityProblem(body: Record<string, unknown>, teamScope: boolean): string | undefined {
  const topic = body.topic as { source?: unknown; value?: unknown; webUrl?: unknown } | undefined;
  if (!topic || (topic.source !== 'text' && topic.source !== 'entityUrl')) return 'topic.source must be text or entityUrl.';
  if (topic.source === 'text' && typeof topic.webUrl !== 'string') return 'topic.webUrl is required when topic.source is text.';
  if (typeof body.activityType !== 'string') return 'activityType is required.';
  if (body.activityType === 'systemDefault') {
    const params = body.templateParameters as { name?: unknown; value?: unknown }[] | undefined;
    if (!params?.some((p) => p.name === 'systemDefaultText' && typeof p.value === 'string')) return 'systemDefault needs the systemDefaultText template parameter.';
  }
  const preview = body.previewText as { content?: unknown } | undefined;
  if (typeof preview?.content !== 'string') return 'previewText.content is required.';
  if (teamScope && !body.recipient) return 'recipient is required in a team scope.';
  return undefined;
}
