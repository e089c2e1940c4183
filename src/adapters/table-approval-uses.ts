/**
 * Used approval nonces in Azure Table storage: partition = incident, row = the proposal's nonce.
 * Creating the row is the claim (insert-if-absent: a second insert fails with 409), so of two
 * simultaneous clicks exactly one records a decision.
 */
import type { TableClient } from '@azure/data-tables';
import type { ApprovalUse, ApprovalUseStore } from '../ports/approvals.js';
import { onFirstUse, restStatus } from './storage.js';
import { tableKey } from './table-ledger.js';

interface Row {
  partitionKey: string;
  rowKey: string;
  incidentId: string;
  proposalId: string;
  choice: string;
  actorId: string;
  actorName?: string;
  decidedAt: string;
  state: 'claimed' | 'raised';
}

function toUse(row: Row, nonce: string): ApprovalUse {
  return {
    incidentId: row.incidentId,
    nonce,
    proposalId: row.proposalId,
    choice: row.choice,
    actorId: row.actorId,
    ...(row.actorName ? { actorName: row.actorName } : {}),
    decidedAt: row.decidedAt,
    state: row.state,
  };
}

export class TableApprovalUses implements ApprovalUseStore {

  constructor(private readonly table: TableClient) {}

  private readonly init = onFirstUse(() => this.table.createTable());

  async get(incidentId: string, nonce: string): Promise<ApprovalUse | undefined> {
    await this.init();
    try {
      return toUse(await this.table.getEntity<Row>(tableKey(incidentId), tableKey(nonce)), nonce);
    } catch (err) {
      if (restStatus(err) === 404) return undefined;
      throw err;
    }
  }

  async claim(use: ApprovalUse): Promise<{ claimed: true } | { claimed: false; existing: ApprovalUse }> {
    await this.init();
    const row: Row = {
      partitionKey: tableKey(use.incidentId),
      rowKey: tableKey(use.nonce),
      incidentId: use.incidentId,
      proposalId: use.proposalId,
      choice: use.choice,
      actorId: use.actorId,
      ...(use.actorName ? { actorName: use.actorName } : {}),
      decidedAt: use.decidedAt,
      state: use.state,
    };
    try {
      await this.table.createEntity(row);
      return { claimed: true };
    } catch (err) {
      if (restStatus(err) !== 409) throw err;
    }
    const existing = await this.get(use.incidentId, use.nonce);
    // Released in between (a failed raise): try once more.
    if (!existing) return this.claim(use);
    return { claimed: false, existing };
  }

  async markRaised(incidentId: string, nonce: string): Promise<void> {
    await this.init();
    await this.table.updateEntity({ partitionKey: tableKey(incidentId), rowKey: tableKey(nonce), state: 'raised' }, 'Merge');
  }

  async release(incidentId: string, nonce: string): Promise<void> {
    await this.init();
    await this.table.deleteEntity(tableKey(incidentId), tableKey(nonce)).catch((err: unknown) => {
      if (restStatus(err) !== 404) throw err;
    });
  }
}
