/**
 * SQL containment actions and reads as Durable activities (contracts: src/activities/sql.contracts.ts).
 * Nothing SQL-related is read or loaded until an activity runs.
 */
import { app } from '@azure/functions';
import { registerActivity } from '../src/activities/define.js';
import { sqlReadCurrentValues, sqlReadRecentChanges, sqlSetConfigValue, sqlSetFlag } from '../src/activities/sql.contracts.js';
import { appSqlActivities, closeSqlStores } from '../src/app/sql.js';

registerActivity(sqlSetFlag, (input) => appSqlActivities().setFlag(input));
registerActivity(sqlSetConfigValue, (input) => appSqlActivities().setConfigValue(input));
registerActivity(sqlReadRecentChanges, (input) => appSqlActivities().readRecentChanges(input));
registerActivity(sqlReadCurrentValues, (input) => appSqlActivities().readCurrentValues(input));

app.hook.appTerminate(() => closeSqlStores());
