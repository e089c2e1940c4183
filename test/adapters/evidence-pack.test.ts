/**
 * The evidence pack on Azurite with the real Blob SDK: a full pack written, reported and sealed;
 * writes are write-once (If-None-Match: *) and idempotent by content hash; overwrites and writes to
 * a sealed pack are refused as data; `verify` (the CLI, in process) finds tampered, extra and
 * missing artifacts; the pack is found by blob index tag or, failing that, by prefix.
 */
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvidenceActivities } from '../../src/activities/evidence.js';
import { writeArtifacts } from '../../src/activities/evidence.contracts.js';
import { BlobAlertArchive } from '../../src/adapters/alert-archive.js';
import { BlobAlertPayloadSource, BlobEvidenceStore } from '../../src/adapters/evidence-blob.js';
import { EvidencePack, sha256Hex } from '../../src/activities/evidence-pack.js';
import { ALERT_PAYLOADS_CONTAINER } from '../../src/app/stores.js';
import { runEvidenceCli } from '../../src/cli/evidence.js';
import { type AzuriteInstance, freePort } from '../../src/devhost/index.js';
import { Manifest, MAX_ARTIFACT_BYTES, packPrefix, type ArtifactInputIn, type PackRef } from '../../src/domain/evidence.js';
import { createBlobServiceClient, storageTarget } from '../../src/adapters/storage.js';
import { EvidenceStoreError } from '../../src/ports/evidence.js';
import { TransientError } from '../../src/domain/errors.js';
import { startTestAzurite } from '../harness/devhost.js';
import { SAMPLE_CLIENT_SECRET, SAMPLE_FUNCTION_KEY, sampleAlertPayload, sampleArtifacts, sampleRef } from '../harness/evidence-sample.js';

const CONTAINER = 'incident-evidence';
const AT = '2026-01-16T10:20:00Z';

let azurite: AzuriteInstance;
let service: BlobServiceClient;
let container: ContainerClient;
let pack: EvidencePack;
let activities: ReturnType<typeof createEvidenceActivities>;

const ref = (incidentId: string): PackRef => sampleRef({ incidentId });
const input = (r: PackRef, artifacts: ArtifactInputIn[], mode: 'execute' | 'plan' = 'execute') => writeArtifacts.input.parse({ pack: r, artifacts, mode });

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runEvidenceCli(argv, { AzureWebJobsStorage: azurite.connectionString }, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

async function names(prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const b of container.listBlobsFlat({ prefix })) out.push(b.name.slice(prefix.length));
  return out.sort();
}

async function writeFullPack(r: PackRef) {
  const written = await activities.writeArtifacts(input(r, sampleArtifacts()));
  const reports = await activities.writeReports({ pack: r, at: AT, dueBusinessDays: 3, mode: 'execute' });
  return { written, reports };
}

beforeAll(async () => {
  azurite = await startTestAzurite();
  service = BlobServiceClient.fromConnectionString(azurite.connectionString);
  container = service.getContainerClient(CONTAINER);
  pack = new EvidencePack({
    store: new BlobEvidenceStore(container),
    alerts: new BlobAlertPayloadSource(service, ALERT_PAYLOADS_CONTAINER, MAX_ARTIFACT_BYTES),
    actor: 'incident-bot',
  });
  activities = createEvidenceActivities({ pack });
});
afterAll(async () => {
  await azurite?.stop();
});

