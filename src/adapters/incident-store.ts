/**
 * IncidentStore in Azure Table storage (one table, partitions by purpose):
 *   PartitionKey "d:<hash>"        RowKey ""             alert delivery (dedupe) records
 *   PartitionKey "c"               RowKey "<env>|<svc>"  correlation: sequence + open incident (etag CAS)
 *   PartitionKey "<incidentId>"    RowKey "summary"      the summary the API lists (with a
 *                                                        `reminderAt` column while a postmortem
 *                                                        reminder is pending, for the sweep)
 *   PartitionKey "<incidentId>"    RowKey "t<seq>"       timeline entries
 *   PartitionKey "<incidentId>"    RowKey "f<seq>"       follow-ups (action items, ticket, postmortem done)
 * Concurrency is handled by the service: insert-if-absent (409) and If-Match (412).
 */
import type { TableClient, TableEntity } from '@azure/data-tables';
import { FollowUpEvent } from '../domain/follow-up.js';
import { IncidentSummary, TimelineEntry } from '../domain/incident.js';
import { reminderCheckAt } from '../domain/postmortem-reminder.js';
import type { DeliveryRecord, IncidentStore, SummaryQuery } from '../ports/incident-store.js';
import { odataFilter } from './odata.js';
import { restStatus } from './storage.js';
import { tableKey } from './table-ledger.js';

const SUMMARY = 'summary';
const CORRELATION = 'c';

const corrKey = (environment: string, service: string): string => tableKey(`${environment}|${service}`.toLowerCase());

/** Delivered alerts remembered in memory: a delivered record never changes, so it is safe to cache. */
const DELIVERED_CACHE = 20_000;

export interface TableIncidentStoreOptions {
  /** Rows per page when listing summaries (Table storage serves at most 1000). */
  pageSize?: number;
}

interface ListedRow {
  declaredAt: string;
  incidentId: string;
  doc: string;
}

/** Newest first; the same instant in incident id order, so pages of equal times are stable. */
const newerFirst = (a: ListedRow, b: ListedRow): number =>
  a.declaredAt > b.declaredAt ? -1 : a.declaredAt < b.declaredAt ? 1 : a.incidentId < b.incidentId ? -1 : a.incidentId > b.incidentId ? 1 : 0;

/** Inserts `row` into `kept` (sorted by newerFirst) when it is among the newest `limit`. */
function keepNewest(kept: ListedRow[], row: ListedRow, limit: number): void {
  const last = kept[kept.length - 1];
  if (kept.length >= limit && last && newerFirst(row, last) >= 0) return;
  let lo = 0;
  let hi = kept.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (newerFirst(kept[mid] as ListedRow, row) <= 0) lo = mid + 1;
    else hi = mid;
  }
  kept.splice(lo, 0, row);
  if (kept.length > limit) kept.pop();
}

export class TableIncidentStore implements IncidentStore {
  private ready: Promise<void> | undefined;
  // Alert storms are mostly redeliveries of a few alerts: answer those without a storage round trip.
  private readonly delivered = new Map<string, DeliveryRecord>();

  private readonly pageSize: number;

  constructor(
    private readonly table: TableClient,
    options: TableIncidentStoreOptions = {},
  ) {
    this.pageSize = options.pageSize ?? 1000;
  }

  private init(): Promise<void> {
    this.ready ??= this.table.createTable().catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }

  async claimDelivery(key: string, at: string): Promise<{ fresh: true } | { fresh: false; existing: DeliveryRecord }> {
    const cached = this.delivered.get(key);
    if (cached) return { fresh: false, existing: cached };
    await this.init();
    const pk = `d:${key}`;
    try {
      await this.table.createEntity({ partitionKey: pk, rowKey: '', state: 'pending', at });
      return { fresh: true };
    } catch (err) {
      if (restStatus(err) !== 409) throw err;
    }
    const row = await this.table.getEntity<Record<string, unknown>>(pk, '');
    return {
      fresh: false,
      existing: {
        state: row.state === 'delivered' ? 'delivered' : 'pending',
        incidentId: typeof row.incidentId === 'string' ? row.incidentId : null,
        outcome: typeof row.outcome === 'string' ? row.outcome : null,
        at: String(row.at),
      },
    };
  }

  async releaseDelivery(key: string): Promise<void> {
    await this.init();
    const pk = `d:${key}`;
    try {
      const row = await this.table.getEntity<Record<string, unknown>>(pk, '');
      // Only a pending claim: a delivery that did go through keeps its record.
      if (row.state !== 'pending') return;
      await this.table.deleteEntity(pk, '', { etag: row.etag });
    } catch (err) {
      // Gone already, or changed meanwhile (another delivery finished it): nothing to give up.
      if (restStatus(err) === 404 || restStatus(err) === 412) return;
      throw err;
    }
  }

