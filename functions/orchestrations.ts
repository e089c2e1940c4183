/**
 * The orchestrations, registered by name; each one's code (orchestrations/) loads on its first
 * episode (src/app/orchestrations.ts), so the runbook, the activity contracts and the domain it
 * imports are no part of the cold import.
 */
import { orchestrationLoadedOnFirstUse } from '../src/app/orchestrations.js';

orchestrationLoadedOnFirstUse('incident', async () => (await import('../orchestrations/incident.js')).incidentOrchestrator);
orchestrationLoadedOnFirstUse('smokeSuite', async () => (await import('../orchestrations/smoke-suite.js')).smokeSuiteOrchestrator);
