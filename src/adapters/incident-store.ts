/**
 * IncidentStore in Azure Table storage (one table, partitions by purpose):
 *   PartitionKey "d:<hash>"        RowKey ""             alert delivery (dedupe) records
 *   PartitionKey "c"               RowKey "<env>|<svc>"  correlation: sequence + open incident (etag CAS)
 *   PartitionKey "<incidentId>"    RowKey "summary"      the summary the API lists (with a
 *                                                        `reminderAt` column while a postmortem
 *                                                        reminder is pending, for the sweep)
 *   PartitionKey "<incidentId>"    RowKey "t<seq>"       timeline entries
 *   PartitionKey "<incidentId>"    RowKey "a<key hash>"  references of the alerts its record took
 *   PartitionKey "ix"              RowKey "a|<newest-first time>|<incidentId>"   all incidents
 *                                         "e|<env>|<newest-first time>|<incidentId>"   by environment
 *                                         "s|<env>|<svc>|<newest-first time>|<incidentId>"  by service
 *                                         "o|<newest-first time>|<incidentId>"   open ones
 *                                         "r|<reminderAt>|<incidentId>"   pending postmortem reminders
 *                                                        the indexes: keys only, in the order the list
 *                                                        and the sweep want (Table storage answers in
 *                                                        key order), one partition so that an
 *                                                        incident's index rows are one batch write
 *   PartitionKey "meta"            RowKey "index-v1"     the indexes were built for older rows
 *   PartitionKey "f:<incidentId>"  RowKey "<receivedAt>|<alert hash>"
 *                                                        alerts folded by the intake, until the
 *                                                        orchestration has recorded them
 *   PartitionKey "<incidentId>"    RowKey "f<seq>"       follow-ups (action items, ticket, postmortem done)
 * The summary row is the one source of truth: an index row only says where to look. One that no
 * longer matches its summary (a reminder since sent, an incident since resolved) is skipped and
 * deleted where it is found, so the indexes need no transaction with the summary.
 * Concurrency is handled by the service: insert-if-absent (409) and If-Match (412).
 */
import { createHash } from 'node:crypto';
import type { TableClient, TableEntity } from '@azure/data-tables';
import { FollowUpEvent } from '../domain/follow-up.js';
import { AlertRecord, IncidentSummary, StoredAlertRef, TimelineEntry } from '../domain/incident.js';
import type { AlertRef } from '../domain/incident-record.js';
import { reminderCheckAt } from '../domain/postmortem-reminder.js';
import type { DeliveryRecord, IncidentStore, SummaryQuery } from '../ports/incident-store.js';
import { odataFilter } from './odata.js';
import { onFirstUse, restStatus } from './storage.js';
import { tableKey } from './table-ledger.js';
import { loadOnce } from '../domain/load-once.js';

const SUMMARY = 'summary';
const CORRELATION = 'c';

const corrKey = (environment: string, service: string): string => tableKey(`${environment}|${service}`.toLowerCase());

type CorrelationRow = Record<string, unknown> & { etag?: string };
const CORRELATION_SEEN = 1_000;

/** Delivered alerts remembered in memory: a delivered record never changes, so it is safe to cache. */
const DELIVERED_CACHE = 20_000;

export interface TableIncidentStoreOptions {
  /** Index rows per page when listing (default: the list's limit; Table storage serves at most 1000). */
  pageSize?: number;
}

/** The index partition and its key prefixes (see the header). */
const INDEX = 'ix';
const ixAll = 'a|';
const ixOpen = 'o|';
const ixEnvironment = (environment: string): string => `e|${tableKey(environment.toLowerCase()).replace(/\|/g, '%7c')}|`;
const ixService = (environment: string, service: string): string => `s|${corrKey(environment, service).replace(/\|/g, '%7c')}|`;
const ixReminder = 'r|';
const META = 'meta';
const INDEX_VERSION = 'index-v1';

/** Later times sort first: 13 digits of (max - epoch ms); the same instant in incident id order. */
const MAX_MS = 9_999_999_999_999;
const newestFirstTime = (iso: string): string => String(MAX_MS - Date.parse(iso)).padStart(13, '0');
const indexKey = (declaredAt: string, incidentId: string): string => `${newestFirstTime(declaredAt)}|${tableKey(incidentId)}`;
/** The first key after every key that starts with `prefix` ('|' is followed by '}'). */
const after = (prefix: string): string => `${prefix.slice(0, -1)}}`;
/** Index writes already made by this process, by incident: what they said (status, reminder). */
const INDEXED_CACHE = 5_000;

