/**
 * `npm run evidence -- export <incidentId> <dir>` against Azurite with the real Blob SDK: a sealed
 * pack is written to a folder, every file matching manifest.json; a tampered artifact is not
 * written and the export fails; a file already in the folder with other content is not
 * overwritten; and a person gets a clear message, not a stack, for an unknown incident, a pack not
 * sealed yet, storage that does not answer (named by its address), and a tool run before a build.
 * The built tool reads its storage from local.settings.json in the folder it runs in.
 */
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvidenceActivities } from '../../src/activities/evidence.js';
import { writeArtifacts } from '../../src/activities/evidence.contracts.js';
import { BlobEvidenceStore } from '../../src/adapters/evidence-blob.js';
import { EvidencePack, sha256Hex } from '../../src/activities/evidence-pack.js';
import { runEvidenceCli } from '../../src/cli/evidence.js';
import { freePort, type AzuriteInstance } from '../../src/devhost/index.js';
import { Manifest, packPrefix, type PackRef } from '../../src/domain/evidence.js';
import { repoRoot, startTestAzurite } from '../harness/devhost.js';
import { sampleArtifacts, sampleRef } from '../harness/evidence-sample.js';

const AT = '2026-01-16T10:20:00Z';

let azurite: AzuriteInstance;
let container: ContainerClient;
let activities: ReturnType<typeof createEvidenceActivities>;
let dir: string;

const ref = (incidentId: string): PackRef => sampleRef({ incidentId });

async function sealedPack(incidentId: string): Promise<PackRef> {
  const r = ref(incidentId);
  await activities.writeArtifacts(writeArtifacts.input.parse({ pack: r, artifacts: sampleArtifacts(), mode: 'execute' }));
  await activities.writeReports({ pack: r, at: AT, dueBusinessDays: 3, mode: 'execute' });
  await activities.seal({ pack: r, at: AT, mode: 'execute' });
  return r;
}

