/**
 * The incident list and the reminder sweep read an index: what they cost depends on the page asked
 * for, not on how many incidents the table holds. Requests to Azurite are counted on the wire (a
 * pipeline policy of the real Tables SDK), with 300 summaries stored.
 */
import { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TableIncidentStore } from '../../src/adapters/incident-store.js';
import type { AzuriteInstance } from '../../src/devhost/index.js';
import type { IncidentSummary } from '../../src/domain/incident.js';
import { startTestAzurite, uniqueHubName } from '../harness/devhost.js';
import { openSummary } from '../harness/summaries.js';

let azurite: AzuriteInstance;
beforeAll(async () => {
  azurite = await startTestAzurite();
});
afterAll(async () => {
  await azurite?.stop();
});

const T0 = Date.UTC(2026, 0, 1);

function summary(i: number, over: Partial<IncidentSummary> = {}): IncidentSummary {
  const at = new Date(T0 + i * 60_000).toISOString();
  return openSummary(`inc-${String(i).padStart(4, '0')}`, at, { service: i % 3 ? 'admin-api' : 'admin-web', summary: `incident ${i}`, ...over });
}

/** A store whose table client counts the requests it sends, by kind. */
function countingStore(table: string): { store: TableIncidentStore; requests: { method: string; query: boolean }[] } {
  const requests: { method: string; query: boolean }[] = [];
  const client = TableClient.fromConnectionString(azurite.connectionString, table, {
    allowInsecureConnection: true,
    additionalPolicies: [
      {
        position: 'perCall',
        policy: {
          name: 'count-requests',
          sendRequest: (req, next) => {
            // A query of many rows is a GET of "Table()" with a filter; a point read names its keys.
            requests.push({ method: req.method, query: req.method === 'GET' && new URL(req.url).pathname.endsWith('()') });
            return next(req);
          },
        },
      },
    ],
  });
  return { store: new TableIncidentStore(client), requests };
}

describe('the incident list reads one page of the index', () => {
  const table = uniqueHubName('IncidentIndex');
  const total = 300;
  let store: TableIncidentStore;
  let requests: { method: string; query: boolean }[];

  beforeAll(async () => {
    ({ store, requests } = countingStore(table));
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < total) {
          const i = next++;
          await store.createSummary(summary(i, i % 10 === 0 ? { status: 'resolved' } : {}));
        }
      }),
    );
    await store.listSummaries({ limit: 1 }); // the one-time check for older rows to index
  }, 120_000);

  it('the newest 20: one index query and 20 point reads, whatever the total', async () => {
    requests.length = 0;
    const page = await store.listSummaries({ limit: 20 });
    expect(page.map((s) => s.incidentId)).toEqual(Array.from({ length: 20 }, (_, k) => `inc-${String(total - 1 - k).padStart(4, '0')}`));
    expect(requests.filter((r) => r.query)).toHaveLength(1);
    expect(requests.filter((r) => !r.query && r.method === 'GET')).toHaveLength(20);
    expect(requests).toHaveLength(21);
  });

  it('by environment and service, and the open ones: one page each', async () => {
    requests.length = 0;
    const web = await store.listSummaries({ environment: 'prod', service: 'ADMIN-WEB', limit: 5 });
    expect(web.map((s) => s.incidentId)).toEqual(['inc-0297', 'inc-0294', 'inc-0291', 'inc-0288', 'inc-0285']);
    expect(requests.filter((r) => r.query)).toHaveLength(1);

    requests.length = 0;
    const open = await store.listSummaries({ status: 'open', limit: 10 });
    expect(open.every((s) => s.status === 'open')).toBe(true);
    expect(open[0]?.incidentId).toBe('inc-0299');
    expect(requests.filter((r) => r.query)).toHaveLength(1);
  });

  it('an incident resolved since it was indexed as open leaves the open index', async () => {
    const newest = summary(total - 1);
    await store.putSummary({ ...newest, status: 'resolved', resolvedAt: newest.declaredAt });
    const open = await store.listSummaries({ status: 'open', limit: 3 });
    expect(open.map((s) => s.incidentId)).toEqual(['inc-0298', 'inc-0297', 'inc-0296']);
  });

  it('summaries written before the index existed are indexed once, on first use', async () => {
    const t = uniqueHubName('IncidentIndexOld');
    const old = countingStore(t);
    for (let i = 0; i < 5; i++) await old.store.createSummary(summary(i));
    // Another process with no memory of those writes: remove its index rows as an older version would have left it.
    const raw = TableClient.fromConnectionString(azurite.connectionString, t, { allowInsecureConnection: true });
    for await (const e of raw.listEntities()) if (String(e.partitionKey).startsWith('ix')) await raw.deleteEntity(e.partitionKey as string, e.rowKey as string);
    const fresh = countingStore(t).store;
    expect((await fresh.listSummaries({ limit: 10 })).map((s) => s.incidentId)).toEqual(['inc-0004', 'inc-0003', 'inc-0002', 'inc-0001', 'inc-0000']);
  });
});
