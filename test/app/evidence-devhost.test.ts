/**
 * The evidence activities inside the product app on the dev host (loaded from dist/; run
 * `npm run build` first), called by a drill orchestrator through their contracts: artifacts in
 * batches under the input bound, postmortem and report, seal; a second write of the same content
 * is unchanged, a late one refused. Then the built CLI (`npm run evidence -- verify`, as a real
 * process) verifies the pack, and fails once a blob is changed out of band.
 */
import { BlobServiceClient } from '@azure/storage-blob';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AzuriteInstance } from '../../src/devhost/index.js';
import { packPrefix, type ArtifactInputIn } from '../../src/domain/evidence.js';
import { repoRoot, startTestAzurite, startTestHost, type TestHost } from '../harness/devhost.js';
import { sampleArtifacts, sampleRef } from '../harness/evidence-sample.js';

let azurite: AzuriteInstance;
let h: TestHost;

interface Outcome {
  name: string;
  result: string;
  reason?: string;
}
interface DrillOutput {
  located: { links: { location: string; manifestUrl: string; postmortemUrl: string; reportUrl: string } | null };
  batches: number;
  writes: { written: number; unchanged: number; refused: number }[];
  reports: { outcomes: Outcome[]; postmortemDue: string };
  sealed: { result: string; manifest: { artifacts: number; sha256: string; url: string } };
  again: { outcomes: Outcome[] };
  resealed: { result: string; manifest: { sha256: string } };
}

beforeAll(async () => {
  azurite = await startTestAzurite();
  h = await startTestHost({ azurite, appRoot: path.join(repoRoot, 'test', 'fixtures', 'evidence-host') });
});
afterAll(async () => {
  await h?.stop();
  await azurite?.stop();
});

function cli(...argv: string[]) {
  const res = spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'src', 'cli', 'evidence.js'), ...argv], {
    env: { PATH: process.env.PATH, AzureWebJobsStorage: azurite.connectionString },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: res.status, out: res.stdout, err: res.stderr };
}

/** The sample plus a long stream of status updates: more than one activity call's worth. */
function manyArtifacts(): ArtifactInputIn[] {
  const updates = Array.from(
    { length: 30 },
    (_, i): ArtifactInputIn => ({
      kind: 'message',
      key: `u-${String(i).padStart(2, '0')}`,
      content: { at: `2026-01-16T09:${String(20 + i).padStart(2, '0')}:00Z`, template: 'update', channel: 'Teams #incident-prod', text: `Update ${i}: ${'monitoring, all green. '.repeat(700)}` },
    }),
  );
  return [...sampleArtifacts(), ...updates];
}

describe('evidence activities on the dev host', () => {
  it('registers the evidence activities in the app (names Azure accepts: letters, digits, "_")', () => {
    const names = [...h.host.app.registry.functions.values()].map((r) => r.metadata.name);
    for (const n of names) expect(n).toMatch(/^[A-Za-z][A-Za-z0-9_-]{0,127}$/);
    expect(names).toEqual(expect.arrayContaining(['evidence_locate', 'evidence_writeArtifacts', 'evidence_writeReports', 'evidence_seal']));
  });

  it('writes a pack in batches, renders the reports, seals it; replayed writes are unchanged, late ones refused; the CLI verifies it', async () => {
    const pack = sampleRef({ incidentId: 'inc-devhost-evidence' });
    const artifacts = manyArtifacts();
    const late: ArtifactInputIn = { kind: 'message', key: 'zz-late', content: { at: '2026-01-16T11:00:00Z', template: 'reminder', channel: 'Teams', text: 'Postmortem due in 3 business days.' } };
    const id = await h.start('evidenceDrill', { pack, artifacts, late });
    const done = await h.waitFor(id, ['Completed', 'Failed'], 60_000);
    expect(done.runtimeStatus).toBe('Completed');
    const out = done.output as DrillOutput;
    expect(out.batches).toBeGreaterThan(1);
    expect(out.writes.reduce((n, w) => n + w.written, 0)).toBe(artifacts.length);
    expect(out.writes.every((w) => w.refused === 0)).toBe(true);
    expect(out.reports.outcomes.map((o) => o.result)).toEqual(['written', 'written', 'written']);
    expect(out.reports.postmortemDue).toBe('2026-01-21');
    expect(out.sealed).toMatchObject({ result: 'sealed', manifest: { artifacts: artifacts.length + 3 } });
    expect(out.again.outcomes.map((o) => [o.name, o.result, o.reason])).toEqual([
      ['incident.json', 'unchanged', undefined],
      ['messages/zz-late.json', 'refused', 'sealed'],
    ]);
    expect(out.resealed).toMatchObject({ result: 'already-sealed', manifest: { sha256: out.sealed.manifest.sha256 } });
    // Located before anything was written, at the address the pack was then sealed under.
    expect(out.located.links).toMatchObject({ location: `incident-evidence/${packPrefix(pack)}`, manifestUrl: out.sealed.manifest.url });
    expect(out.located.links?.postmortemUrl).toBe(out.sealed.manifest.url.replace(/manifest\.json$/, 'postmortem.md'));

    // The drill's clock (the dev host's manual clock) is in the manifest and the documents.
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('incident-evidence');
    const prefix = packPrefix(pack);
    const manifest = JSON.parse((await container.getBlobClient(`${prefix}manifest.json`).downloadToBuffer()).toString('utf8')) as { sealedAt: string };
    expect(manifest.sealedAt).toBe('2026-01-01T00:00:00.000Z');
    const postmortem = (await container.getBlobClient(`${prefix}postmortem.md`).downloadToBuffer()).toString('utf8');
    expect(postmortem).toContain('Draft generated by incident-autopilot on 2026-01-01 00:00:00 UTC');

    const ok = cli('verify', pack.incidentId);
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.out).toContain(`✓ ${artifacts.length + 3} artifact(s) match the manifest`);

    const report = container.getBlockBlobClient(`${prefix}report.html`);
    const forged = Buffer.from((await report.downloadToBuffer()).toString('utf8').replace('Rolled back', 'Nothing happened'));
    await report.upload(forged, forged.length);
    const bad = cli('verify', pack.incidentId, '--json');
    expect(bad.code).toBe(1);
    const json = JSON.parse(bad.out) as { ok: boolean; packs: { problems: { kind: string; name: string }[] }[] };
    expect(json.ok).toBe(false);
    expect(json.packs[0]?.problems.map((p) => [p.kind, p.name])).toEqual([['changed', 'report.html']]);
  });

  it('plan mode on the dev host writes nothing', async () => {
    const pack = sampleRef({ incidentId: 'inc-devhost-plan' });
    const id = await h.start('evidenceDrill', { pack, artifacts: sampleArtifacts(), late: sampleArtifacts()[1], mode: 'plan' });
    const done = await h.waitFor(id, ['Completed', 'Failed'], 60_000);
    expect(done.runtimeStatus).toBe('Completed');
    const out = done.output as { sealed: { result: string }; reports: { outcomes: Outcome[] } };
    // Nothing stored, so nothing to seal or render yet: that is the plan, not a refusal.
    expect(out.sealed.result).toBe('planned');
    expect(out.reports.outcomes).toEqual([]);
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('incident-evidence');
    const found: string[] = [];
    for await (const b of container.listBlobsFlat({ prefix: packPrefix(pack) })) found.push(b.name);
    expect(found).toEqual([]);
    const cliOut = cli('verify', pack.incidentId);
    expect(cliOut.code).toBe(1);
    expect(cliOut.out).toContain('No evidence pack found for inc-devhost-plan');
  });
});
