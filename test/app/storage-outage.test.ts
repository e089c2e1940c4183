/** When storage is down the app says so with 503 (Azure Monitor then delivers the alert again). */
import { describe, expect, it } from 'vitest';
import { alertFixture, postAlert, withAlertId } from '../harness/alerts.js';
import { useProductHost } from '../harness/product-host.js';

const product = useProductHost();

describe('storage outage', () => {
  it('answers 503 with Retry-After and an envelope, never a 500', async () => {
    expect((await postAlert(product.h, withAlertId(alertFixture('metric-5xx-fired.json'), 'before'))).status).toBe(202);
    await product.h.settle();
    await product.azurite.stop();

    const alert = await postAlert(product.h, withAlertId(alertFixture('metric-5xx-fired.json'), 'during'));
    expect(alert.status).toBe(503);
    expect(alert.headers.get('retry-after')).toBe('5');
    expect(alert.body.error).toMatchObject({ code: 'storage_unavailable' });

    const list = await product.h.fetch('/api/incidents');
    expect(list.status).toBe(503);
    const health = await product.h.json<{ status: string; checks: { storage: { ok: boolean } } }>('/api/health');
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ status: 'unhealthy', checks: { storage: { ok: false } } });
  });
});
