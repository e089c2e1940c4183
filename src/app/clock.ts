/**
 * The application's wall clock. In Azure it is the system clock. The dev host can run the app on
 * simulated time (a scaled or manual clock, to walk through a 30-minute runbook in seconds); it
 * installs that clock here, so the times the triggers and activities stamp (declaredAt, message
 * deadlines) agree with the orchestrations' clock. One simulated clock per process: the dev host
 * installs it when it starts and removes it when it stops.
 *
 * The clock lives on a global symbol rather than in a module variable because the dev host and the
 * app it loads may be two copies of this module (the host run from source by the tests, the app
 * from dist/).
 *
 * Only times compared with orchestration time go through this clock. Timeouts, retry waits and
 * latency measurements stay on the real clock: they are about the network, not the runbook.
 */
const KEY = Symbol.for('incident-autopilot.app-clock');
type Holder = { [KEY]?: () => number };

export function appNow(): Date {
  const simulated = (globalThis as Holder)[KEY];
  return new Date(simulated ? simulated() : Date.now());
}

/** Installs (or with null removes) a simulated clock; only the dev host calls this. */
export function setAppClock(now: (() => number) | null): void {
  if (now) (globalThis as Holder)[KEY] = now;
  else delete (globalThis as Holder)[KEY];
}
