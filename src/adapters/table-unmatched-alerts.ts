/**
 * UnmatchedAlerts in Azure Table storage: one partition, RowKey = inverted fired time + delivery
 * key, so that a plain query returns the newest first and a redelivery replaces its own record.
 * The record is one JSON column (a few KB at most: the long fields are cut before they get here).
 */
import type { TableClient } from '@azure/data-tables';
import type { UnmatchedAlert, UnmatchedAlerts } from '../ports/unmatched-alerts.js';
import { onFirstUse } from './storage.js';

const PARTITION = 'unmatched';
/** Larger than any millisecond timestamp this app will see, so inverted times keep their order as text. */
const INVERT_FROM = 9_999_999_999_999;

function rowKey(a: UnmatchedAlert): string {
  const fired = Date.parse(a.firedAt);
  const at = Number.isFinite(fired) && fired >= 0 && fired < INVERT_FROM ? fired : Date.parse(a.receivedAt);
  return `${String(INVERT_FROM - at).padStart(13, '0')}-${a.key.replace(/[^A-Za-z0-9]/g, '').slice(0, 64)}`;
}

export class TableUnmatchedAlerts implements UnmatchedAlerts {

  constructor(private readonly table: TableClient) {}

  private readonly init = onFirstUse(() => this.table.createTable());

  async record(alert: UnmatchedAlert): Promise<void> {
    await this.init();
    await this.table.upsertEntity({ partitionKey: PARTITION, rowKey: rowKey(alert), doc: JSON.stringify(alert) }, 'Replace');
  }

  async list(limit: number): Promise<UnmatchedAlert[]> {
    await this.init();
    const out: UnmatchedAlert[] = [];
    const pages = this.table.listEntities<{ doc: string }>({ queryOptions: { filter: `PartitionKey eq '${PARTITION}'`, select: ['doc'] } }).byPage({ maxPageSize: Math.min(limit, 1000) });
    for await (const page of pages) {
      for (const row of page) {
        if (out.length >= limit) break;
        out.push(JSON.parse(row.doc) as UnmatchedAlert);
      }
      if (out.length >= limit) break;
    }
    return out;
  }
}
