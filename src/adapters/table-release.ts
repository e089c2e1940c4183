/**
 * The release registry in Azure Table storage.
 *
 * LKG table: partition = "env|service" (lower case), row "current" = the record in force, rows
 * "h<inverted time>-<id>" = every record ever made current, newest first. The history row and
 * the new "current" row are written in one entity-group transaction, guarded by the current
 * row's ETag: two pipelines recording at once cannot both win, and history never shows a
 * record that was not made current.
 *
 * Freeze table: partition = env (lower case), row "current" = the state, rows "h..." = each
 * change, written the same way.
 */
import { randomBytes } from 'node:crypto';
import type { TableClient, TransactionAction } from '@azure/data-tables';
import { FreezeState, LkgRecord, sameBuild, type LkgInput } from '../domain/release.js';
import { LkgConflictError, type FreezeChange, type FreezeStore, type LkgRegistry } from '../ports/release-registry.js';
import { onFirstUse, restStatus } from './storage.js';
import { tableKey } from './table-ledger.js';

const CURRENT = 'current';
const MAX_ATTEMPTS = 5;
const INVERT_FROM = 9_999_999_999_999;

interface Row {
  partitionKey: string;
  rowKey: string;
  etag?: string;
  /** The record as JSON (parsed with zod on the way out); the other columns are for people browsing the table. */
  json: string;
  [column: string]: unknown;
}

/** Row keys that sort newest first. */
function historyKey(at: string, id: string): string {
  const ms = Date.parse(at);
  const inverted = String(INVERT_FROM - (Number.isFinite(ms) ? ms : 0)).padStart(13, '0');
  return `h${inverted}-${tableKey(id)}`;
}

export function newRecordId(at: string): string {
  const stamp = at.replace(/[-:.]/g, '').replace(/Z$/, '').slice(0, 15);
  return `${stamp}-${randomBytes(4).toString('hex')}`;
}

class Lazy {
  constructor(private readonly table: TableClient) {}
  readonly init = onFirstUse(() => this.table.createTable());
}

async function readRow(table: TableClient, pk: string, rk: string): Promise<Row | undefined> {
  try {
    return await table.getEntity<Row>(pk, rk);
  } catch (err) {
    if (restStatus(err) === 404) return undefined;
    throw err;
  }
}

function isRace(err: unknown): boolean {
  const status = restStatus(err) ?? (err as { statusCode?: number }).statusCode;
  return status === 409 || status === 412;
}

async function listHistory(table: TableClient, pk: string, limit: number): Promise<Row[]> {
  const out: Row[] = [];
  const filter = `PartitionKey eq '${pk.replace(/'/g, "''")}' and RowKey ge 'h' and RowKey lt 'i'`;
  for await (const page of table.listEntities<Row>({ queryOptions: { filter } }).byPage({ maxPageSize: Math.min(limit, 1000) })) {
    for (const row of page) {
      out.push(row);
      if (out.length >= limit) return out;
    }
    break;
  }
  return out;
}

export class TableLkgRegistry implements LkgRegistry {
  private readonly lazy: Lazy;
  constructor(private readonly table: TableClient) {
    this.lazy = new Lazy(table);
  }

  private pk(env: string, service: string): string {
    return tableKey(`${env.toLowerCase()}|${service.toLowerCase()}`);
  }

  async current(env: string, service: string): Promise<LkgRecord | null> {
    await this.lazy.init();
    const row = await readRow(this.table, this.pk(env, service), CURRENT);
    return row ? LkgRecord.parse(JSON.parse(row.json)) : null;
  }

  async history(env: string, service: string, limit: number): Promise<LkgRecord[]> {
    await this.lazy.init();
    const rows = await listHistory(this.table, this.pk(env, service), limit);
    return rows.map((r) => LkgRecord.parse(JSON.parse(r.json)));
  }

