/** Key Vault's secret endpoint for the tests of the delegated sign-in's token store (the lab does not need one). */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Key Vault's secret GET/PUT on http://127.0.0.1 (bearer required). */
export class KeyVaultFake {
  readonly secrets = new Map<string, string[]>();
  readonly calls: { method: string; name: string; authorized: boolean }[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<KeyVaultFake> {
    const holder: { fake?: KeyVaultFake } = {};
    const server = createServer((req, res) => void holder.fake?.handle(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    holder.fake = new KeyVaultFake(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return holder.fake;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', this.url);
    const name = decodeURIComponent(url.pathname.replace(/^\/secrets\//, ''));
    const authorized = /^Bearer \S+$/.test(req.headers.authorization ?? '');
    this.calls.push({ method: req.method ?? '', name, authorized });
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (!authorized) return send(401, { error: { code: 'Unauthorized' } });
    if (url.searchParams.get('api-version') !== '7.4') return send(400, { error: { code: 'BadParameter' } });
    const versions = this.secrets.get(name) ?? [];
    if (req.method === 'GET') {
      const value = versions.at(-1);
      return value === undefined ? send(404, { error: { code: 'SecretNotFound' } }) : send(200, { value, id: `${this.url}/secrets/${name}/${versions.length}` });
    }
    if (req.method === 'PUT') {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { value: string };
      this.secrets.set(name, [...versions, body.value]);
      return send(200, { value: body.value, id: `${this.url}/secrets/${name}/${versions.length + 1}` });
    }
    return send(405, { error: { code: 'MethodNotAllowed' } });
  }
}
