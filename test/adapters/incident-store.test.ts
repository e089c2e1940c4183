/** The incident store's summary updates (optimistic concurrency), the reminder query and the correlation of alerts to the open incident, against Azurite. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TableIncidentStore } from '../../src/adapters/incident-store.js';
import { createTableClient, storageTarget } from '../../src/adapters/storage.js';
import type { AzuriteInstance } from '../../src/devhost/index.js';
import type { IncidentSummary } from '../../src/domain/incident.js';
import { claimReminder, recordReminder } from '../../src/domain/postmortem-reminder.js';
import { startTestAzurite, uniqueHubName } from '../harness/devhost.js';
import { RESOLVED_DUE, resolvedSummary } from '../harness/summaries.js';

let azurite: AzuriteInstance;
let store: TableIncidentStore;
const tableName = uniqueHubName('Incidents');

beforeAll(async () => {
  azurite = await startTestAzurite();
  store = new TableIncidentStore(createTableClient(storageTarget({ AzureWebJobsStorage: azurite.connectionString }), tableName));
});
afterAll(async () => {
  await azurite?.stop();
});

const DUE = RESOLVED_DUE;

const summary = (incidentId: string, over: Partial<IncidentSummary> = {}): IncidentSummary => resolvedSummary(incidentId, over);

describe('TableIncidentStore', () => {
  it('lists only resolved real incidents whose reminder is due by then (a sent one again the next business day, until the postmortem is done)', async () => {
    const sent = recordReminder(claimReminder(summary('inc-sent'), Date.parse(DUE)) as IncidentSummary, { kind: 'sent', messageId: 'm', summary: 'ok' }, Date.parse(DUE));
    const done = recordReminder(claimReminder(summary('inc-done'), Date.parse(DUE)) as IncidentSummary, { kind: 'sent', messageId: 'm', summary: 'ok' }, Date.parse(DUE));
    if (done.postmortem) done.postmortem.doneAt = DUE;
    for (const s of [
      summary('inc-due'),
      summary('inc-later', { postmortem: { dueAt: '2026-11-30T10:00:00.000Z', dueBusinessDays: 3, reminder: null, doneAt: null } }),
      summary('inc-open', { status: 'open', resolvedAt: null, postmortem: null }),
      summary('inc-drill', { drill: true }),
      summary('inc-none', { postmortem: null }),
      sent,
      done,
    ]) {
      await store.putSummary(s);
    }
    const ids = async (at: string) => (await store.listRemindersDue(at, 50)).map((s) => s.incidentId).sort();
    expect(await ids('2026-11-24T23:59:59.999Z')).toEqual([]);
    expect(await ids('2026-11-25T00:00:00.000Z')).toEqual(['inc-due']);
    expect(await ids('2026-12-31T00:00:00.000Z')).toEqual(['inc-due', 'inc-later', 'inc-sent']);
    expect(await store.listRemindersDue('2026-12-31T00:00:00.000Z', 1)).toHaveLength(1);
  });

  it('updates a summary so that of concurrent claims exactly one wins, and the row leaves the query once claimed', async () => {
    await store.putSummary(summary('inc-race'));
    const at = Date.parse('2026-11-25T00:15:00Z');
    const results = await Promise.all(Array.from({ length: 8 }, () => store.updateSummary('inc-race', (s) => claimReminder(s, at))));
    expect(results.filter((r) => r !== undefined)).toHaveLength(1);
    expect((await store.getSummary('inc-race'))?.postmortem?.reminder).toMatchObject({ state: 'sending', attempts: 1 });
    // Claimed: back in the query only when the claim's lease has run out (a sweep that died).
    const due = async (iso: string) => (await store.listRemindersDue(iso, 50)).map((s) => s.incidentId);
    expect(await due('2026-11-25T00:20:00.000Z')).not.toContain('inc-race');
    expect(await due('2026-11-25T00:25:00.000Z')).toContain('inc-race');
    expect(await store.updateSummary('inc-missing', (s) => s)).toBeUndefined();
    expect(await store.updateSummary('inc-race', () => undefined)).toBeUndefined();
  });
});

describe('TableIncidentStore correlation', () => {
  const id = (env: string, svc: string) => (n: number) => `inc-${env}-${svc}-${n}`;

  it('opens an incident for a service whose open incident was just found missing, and opens the next one after it is closed', async () => {
    expect(await store.findOpen('Prod', 'corr-a')).toBeUndefined();
    expect(await store.openIncident('Prod', 'corr-a', id('prod', 'a'), DUE)).toEqual({ incidentId: 'inc-prod-a-1', opened: true });
    expect(await store.findOpen('Prod', 'corr-a')).toBe('inc-prod-a-1');
    await store.closeIncident('Prod', 'corr-a', 'inc-prod-a-1');
    expect(await store.findOpen('Prod', 'corr-a')).toBeUndefined();
    expect(await store.openIncident('Prod', 'corr-a', id('prod', 'a'), DUE)).toEqual({ incidentId: 'inc-prod-a-2', opened: true });
  });

  it('joins the incident another delivery opened after findOpen looked (what findOpen saw is stale), for a new service and after a close', async () => {
    // Two app instances on one table: the first looks, the second opens meanwhile.
    const other = new TableIncidentStore(createTableClient(storageTarget({ AzureWebJobsStorage: azurite.connectionString }), tableName));
    expect(await store.findOpen('Prod', 'corr-b')).toBeUndefined();
    expect(await other.openIncident('Prod', 'corr-b', id('prod', 'b'), DUE)).toEqual({ incidentId: 'inc-prod-b-1', opened: true });
    expect(await store.openIncident('Prod', 'corr-b', id('prod', 'b'), DUE)).toEqual({ incidentId: 'inc-prod-b-1', opened: false });

    await store.closeIncident('Prod', 'corr-b', 'inc-prod-b-1');
    expect(await store.findOpen('Prod', 'corr-b')).toBeUndefined();
    expect(await other.openIncident('Prod', 'corr-b', id('prod', 'b'), DUE)).toEqual({ incidentId: 'inc-prod-b-2', opened: true });
    expect(await store.openIncident('Prod', 'corr-b', id('prod', 'b'), DUE)).toEqual({ incidentId: 'inc-prod-b-2', opened: false });
  });
});