  async record(input: LkgInput, at: string): Promise<{ created: boolean; record: LkgRecord }> {
    await this.lazy.init();
    const pk = this.pk(input.env, input.service);
    for (let attempt = 1; ; attempt++) {
      const row = await readRow(this.table, pk, CURRENT);
      const current = row ? LkgRecord.parse(JSON.parse(row.json)) : null;
      if (input.supersedes !== undefined && current?.id !== input.supersedes) {
        throw new LkgConflictError(
          current
            ? `The current LKG of ${input.env}/${input.service} is ${current.id} (${current.releaseTag}), not ${input.supersedes}; read it again before superseding.`
            : `No LKG is recorded for ${input.env}/${input.service}, so ${input.supersedes} cannot be superseded.`,
          current?.id ?? null,
        );
      }
      if (current && current.releaseTag === input.releaseTag && sameBuild(current.buildId, input.buildId) && current.slot === input.slot) {
        return { created: false, record: current };
      }
      const record: LkgRecord = LkgRecord.parse({
        id: newRecordId(at),
        env: input.env,
        service: input.service,
        releaseTag: input.releaseTag,
        buildId: input.buildId,
        slot: input.slot,
        evidenceUrl: input.evidenceUrl,
        recordedAt: at,
        recordedBy: input.recordedBy,
        source: input.source,
        ...(input.note ? { note: input.note } : {}),
        ...(current ? { previousId: current.id } : {}),
        ...(input.supersedes ? { supersedes: input.supersedes } : {}),
      });
      const columns = { json: JSON.stringify(record), releaseTag: record.releaseTag, buildId: record.buildId, recordedAt: record.recordedAt, id: record.id };
      const actions: TransactionAction[] = [
        ['create', { partitionKey: pk, rowKey: historyKey(at, record.id), ...columns }],
        row
          ? ['update', { partitionKey: pk, rowKey: CURRENT, ...columns }, 'Replace', { etag: row.etag ?? '*' }]
          : ['create', { partitionKey: pk, rowKey: CURRENT, ...columns }],
      ];
      try {
        await this.table.submitTransaction(actions);
        return { created: true, record };
      } catch (err) {
        if (!isRace(err) || attempt >= MAX_ATTEMPTS) throw err;
        // Someone recorded in between: decide again against what is current now.
      }
    }
  }
}

function neverFrozen(env: string): FreezeState {
  return { env, frozen: false, since: null, by: null, reason: null, incidentId: null };
}

export class TableFreezeStore implements FreezeStore {
  private readonly lazy: Lazy;
  constructor(private readonly table: TableClient) {
    this.lazy = new Lazy(table);
  }

  private pk(env: string): string {
    return tableKey(env.toLowerCase());
  }

  private async read(env: string): Promise<{ row: Row | undefined; state: FreezeState }> {
    const row = await readRow(this.table, this.pk(env), CURRENT);
    return { row, state: row ? FreezeState.parse(JSON.parse(row.json)) : neverFrozen(env) };
  }

  async get(env: string): Promise<FreezeState> {
    await this.lazy.init();
    return (await this.read(env)).state;
  }

  async set(env: string, change: FreezeChange): Promise<{ changed: boolean; state: FreezeState; previous: FreezeState }> {
    await this.lazy.init();
    const pk = this.pk(env);
    for (let attempt = 1; ; attempt++) {
      const { row, state: previous } = await this.read(env);
      if (previous.frozen === change.frozen) return { changed: false, state: previous, previous };
      const state: FreezeState = {
        env: previous.since ? previous.env : env,
        frozen: change.frozen,
        since: change.at,
        by: change.actor,
        reason: change.reason,
        incidentId: change.incidentId,
      };
      const columns = { json: JSON.stringify(state), frozen: state.frozen, since: change.at, byId: change.actor.id, reason: change.reason };
      const actions: TransactionAction[] = [
        ['create', { partitionKey: pk, rowKey: historyKey(change.at, randomBytes(4).toString('hex')), ...columns }],
        row ? ['update', { partitionKey: pk, rowKey: CURRENT, ...columns }, 'Replace', { etag: row.etag ?? '*' }] : ['create', { partitionKey: pk, rowKey: CURRENT, ...columns }],
      ];
      try {
        await this.table.submitTransaction(actions);
        return { changed: true, state, previous };
      } catch (err) {
        if (!isRace(err) || attempt >= MAX_ATTEMPTS) throw err;
      }
    }
  }

  async history(env: string, limit: number): Promise<(FreezeState & { at: string })[]> {
    await this.lazy.init();
    const rows = await listHistory(this.table, this.pk(env), limit);
    return rows.map((r) => {
      const s = FreezeState.parse(JSON.parse(r.json));
      return { ...s, at: s.since ?? '' };
    });
  }
}
