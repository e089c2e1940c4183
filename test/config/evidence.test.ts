/** Evidence settings: defaults, a separate evidence account, every problem at once, no value echoed. */
import { describe, expect, it } from 'vitest';
import { azuriteConnectionString } from '../../src/adapters/storage.js';
import { readEvidenceSettings } from '../../src/config/evidence.js';

describe('readEvidenceSettings', () => {
  it('defaults to container incident-evidence on the app storage account', () => {
    const r = readEvidenceSettings({ AzureWebJobsStorage: 'UseDevelopmentStorage=true', EVIDENCE_CONTAINER: '  ' });
    expect(r).toMatchObject({ ok: true, settings: { container: 'incident-evidence', storageSetting: 'AzureWebJobsStorage', storage: { kind: 'connectionString' } } });
  });

  it('uses EVIDENCE_STORAGE (connection string or managed identity) when set', () => {
    const conn = readEvidenceSettings({ AzureWebJobsStorage: 'UseDevelopmentStorage=true', EVIDENCE_STORAGE: azuriteConnectionString({ blob: 1234 }) });
    expect(conn).toMatchObject({ ok: true, settings: { storageSetting: 'EVIDENCE_STORAGE', storage: { blobEndpoint: 'http://127.0.0.1:1234/devstoreaccount1' } } });
    const mi = readEvidenceSettings({ EVIDENCE_STORAGE__accountName: 'stevidenceprod', EVIDENCE_STORAGE__clientId: '11111111-2222-3333-4444-555555555555', EVIDENCE_CONTAINER: 'incident-evidence-2' });
    expect(mi).toMatchObject({
      ok: true,
      settings: { container: 'incident-evidence-2', storageSetting: 'EVIDENCE_STORAGE', storage: { kind: 'identity', blobEndpoint: 'https://stevidenceprod.blob.core.windows.net', clientId: '11111111-2222-3333-4444-555555555555' } },
    });
  });

  it('lists every problem at once and never echoes a value', () => {
    const secret = 'DefaultEndpointsProtocol=https;AccountKey=c2VjcmV0;';
    const r = readEvidenceSettings({ EVIDENCE_CONTAINER: 'Evidence--Bad', EVIDENCE_STORAGE: secret });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => i.path)).toEqual(['EVIDENCE_CONTAINER', 'EVIDENCE_STORAGE']);
    expect(JSON.stringify(r.issues)).not.toContain('c2VjcmV0');
    expect(JSON.stringify(r.issues)).not.toContain('Evidence--Bad');
  });
});
