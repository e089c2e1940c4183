/**
 * A long alert storm on one service: the incident takes 1,000 further alerts and its orchestration
 * history stays bounded. Within FOLD_WINDOW_MS of an alert the app instance raised into it, those
 * that change nothing now (same severity, no new trigger, not in monitoring) are kept by the intake
 * with the incident (the store's folded alerts) without waking it (a manual clock here: it does not
 * move while the storm lasts, so one alert is raised and the rest folded); the sweep the incident
 * armed when it took the raised alert takes them all FOLD_SWEEP_MS later, with no other event.
 * Evidence intact: every alert is in the incident's record (its count, its timeline, its evidence)
 * and none is left folded. The product app on the dev host, Azurite.
 */
import { describe, expect, it } from 'vitest';
import { TableIncidentStore } from '../../src/adapters/incident-store.js';
import { createTableClient, storageTarget } from '../../src/adapters/storage.js';
import { INCIDENTS_TABLE } from '../../src/app/stores.js';
import { FOLD_SWEEP_MS } from '../../src/domain/incident-events.js';
import { alertFixture, postAlert, withAlertId } from '../harness/alerts.js';
import { useProductHost } from '../harness/product-host.js';

const product = useProductHost({}, 120_000);

describe('an incident that took 1,000 alerts', () => {
  it('keeps a bounded history, and every alert in its record', async () => {
    const template = alertFixture('metric-5xx-fired.json');
    const first = await postAlert(product.h, withAlertId(template, 'storm-0'));
    expect(first.body.kind).toBe('declared');
    const id = first.body.incidentId as string;
    await product.h.settle();

    const total = 1000;
    const kinds = new Map<string, number>();
    let next = 1;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next <= total) {
          const answer = await postAlert(product.h, withAlertId(template, `storm-${next++}`));
          expect(answer.status).toBe(202);
          expect(answer.body.incidentId).toBe(id);
          const folded = answer.body.reasons?.some((r) => r.startsWith('folded:')) ? 'folded' : String(answer.body.kind);
          kinds.set(folded, (kinds.get(folded) ?? 0) + 1);
        }
      }),
    );
    await product.h.settle();
    // The first was raised into the incident (it woke it); every later one was folded.
    expect(kinds.get('folded')).toBe(total - 1);

    // The sweep takes every folded alert, in batches.
    await product.h.advance(FOLD_SWEEP_MS);

    const found = await product.h.host.engine.getState(id);
    const history = (await found?.history()) ?? [];
    // Raising each alert takes 6 or more history events (6,000 for 1,000 alerts); folded, the storm costs its
    // first alert, a sweep and one recordProgress per 200 alerts.
    const byType: Record<string, number> = {};
    for (const e of history) byType[`${e.EventType}${e.Name ? `:${e.Name}` : ''}`] = (byType[`${e.EventType}${e.Name ? `:${e.Name}` : ''}`] ?? 0) + 1;
    expect(history.length, JSON.stringify(byType)).toBeLessThan(600);

    const incident = await product.h.json<{ summary: { alerts: number }; timeline: { kind: string }[] }>(`/api/incidents/${id}`);
    expect(incident.body.summary.alerts).toBe(total + 1);
    expect(incident.body.timeline.filter((e) => e.kind === 'alert')).toHaveLength(total);
    const store = new TableIncidentStore(createTableClient(storageTarget({ AzureWebJobsStorage: product.azurite.connectionString }), INCIDENTS_TABLE));
    expect(await store.takeFolded(id, [], 10)).toEqual([]);
  }, 300_000);
});
