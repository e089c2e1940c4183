/** The app's step ledger (see src/ports/ledger.ts), built on first use from AzureWebJobsStorage. */
import { createTableClient } from '../adapters/storage.js';
import { appSettings } from './settings.js';
import { TableStepLedger } from '../adapters/table-ledger.js';
import type { StepLedger } from '../ports/ledger.js';

let ledger: StepLedger | undefined;

export const LEDGER_TABLE = 'IncidentSteps';

export function getLedger(): StepLedger {
  ledger ??= new TableStepLedger(createTableClient(appSettings().storage(), LEDGER_TABLE));
  return ledger;
}
