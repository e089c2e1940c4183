/** Registers the signal-reading activity; the handler loads on the first invocation, the readers (and their SDKs) are built then. */
import { activityHandlers, activityNamed } from '../src/activities/define.js';

// The contracts load on the first invocation (registering needs the names only).
const c = (): Promise<typeof import('../src/activities/signals.contracts.js')> => import('../src/activities/signals.contracts.js');

const register = activityHandlers(async () => {
  const [{ createSignalsActivities }, { signalReaders }] = await Promise.all([import('../src/activities/signals.js'), import('../src/app/signals.js')]);
  return createSignalsActivities({ readers: () => signalReaders() });
});

register(activityNamed('signalsRead', async () => (await c()).readSignals), (a, input) => a.read(input));