async function cli(env: NodeJS.ProcessEnv, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runEvidenceCli(argv, env, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}
const storage = () => ({ AzureWebJobsStorage: azurite.connectionString, INIT_CWD: dir });

beforeAll(async () => {
  azurite = await startTestAzurite();
  container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('incident-evidence');
  activities = createEvidenceActivities({ pack: new EvidencePack({ store: new BlobEvidenceStore(container), actor: 'incident-bot' }) });
  dir = mkdtempSync(path.join(tmpdir(), 'evidence-export-'));
});
afterAll(async () => {
  await azurite?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('evidence export', () => {
  it('writes every file of a sealed pack, each matching manifest.json, and says so; running it again changes nothing', async () => {
    const r = await sealedPack('inc-export-ok');
    const first = await cli(storage(), 'export', r.incidentId, 'out-ok');
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    const folder = path.join(dir, 'out-ok');
    const manifest = Manifest.parse(JSON.parse(readFileSync(path.join(folder, 'manifest.json'), 'utf8')));
    expect(manifest.artifacts.map((a) => a.name)).toEqual(expect.arrayContaining(['report.html', 'postmortem.md', 'timeline.json', 'incident.json', 'messages/01-declared.json', 'smoke/snapshot-0904.json']));
    for (const a of manifest.artifacts) expect(sha256Hex(readFileSync(path.join(folder, ...a.name.split('/')))), a.name).toBe(a.sha256);
    const manifestSha = sha256Hex(readFileSync(path.join(folder, 'manifest.json')));
    expect(first.out).toContain(`Exporting incident-evidence/${packPrefix(r)} (sealed 2026-01-16 10:20:00 UTC; manifest.json sha256 ${manifestSha}) to ${folder}`);
    expect(first.out).toContain('Each file is checked against the SHA-256 in manifest.json as it is read, and again after it is written.');
    expect(first.out).toMatch(/ {2}✓ report\.html \(\d+ bytes, sha256 [0-9a-f]{12}…\)\n/);
    expect(first.out).toContain(`OK: ${manifest.artifacts.length + 1} file(s) in ${folder}, every one matching manifest.json. Open ${path.join(folder, 'report.html')}.`);
    const again = await cli(storage(), 'export', r.incidentId, 'out-ok');
    expect(again.code).toBe(0);
    expect(again.out).toContain('✓ report.html');
    expect(again.out).toContain('already there, identical');
  });

  it('does not write an artifact changed after the seal, nor overwrite a file with other content; the folder gets no manifest.json', async () => {
    const r = await sealedPack('inc-export-tampered');
    // Someone with write access replaces the report (Azurite has no immutability).
    const forged = '<p>nothing happened</p>';
    await container.getBlockBlobClient(`${packPrefix(r)}report.html`).upload(forged, Buffer.byteLength(forged));
    const folder = path.join(dir, 'out-tampered');
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, 'postmortem.md'), 'my own notes');
    const res = await cli(storage(), 'export', r.incidentId, folder);
    expect(res.code).toBe(1);
    expect(res.out).toMatch(/✗ CHANGED {2}report\.html: sha256 [0-9a-f]{64} \(23 bytes\), manifest says [0-9a-f]{64} .* \(not exported\)/);
    expect(res.out).toContain(`✗ ${path.join(folder, 'postmortem.md')} exists with other content`);
    expect(res.out).toMatch(/FAILED: 2 problem\(s\); \d+ file\(s\) written, manifest.json not \(the folder is not a complete pack\)\./);
    expect(existsSync(path.join(folder, 'report.html'))).toBe(false);
    expect(readFileSync(path.join(folder, 'postmortem.md'), 'utf8')).toBe('my own notes');
    expect(existsSync(path.join(folder, 'manifest.json'))).toBe(false);
    expect(existsSync(path.join(folder, 'timeline.json'))).toBe(true);
  });

  it('an unknown incident and a pack not sealed yet: a message saying so, nothing written', async () => {
    const unknown = await cli(storage(), 'export', 'inc-nobody-knows', 'out-unknown');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain(`No evidence pack found for inc-nobody-knows in AzureWebJobsStorage (${azurite.connectionString.match(/BlobEndpoint=([^;]+)/)![1]}), container incident-evidence.`);
    expect(existsSync(path.join(dir, 'out-unknown'))).toBe(false);

    const r = ref('inc-export-open');
    await activities.writeArtifacts(writeArtifacts.input.parse({ pack: r, artifacts: sampleArtifacts().slice(0, 3), mode: 'execute' }));
    const open = await cli(storage(), 'export', r.incidentId, 'out-open');
    expect(open.code).toBe(1);
    expect(open.err).toContain(`The evidence pack of inc-export-open (incident-evidence/${packPrefix(r)}) is not sealed yet: it has no manifest.json`);
    expect(open.err).toContain('Nothing was written.');
    expect(existsSync(path.join(dir, 'out-open'))).toBe(false);

    const usage = await cli(storage(), 'export', 'inc-export-ok');
    expect(usage.code).toBe(2);
    expect(usage.err).toContain('export needs the folder to write to.');
    expect(usage.err).toContain('npm run evidence -- export <incidentId> <dir>');
  });

  it('storage that does not answer: exit 3 with its address, no stack, no secret', async () => {
    const port = await freePort();
    const closed = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=c2VjcmV0a2V5;BlobEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`;
    const res = await cli({ AzureWebJobsStorage: closed, INIT_CWD: dir }, 'export', 'inc-export-ok', 'out-offline');
    expect(res.code).toBe(3);
    expect(res.err).toContain(`Storage error: cannot reach the evidence storage, AzureWebJobsStorage (http://127.0.0.1:${port}/devstoreaccount1), container incident-evidence:`);
    expect(res.err).toContain('ECONNREFUSED');
    expect(res.err).not.toMatch(/\n\s+at /);
    expect(res.err).not.toContain('c2VjcmV0a2V5');
  });

  it('the built tool reads its storage from local.settings.json where it runs (build first: npm run build)', async () => {
    await sealedPack('inc-export-settings');
    const here = mkdtempSync(path.join(dir, 'cwd-'));
    writeFileSync(path.join(here, 'local.settings.json'), JSON.stringify({ IsEncrypted: false, Values: { AzureWebJobsStorage: azurite.connectionString } }));
    const run = spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'src', 'cli', 'evidence.js'), 'export', 'inc-export-settings', 'pack'], {
      cwd: here,
      env: { PATH: process.env.PATH },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(existsSync(path.join(here, 'pack', 'report.html'))).toBe(true);
  });

  it('run before a build, npm run evidence says to build first instead of printing a stack', () => {
    // The launcher as a fresh clone has it: scripts/ present, dist/ not.
    const clone = mkdtempSync(path.join(dir, 'clone-'));
    mkdirSync(path.join(clone, 'scripts'));
    copyFileSync(path.join(repoRoot, 'scripts', 'run-built.mjs'), path.join(clone, 'scripts', 'run-built.mjs'));
    const run = spawnSync(process.execPath, [path.join(clone, 'scripts', 'run-built.mjs'), 'evidence', 'export', 'inc-1', 'out'], {
      cwd: clone,
      env: { PATH: process.env.PATH, npm_lifecycle_event: 'evidence' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(
      `evidence: the app is not built yet (${path.join('dist', 'src', 'cli', 'evidence.js')} does not exist).\nBuild it first with \`npm run build\` (\`npm start\` and \`npm test\` build it too), then run this command again.\n`,
    );
    expect(run.stderr).not.toContain('Cannot find module');
  });
});
