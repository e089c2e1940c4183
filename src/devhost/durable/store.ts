/**
 * Durable state of one task hub in one Azure Table, one partition per instance:
 *   RowKey "state"     the instance (status, input/output, bookkeeping, history length, etag)
 *   RowKey "h00000012" history events of the current execution from #12 on: the events one
 *                      commit appended, as one JSON array ("evs"), or a single event ("ev"), so
 *                      committing the fan-out of 100 activities writes one row, not 100
 *   RowKey "i<key>"    an inbox message not yet applied (raised event, activity result...)
 * A commit writes the new history rows, then replaces the state row (If-Match) and deletes the
 * consumed inbox row in one transaction: the state row is the commit point, so a crash anywhere
 * leaves either the old or the new state, and an applied message is never applied twice.
 */
import { odata, type TableClient, type TableEntity, type TransactionAction } from '@azure/data-tables';
import type { Book } from './episode.js';
import type { HistoryEvent } from './history.js';
import { errorLine } from '../../domain/errors.js';

export type RuntimeStatus = 'Pending' | 'Running' | 'Completed' | 'ContinuedAsNew' | 'Failed' | 'Canceled' | 'Terminated' | 'Suspended';
export const TERMINAL: ReadonlySet<RuntimeStatus> = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);

export interface InstanceState {
  instanceId: string;
  name: string;
  executionId: string;
  status: RuntimeStatus;
  input: string | undefined;
  output: string | undefined;
  customStatus: string | undefined;
  createdTime: number;
  lastUpdatedTime: number;
  parent: { instanceId: string; taskId: number; executionId: string } | undefined;
  historyLength: number;
  book: Book;
  etag?: string | undefined;
}

export type InboxBody =
  | { kind: 'event'; name: string; input: string | undefined }
  | { kind: 'taskCompleted'; taskId: number; result: string }
  | { kind: 'taskFailed'; taskId: number; reason: string; details: string }
  | { kind: 'subCompleted'; taskId: number; result: string }
  | { kind: 'subFailed'; taskId: number; reason: string; details: string }
  | { kind: 'terminate'; reason: string }
  | { kind: 'suspend'; reason: string }
  | { kind: 'resume'; reason: string };

export interface InboxMessage {
  key: string;
  executionId: string | undefined;
  body: InboxBody;
}

export class PayloadTooLargeError extends Error {
  override name = 'PayloadTooLargeError';
}

export class ConcurrencyError extends Error {
  override name = 'ConcurrencyError';
}

/** Table string properties hold 32K UTF-16 chars; larger texts are split across properties. */
const CHUNK = 30_000;
/** Keep an entity well under the 1 MiB entity limit. */
export const MAX_TEXT = 600_000;
const BATCH_OPS = 100;
const BATCH_BYTES = 3_000_000;

function putText(entity: Record<string, unknown>, name: string, text: string | undefined, what: string): void {
  if (text === undefined) return;
  if (text.length > MAX_TEXT) {
    throw new PayloadTooLargeError(`${what} is ${text.length} characters of JSON; the dev host stores at most ${MAX_TEXT}.`);
  }
  const parts = Math.max(1, Math.ceil(text.length / CHUNK));
  entity[`${name}_n`] = parts;
  for (let i = 0; i < parts; i++) entity[`${name}_${i}`] = text.slice(i * CHUNK, (i + 1) * CHUNK);
}

function getText(entity: Record<string, unknown>, name: string): string | undefined {
  const n = entity[`${name}_n`];
  if (typeof n !== 'number') return undefined;
  let text = '';
  for (let i = 0; i < n; i++) {
    const part = entity[`${name}_${i}`];
    text += typeof part === 'string' ? part : '';
  }
  return text;
}

export const historyKey = (index: number): string => `h${String(index).padStart(8, '0')}`;
const STATE = 'state';

function approxBytes(entity: Record<string, unknown>): number {
  let n = 200;
  for (const v of Object.values(entity)) n += typeof v === 'string' ? v.length * 2 : 16;
  return n;
}

