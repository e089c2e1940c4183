/**
 * The incident list against Azurite: filters, newest first across pages of its index (what one
 * list costs against the table's size: test/adapters/incident-store-index.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TableIncidentStore } from '../../src/adapters/incident-store.js';
import { createTableClient, storageTarget } from '../../src/adapters/storage.js';
import type { AzuriteInstance } from '../../src/devhost/index.js';
import type { IncidentSummary } from '../../src/domain/incident.js';
import { startTestAzurite, uniqueHubName } from '../harness/devhost.js';
import { openSummary } from '../harness/summaries.js';

let azurite: AzuriteInstance;
const table = (): ReturnType<typeof createTableClient> =>
  createTableClient(storageTarget({ AzureWebJobsStorage: azurite.connectionString }), uniqueHubName('Incidents'));

beforeAll(async () => {
  azurite = await startTestAzurite();
});
afterAll(async () => {
  await azurite?.stop();
});

const T0 = Date.UTC(2026, 0, 1);

function summary(incidentId: string, minute: number, over: Partial<IncidentSummary> = {}): IncidentSummary {
  return openSummary(incidentId, new Date(T0 + minute * 60_000).toISOString(), { summary: `incident at minute ${minute}`, ...over });
}

/** Writes with a few requests in flight (Azurite in memory takes them quickly). */
async function writeAll(store: TableIncidentStore, rows: IncidentSummary[]): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < rows.length) await store.createSummary(rows[next++] as IncidentSummary);
    }),
  );
}

describe('TableIncidentStore.listSummaries', () => {
  // Ids whose key order is the reverse of their time order, with 7 rows a page: the newest rows
  // come last, on the last pages.
  const rows = Array.from({ length: 40 }, (_, i) =>
    summary(`inc-${String(99 - i).padStart(3, '0')}`, i, {
      service: i % 2 ? 'admin-web' : 'admin-api',
      environment: i % 4 < 2 ? 'Prod' : 'Beta',
      status: i % 5 === 0 ? 'resolved' : 'open',
    }),
  );
  let store: TableIncidentStore;
  beforeAll(async () => {
    store = new TableIncidentStore(table(), { pageSize: 7 });
    await writeAll(store, rows);
  });
  const ids = (list: IncidentSummary[]): string[] => list.map((s) => s.incidentId);
  const expected = (keep: (s: IncidentSummary) => boolean, limit: number): string[] =>
    ids(rows.filter(keep).sort((a, b) => b.declaredAt.localeCompare(a.declaredAt)).slice(0, limit));

  it('returns the newest first, across every page, cut at the limit', async () => {
    expect(ids(await store.listSummaries({ limit: 5 }))).toEqual(['inc-060', 'inc-061', 'inc-062', 'inc-063', 'inc-064']);
    expect(ids(await store.listSummaries({ limit: 500 }))).toEqual(expected(() => true, 500));
  });

  it('filters by environment, service and status (case-insensitively for names)', async () => {
    expect(ids(await store.listSummaries({ environment: 'beta', limit: 50 }))).toEqual(expected((s) => s.environment === 'Beta', 50));
    expect(ids(await store.listSummaries({ service: 'ADMIN-WEB', status: 'open', limit: 3 }))).toEqual(expected((s) => s.service === 'admin-web' && s.status === 'open', 3));
    expect(ids(await store.listSummaries({ status: 'resolved', limit: 50 }))).toEqual(expected((s) => s.status === 'resolved', 50));
    expect(await store.listSummaries({ service: 'nothing', limit: 50 })).toEqual([]);
  });

  it('filters by time, from and to inclusive', async () => {
    const from = new Date(T0 + 10 * 60_000).toISOString();
    const to = new Date(T0 + 20 * 60_000).toISOString();
    const inWindow = (s: IncidentSummary): boolean => s.declaredAt >= from && s.declaredAt <= to;
    const listed = await store.listSummaries({ from, to, limit: 50 });
    expect(ids(listed)).toEqual(expected(inWindow, 50));
    expect(listed).toHaveLength(11);
    expect(ids(await store.listSummaries({ from, to, environment: 'Prod', service: 'admin-api', limit: 50 }))).toEqual(
      expected((s) => inWindow(s) && s.environment === 'Prod' && s.service === 'admin-api', 50),
    );
  });
});
