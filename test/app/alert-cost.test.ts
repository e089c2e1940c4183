/**
 * What one further alert costs its incident's orchestration, pinned by structure (history events,
 * not time): an alert raised into a waiting incident is received in the episode that the event
 * starts, recorded with one recordProgress, and the incident waits again in the episode that
 * activity's completion starts. Two episodes and one progress call per alert raised (the loop used
 * to go round once more before taking the event: three episodes and two calls). An alert that
 * changes nothing, coming right after it, is folded (kept with the incident without waking it) and
 * reaches the record by the sweep FOLD_SWEEP_MS later, with no other alert or event to wake the
 * incident; a sweep that finds nothing arms no other. The product app on the dev host (its manual
 * clock: time moves only when the test moves it), Azurite.
 */
import { describe, expect, it } from 'vitest';
import { recordProgress } from '../../src/activities/incident.contracts.js';
import { TableIncidentStore } from '../../src/adapters/incident-store.js';
import { createTableClient, storageTarget } from '../../src/adapters/storage.js';
import { INCIDENTS_TABLE } from '../../src/app/stores.js';
import { FOLD_SWEEP_MS } from '../../src/domain/incident-events.js';
import { EventType, type HistoryEvent } from '../../src/devhost/index.js';
import { alertFixture, postAlert, withAlertId } from '../harness/alerts.js';
import { useProductHost } from '../harness/product-host.js';

const product = useProductHost({}, 120_000);

const history = async (id: string): Promise<HistoryEvent[]> => (await (await product.h.host.engine.getState(id))?.history()) ?? [];
const named = (events: HistoryEvent[], type: EventType, name?: string): number => events.filter((e) => e.EventType === type && (name === undefined || e.Name === name)).length;
const shown = (events: HistoryEvent[]): string => events.map((e) => `${EventType[e.EventType]}${e.Name ? `:${e.Name}` : ''}`).join(', ');

const template = alertFixture('metric-5xx-fired.json');
let id = '';

describe('an alert raised into a waiting incident', () => {
  it('costs two episodes and one recordProgress', async () => {
    const first = await postAlert(product.h, withAlertId(template, 'cost-0'));
    expect(first.body.kind).toBe('declared');
    id = first.body.incidentId as string;
    await product.h.settle();
    const before = (await history(id)).length;

    const next = await postAlert(product.h, withAlertId(template, 'cost-1'));
    expect(next.body.kind).toBe('correlated');
    expect(next.body.reasons?.some((r) => r.startsWith('folded:'))).toBe(false);
    await product.h.settle();

    const added = (await history(id)).slice(before);
    const types = shown(added);
    expect(named(added, EventType.EventRaised, 'alert'), types).toBe(1);
    expect(named(added, EventType.OrchestratorStarted), types).toBe(2);
    expect(named(added, EventType.TaskScheduled, recordProgress.name), types).toBe(1);
    const incident = await product.h.json<{ summary: { alerts: number } }>(`/api/incidents/${id}`);
    expect(incident.body.summary.alerts).toBe(2);
  }, 120_000);

  it('is followed by a folded alert that reaches the record by the sweep, without another alert', async () => {
    // Right after the alert this app instance raised (the manual clock has not moved): folded.
    const trailing = await postAlert(product.h, withAlertId(template, 'cost-2'));
    expect(trailing.body.kind).toBe('correlated');
    expect(trailing.body.reasons?.some((r) => r.startsWith('folded:'))).toBe(true);
    await product.h.settle();
    const alerts = async (): Promise<number> => (await product.h.json<{ summary: { alerts: number } }>(`/api/incidents/${id}`)).body.summary.alerts;
    expect(await alerts()).toBe(2);
    const store = new TableIncidentStore(createTableClient(storageTarget({ AzureWebJobsStorage: product.azurite.connectionString }), INCIDENTS_TABLE));
    expect(await store.takeFolded(id, [], 10)).toHaveLength(1);

    // The sweep armed when the incident took the raised alert takes it: nothing else happens.
    const before = (await history(id)).length;
    await product.h.advance(FOLD_SWEEP_MS);
    const swept = (await history(id)).slice(before);
    expect(named(swept, EventType.EventRaised), shown(swept)).toBe(0);
    expect(named(swept, EventType.TimerFired), shown(swept)).toBe(1);
    expect(await alerts()).toBe(3);
    expect(await store.takeFolded(id, [], 10)).toEqual([]);
    const incident = await product.h.json<{ timeline: { kind: string }[] }>(`/api/incidents/${id}`);
    expect(incident.body.timeline.filter((e) => e.kind === 'alert')).toHaveLength(2);

    // That sweep found an alert, so one more comes; it finds none and arms no other.
    await product.h.advance(FOLD_SWEEP_MS);
    const last = (await history(id)).length;
    await product.h.advance(FOLD_SWEEP_MS);
    const after = (await history(id)).slice(last);
    expect(after, shown(after)).toEqual([]);
  }, 120_000);
});
