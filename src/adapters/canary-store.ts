/**
 * The canary's last report in Table storage: one row (PartitionKey "canary", RowKey "latest"),
 * replaced by every run, with the status and time as columns so the table reads at a glance.
 */
import type { TableClient } from '@azure/data-tables';
import { z } from 'zod';
import type { CanaryReport } from '../domain/canary.js';
import type { CanaryStore } from '../ports/canary.js';
import { onFirstUse } from './storage.js';

const Row = z.object({ report: z.string() });

export class TableCanaryStore implements CanaryStore {
  private readonly init = onFirstUse(() => this.table.createTable());

  constructor(private readonly table: TableClient) {}

  async save(report: CanaryReport): Promise<void> {
    await this.init();
    await this.table.upsertEntity({ partitionKey: 'canary', rowKey: 'latest', at: report.at, status: report.status, failing: report.failing.join('; ').slice(0, 30_000), report: JSON.stringify(report) }, 'Replace');
  }

  async latest(): Promise<CanaryReport | undefined> {
    try {
      const row = Row.parse(await this.table.getEntity('canary', 'latest'));
      return JSON.parse(row.report) as CanaryReport;
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return undefined;
      throw err;
    }
  }
}
