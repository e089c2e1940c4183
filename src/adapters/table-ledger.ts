/**
 * The step ledger in Azure Table storage: partition = incident, row = step. Creating the row is
 * the claim (insert fails with 409 when it exists); the outcome is written with If-Match so the
 * first finisher wins and a late duplicate reads the recorded outcome instead.
 */
import type { TableClient } from '@azure/data-tables';
import type { StepKey, StepLedger, StepRecord } from '../ports/ledger.js';
import { onFirstUse, restStatus } from './storage.js';

const MAX_OUTCOME_CHARS = 30_000;

/** Table keys cannot hold / \ # ? or control characters; steps often contain "/". */
export function tableKey(value: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what must be escaped
  return value.replace(/[/\\#?%\u0000-\u001f\u007f-\u009f]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

interface Row {
  partitionKey: string;
  rowKey: string;
  state: 'started' | 'done';
  startedAt: string;
  finishedAt?: string;
  attempt: number;
  outcome?: string;
  etag?: string;
}

export class TableStepLedger implements StepLedger {

  constructor(private readonly table: TableClient) {}

  private readonly init = onFirstUse(() => this.table.createTable());

  private async read(key: StepKey): Promise<Row | undefined> {
    try {
      return (await this.table.getEntity<Row>(tableKey(key.incidentId), tableKey(key.step)));
    } catch (err) {
      if (restStatus(err) === 404) return undefined;
      throw err;
    }
  }

  private static toRecord<T>(row: Row): StepRecord<T> {
    if (row.state === 'done') {
      return {
        state: 'done',
        startedAt: row.startedAt,
        finishedAt: row.finishedAt ?? row.startedAt,
        attempt: row.attempt,
        outcome: JSON.parse(row.outcome ?? 'null') as T,
      };
    }
    return { state: 'started', startedAt: row.startedAt, attempt: row.attempt };
  }

  async get<T>(key: StepKey): Promise<StepRecord<T> | undefined> {
    await this.init();
    const row = await this.read(key);
    return row ? TableStepLedger.toRecord<T>(row) : undefined;
  }

  async start<T>(key: StepKey, at: string): Promise<{ fresh: true } | { fresh: false; existing: StepRecord<T> }> {
    await this.init();
    const row: Row = { partitionKey: tableKey(key.incidentId), rowKey: tableKey(key.step), state: 'started', startedAt: at, attempt: 1 };
    try {
      await this.table.createEntity(row);
      return { fresh: true };
    } catch (err) {
      if (restStatus(err) !== 409) throw err;
    }
    const existing = await this.read(key);
    if (!existing) return this.start(key, at);
    if (existing.state === 'started') {
      // Count attempts so an operator can see a step that keeps being interrupted.
      await this.table
        .updateEntity({ ...existing, attempt: existing.attempt + 1 }, 'Replace', { etag: existing.etag ?? '*' })
        .catch((err: unknown) => {
          if (restStatus(err) !== 412) throw err;
        });
    }
    return { fresh: false, existing: TableStepLedger.toRecord<T>(existing) };
  }

  async finish<T>(key: StepKey, outcome: T, at: string): Promise<T> {
    await this.init();
    const text = JSON.stringify(outcome ?? null);
    if (text.length > MAX_OUTCOME_CHARS) {
      throw new Error(`The outcome of step ${key.step} is ${text.length} characters; keep step outcomes under ${MAX_OUTCOME_CHARS}.`);
    }
    for (;;) {
      const existing = await this.read(key);
      if (existing?.state === 'done') return JSON.parse(existing.outcome ?? 'null') as T;
      const row: Row = {
        partitionKey: tableKey(key.incidentId),
        rowKey: tableKey(key.step),
        state: 'done',
        startedAt: existing?.startedAt ?? at,
        finishedAt: at,
        attempt: existing?.attempt ?? 1,
        outcome: text,
      };
      try {
        if (existing) await this.table.updateEntity(row, 'Replace', { etag: existing.etag ?? '*' });
        else await this.table.createEntity(row);
        return outcome;
      } catch (err) {
        const status = restStatus(err);
        if (status !== 412 && status !== 409) throw err;
        // Someone else wrote in between: read again and let the first finisher win.
      }
    }
  }
}
