/**
 * What a new user trips over, each answered: every CLI script builds first or says to build; the CLIs read
 * local.settings.json like the app; storage that does not answer is named by its address (no usage
 * text), a command-line mistake gets the usage text; the embedded Azurite on other ports
 * (--azurite-ports); a warning when another host already runs the task hub.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type AzuriteInstance } from '../../src/devhost/azurite.js';
import { repoRoot, startTestAzurite, startTestHost, uniqueHubName } from '../harness/devhost.js';

const node = (args: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) =>
  spawnSync(process.execPath, args, { cwd: o.cwd ?? repoRoot, env: o.env ?? cleanEnv(), encoding: 'utf8', timeout: 60_000 });

/** The environment without this test run's app settings (the CLIs must find their own). */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (/^(AzureWebJobsStorage|TaskHubName|POLICY_|EVIDENCE_|WEBSITE_|TEAMS_|SQL_|APPSERVICE_|APPROVAL_|SMOKE_)/.test(k)) delete env[k];
  return { ...env, ...extra };
}

let azurite: AzuriteInstance;
beforeAll(async () => {
  azurite = await startTestAzurite();
});
afterAll(async () => {
  await azurite?.stop();
});

describe('before a build', () => {
  it('every npm script that runs a built file either builds first or goes through the launcher that says to build', () => {
    const scripts = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const built = Object.entries(scripts).filter(([, s]) => /\bnode (dist\/|scripts\/run-built\.mjs)/.test(s));
    expect(built.map(([name]) => name)).toEqual(expect.arrayContaining(['start', 'demo', 'drill', 'policy:check', 'evidence', 'report:png', 'teams:signin']));
    for (const [name, s] of built) expect(s.startsWith('npm run build && ') || s.startsWith('node scripts/run-built.mjs '), `${name}: ${s}`).toBe(true);
    // (scripts/run-built.mjs itself is tested in test/app/evidence-export.test.ts.)
  });
});

describe('the CLIs read local.settings.json', () => {
  it('policy:check without a file checks the policy local.settings.json names', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cli-settings-'));
    writeFileSync(path.join(dir, 'local.settings.json'), JSON.stringify({ IsEncrypted: false, Values: { POLICY_PATH: path.join(repoRoot, 'policy.sample.json') } }));
    const r = node([path.join(repoRoot, 'dist', 'src', 'cli', 'policy-check.js')], { cwd: dir });
    expect(r.stdout).toContain('policy.sample.json: valid');
    expect(r.status).toBe(0);
    const none = node([path.join(repoRoot, 'dist', 'src', 'cli', 'policy-check.js')], { cwd: mkdtempSync(path.join(tmpdir(), 'cli-none-')) });
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('neither POLICY_PATH nor POLICY_JSON is set');
  });

  it('evidence finds its storage in local.settings.json', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cli-evidence-'));
    const cli = path.join(repoRoot, 'dist', 'src', 'cli', 'evidence.js');
    // Without settings: no storage configured (exit 2). With them: the storage answers, there is no such pack (exit 1).
    expect(node([cli, 'show', 'inc-none'], { cwd: dir }).status).toBe(2);
    writeFileSync(path.join(dir, 'local.settings.json'), JSON.stringify({ Values: { AzureWebJobsStorage: azurite.connectionString } }));
    const r = node([cli, 'show', 'inc-none'], { cwd: dir });
    expect(r.stdout).toContain('No evidence pack found for inc-none');
    expect(r.status).toBe(1);
  });
});

describe('npm start: errors and storage', () => {
  const cli = path.join(repoRoot, 'dist', 'src', 'devhost', 'cli.js');

  it('storage that does not answer is an error naming its address, without the usage text', async () => {
    const port = await freePort();
    const storage = azurite.connectionString.replace(/TableEndpoint=http:\/\/127\.0\.0\.1:\d+/, `TableEndpoint=http://127.0.0.1:${port}`);
    const r = node([cli, '--port', '0', '--azurite', 'off'], { env: cleanEnv({ AzureWebJobsStorage: storage, TaskHubName: uniqueHubName('Down') }) });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`Cannot reach the storage at http://127.0.0.1:${port}/devstoreaccount1 (AzureWebJobsStorage)`);
    expect(r.stderr).not.toContain('Usage:');
  });

  it('a command-line mistake gets the usage text', () => {
    const r = node([cli, '--azurite-ports', '1,2']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('--azurite-ports takes three different ports');
    expect(r.stderr).toContain('Usage: npm start');
    expect(node([cli, '--fault', 'bad-release']).stderr).toContain('--fault and --lab-port need --lab');
    expect(node([cli, '--lab', '--fault', 'meteor']).stderr).toContain('Unknown lab fault(s): meteor. Known: bad-release, breaking-flag, slow-swap, throttled-graph.');
  });

  it('--azurite-ports starts the embedded Azurite on those ports and points the app at it', async () => {
    const [blob, queue, table, port] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const child = spawn(process.execPath, [cli, '--port', String(port), '--azurite-ports', `${blob},${queue},${table}`], { cwd: repoRoot, env: cleanEnv({ TaskHubName: uniqueHubName('Ports') }), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    try {
      let status = 0;
      for (let i = 0; i < 300 && status !== 200; i++) {
        status = await fetch(`http://127.0.0.1:${port}/api/health`).then((r) => r.status, () => 0);
        if (status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      expect(status, output).toBe(200);
      expect(output).toContain(`Started Azurite (memory) on 127.0.0.1:${blob}/${queue}/${table} (blob/queue/table).`);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  }, 90_000);
});

describe('one host per task hub', () => {
  it('warns at start when another host is beating on the same task hub', async () => {
    const hubName = uniqueHubName('Shared');
    const first = await startTestHost({ azurite, hubName, logLevel: 'warning' });
    const second = await startTestHost({ azurite, hubName, logLevel: 'warning' });
    try {
      expect(first.logs.map((l) => l.message).join('\n')).not.toContain('Another host uses task hub');
      expect(second.logs.map((l) => l.message)).toContainEqual(expect.stringMatching(new RegExp(`^Another host uses task hub ${hubName}: pid ${process.pid} on .* \\(${first.baseUrl.replace(/[.]/g, '\\.')}\\)`)));
    } finally {
      await second.stop();
      await first.stop();
    }
    // A host that stopped cleanly frees the hub: the next one starts without the warning.
    const third = await startTestHost({ azurite, hubName, logLevel: 'warning' });
    await third.stop();
    expect(third.logs.map((l) => l.message).join('\n')).not.toContain('Another host uses task hub');
  });
});