  async markDelivered(key: string, incidentId: string | null, outcome: string, at: string): Promise<void> {
    await this.init();
    const entity: Record<string, unknown> = { partitionKey: `d:${key}`, rowKey: '', state: 'delivered', outcome, at };
    if (incidentId) entity.incidentId = incidentId;
    await this.table.upsertEntity(entity as TableEntity, 'Replace');
    if (this.delivered.size >= DELIVERED_CACHE) this.delivered.delete(this.delivered.keys().next().value as string);
    this.delivered.set(key, { state: 'delivered', incidentId, outcome, at });
  }

  async openIncident(environment: string, service: string, makeId: (sequence: number) => string, at: string): Promise<{ incidentId: string; opened: boolean }> {
    await this.init();
    const rk = corrKey(environment, service);
    for (let attempt = 0; attempt < 20; attempt++) {
      let row: (Record<string, unknown> & { etag?: string }) | undefined;
      try {
        row = await this.table.getEntity<Record<string, unknown>>(CORRELATION, rk);
      } catch (err) {
        if (restStatus(err) !== 404) throw err;
      }
      if (!row) {
        const incidentId = makeId(1);
        try {
          await this.table.createEntity({ partitionKey: CORRELATION, rowKey: rk, sequence: 1, open: incidentId, openedAt: at });
          return { incidentId, opened: true };
        } catch (err) {
          if (restStatus(err) !== 409) throw err;
          continue; // someone else opened it first
        }
      }
      if (typeof row.open === 'string' && row.open !== '') return { incidentId: row.open, opened: false };
      const sequence = Number(row.sequence ?? 0) + 1;
      const incidentId = makeId(sequence);
      try {
        await this.table.updateEntity({ partitionKey: CORRELATION, rowKey: rk, sequence, open: incidentId, openedAt: at }, 'Replace', { etag: row.etag ?? '*' });
        return { incidentId, opened: true };
      } catch (err) {
        if (restStatus(err) !== 412) throw err;
      }
    }
    throw new Error(`Could not open an incident for ${service}@${environment}: too much contention.`);
  }

  async findOpen(environment: string, service: string): Promise<string | undefined> {
    await this.init();
    try {
      const row = await this.table.getEntity<Record<string, unknown>>(CORRELATION, corrKey(environment, service));
      return typeof row.open === 'string' && row.open !== '' ? row.open : undefined;
    } catch (err) {
      if (restStatus(err) === 404) return undefined;
      throw err;
    }
  }

  async closeIncident(environment: string, service: string, incidentId: string): Promise<void> {
    await this.init();
    const rk = corrKey(environment, service);
    for (let attempt = 0; attempt < 20; attempt++) {
      let row: Record<string, unknown> & { etag?: string };
      try {
        row = await this.table.getEntity<Record<string, unknown>>(CORRELATION, rk);
      } catch (err) {
        if (restStatus(err) === 404) return;
        throw err;
      }
      if (row.open !== incidentId) return;
      try {
        await this.table.updateEntity({ partitionKey: CORRELATION, rowKey: rk, sequence: row.sequence, open: '', closedAt: new Date().toISOString() }, 'Replace', {
          etag: row.etag ?? '*',
        });
        return;
      } catch (err) {
        if (restStatus(err) !== 412) throw err;
      }
    }
  }

  private static summaryEntity(s: IncidentSummary): TableEntity {
    const entity: TableEntity = {
      partitionKey: tableKey(s.incidentId),
      rowKey: SUMMARY,
      doc: JSON.stringify(s),
      environment: s.environment.toLowerCase(),
      service: s.service.toLowerCase(),
      status: s.status,
      // Always UTC ISO with milliseconds: the list filters compare it as text with `from` / `to`.
      declaredAt: new Date(s.declaredAt).toISOString(),
    };
    // Only rows with a pending reminder carry the column, so the sweep's query skips the rest.
    const reminderAt = reminderCheckAt(s);
    if (reminderAt !== null) entity.reminderAt = reminderAt;
    return entity;
  }

  async createSummary(summary: IncidentSummary): Promise<void> {
    await this.init();
    try {
      await this.table.createEntity(TableIncidentStore.summaryEntity(summary));
    } catch (err) {
      if (restStatus(err) !== 409) throw err;
    }
  }

  async putSummary(summary: IncidentSummary): Promise<void> {
    await this.init();
    await this.table.upsertEntity(TableIncidentStore.summaryEntity(summary), 'Replace');
  }

  async getSummary(incidentId: string): Promise<IncidentSummary | undefined> {
    await this.init();
    try {
      const row = await this.table.getEntity<{ doc: string }>(tableKey(incidentId), SUMMARY);
      return IncidentSummary.parse(JSON.parse(row.doc));
    } catch (err) {
      if (restStatus(err) === 404) return undefined;
      throw err;
    }
  }

