/**
 * The LKG and freeze endpoints when their storage is unreachable: the app is pointed at a closed
 * port (RELEASE_STORAGE) and must answer 503 with the envelope and Retry-After, promptly, never 500.
 * Bad input is still 400 (validated before storage is touched).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { azuriteConnectionString } from '../../src/adapters/storage.js';
import { freePort } from '../../src/devhost/index.js';
import { useProductHost } from '../harness/product-host.js';


const product = useProductHost(async () => {
  const closed = await freePort();
  return { env: { POLICY_PATH: '', RELEASE_STORAGE: azuriteConnectionString({ blob: closed, queue: closed, table: closed }) } };
});
afterAll(() => {
  delete process.env.RELEASE_STORAGE;
});

const body = {
  env: 'Prod',
  service: 'api',
  releaseTag: 'r41',
  buildId: 'b41',
  evidenceUrl: 'https://evidence.example/r41/',
  recordedBy: { id: 'pipeline:api' },
};

describe('release registry with its storage down', () => {
  it.each([
    ['GET', '/api/lkg/Prod/api', undefined],
    ['POST', '/api/lkg', body],
    ['GET', '/api/freeze/Prod', undefined],
    ['POST', '/api/freeze/Prod', { action: 'freeze', reason: 'rollback', actor: { id: 'sre' } }],
  ])('%s %s answers 503 storage_unavailable with Retry-After', async (method, path, payload) => {
    const res = await product.h.json<{ error: { code: string; message: string } }>(path, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(payload ? { body: JSON.stringify(payload) } : {}),
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(res.body.error.code).toBe('storage_unavailable');
    expect(res.body.error.message).toMatch(/storage is unavailable/);
  });

  it('still answers 400 for bad input', async () => {
    const res = await product.h.json('/api/lkg', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(400);
  });
});
