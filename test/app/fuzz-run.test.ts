/**
 * `npm run fuzz` in small, against the dev host: a few hundred generated payloads (test/fuzz:
 * mutations of the real samples, structural attacks, odd but valid alerts) get no 5xx; every
 * payload that can never be processed gets a 4xx and starts nothing; every alert in the common
 * schema gets a 2xx; the only incidents that appear are those valid alerts declared.
 */
import { describe, expect, it } from 'vitest';
import { failed, printReport, runFuzz } from '../fuzz/run.js';
import { useProductHost } from '../harness/product-host.js';


const product = useProductHost({ logLevel: 'warning' });

describe('npm run fuzz (in small)', () => {
  it('answers every payload as it must, with no 5xx and no incident from an invalid payload', async () => {
    const report = await runFuzz({ n: 300, seed: 20261214, url: product.h.baseUrl, concurrency: 4, route: 'admin-api@Beta', idPool: 10 });
    const lines: string[] = [];
    printReport(report, (l) => lines.push(l));
    expect(failed(report), lines.join('\n')).toBe(false);
    expect(report.serverErrors).toEqual([]);
    // Both halves of the mix were exercised, and valid alerts did open incidents.
    expect(Object.keys(report.byKind).some((k) => k.startsWith('refused: payload_too_deep'))).toBe(true);
    expect(Object.keys(report.byKind).some((k) => k.startsWith('accepted: declared'))).toBe(true);
    expect(report.declared.length).toBeGreaterThan(0);
  }, 240_000);
});
