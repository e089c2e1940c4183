/**
 * SQL containment actions and reads as Durable activities (contracts: src/activities/sql.contracts.ts).
 * Nothing SQL-related is read or loaded until an activity runs.
 */
import { app } from '@azure/functions';
import { activityHandlers, activityNamed } from '../src/activities/define.js';

// The contracts load on the first invocation (registering needs the names only).
const c = (): Promise<typeof import('../src/activities/sql.contracts.js')> => import('../src/activities/sql.contracts.js');

const register = activityHandlers(async () => (await import('../src/app/sql.js')).appSqlActivities());

register(activityNamed('sqlSetFlag', async () => (await c()).sqlSetFlag), (a, input) => a.setFlag(input));
register(activityNamed('sqlSetConfigValue', async () => (await c()).sqlSetConfigValue), (a, input) => a.setConfigValue(input));
register(activityNamed('sqlReadRecentChanges', async () => (await c()).sqlReadRecentChanges), (a, input) => a.readRecentChanges(input));
register(activityNamed('sqlReadCurrentValues', async () => (await c()).sqlReadCurrentValues), (a, input) => a.readCurrentValues(input));

// The pools of every SQL target this process opened (activities, the canary), closed at the end.
app.hook.appTerminate(async () => (await import('../src/app/sql.js')).closeSqlStores());
