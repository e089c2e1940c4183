/**
 * The synthetic monitor (README "Signals"): once a minute (NCRONTAB, UTC), every environment whose
 * policy schedule (`signals.synthetic.schedule`) is due runs its services' smoke checks; N red runs
 * in a row declare an incident through the alert intake, green again raises a recovery signal.
 * The logic is in src/app/synthetic-monitor.ts; the timer's work (src/app/synthetic-monitor-timer.ts)
 * loads on its first run.
 */
import { app, type InvocationContext, type Timer } from '@azure/functions';
import * as df from 'durable-functions';

app.timer('syntheticMonitor', {
  schedule: '0 * * * * *',
  extraInputs: [df.input.durableClient()],
  handler: async (_timer: Timer, context: InvocationContext) => (await import('../src/app/synthetic-monitor-timer.js')).syntheticMonitorTick(context),
});
