/**
 * SQL containment actions and reads as Durable activities (contracts: src/activities/sql.contracts.ts).
 * Nothing SQL-related is read or loaded until an activity runs.
 */
import { app } from '@azure/functions';
import { activityHandlers } from '../src/activities/define.js';
import { sqlReadCurrentValues, sqlReadRecentChanges, sqlSetConfigValue, sqlSetFlag } from '../src/activities/sql.contracts.js';

const register = activityHandlers(async () => (await import('../src/app/sql.js')).appSqlActivities());

register(sqlSetFlag, (a, input) => a.setFlag(input));
register(sqlSetConfigValue, (a, input) => a.setConfigValue(input));
register(sqlReadRecentChanges, (a, input) => a.readRecentChanges(input));
register(sqlReadCurrentValues, (a, input) => a.readCurrentValues(input));

// The pools of every SQL target this process opened (activities, the canary), closed at the end.
app.hook.appTerminate(async () => (await import('../src/app/sql.js')).closeSqlStores());