/**
 * The index rows a list query reads, newest first: the environment's or the service's index when
 * the query names them, the open incidents' for status=open, else all; `from` / `to` bound its
 * keys. What the index cannot say (a service without its environment, a status) is checked on the
 * summaries read, so a page of the list reads a page of the index unless those filters drop rows.
 * Exported for the scale bench, which times this same query on its own.
 */
export function summaryIndexQuery(query: Omit<SummaryQuery, 'limit'>): { prefix: string; filter: string } {
  const prefix =
    query.environment && query.service
      ? ixService(query.environment, query.service)
      : query.environment
        ? ixEnvironment(query.environment)
        : query.status === 'open'
          ? ixOpen
          : ixAll;
  const filter = odataFilter([
    ['PartitionKey', 'eq', INDEX],
    ['RowKey', 'ge', query.to ? prefix + newestFirstTime(query.to) : prefix],
    ['RowKey', 'lt', query.from ? `${prefix}${newestFirstTime(query.from)}}` : after(prefix)],
  ]);
  return { prefix, filter };
}

/** An incident's alert references as rows: one per dedupe key (a transaction may not name a row twice). */
function alertRows(alerts: readonly AlertRef[]): [string, string][] {
  return [...new Map(alerts.map((a) => [`a${createHash('sha256').update(a.dedupeKey).digest('hex').slice(0, 32)}`, JSON.stringify(a)])).entries()];
}

export class TableIncidentStore implements IncidentStore {
  // Alert storms are mostly redeliveries of a few alerts: answer those without a storage round trip.
  private readonly delivered = new Map<string, DeliveryRecord>();

  private readonly pageSize: number | undefined;
  /** Correlation rows findOpen found without an open incident (null: no row), for openIncident. */
  private readonly correlationSeen = new Map<string, CorrelationRow | null>();
  private readonly indexed = new Map<string, string>();

  constructor(
    private readonly table: TableClient,
    options: TableIncidentStoreOptions = {},
  ) {
    this.pageSize = options.pageSize;
  }