  async updateSummary(incidentId: string, change: (current: IncidentSummary) => IncidentSummary | undefined): Promise<IncidentSummary | undefined> {
    await this.init();
    for (let attempt = 0; attempt < 20; attempt++) {
      let row: { doc: string; etag?: string };
      try {
        row = await this.table.getEntity<{ doc: string }>(tableKey(incidentId), SUMMARY);
      } catch (err) {
        if (restStatus(err) === 404) return undefined;
        throw err;
      }
      const next = change(IncidentSummary.parse(JSON.parse(row.doc)));
      if (!next) return undefined;
      if (next.incidentId !== incidentId) throw new Error(`updateSummary(${incidentId}) was given the summary of ${next.incidentId}.`);
      try {
        await this.table.updateEntity(TableIncidentStore.summaryEntity(next), 'Replace', { etag: row.etag ?? '*' });
        return next;
      } catch (err) {
        if (restStatus(err) !== 412) throw err;
      }
    }
    throw new Error(`Could not update the summary of ${incidentId}: too much contention.`);
  }

  async listRemindersDue(at: string, limit: number): Promise<IncidentSummary[]> {
    await this.init();
    const filter = odataFilter([
      ['RowKey', 'eq', SUMMARY],
      ['status', 'eq', 'resolved'],
      ['reminderAt', 'le', at],
    ]);
    const out: IncidentSummary[] = [];
    for await (const row of this.table.listEntities<{ doc: string }>({ queryOptions: { filter } })) {
      out.push(IncidentSummary.parse(JSON.parse(row.doc)));
      if (out.length >= limit) break;
    }
    return out;
  }

  async listSummaries(query: SummaryQuery): Promise<IncidentSummary[]> {
    await this.init();
    const clauses: Parameters<typeof odataFilter>[0] = [['RowKey', 'eq', SUMMARY]];
    if (query.environment) clauses.push(['environment', 'eq', query.environment.toLowerCase()]);
    if (query.service) clauses.push(['service', 'eq', query.service.toLowerCase()]);
    if (query.status) clauses.push(['status', 'eq', query.status]);
    if (query.from) clauses.push(['declaredAt', 'ge', query.from]);
    if (query.to) clauses.push(['declaredAt', 'le', query.to]);
    // Table storage answers in key order, not time order: every matching page is read and only the
    // newest `limit` rows are kept, so the newest are never missed and memory is bounded by the limit.
    const kept: ListedRow[] = [];
    const pages = this.table
      .listEntities<{ doc: string; declaredAt: string }>({ queryOptions: { filter: odataFilter(clauses), select: ['PartitionKey', 'declaredAt', 'doc'] } })
      .byPage({ maxPageSize: this.pageSize });
    for await (const page of pages) {
      for (const row of page) keepNewest(kept, { declaredAt: String(row.declaredAt), incidentId: String(row.partitionKey), doc: row.doc }, query.limit);
    }
    return kept.map((r) => IncidentSummary.parse(JSON.parse(r.doc)));
  }

  async appendTimeline(incidentId: string, entries: TimelineEntry[]): Promise<void> {
    await this.init();
    for (let i = 0; i < entries.length; i += 100) {
      const batch = entries.slice(i, i + 100).map(
        (e) => ['upsert', { partitionKey: tableKey(incidentId), rowKey: `t${String(e.seq).padStart(8, '0')}`, doc: JSON.stringify(e) }, 'Replace'] as const,
      );
      // Upserts keyed by sequence number: appending the same entries again is harmless.
      await this.table.submitTransaction(batch.map((b) => [b[0], b[1], b[2]]));
    }
  }

  async appendFollowUp(incidentId: string, event: FollowUpEvent): Promise<boolean> {
    await this.init();
    try {
      await this.table.createEntity({ partitionKey: tableKey(incidentId), rowKey: `f${String(event.seq).padStart(8, '0')}`, doc: JSON.stringify(event) });
      return true;
    } catch (err) {
      if (restStatus(err) === 409) return false;
      throw err;
    }
  }

  async getFollowUps(incidentId: string): Promise<FollowUpEvent[]> {
    await this.init();
    const out: FollowUpEvent[] = [];
    const filter = odataFilter([
      ['PartitionKey', 'eq', tableKey(incidentId)],
      ['RowKey', 'ge', 'f'],
      ['RowKey', 'lt', 'g'],
    ]);
    for await (const row of this.table.listEntities<{ doc: string }>({ queryOptions: { filter } })) out.push(FollowUpEvent.parse(JSON.parse(row.doc)));
    return out.sort((a, b) => a.seq - b.seq);
  }

  async getTimeline(incidentId: string): Promise<TimelineEntry[]> {
    await this.init();
    const out: TimelineEntry[] = [];
    const filter = odataFilter([
      ['PartitionKey', 'eq', tableKey(incidentId)],
      ['RowKey', 'ge', 't'],
      ['RowKey', 'lt', 'u'],
    ]);
    for await (const row of this.table.listEntities<{ doc: string }>({ queryOptions: { filter } })) out.push(TimelineEntry.parse(JSON.parse(row.doc)));
    return out;
  }
}
