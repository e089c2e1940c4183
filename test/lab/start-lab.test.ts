/**
 * `npm start -- --lab` and the README's quick start, followed as a person would: the alert the
 * README posts, then acknowledge, approve the proposal (the flag revert through the stored
 * procedure), ask for the rollback (the slot swap), watch the checks turn green, resolve. The
 * incident ends resolved with green checks, the lab shows production on the LKG with the flag off,
 * and its channel holds the thread.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, isListening } from '../../src/devhost/index.js';
import { repoRoot, uniqueHubName } from '../harness/devhost.js';

/** Eight consecutive free ports for the lab (its page and simulators). */
async function labBase(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = await freePort();
    if (base > 65000) continue;
    const busy = await Promise.all(Array.from({ length: 8 }, (_, i) => isListening(base + i)));
    if (!busy.some(Boolean) && (await bindable(base + 1))) return base;
  }
  throw new Error('no 8 consecutive free ports');
}
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** The README's lab alert, as its curl sends it (the shell fills in the fired time). */
function readmeAlert(): unknown {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const m = /curl -s -X POST http:\/\/127\.0\.0\.1:7071\/api\/alerts -H 'content-type: application\/json' -d '(\{[\s\S]*?"alertRule": "lab-admin-api-http5xx"[\s\S]*?\})'/.exec(readme);
  if (!m?.[1]) throw new Error("The README's quick start has no curl posting the lab alert");
  return JSON.parse(m[1].replace(`'"$(date -u +%FT%TZ)"'`, new Date().toISOString().slice(0, 19) + 'Z')) as unknown;
}

let child: ChildProcess;
let app: string;
let page: string;
let output = '';

beforeAll(async () => {
  const [port, blob, queue, table, base] = [await freePort(), await freePort(), await freePort(), await freePort(), await labBase()];
  app = `http://127.0.0.1:${port}`;
  page = `http://127.0.0.1:${base}`;
  const env: NodeJS.ProcessEnv = { ...process.env, TaskHubName: uniqueHubName('StartLab') };
  for (const k of Object.keys(env)) if (/^(AzureWebJobsStorage|POLICY_|TEAMS_|SQL_|APPSERVICE_|APPROVAL_|SMOKE_|IDENTITY_|WEBSITE_)/.test(k)) delete env[k];
  child = spawn(process.execPath, [path.join(repoRoot, 'dist', 'src', 'devhost', 'cli.js'), '--lab', '--fault', 'bad-release,breaking-flag', '--port', String(port), '--lab-port', String(base), '--azurite-ports', `${blob},${queue},${table}`], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  for (let i = 0; i < 600; i++) {
    if (output.includes('The lab is up')) return;
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`npm start -- --lab did not come up:\n${output}`);
}, 90_000);
afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
});

interface Read {
  summary: { status: string; phase: string };
  runtime: { runtimeStatus: string; customStatus: { phase: string; proposal: { path: string } | null; lastChecks: { verdict: string } | null; rolledBack: boolean } | null };
  timeline: { text: string }[];
}
const get = async <T>(url: string): Promise<T> => (await fetch(url)).json() as Promise<T>;
const post = async (url: string, body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
async function until(id: string, ok: (r: Read) => boolean, what: string): Promise<Read> {
  let r: Read | undefined;
  for (let i = 0; i < 600; i++) {
    r = await get<Read>(`${app}/api/incidents/${id}`);
    if (ok(r)) return r;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`${id} did not reach ${what}: ${JSON.stringify(r?.runtime?.customStatus)}\n${r?.timeline.map((t) => t.text).join('\n')}`);
}

describe('npm start -- --lab, then the README', () => {
  it('ends resolved with green checks after a real flag revert and a real slot swap, with the thread in the lab channel', async () => {
    expect(output).toContain('Lab fault bad-release: Released r42 (build b42) to production');
    const alert = await post(`${app}/api/alerts`, readmeAlert());
    const declared = (await alert.json()) as { kind: string; incidentId: string; severity: { level: string } };
    expect(alert.status).toBe(202);
    expect(declared).toMatchObject({ kind: 'declared', severity: { level: 'P1' } });
    const id = declared.incidentId;
    const base = `${app}/api/incidents/${id}`;

    const deciding = await until(id, (r) => r.runtime?.customStatus?.phase === 'deciding', 'the decision');
    expect(deciding.runtime.customStatus).toMatchObject({ proposal: { path: 'revert-config' }, lastChecks: { verdict: 'red' } });
    expect((await post(`${base}/ack`, { role: 'ic', actor: { id: 'you@contoso.example' } })).status).toBe(202);
    expect((await post(`${base}/decision`, { choice: 'accept-proposal', actor: { id: 'you@contoso.example' } })).status).toBe(202);
    const reverted = await until(id, (r) => r.timeline.some((t) => t.text.startsWith('Smoke checks (verify)')), 'the first verification');
    expect(reverted.timeline.map((t) => t.text)).toContainEqual(expect.stringMatching(/^set-flag: done: Disabled flag EnableLegacyHttpSse in Lab/));
    expect(reverted.runtime.customStatus?.lastChecks?.verdict).toBe('red'); // the bad release is still in production

    expect((await post(`${base}/rollback`, { reason: 'release r42 still failing after the flag revert', actor: { id: 'you@contoso.example' } })).status).toBe(202);
    const green = await until(id, (r) => r.runtime?.customStatus?.phase === 'monitoring', 'monitoring');
    expect(green.runtime.customStatus).toMatchObject({ lastChecks: { verdict: 'green' }, rolledBack: true });
    expect(green.timeline.map((t) => t.text)).toContainEqual(expect.stringMatching(/^api-to-lkg: done: admin-api \(Lab\): swapped admin-api-lab\/staging into production/));

    expect((await post(`${base}/resolve`, { actor: { id: 'you@contoso.example' } })).status).toBe(202);
    const resolved = await until(id, (r) => r.runtime?.runtimeStatus === 'Completed', 'completed');
    expect(resolved.summary).toMatchObject({ status: 'resolved' });
    expect(resolved.timeline.map((t) => t.text)).toContainEqual(expect.stringMatching(/^Evidence pack sealed/));

    const lab = await get<{ slots: { production: { build: { buildId: string }; faults: object } }; flags: Record<string, boolean> }>(`${page}/state`);
    expect(lab.slots.production).toMatchObject({ build: { buildId: 'b41' }, faults: {} });
    expect(lab.flags.EnableLegacyHttpSse).toBe(false);
    const channel = await get<{ messages: { title: string }[] }>(`${page}/channel`);
    expect(channel.messages.map((m) => m.title)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^🚨 P1 INCIDENT — Lab/), expect.stringMatching(/^⚖️ DECISION NEEDED/), expect.stringMatching(/^✅ RESOLVED/)]),
    );
    const html = await (await fetch(page)).text();
    expect(html).toContain('Teams channel');
    expect(html).toContain('RESOLVED');
  }, 120_000);
});