describe('a full evidence pack', () => {
  it('writes every kind under {env}/{yyyy}/{mm}/{id}/ with content types and index tags, redacted; then reports, seals and verifies', async () => {
    const r = ref('inc-prod-api-full');
    const prefix = packPrefix(r);
    expect(prefix).toBe('Prod/2026/01/inc-prod-api-full/');
    const { written, reports } = await writeFullPack(r);
    expect(written).toMatchObject({ written: 22, unchanged: 0, refused: 0 });
    expect(written.summary).toBe('Evidence: 22 written, 0 already stored unchanged, 0 refused.');
    expect(reports.outcomes.map((o) => [o.name, o.result])).toEqual([
      ['metrics.json', 'written'],
      ['postmortem.md', 'written'],
      ['report.html', 'written'],
    ]);
    expect(reports.postmortemDue).toBe('2026-01-21');
    expect(reports.metrics?.timeToRecover?.seconds).toBe(955);

    const stored = await names(prefix);
    expect(stored).toEqual(
      expect.arrayContaining([
        'incident.json',
        'timeline.json',
        'alerts/001-prod-api-http5xx-rate-fired.json',
        'smoke/snapshot-0904.json',
        'audit/config-store-client.json',
        'rollback/api-to-lkg.json',
        'messages/01-declared.json',
        'approvals/keep-rollback.json',
        'metrics.json',
        'postmortem.md',
        'report.html',
      ]),
    );
    expect(stored).toHaveLength(25);

    // Content types, tags (sanitised, <= 10), metadata with the hash of the stored bytes.
    const timeline = container.getBlobClient(`${prefix}timeline.json`);
    const props = await timeline.getProperties();
    expect(props.contentType).toBe('application/json; charset=utf-8');
    expect((await timeline.getTags()).tags).toEqual({ environment: 'Prod', service: 'api', severity: 'P1', release: 'r42', incident: 'inc-prod-api-full', kind: 'timeline' });
    expect(props.metadata?.sha256).toBe(sha256Hex(await timeline.downloadToBuffer()));
    expect((await container.getBlobClient(`${prefix}postmortem.md`).getProperties()).contentType).toBe('text/markdown; charset=utf-8');
    expect((await container.getBlobClient(`${prefix}report.html`).getProperties()).contentType).toBe('text/html; charset=utf-8');

    // Secrets never reach the archive.
    const alert = (await container.getBlobClient(`${prefix}alerts/001-prod-api-http5xx-rate-fired.json`).downloadToBuffer()).toString('utf8');
    expect(alert).not.toContain(SAMPLE_FUNCTION_KEY);
    expect(alert).not.toContain(SAMPLE_CLIENT_SECRET);
    expect(alert).toContain('?code=[REDACTED:function-key]');
    expect(written.outcomes.find((o) => o.name.startsWith('alerts/'))).toMatchObject({ result: 'written', redactions: 2 });

    const sealed = await activities.seal({ pack: r, at: '2026-01-16T10:21:00Z', mode: 'execute' });
    expect(sealed).toMatchObject({ result: 'sealed', excluded: [], manifest: { name: 'manifest.json', artifacts: 25 } });
    const manifestBytes = await container.getBlobClient(`${prefix}manifest.json`).downloadToBuffer();
    expect(sealed.manifest?.sha256).toBe(sha256Hex(manifestBytes));
    const manifest = Manifest.parse(JSON.parse(manifestBytes.toString('utf8')));
    expect(manifest).toMatchObject({ incidentId: 'inc-prod-api-full', prefix, container: CONTAINER, sealedAt: '2026-01-16T10:21:00Z', sealedBy: 'incident-bot' });
    // Every entry's hash and size are those of the stored bytes.
    for (const a of manifest.artifacts) {
      const bytes = await container.getBlobClient(prefix + a.name).downloadToBuffer();
      expect([a.name, a.sha256, a.size]).toEqual([a.name, sha256Hex(bytes), bytes.length]);
      expect(a.writtenAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    }
    expect(manifest.artifacts.find((a) => a.name === 'report.html')).toMatchObject({ kind: 'report', contentType: 'text/html; charset=utf-8' });

    const v = await cli('verify', 'inc-prod-api-full');
    expect(v.code).toBe(0);
    expect(v.out).toContain('Evidence for inc-prod-api-full (found by blob index tag)');
    expect(v.out).toContain(`Pack ${CONTAINER}/${prefix}`);
    expect(v.out).toContain('✓ 25 artifact(s) match the manifest');
    expect(v.out).toContain('OK: every artifact matches.');

    const shown = await cli('show', 'inc-prod-api-full');
    expect(shown.code).toBe(0);
    expect(shown.out).toContain('P1 Prod api: Admin API 5xx above 1 % after release r42 (SSE first event slow) (resolved)');
    expect(shown.out).toMatch(/2026-01-16 09:02:10 +azure-monitor +detected: first alert fired/);
    expect(shown.out).toMatch(/2026-01-16 09:13:05 +incident-bot +runbook: Nobody decided in time: rolling back to the last known good release\./);
    const shownJson = JSON.parse((await cli('show', 'inc-prod-api-full', '--json')).out) as { packs: { timeline: { at: string }[] }[] };
    expect(shownJson.packs[0]?.timeline.length).toBeGreaterThan(15);
  });

  it('is idempotent: writing the same artifacts and reports again stores no second copy', async () => {
    const r = ref('inc-prod-api-twice');
    const prefix = packPrefix(r);
    await writeFullPack(r);
    const before = new Map<string, string | undefined>();
    for await (const b of container.listBlobsFlat({ prefix })) before.set(b.name, b.properties.etag);
    const again = await writeFullPack(r);
    expect(again.written).toMatchObject({ written: 0, unchanged: 22, refused: 0 });
    expect(again.reports.outcomes.map((o) => o.result)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    const after = new Map<string, string | undefined>();
    for await (const b of container.listBlobsFlat({ prefix })) after.set(b.name, b.properties.etag);
    expect(after).toEqual(before);
  });

  it('refuses an overwrite with different content, reporting both hashes, and keeps what is stored', async () => {
    const r = ref('inc-prod-api-overwrite');
    const prefix = packPrefix(r);
    await activities.writeArtifacts(input(r, sampleArtifacts().slice(0, 2)));
    const original = await container.getBlobClient(`${prefix}timeline.json`).downloadToBuffer();
    const changed = sampleArtifacts()[1]!;
    if (changed.kind !== 'timeline') throw new Error('sample order changed');
    const out = await activities.writeArtifacts(input(r, [{ kind: 'timeline', content: [...changed.content, { seq: 99, at: '2026-01-16T10:30:00Z', kind: 'note', actor: 'mallory', text: 'rewritten history' }] }]));
    expect(out).toMatchObject({ written: 0, unchanged: 0, refused: 1 });
    const refusal = out.outcomes[0]!;
    expect(refusal).toMatchObject({ result: 'refused', reason: 'different-content', name: 'timeline.json', existingSha256: sha256Hex(original) });
    expect(refusal.result === 'refused' && refusal.sha256 !== refusal.existingSha256 && /^[0-9a-f]{64}$/.test(refusal.sha256 ?? '')).toBe(true);
    expect(refusal.summary).toContain('was not overwritten');
    expect(await container.getBlobClient(`${prefix}timeline.json`).downloadToBuffer()).toEqual(original);
  });

  it('refuses new artifacts once sealed; sealing again reports the manifest already there', async () => {
    const r = ref('inc-prod-api-sealed');
    const prefix = packPrefix(r);
    await activities.writeArtifacts(input(r, sampleArtifacts().slice(0, 3)));
    const first = await activities.seal({ pack: r, at: '2026-01-16T10:21:00Z', mode: 'execute' });
    expect(first.result).toBe('sealed');
    const late = await activities.writeArtifacts(
      input(r, [sampleArtifacts()[0]!, { kind: 'message', key: '99-late', content: { at: '2026-01-16T10:40:00Z', template: 'note', channel: 'Teams', text: 'late' } }]),
    );
    expect(late.outcomes.map((o) => [o.name, o.result, o.result === 'refused' ? o.reason : null])).toEqual([
      ['incident.json', 'unchanged', null],
      ['messages/99-late.json', 'refused', 'sealed'],
    ]);
    expect(await names(prefix)).not.toContain('messages/99-late.json');
    const reports = await activities.writeReports({ pack: r, at: AT, dueBusinessDays: 3, mode: 'execute' });
    expect(reports.outcomes.map((o) => o.result)).toEqual(['refused', 'refused', 'refused']);
    const second = await activities.seal({ pack: r, at: '2026-01-16T11:00:00Z', mode: 'execute' });
    expect(second).toMatchObject({ result: 'already-sealed', manifest: { sha256: first.manifest!.sha256, artifacts: 3 } });
  });

  it('refuses to seal an empty pack, and reports nothing to render without an incident record', async () => {
    const r = ref('inc-prod-api-empty');
    expect(await activities.seal({ pack: r, at: AT, mode: 'execute' })).toMatchObject({ result: 'refused', reason: 'empty', manifest: null });
    const reports = await activities.writeReports({ pack: r, at: AT, dueBusinessDays: 3, mode: 'execute' });
    expect(reports.outcomes.map((o) => o.result === 'refused' && o.reason)).toEqual(['no-incident-record', 'no-incident-record', 'no-incident-record']);
    expect(await names(packPrefix(r))).toEqual([]);
  });

  it('plan mode reports exactly what it would write and writes nothing', async () => {
    const r = ref('inc-prod-api-plan');
    const planned = await activities.writeArtifacts(input(r, sampleArtifacts(), 'plan'));
    expect(planned.outcomes.every((o) => o.result === 'planned' && o.existing === 'none')).toBe(true);
    expect(planned.summary).toBe('Plan: 22 artifact(s) checked, nothing written.');
    // A drill writes nothing: nothing to seal or render yet is the plan, not a refusal.
    expect(await activities.seal({ pack: r, at: AT, mode: 'plan' })).toMatchObject({ result: 'planned', manifest: null, summary: expect.stringMatching(/^Plan: seal .* once its artifacts are written/) as string });
    const reports = await activities.writeReports({ pack: r, at: AT, dueBusinessDays: 3, mode: 'plan' });
    expect(reports).toMatchObject({ outcomes: [], metrics: null, summary: 'Plan: metrics.json, postmortem.md and report.html would be rendered from the incident record; nothing written.' });
    expect(await names(packPrefix(r))).toEqual([]);
    await activities.writeArtifacts(input(r, sampleArtifacts().slice(0, 1)));
    const again = await activities.writeArtifacts(input(r, sampleArtifacts().slice(0, 2), 'plan'));
    expect(again.outcomes.map((o) => o.result === 'planned' && o.existing)).toEqual(['same', 'none']);
    const seal = await activities.seal({ pack: r, at: AT, mode: 'plan' });
    expect(seal).toMatchObject({ result: 'planned', manifest: { artifacts: 1 } });
    expect(await names(packPrefix(r))).toEqual(['incident.json']);
  });
});

describe('verify finds what changed', () => {
  it('a tampered artifact (uploaded out of band, no conditions): CHANGED, exit code 1, both hashes in --json', async () => {
    const r = ref('inc-prod-api-tamper');
    const prefix = packPrefix(r);
    await writeFullPack(r);
    await activities.seal({ pack: r, at: AT, mode: 'execute' });
    const blob = container.getBlockBlobClient(`${prefix}timeline.json`);
    const original = await blob.downloadToBuffer();
    const forged = Buffer.from(original.toString('utf8').replace('Acknowledged by Dana Reyes', 'Acknowledged by Nobody'));
    await blob.upload(forged, forged.length); // an unconditional PUT overwrites (Azure with WORM would keep the old version)

    const v = await cli('verify', r.incidentId);
    expect(v.code).toBe(1);
    expect(v.out).toContain(`✗ CHANGED  timeline.json: sha256 ${sha256Hex(forged)} (${forged.length} bytes), manifest says ${sha256Hex(original)} (${original.length} bytes)`);
    expect(v.out).toContain('FAILED: 1 problem(s).');
    const json = JSON.parse((await cli('verify', r.incidentId, '--json')).out) as { ok: boolean; packs: { problems: unknown[]; verified: string[] }[] };
    expect(json.ok).toBe(false);
    expect(json.packs[0]?.problems).toEqual([
      { kind: 'changed', name: 'timeline.json', expected: { sha256: sha256Hex(original), size: original.length }, actual: { sha256: sha256Hex(forged), size: forged.length } },
    ]);
    expect(json.packs[0]?.verified).toHaveLength(24);
  });

  it('an extra and a missing artifact: EXTRA and MISSING; a manifest hash recorded elsewhere is checked too', async () => {
    const r = ref('inc-prod-api-extra');
    const prefix = packPrefix(r);
    await writeFullPack(r);
    const sealed = await activities.seal({ pack: r, at: AT, mode: 'execute' });
    await container.getBlockBlobClient(`${prefix}smoke/planted-0930.json`).upload('{"runId":"planted"}', 19);
    await container.getBlobClient(`${prefix}smoke/monitor-0949.json`).delete();
    const v = await cli('verify', r.incidentId);
    expect(v.code).toBe(1);
    expect(v.out).toMatch(/✗ MISSING {2}smoke\/monitor-0949\.json: listed in the manifest \(sha256 [0-9a-f]{64}, \d+ bytes\) but not stored/);
    expect(v.out).toContain(`✗ EXTRA    smoke/planted-0930.json: stored (sha256 ${sha256Hex('{"runId":"planted"}')}, 19 bytes) but not in the manifest`);
    expect(v.out).toContain('FAILED: 2 problem(s).');
    // The manifest's own hash, as recorded on the timeline when sealing: it matches; another one does not.
    expect((await cli('verify', r.incidentId, '--manifest-sha256', sealed.manifest!.sha256)).out).not.toContain('MANIFEST');
    const wrong = await cli('verify', r.incidentId, '--manifest-sha256', 'ab'.repeat(32));
    expect(wrong.out).toContain(`✗ MANIFEST manifest.json has sha256 ${sealed.manifest!.sha256}, expected ${'ab'.repeat(32)}`);
  });

  it('an unsealed pack is reported as such, each artifact checked against the hash recorded when written', async () => {
    const r = ref('inc-prod-api-unsealed');
    await activities.writeArtifacts(input(r, sampleArtifacts().slice(0, 3)));
    const v = await cli('verify', r.incidentId);
    expect(v.code).toBe(1);
    expect(v.out).toContain('✓ 3 artifact(s) match the hash recorded when written');
    expect(v.out).toContain('✗ UNSEALED the pack is not sealed (no manifest.json)');
  });

  it('seal leaves out what it cannot vouch for: content changed after writing, blobs the writer did not write', async () => {
    const r = ref('inc-prod-api-preseal');
    const prefix = packPrefix(r);
    await activities.writeArtifacts(input(r, sampleArtifacts().slice(0, 3)));
    const blob = container.getBlockBlobClient(`${prefix}timeline.json`);
    const props = await blob.getProperties();
    await blob.upload('[]', 2, { metadata: props.metadata }); // keeps the recorded hash, changes the bytes
    await container.getBlockBlobClient(`${prefix}notes.txt`).upload('hello', 5);
    const sealed = await activities.seal({ pack: r, at: AT, mode: 'execute' });
    expect(sealed.result).toBe('sealed');
    expect(sealed.excluded).toEqual([
      { name: 'notes.txt', reason: 'not a name the evidence writer uses' },
      { name: 'timeline.json', reason: `content changed after it was written: sha256 ${sha256Hex('[]')}, written as ${props.metadata?.sha256}` },
    ]);
    expect(sealed.manifest?.artifacts).toBe(2);
    const v = await cli('verify', r.incidentId, '--json');
    expect(v.code).toBe(1);
    expect((JSON.parse(v.out) as { packs: { problems: { kind: string; name: string }[] }[] }).packs[0]?.problems.map((p) => [p.kind, p.name])).toEqual([
      ['extra', 'notes.txt'],
      ['extra', 'timeline.json'],
    ]);
  });
});

describe('finding packs and alert payloads', () => {
  it('falls back to a prefix search when the tag index is not available (a read-only role), and says so', async () => {
    const r = ref('inc-beta-web-prefix');
    const beta = { ...r, environment: 'Beta', service: 'web', declaredAt: '2025-12-30T23:50:00Z' };
    await activities.writeArtifacts(input(beta, sampleArtifacts().slice(0, 2)));
    const store = new BlobEvidenceStore(container);
    const denied = Object.assign(Object.create(store) as BlobEvidenceStore, {
      findByTags: () => Promise.reject(new EvidenceStoreError('denied', 'finding blobs by tags: storage refused access (403)')),
    });
    const withoutTags = new EvidencePack({ store: denied });
    const found = await withoutTags.locate(beta.incidentId);
    expect(found).toEqual({ method: 'prefix-scan', prefixes: ['Beta/2025/12/inc-beta-web-prefix/'], notes: [expect.stringContaining('tag search unavailable')] });
    expect((await withoutTags.locate(beta.incidentId, { environment: 'Beta', month: '2025-12' })).prefixes).toEqual(['Beta/2025/12/inc-beta-web-prefix/']);
    expect((await withoutTags.locate(beta.incidentId, { environment: 'Prod' })).prefixes).toEqual([]);
    // With tags (the CLI's first choice) the same pack is one query away.
    expect(await pack.locate(beta.incidentId)).toEqual({ method: 'tags', prefixes: ['Beta/2025/12/inc-beta-web-prefix/'], notes: [] });
  });

  it('storage that does not answer is a transient failure (Durable retries the activity); the CLI exits 3', async () => {
    const port = await freePort();
    const closed = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=c2VjcmV0a2V5;BlobEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`;
    const offline = new EvidencePack({ store: new BlobEvidenceStore(createBlobServiceClient(storageTarget({ AzureWebJobsStorage: closed })).getContainerClient(CONTAINER)) });
    const err = await createEvidenceActivities({ pack: offline })
      .writeArtifacts(input(ref('inc-offline'), sampleArtifacts().slice(0, 1)))
      .then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as Error).message).not.toContain('c2VjcmV0a2V5');
    let out = '';
    const code = await runEvidenceCli(['verify', 'inc-offline'], { AzureWebJobsStorage: closed }, { out: (t) => (out += t), err: (t) => (out += t) });
    expect(code).toBe(3);
    expect(out).toContain('Storage error:');
    expect(out).not.toContain('c2VjcmV0a2V5');
  });

  it('reports a pack that does not exist, and usage mistakes, with distinct exit codes', async () => {
    const none = await cli('verify', 'inc-does-not-exist');
    expect(none.code).toBe(1);
    expect(none.out).toContain('No evidence pack found for inc-does-not-exist in container incident-evidence.');
    expect((await cli('verify')).code).toBe(2);
    expect((await cli('audit', 'inc-1')).code).toBe(2);
    expect((await cli('verify', '../etc/passwd')).err).toContain('Not an incident id');
    expect((await cli('verify', 'inc-1', '--month', 'January')).code).toBe(2);
    let err = '';
    const code = await runEvidenceCli(['verify', 'inc-1'], { EVIDENCE_CONTAINER: 'Bad_Name' }, { out: () => undefined, err: (t) => (err += t) });
    expect(code).toBe(2);
    expect(err).toContain('EVIDENCE_CONTAINER: must be a container name');
    expect(err).toContain('AzureWebJobsStorage: No storage configured');
  });

  it('copies alert payloads from the intake archive by reference, redacted; a missing reference is refused', async () => {
    const r = ref('inc-prod-api-byref');
    const archive = new BlobAlertArchive(service.getContainerClient(ALERT_PAYLOADS_CONTAINER));
    const payloadRef = await archive.put('prod/2026-01-16/a1b2c3d4-fired.json', sampleAlertPayload());
    expect(payloadRef).toBe(`${ALERT_PAYLOADS_CONTAINER}/prod/2026-01-16/a1b2c3d4-fired.json`);
    const out = await activities.writeArtifacts(
      input(r, [
        { kind: 'alert-payload', key: '001-fired', content: { dedupeKey: 'a1b2|Fired', receivedAt: '2026-01-16T09:03:04Z', ref: payloadRef } },
        { kind: 'alert-payload', key: '002-gone', content: { dedupeKey: 'zz|Fired', receivedAt: '2026-01-16T09:05:00Z', ref: `${ALERT_PAYLOADS_CONTAINER}/prod/missing.json` } },
        { kind: 'alert-payload', key: '003-elsewhere', content: { dedupeKey: 'yy|Fired', receivedAt: '2026-01-16T09:06:00Z', ref: `${CONTAINER}/Prod/2026/01/inc-prod-api-full/timeline.json` } },
      ]),
    );
    expect(out.outcomes.map((o) => [o.name, o.result, o.result === 'refused' ? o.reason : o.result === 'written' ? o.redactions : null])).toEqual([
      ['alerts/001-fired.json', 'written', 2],
      ['alerts/002-gone.json', 'refused', 'payload-missing'],
      ['alerts/003-elsewhere.json', 'refused', 'invalid'],
    ]);
    const stored = JSON.parse((await container.getBlobClient(`${packPrefix(r)}alerts/001-fired.json`).downloadToBuffer()).toString('utf8')) as { ref: string; payload: { data: { essentials: { alertRule: string } } } };
    expect(stored.ref).toBe(payloadRef);
    expect(stored.payload.data.essentials.alertRule).toBe('prod-api-http5xx-rate');
    expect(JSON.stringify(stored)).not.toContain(SAMPLE_FUNCTION_KEY);
  });
});