  private readonly init = onFirstUse(() => this.table.createTable());

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
    const existing: DeliveryRecord = {
      state: row.state === 'delivered' ? 'delivered' : 'pending',
      incidentId: typeof row.incidentId === 'string' ? row.incidentId : null,
      outcome: typeof row.outcome === 'string' ? row.outcome : null,
      at: String(row.at),
    };
    if (existing.state === 'delivered') this.remember(key, existing);
    return { fresh: false, existing };
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
    this.remember(key, { state: 'delivered', incidentId, outcome, at });
  }

  private remember(key: string, record: DeliveryRecord): void {
    if (this.delivered.size >= DELIVERED_CACHE) this.delivered.delete(this.delivered.keys().next().value as string);
    this.delivered.set(key, record);
  }

  async openIncident(environment: string, service: string, makeId: (sequence: number) => string, at: string): Promise<{ incidentId: string; opened: boolean }> {
    await this.init();
    const rk = corrKey(environment, service);
    // What findOpen just read (no open incident) saves the first read; when the row has changed
    // since, its insert (409) or If-Match (412) fails and the next attempt reads it afresh.
    const seen = this.correlationSeen.get(rk);
    this.correlationSeen.delete(rk);
    for (let attempt = 0; attempt < 20; attempt++) {
      let row: CorrelationRow | undefined;
      if (attempt === 0 && seen !== undefined) row = seen ?? undefined;
      else {
        try {
          row = await this.table.getEntity<Record<string, unknown>>(CORRELATION, rk);
        } catch (err) {
          if (restStatus(err) !== 404) throw err;
        }
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
    const rk = corrKey(environment, service);
    let row: CorrelationRow | null;
    try {
      row = await this.table.getEntity<Record<string, unknown>>(CORRELATION, rk);
    } catch (err) {
      if (restStatus(err) !== 404) throw err;
      row = null;
    }
    const open = row && typeof row.open === 'string' && row.open !== '' ? row.open : undefined;
    if (open === undefined && (row === null || row.etag)) {
      if (this.correlationSeen.size >= CORRELATION_SEEN) this.correlationSeen.clear();
      this.correlationSeen.set(rk, row);
    }
    return open;
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
      return; // the first writer indexed it
    }
    await this.index(summary);
  }

  async putSummary(summary: IncidentSummary): Promise<void> {
    await this.init();
    await this.table.upsertEntity(TableIncidentStore.summaryEntity(summary), 'Replace');
    await this.index(summary);
  }

  /**
   * Index rows for a summary just written (all idempotent upserts, written together). Its list
   * keys never change (declaredAt, ids); the open index and the reminder index follow its status
   * and reminder time. What this process wrote last is remembered, so the common write (progress
   * of a running incident) costs no index write at all.
   */
  private async index(s: IncidentSummary): Promise<void> {
    const reminderAt = reminderCheckAt(s);
    const said = `${s.status}|${reminderAt ?? ''}`;
    const before = this.indexed.get(s.incidentId);
    if (before === said) return;
    const key = indexKey(s.declaredAt, s.incidentId);
    const row = { incidentId: s.incidentId, declaredAt: new Date(s.declaredAt).toISOString() };
    const rowKeys: string[] = [];
    if (before === undefined) rowKeys.push(ixAll + key, ixEnvironment(s.environment) + key, ixService(s.environment, s.service) + key);
    if (s.status === 'open') rowKeys.push(ixOpen + key);
    const rows: TableEntity[] = rowKeys.map((rowKey) => ({ partitionKey: INDEX, rowKey, ...row }));
    if (reminderAt !== null) rows.push({ partitionKey: INDEX, rowKey: `${ixReminder}${reminderAt}|${tableKey(s.incidentId)}`, ...row, reminderAt });
    // Leaving the open index (or maybe never in it): a delete of its own, since in a batch a row
    // already gone would fail the whole batch.
    const leavesOpen = s.status !== 'open' && (before === undefined || before.startsWith('open|'));
    await Promise.all([
      rows.length ? this.table.submitTransaction(rows.map((e) => ['upsert', e, 'Replace'] as const)) : undefined,
      leavesOpen ? this.deleteRow(INDEX, ixOpen + key) : undefined,
    ]);
    if (this.indexed.size >= INDEXED_CACHE) this.indexed.delete(this.indexed.keys().next().value as string);
    this.indexed.delete(s.incidentId);
    this.indexed.set(s.incidentId, said);
  }

  private async deleteRow(pk: string, rk: string): Promise<void> {
    try {
      await this.table.deleteEntity(pk, rk);
    } catch (err) {
      if (restStatus(err) !== 404) throw err;
    }
  }

  /**
   * Summaries written before the indexes existed get their index rows once (a scan of every
   * summary, then a marker row), the first time a list or a sweep needs them after the upgrade.
   */
  private readonly backfill = loadOnce(async (): Promise<void> => {
    try {
      await this.table.getEntity(META, INDEX_VERSION);
      return;
    } catch (err) {
      if (restStatus(err) !== 404) throw err;
    }
    const filter = odataFilter([['RowKey', 'eq', SUMMARY]]);
    for await (const row of this.table.listEntities<{ doc: string }>({ queryOptions: { filter, select: ['doc'] } })) {
      await this.index(IncidentSummary.parse(JSON.parse(row.doc)));
    }
    await this.table.upsertEntity({ partitionKey: META, rowKey: INDEX_VERSION, builtAt: new Date().toISOString() }, 'Replace');
  });

  /** The summaries of index rows, in index order: point reads, together. */
  private async summariesOf(rows: { incidentId: string }[]): Promise<(IncidentSummary | undefined)[]> {
    return Promise.all(rows.map((r) => this.getSummary(r.incidentId)));
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
        await this.index(next);
        return next;
      } catch (err) {
        if (restStatus(err) !== 412) throw err;
      }
    }
    throw new Error(`Could not update the summary of ${incidentId}: too much contention.`);
  }

  async listRemindersDue(at: string, limit: number): Promise<IncidentSummary[]> {
    await this.init();
    await this.backfill();
    // The reminder index by due time: the due ones are its first rows. A row whose summary no
    // longer has that reminder pending (sent, claimed, moved) is stale: deleted, and the read goes on.
    const filter = odataFilter([
      ['PartitionKey', 'eq', INDEX],
      ['RowKey', 'ge', ixReminder],
      ['RowKey', 'lt', `${ixReminder}${at}}`],
    ]);
    const out: IncidentSummary[] = [];
    const pages = this.table.listEntities<{ incidentId: string; reminderAt: string }>({ queryOptions: { filter } }).byPage({ maxPageSize: this.pageSize ?? limit });
    for await (const page of pages) {
      const rows = page.filter((r) => String(r.reminderAt) <= at);
      const summaries = await this.summariesOf(rows);
      for (const [i, r] of rows.entries()) {
        const s = summaries[i];
        if (s && reminderCheckAt(s) === r.reminderAt) {
          if (out.length < limit) out.push(s);
        } else await this.deleteRow(INDEX, String(r.rowKey));
      }
      if (out.length >= limit) break;
    }
    return out;
  }

  async listSummaries(query: SummaryQuery): Promise<IncidentSummary[]> {
    await this.init();
    await this.backfill();
    const { prefix, filter } = summaryIndexQuery(query);
    const matches = (s: IncidentSummary): boolean =>
      (!query.service || s.service.toLowerCase() === query.service.toLowerCase()) &&
      (!query.environment || s.environment.toLowerCase() === query.environment.toLowerCase()) &&
      (!query.status || s.status === query.status) &&
      (!query.from || Date.parse(s.declaredAt) >= Date.parse(query.from)) &&
      (!query.to || Date.parse(s.declaredAt) <= Date.parse(query.to));
    const out: IncidentSummary[] = [];
    const pages = this.table
      .listEntities<{ incidentId: string }>({ queryOptions: { filter, select: ['RowKey', 'incidentId'] } })
      .byPage({ maxPageSize: this.pageSize ?? Math.min(1000, query.limit) });
    for await (const page of pages) {
      const summaries = await this.summariesOf(page);
      for (const [i, r] of page.entries()) {
        const s = summaries[i];
        // An open-index row of an incident since resolved: it leaves the index here.
        if (prefix === ixOpen && (!s || s.status !== 'open')) await this.deleteRow(INDEX, String(r.rowKey));
        if (s && matches(s) && out.length < query.limit) out.push(s);
      }
      if (out.length >= query.limit) break;
    }
    return out;
  }

  async appendTimeline(incidentId: string, entries: TimelineEntry[], alerts: readonly AlertRef[] = []): Promise<void> {
    await this.init();
    // Upserts keyed by sequence number (alerts: by dedupe key): writing the same rows again is
    // harmless. The alerts' rows share the partition, so they go in the same transactions.
    const rows: [string, string][] = [...entries.map((e): [string, string] => [`t${String(e.seq).padStart(8, '0')}`, JSON.stringify(e)]), ...alertRows(alerts)];
    for (let i = 0; i < rows.length; i += 100) {
      await this.table.submitTransaction(rows.slice(i, i + 100).map(([rowKey, doc]) => ['upsert', { partitionKey: tableKey(incidentId), rowKey, doc }, 'Replace']));
    }
  }

  async recordAlerts(incidentId: string, alerts: readonly AlertRef[]): Promise<void> {
    await this.appendTimeline(incidentId, [], alerts);
  }

  /** The documents of an incident's rows whose key starts with `prefix` (one letter: t, a, f), each parsed by `parse`. */
  private async docs<T>(incidentId: string, prefix: string, parse: (doc: unknown) => T): Promise<T[]> {
    await this.init();
    const out: T[] = [];
    const filter = odataFilter([
      ['PartitionKey', 'eq', tableKey(incidentId)],
      ['RowKey', 'ge', prefix],
      ['RowKey', 'lt', String.fromCharCode(prefix.charCodeAt(0) + 1)],
    ]);
    for await (const row of this.table.listEntities<{ doc: string }>({ queryOptions: { filter } })) out.push(parse(JSON.parse(row.doc)));
    return out;
  }

  async getAlerts(incidentId: string): Promise<AlertRef[]> {
    const out = await this.docs(incidentId, 'a', (d) => StoredAlertRef.parse(d));
    return out.sort((a, b) => a.receivedAt - b.receivedAt || (a.dedupeKey < b.dedupeKey ? -1 : a.dedupeKey > b.dedupeKey ? 1 : 0));
  }

  async foldAlert(incidentId: string, key: string, alert: AlertRecord): Promise<void> {
    await this.init();
    // Keyed by the alert: a redelivery folding it again writes the same row.
    await this.table.upsertEntity({ partitionKey: `f:${tableKey(incidentId)}`, rowKey: tableKey(key), doc: JSON.stringify(alert) }, 'Replace');
  }

  async takeFolded(incidentId: string, ack: readonly string[], limit: number): Promise<{ key: string; alert: AlertRecord }[]> {
    await this.init();
    const pk = `f:${tableKey(incidentId)}`;
    await Promise.all(ack.map((k) => this.deleteRow(pk, k)));
    const out: { key: string; alert: AlertRecord }[] = [];
    const pages = this.table.listEntities<{ doc: string }>({ queryOptions: { filter: odataFilter([['PartitionKey', 'eq', pk]]) } }).byPage({ maxPageSize: limit });
    for await (const page of pages) {
      for (const row of page) if (out.length < limit) out.push({ key: String(row.rowKey), alert: AlertRecord.parse(JSON.parse(row.doc)) });
      break;
    }
    return out;
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
    const out = await this.docs(incidentId, 'f', (d) => FollowUpEvent.parse(d));
    return out.sort((a, b) => a.seq - b.seq);
  }

  async getTimeline(incidentId: string): Promise<TimelineEntry[]> {
    // In sequence order: the rows' keys are the zero-padded sequence numbers.
    return this.docs(incidentId, 't', (d) => TimelineEntry.parse(d));
  }
}
