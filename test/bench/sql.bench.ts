/**
 * SQL action figures against the TDS fake (loopback, so these measure our overhead and the
 * driver's, not a database): one read procedure round trip through mssql, and the set-flag
 * activity end to end in its three paths: plan-only (one read), execute (ledger claim in Azurite,
 * read, procedure, audit read-back, ledger record) and a repeat answered from the ledger.
 */
import { performance } from 'node:perf_hooks';
import { createTableClient, storageTarget } from '../../src/adapters/storage.js';
import { TableStepLedger } from '../../src/adapters/table-ledger.js';
import { createSqlActivities } from '../../src/activities/sql.js';
import { closeSqlStores, getSqlSettings, getSqlStore } from '../../src/app/sql.js';
import { parseAppSettings } from '../../src/app/settings.js';
import { TdsFake } from '../../src/lab/tds-server.js';
import { startTestAzurite, uniqueHubName } from '../harness/devhost.js';
import type { BenchResult } from './run.js';
import { summary } from './stats.js';

async function time(n: number, run: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await run(i);
    out.push(performance.now() - t);
  }
  return out;
}

export async function sqlBenchmarks(emit: (r: BenchResult) => void): Promise<void> {
  const [azurite, fake] = await Promise.all([startTestAzurite(), TdsFake.start()]);
  try {
    const env: NodeJS.ProcessEnv = { SQL_CONNECTION_BENCH: fake.connectionString() };
    const ledger = new TableStepLedger(createTableClient(storageTarget({ AzureWebJobsStorage: azurite.connectionString }), uniqueHubName('SqlBench')));
    const sql = createSqlActivities({ ledger: () => ledger, store: (s) => getSqlStore(s, parseAppSettings(env)), settings: () => getSqlSettings(parseAppSettings(env)), now: () => new Date() });
    const store = getSqlStore('SQL_CONNECTION_BENCH', parseAppSettings(env));
    fake.db.seedFlag({ flagKey: 'EnableLegacyHttpSse', scope: 'Prod', isEnabled: true });
    const input = (i: number, mode: 'plan' | 'execute', incident = `bench-${i}`) => ({
      incidentId: incident,
      step: 'contain/flag',
      mode,
      connectionSetting: 'SQL_CONNECTION_BENCH',
      flagKey: 'EnableLegacyHttpSse',
      scope: 'Prod',
      // Alternate, so every execute really changes the flag.
      isEnabled: i % 2 === 1,
      description: 'bench',
    });
    await store.listFlags({ scope: 'Prod' }); // warm-up: driver load, pool, login
    await sql.setFlag(input(0, 'execute', 'bench-warm'));

    emit({ bench: 'sql.procedureRoundTrip', procedure: 'sp_Feature_List', ms: summary(await time(200, () => store.listFlags({ scope: 'Prod' }))) });
    emit({ bench: 'sql.setFlag.plan', ms: summary(await time(100, (i) => sql.setFlag(input(i, 'plan')))) });
    const before = fake.calls.length;
    emit({ bench: 'sql.setFlag.execute', ms: summary(await time(100, (i) => sql.setFlag(input(i, 'execute')))), sqlCallsPerAction: (fake.calls.length - before) / 100 });
    emit({ bench: 'sql.setFlag.repeat', ms: summary(await time(100, (i) => sql.setFlag(input(i, 'execute')))) });
  } finally {
    await closeSqlStores();
    await Promise.all([fake.stop(), azurite.stop()]);
  }
}
