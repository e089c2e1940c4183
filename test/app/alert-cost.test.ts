/**
 * What one further alert costs its incident's orchestration, pinned by structure (history events,
 * not time): an alert raised into a waiting incident is received in the episode that the event
 * starts, recorded with one recordProgress, and the incident waits again in the episode that
 * activity's completion starts. Two episodes and one progress call per alert raised (the loop used
 * to go round once more before taking the event: three episodes and two calls). The product app on
 * the dev host (its manual clock), Azurite.
 */
import { describe, expect, it } from 'vitest';
import { recordProgress } from '../../src/activities/incident.contracts.js';
import { EventType, type HistoryEvent } from '../../src/devhost/index.js';
import { alertFixture, postAlert, withAlertId } from '../harness/alerts.js';
import { useProductHost } from '../harness/product-host.js';

const product = useProductHost({}, 120_000);

const history = async (id: string): Promise<HistoryEvent[]> => (await (await product.h.host.engine.getState(id))?.history()) ?? [];
const named = (events: HistoryEvent[], type: EventType, name?: string): number => events.filter((e) => e.EventType === type && (name === undefined || e.Name === name)).length;
const shown = (events: HistoryEvent[]): string => events.map((e) => `${EventType[e.EventType]}${e.Name ? `:${e.Name}` : ''}`).join(', ');

describe('an alert raised into a waiting incident', () => {
  it('costs two episodes and one recordProgress', async () => {
    const template = alertFixture('metric-5xx-fired.json');
    const first = await postAlert(product.h, withAlertId(template, 'cost-0'));
    expect(first.body.kind).toBe('declared');
    const id = first.body.incidentId as string;
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
});
