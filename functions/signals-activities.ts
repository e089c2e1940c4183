/** Registers the signal-reading activity; the readers (and their SDKs) are built on first use. */
import { registerActivity } from '../src/activities/define.js';
import { readSignals } from '../src/activities/signals.contracts.js';
import { createSignalsActivities } from '../src/activities/signals.js';
import { signalReaders } from '../src/app/signals.js';

const activities = createSignalsActivities({ readers: () => signalReaders() });

registerActivity(readSignals, (input) => activities.read(input));
