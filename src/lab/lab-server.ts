/**
 * The lab's own page and API (default http://127.0.0.1:7080):
 *   GET    /                 a plain page: the slots and what they run, the flags, the faults in
 *                            force, and the Teams channel the product posts to (refreshes itself)
 *   GET    /state            the same as JSON
 *   GET    /channel          the channel's messages as JSON (GET /channel.md: as Markdown)
 *   POST   /faults/{name}    inject a fault (optional JSON body with its parameters)
 *   DELETE /faults/{name}    take it back
 * Loopback only; it changes nothing but the simulators.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { channelMarkdown, type ChannelMessage } from './channel.js';
import { applyFault, clearFault, isLabFault, LAB_FAULTS, LabFaultError } from './faults.js';
import type { Lab, LabState } from './lab.js';
import { errorText } from '../domain/errors.js';

const MAX_BODY = 16 * 1024;

export class LabServer {
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(lab: Lab, port = 0): Promise<LabServer> {
    const holder: { url: string } = { url: '' };
    const server = createServer((req, res) => void handle(lab, holder.url, req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    holder.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return new LabServer(server, holder.url);
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function send(res: ServerResponse, status: number, body: string, type: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const json = (res: ServerResponse, status: number, body: unknown): void => send(res, status, JSON.stringify(body, null, 2), 'application/json; charset=utf-8');

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) throw new LabFaultError('The body is too large.');
    chunks.push(c);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new LabFaultError('The body must be JSON (the fault\'s parameters), or empty.');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new LabFaultError('The body must be a JSON object.');
  return parsed as Record<string, unknown>;
}

async function handle(lab: Lab, url: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://lab').pathname;
  const method = req.method ?? 'GET';
  try {
    if (method === 'GET' && path === '/') return send(res, 200, page(lab.state(url), lab.channel(), [...lab.active.values()]), 'text/html; charset=utf-8');
    if (method === 'GET' && path === '/state') return json(res, 200, lab.state(url));
    if (method === 'GET' && path === '/channel') return json(res, 200, { messages: lab.channel() });
    if (method === 'GET' && path === '/channel.md') return send(res, 200, channelMarkdown(lab.channel(), 'The lab\'s Teams channel'), 'text/markdown; charset=utf-8');
    const m = /^\/faults\/([^/]+)$/.exec(path);
    if (m && (method === 'POST' || method === 'DELETE')) {
      const name = decodeURIComponent(m[1] ?? '');
      if (!isLabFault(name)) return json(res, 404, { error: { code: 'not_found', message: `No fault "${name.slice(0, 40)}". Known: ${LAB_FAULTS.join(', ')}.` } });
      const params = method === 'POST' ? await readBody(req) : {};
      const did = method === 'POST' ? applyFault(lab, name, params) : clearFault(lab, name);
      return json(res, 200, { fault: name, [method === 'POST' ? 'applied' : 'cleared']: did, state: lab.state(url) });
    }
    return json(res, 404, { error: { code: 'not_found', message: `No lab route ${method} ${path}. Try GET /, GET /state, GET /channel, POST or DELETE /faults/{${LAB_FAULTS.join('|')}}.` } });
  } catch (err) {
    if (err instanceof LabFaultError) return json(res, 400, { error: { code: 'bad_request', message: err.message } });
    return json(res, 500, { error: { code: 'lab_error', message: errorText(err) } });
  }
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function page(s: LabState, messages: ChannelMessage[], faults: string[]): string {
  const slot = (name: 'production' | 'staging') => {
    const x = s.slots[name];
    const broken = Object.keys(x.faults).length > 0;
    return `<tr><td>${name}</td><td>${esc(x.build.releaseTag)} (build ${esc(x.build.buildId)})</td><td class="${broken ? 'bad' : 'ok'}">${broken ? esc(JSON.stringify(x.faults)) : 'healthy'}</td><td><code>${esc(x.url)}</code></td></tr>`;
  };
  const flags = Object.entries(s.flags).map(([k, v]) => `<tr><td>${esc(k)}</td><td class="${v ? 'bad' : 'ok'}">${v ? 'on' : 'off'}</td></tr>`).join('');
  const channel = messages.length
    ? [...messages]
        .reverse()
        .map((m) => `<article class="${m.threadId ? 'reply' : 'root'}"><div class="at">${esc(m.at.replace('T', ' ').slice(0, 19))} UTC${m.threadId ? ' · reply' : ''}</div><pre>${esc(m.text)}</pre></article>`)
        .join('\n')
    : '<p class="muted">No message yet. Post an alert to the app (see the README) and watch this channel.</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="2">
<title>Lab: ${esc(s.service.service)}@${esc(s.service.environment)}</title>
<style>
 body { font: 14px/1.4 system-ui, 'DejaVu Sans', sans-serif; margin: 20px auto; max-width: 1100px; color: #1b1f24; }
 h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 22px; }
 table { border-collapse: collapse; } td, th { padding: 4px 12px 4px 0; text-align: left; vertical-align: top; }
 .ok { color: #1a7f37; } .bad { color: #cf222e; font-weight: 600; } .muted { color: #6e7781; }
 article { border-left: 4px solid #0b5cad; background: #f6f8fa; margin: 10px 0; padding: 6px 12px; }
 article.reply { margin-left: 32px; border-color: #8c959f; }
 pre { white-space: pre-wrap; margin: 4px 0; font: 13px/1.35 'DejaVu Sans Mono', monospace; }
 .at { color: #6e7781; font-size: 12px; } code { font-size: 12px; }
</style></head><body>
<h1>Lab: ${esc(s.service.service)} in ${esc(s.service.environment)}</h1>
<p class="muted">Site ${esc(s.service.site)} (${esc(s.service.resourceGroup)}) · ${s.swaps} slot swap(s) · ${s.auditRows} audit row(s) · faults in force: ${faults.length ? esc(faults.join(' ')) : 'none'}</p>
<h2>Slots</h2><table><tr><th>Slot</th><th>Release</th><th>State</th><th>URL</th></tr>${slot('production')}${slot('staging')}</table>
<h2>Flags (${esc(s.service.scope)})</h2><table>${flags}</table>
<h2>Teams channel (${messages.length} message(s), newest first)</h2>
${channel}
</body></html>`;
}
