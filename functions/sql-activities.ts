/**
 * SQL containment actions and reads as Durable activities (contracts: src/activities/sql.contracts.ts).
 * Nothing SQL-related is read or loaded until an activity runs.
 */
import { app } from '@azure/functions';
import { registerActivity } from '../src/activities/define.js';
import { sqlReadCurrentValues, sqlReadRecentChanges, sqlSetConfigValue, sqlSetFlag } from '../src/activities/sql.contracts.js';
import { createSqlActivities } from '../src/activities/sql.js';
import { getLedger } from '../src/app/ledger.js';
import { closeSqlStores, getSqlSettings, getSqlStore } from '../src/app/sql.js';
import { appNow } from '../src/app/clock.js';

const sql = createSqlActivities({
  ledger: getLedger,
  store: (setting) => getSqlStore(setting, process.env, (message) => console.warn(`SQL: ${message}`)),
  settings: () => getSqlSettings(),
  now: appNow,
});

registerActivity(sqlSetFlag, (input) => sql.setFlag(input));
registerActivity(sqlSetConfigValue, (input) => sql.setConfigValue(input));
registerActivity(sqlReadRecentChanges, (input) => sql.readRecentChanges(input));
registerActivity(sqlReadCurrentValues, (input) => sql.readCurrentValues(input));

app.hook.appTerminate(() => closeSqlStores());