interface PendingInboxWrite {
  entity: TableEntity;
  bytes: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class HubStore {
  /** Inbox messages waiting for their instance's write in flight (see addInbox). */
  private readonly inboxWrites = new Map<string, PendingInboxWrite[]>();

  constructor(
    readonly table: TableClient,
    readonly hubName: string,
  ) {}

  async init(): Promise<void> {
    await this.table.createTable();
  }

  static stateEntity(s: InstanceState): TableEntity {
    const e: Record<string, unknown> = {
      partitionKey: s.instanceId,
      rowKey: STATE,
      name: s.name,
      executionId: s.executionId,
      status: s.status,
      createdTime: new Date(s.createdTime),
      lastUpdatedTime: new Date(s.lastUpdatedTime),
      historyLength: s.historyLength,
    };
    if (s.parent) {
      e.parentInstanceId = s.parent.instanceId;
      e.parentTaskId = s.parent.taskId;
      e.parentExecutionId = s.parent.executionId;
    }
    putText(e, 'input', s.input, 'The orchestration input');
    putText(e, 'output', s.output, 'The orchestration output');
    putText(e, 'custom', s.customStatus, 'The custom status');
    putText(e, 'book', JSON.stringify(s.book), 'The orchestration bookkeeping');
    return e as TableEntity;
  }

  static fromStateEntity(e: Record<string, unknown>): InstanceState {
    const parentId = e.parentInstanceId;
    return {
      instanceId: String(e.partitionKey),
      name: String(e.name),
      executionId: String(e.executionId),
      status: String(e.status) as RuntimeStatus,
      input: getText(e, 'input'),
      output: getText(e, 'output'),
      customStatus: getText(e, 'custom'),
      createdTime: toMs(e.createdTime),
      lastUpdatedTime: toMs(e.lastUpdatedTime),
      parent:
        typeof parentId === 'string'
          ? { instanceId: parentId, taskId: Number(e.parentTaskId), executionId: String(e.parentExecutionId) }
          : undefined,
      historyLength: Number(e.historyLength ?? 0),
      book: JSON.parse(getText(e, 'book') ?? '{"seq":0,"actions":[],"retries":{},"canceled":[]}') as Book,
      etag: typeof e.etag === 'string' ? e.etag : undefined,
    };
  }

  async getState(instanceId: string): Promise<InstanceState | undefined> {
    try {
      const e = await this.table.getEntity(instanceId, STATE);
      return HubStore.fromStateEntity(e);
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  /** Inserts a new instance; false when one with that id exists already. */
  async createState(s: InstanceState): Promise<boolean> {
    try {
      const res = await this.table.createEntity(HubStore.stateEntity(s));
      s.etag = res.etag;
      return true;
    } catch (err) {
      if (statusOf(err) === 409) return false;
      throw err;
    }
  }

  /** Replaces an instance's state row, only if it is unchanged since it was read (its etag). */
  async replaceState(s: InstanceState): Promise<void> {
    try {
      const res = await this.table.updateEntity(HubStore.stateEntity(s), 'Replace', { etag: s.etag ?? '*' });
      s.etag = res.etag;
    } catch (err) {
      if (statusOf(err) === 412 || statusOf(err) === 404) throw new ConcurrencyError(`Instance ${s.instanceId} changed underneath.`);
      throw err;
    }
  }

  /**
   * Appends `events` at `from`, replaces the state row (If-Match on its etag) and deletes the
   * consumed inbox rows. One transaction when it fits; otherwise history rows first (harmless on
   * their own: rows past the state's historyLength are ignored and overwritten), state last.
   * `consumed`: the inbox rows the commit applied (at most 50: they travel with the state row).
   */
  async commit(state: InstanceState, from: number, events: readonly HistoryEvent[], consumed: string | readonly string[] | undefined): Promise<void> {
    const rows: TransactionAction[] = historyRows(state.instanceId, from, events).map((e) => ['upsert', e as TableEntity, 'Replace']);
    const final: TransactionAction[] = [['update', HubStore.stateEntity(state), 'Replace', { etag: state.etag ?? '*' }]];
    for (const key of typeof consumed === 'string' ? [consumed] : (consumed ?? [])) final.push(['delete', { partitionKey: state.instanceId, rowKey: key }]);

    const batches: TransactionAction[][] = [];
    let current: TransactionAction[] = [];
    let bytes = 0;
    const add = (action: TransactionAction, size: number): void => {
      if (current.length && (current.length >= BATCH_OPS || bytes + size > BATCH_BYTES)) {
        batches.push(current);
        current = [];
        bytes = 0;
      }
      current.push(action);
      bytes += size;
    };
    for (const row of rows) add(row, approxBytes(row[1]));
    // The state update and the inbox delete always travel together, in the last transaction.
    const finalBytes = final.reduce((n, a) => n + approxBytes(a[1] as Record<string, unknown>), 0);
    if (current.length + final.length > BATCH_OPS || bytes + finalBytes > BATCH_BYTES) {
      batches.push(current);
      current = [];
    }
    current.push(...final);
    batches.push(current);
    for (const batch of batches) {
      try {
        const res = await this.table.submitTransaction(batch);
        // Sub-responses come back in request order and carry no keys: find the state row by position.
        const at = batch.indexOf(final[0] as TransactionAction);
        const etag = at >= 0 ? res.subResponses[at]?.etag : undefined;
        if (etag) state.etag = etag;
      } catch (err) {
        if (batch.includes(final[0] as TransactionAction) && (statusOf(err) === 412 || statusOf(err) === 404)) {
          throw new ConcurrencyError(
            `Instance ${state.instanceId} changed underneath (commit refused: ${statusOf(err)} ${errorLine(err)}).`,
          );
        }
        throw err;
      }
    }
  }

  async loadHistory(instanceId: string, length: number): Promise<HistoryEvent[]> {
    if (length === 0) return [];
    const out: HistoryEvent[] = [];
    const filter = odata`PartitionKey eq ${instanceId} and RowKey ge ${historyKey(0)} and RowKey lt ${historyKey(length)}`;
    for await (const e of this.table.listEntities({ queryOptions: { filter } })) {
      // Rows are read in key order, each starting where the previous one ended. A row that starts
      // inside one already read is left from a commit that did not complete (a crash between its
      // history and its state transactions): the commit that followed wrote over those events.
      const start = Number(String(e.rowKey).slice(1));
      if (start < out.length) continue;
      if (start > out.length) break;
      const many = getText(e, 'evs');
      const one = getText(e, 'ev');
      if (many !== undefined) out.push(...(JSON.parse(many) as HistoryEvent[]));
      else if (one !== undefined) out.push(JSON.parse(one) as HistoryEvent);
    }
    if (out.length !== length) {
      throw new Error(`Instance ${instanceId}: expected ${length} history events, found ${out.length}. The task hub is damaged.`);
    }
    return out;
  }

  async loadInbox(instanceId: string): Promise<InboxMessage[]> {
    const out: InboxMessage[] = [];
    const filter = odata`PartitionKey eq ${instanceId} and RowKey ge ${'i'} and RowKey lt ${'j'}`;
    for await (const e of this.table.listEntities({ queryOptions: { filter } })) {
      const text = getText(e, 'msg');
      if (!text) continue;
      const parsed = JSON.parse(text) as { executionId?: string; body: InboxBody };
      out.push({ key: String(e.rowKey), executionId: parsed.executionId, body: parsed.body });
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /**
   * Stores a message in the instance's inbox; resolves once it is durable. One write per instance
   * at a time: messages that arrive while one is in flight are written together next, in one
   * transaction (a fan-in of 50 results is a few writes, not 50 at once that Azurite serves one
   * after another while the episode's commit waits behind them).
   */
  addInbox(instanceId: string, msg: InboxMessage): Promise<void> {
    const e: Record<string, unknown> = { partitionKey: instanceId, rowKey: msg.key };
    putText(e, 'msg', JSON.stringify({ executionId: msg.executionId, body: msg.body }), 'The message');
    return new Promise((resolve, reject) => {
      let queue = this.inboxWrites.get(instanceId);
      if (!queue) this.inboxWrites.set(instanceId, (queue = []));
      queue.push({ entity: e as TableEntity, bytes: approxBytes(e), resolve, reject });
      if (queue.length === 1) void this.writeInbox(instanceId, queue);
    });
  }

  private async writeInbox(instanceId: string, queue: PendingInboxWrite[]): Promise<void> {
    while (queue.length) {
      // Not removed until written: a message that arrives meanwhile sees a non-empty queue and waits.
      let bytes = 0;
      let n = 0;
      while (n < queue.length && n < BATCH_OPS && (n === 0 || bytes + (queue[n] as PendingInboxWrite).bytes <= BATCH_BYTES)) {
        bytes += (queue[n] as PendingInboxWrite).bytes;
        n++;
      }
      const batch = queue.slice(0, n);
      try {
        if (n === 1) await this.table.upsertEntity((batch[0] as PendingInboxWrite).entity, 'Replace');
        else await this.table.submitTransaction(batch.map((w): TransactionAction => ['upsert', w.entity, 'Replace']));
        for (const w of batch) w.resolve();
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
      queue.splice(0, n);
    }
    this.inboxWrites.delete(instanceId);
  }

  async deleteRow(instanceId: string, rowKey: string): Promise<void> {
    try {
      await this.table.deleteEntity(instanceId, rowKey);
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
  }

  /** Deletes the history rows that start at `from` or later (0: the whole history, for continue-as-new). */
  async trimHistory(instanceId: string, from: number): Promise<void> {
    const filter = odata`PartitionKey eq ${instanceId} and RowKey ge ${historyKey(from)} and RowKey lt ${'i'}`;
    await this.deleteWhere(instanceId, filter);
  }

  /** Deletes every row of the instance; false when it did not exist. */
  async purge(instanceId: string): Promise<boolean> {
    const exists = (await this.getState(instanceId)) !== undefined;
    await this.deleteWhere(instanceId, odata`PartitionKey eq ${instanceId}`);
    return exists;
  }

  /** Deletes history and inbox rows, keeping the state row (a new execution replaces an old one). */
  async clearExecution(instanceId: string): Promise<void> {
    await this.deleteWhere(instanceId, odata`PartitionKey eq ${instanceId} and RowKey lt ${STATE}`);
  }

  private async deleteWhere(instanceId: string, filter: string): Promise<void> {
    let batch: TransactionAction[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length) await this.table.submitTransaction(batch);
      batch = [];
    };
    for await (const e of this.table.listEntities({ queryOptions: { filter, select: ['PartitionKey', 'RowKey'] } })) {
      batch.push(['delete', { partitionKey: instanceId, rowKey: String(e.rowKey) }]);
      if (batch.length === BATCH_OPS) await flush();
    }
    await flush();
  }

  /** One page of instances matching the filter, newest table order. */
  async listStates(query: {
    createdFrom?: number;
    createdTo?: number;
    statuses?: RuntimeStatus[];
    instanceIdPrefix?: string;
    top?: number;
    continuationToken?: string;
  }): Promise<{ states: InstanceState[]; continuationToken: string | undefined }> {
    const clauses = [odata`RowKey eq ${STATE}`];
    if (query.createdFrom !== undefined) clauses.push(odata`createdTime ge ${new Date(query.createdFrom)}`);
    if (query.createdTo !== undefined) clauses.push(odata`createdTime le ${new Date(query.createdTo)}`);
    if (query.statuses?.length) clauses.push(`(${query.statuses.map((s) => odata`status eq ${s}`).join(' or ')})`);
    if (query.instanceIdPrefix) {
      clauses.push(odata`PartitionKey ge ${query.instanceIdPrefix} and PartitionKey lt ${query.instanceIdPrefix + '\uffff'}`);
    }
    const pages = this.table
      .listEntities({ queryOptions: { filter: clauses.join(' and ') } })
      .byPage({ maxPageSize: query.top ?? 1000, ...(query.continuationToken ? { continuationToken: query.continuationToken } : {}) });
    const first = await pages.next();
    if (first.done) return { states: [], continuationToken: undefined };
    const page = first.value;
    return { states: page.map((e) => HubStore.fromStateEntity(e)), continuationToken: page.continuationToken };
  }

  /** Every instance whose status is one of `statuses` (used at start-up to resume work). */
  async allStates(statuses: RuntimeStatus[]): Promise<InstanceState[]> {
    const out: InstanceState[] = [];
    let token: string | undefined;
    do {
      const page = await this.listStates({ statuses, top: 1000, ...(token ? { continuationToken: token } : {}) });
      out.push(...page.states);
      token = page.continuationToken;
    } while (token);
    return out;
  }

  /** A small key-value row outside any instance (timer trigger schedule status). */
  async getMeta(rowKey: string): Promise<Record<string, unknown> | undefined> {
    try {
      return await this.table.getEntity(META, rowKey);
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async putMeta(rowKey: string, values: Record<string, string | number | boolean>): Promise<void> {
    await this.table.upsertEntity({ partitionKey: META, rowKey, ...values }, 'Replace');
  }
}

/** Events per history row: up to this much JSON (a single larger event gets a row of its own, up to MAX_TEXT). */
const ROW_CHARS = 200_000;

/**
 * The history rows for `events` appended at `from`: consecutive events share a row (a JSON array)
 * up to ROW_CHARS, which keeps a commit to a few row writes however many activities an episode
 * scheduled or results it applied; Azurite and Table storage take a transaction of 2 rows in a
 * fraction of the time of one of 100.
 */
function historyRows(partitionKey: string, from: number, events: readonly HistoryEvent[]): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  let group: string[] = [];
  let chars = 0;
  let start = from;
  const flush = (): void => {
    if (!group.length) return;
    const e: Record<string, unknown> = { partitionKey, rowKey: historyKey(start) };
    if (group.length === 1) putText(e, 'ev', group[0], 'A history event');
    else putText(e, 'evs', `[${group.join(',')}]`, 'History events');
    rows.push(e);
    start += group.length;
    group = [];
    chars = 0;
  };
  for (const event of events) {
    const text = JSON.stringify(event);
    if (group.length && chars + text.length + 1 > ROW_CHARS) flush();
    group.push(text);
    chars += text.length + 1;
  }
  flush();
  return rows;
}

/** Partition for host metadata; `~` sorts after every instance id a client would choose. */
const META = '~devhost';

function toMs(v: unknown): number {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'string') return Date.parse(v);
  return 0;
}

function statusOf(err: unknown): number | undefined {
  const e = err as { statusCode?: number } | undefined;
  return typeof e?.statusCode === 'number' ? e.statusCode : undefined;
}
