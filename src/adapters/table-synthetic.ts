/**
 * The synthetic monitor's state in Azure Table storage: partition = environment, row = service
 * (both lower-case, escaped), one JSON column. Written with If-Match (or as a create), so two runs
 * of the same minute cannot both count a failure: the second gets 'conflict', reads again and finds
 * the run applied.
 */
import type { TableClient } from '@azure/data-tables';
import { INITIAL_MONITOR_STATE, type MonitorState } from '../domain/synthetic.js';
import type { MonitorStateStore } from '../ports/synthetic-state.js';
import { onFirstUse, restStatus } from './storage.js';
import { tableKey } from './table-ledger.js';

interface Row {
  partitionKey: string;
  rowKey: string;
  state: string;
  etag?: string;
}

export class TableMonitorStateStore implements MonitorStateStore {

  constructor(private readonly table: TableClient) {}

  private readonly init = onFirstUse(() => this.table.createTable());

  private keys(environment: string, service: string): [string, string] {
    return [tableKey(environment.toLowerCase()), tableKey(service.toLowerCase())];
  }

  async read(environment: string, service: string): Promise<{ state: MonitorState; etag: string | null }> {
    await this.init();
    const [pk, rk] = this.keys(environment, service);
    try {
      const row = await this.table.getEntity<Row>(pk, rk);
      return { state: { ...INITIAL_MONITOR_STATE, ...(JSON.parse(row.state) as Partial<MonitorState>) }, etag: row.etag ?? null };
    } catch (err) {
      if (restStatus(err) === 404) return { state: INITIAL_MONITOR_STATE, etag: null };
      throw err;
    }
  }

  async write(environment: string, service: string, state: MonitorState, etag: string | null): Promise<'written' | 'conflict'> {
    await this.init();
    const [pk, rk] = this.keys(environment, service);
    const entity = { partitionKey: pk, rowKey: rk, state: JSON.stringify(state) };
    try {
      if (etag === null) await this.table.createEntity(entity);
      else await this.table.updateEntity(entity, 'Replace', { etag });
      return 'written';
    } catch (err) {
      const status = restStatus(err);
      if (status === 409 || status === 412) return 'conflict';
      throw err;
    }
  }
}
