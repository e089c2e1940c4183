/**
 * Entra ID's v2.0 device code and token endpoints on http://127.0.0.1, enough for the delegated
 * sign-in: /{tenant}/oauth2/v2.0/devicecode and /token (device_code and refresh_token grants).
 * Access tokens are unsigned test JWTs with `scp` (delegated), so the Graph fake accepts them for
 * channel posts. Refresh tokens rotate on every use (old ones stay valid, as with Entra) until
 * revoked.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { testToken } from './graph-server.js';

export interface LoginFakeOptions {
  /** Polls answered authorization_pending before the user "completes" the sign-in. */
  pendingPolls?: number;
  /** Scopes granted (short names), whatever is asked; default: what is asked. */
  grant?: string;
  upn?: string;
  /** A fixed port (default: a free one). */
  port?: number;
}

export class LoginFake {
  readonly requests: { path: string; form: Record<string, string> }[] = [];
  readonly valid = new Set<string>();
  private rt = 0;
  private polls = 0;
  private asked = '';

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly o: LoginFakeOptions,
  ) {}

  static async start(o: LoginFakeOptions = {}): Promise<LoginFake> {
    const holder: { fake?: LoginFake } = {};
    const server = createServer((req, res) => void holder.fake?.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port ?? 0, '127.0.0.1', resolve);
    });
    holder.fake = new LoginFake(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, o);
    return holder.fake;
  }

  /** Revokes every refresh token (password reset, admin revocation). */
  revokeAll(): void {
    this.valid.clear();
  }

  /** Issues a refresh token as if someone had signed in. */
  issueRefreshToken(): string {
    const t = `rt-${++this.rt}`;
    this.valid.add(t);
    return t;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private tokens(res: ServerResponse, scopeAsked: string): void {
    const granted =
      this.o.grant ??
      scopeAsked
        .split(' ')
        .filter((s) => s !== 'offline_access')
        .map((s) => s.split('/').pop())
        .join(' ');
    this.json(res, 200, {
      token_type: 'Bearer',
      scope: granted,
      expires_in: 3600,
      access_token: testToken({ idtyp: 'user', scp: granted, upn: this.o.upn ?? 'incident-bot@contoso.test', oid: '11111111-2222-3333-4444-555555555555', name: 'Incident Bot' }),
      refresh_token: this.issueRefreshToken(),
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    const path = new URL(req.url ?? '/', this.url).pathname;
    this.requests.push({ path, form });
    if (path.endsWith('/oauth2/v2.0/devicecode')) {
      this.asked = form.scope ?? '';
      this.polls = 0;
      return this.json(res, 200, {
        device_code: 'dc-1',
        user_code: 'ABCD-EFGH',
        verification_uri: 'https://microsoft.com/devicelogin',
        expires_in: 900,
        interval: 1,
        message: 'To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code ABCD-EFGH to authenticate.',
      });
    }
    if (!path.endsWith('/oauth2/v2.0/token')) return this.json(res, 404, { error: 'not_found' });
    if (form.grant_type === 'urn:ietf:params:oauth:grant-type:device_code') {
      if (form.device_code !== 'dc-1') return this.json(res, 400, { error: 'bad_verification_code' });
      if (this.polls++ < (this.o.pendingPolls ?? 2)) return this.json(res, 400, { error: 'authorization_pending', error_description: 'AADSTS70016: pending' });
      return this.tokens(res, this.asked);
    }
    if (form.grant_type === 'refresh_token') {
      if (!form.refresh_token || !this.valid.has(form.refresh_token)) {
        return this.json(res, 400, { error: 'invalid_grant', error_description: 'AADSTS700082: The refresh token has expired due to inactivity.\r\nTrace ID: x' });
      }
      return this.tokens(res, form.scope ?? '');
    }
    return this.json(res, 400, { error: 'unsupported_grant_type' });
  }
}
