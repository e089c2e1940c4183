/**
 * The automation's own telemetry (README, "Watching the automation"): started when the app
 * loads, with one span per invocation from the invocation hook. Off (an in-memory summary) unless
 * APPLICATIONINSIGHTS_CONNECTION_STRING is set.
 */
import { app } from '@azure/functions';
import { startAppTelemetry } from '../src/app/telemetry.js';

startAppTelemetry(app.hook);
