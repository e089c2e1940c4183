/** Registers the signal-reading activity; the handler loads on the first invocation, the readers (and their SDKs) are built then. */
import { activityHandlers } from '../src/activities/define.js';
import { readSignals } from '../src/activities/signals.contracts.js';

const register = activityHandlers(async () => {
  const [{ createSignalsActivities }, { signalReaders }] = await Promise.all([import('../src/activities/signals.js'), import('../src/app/signals.js')]);
  return createSignalsActivities({ readers: () => signalReaders() });
});

register(readSignals, (a, input) => a.read(input));
