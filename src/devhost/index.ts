/**
 * The dev host's entry point: what the app's tooling and the tests use of it, and nothing else
 * (eslint.config.mjs refuses deeper imports from outside src/devhost; the dev host's own tests,
 * test/devhost, test its internals). The dev host in turn uses the product
 * only through src/app/devhost-seam.ts, the domain and the lab, so it could become a package of
 * its own.
 */
// Running the app: the host, the lab around it, the demo and drills.
export { DevHost, readExchange, send, type DevHostOptions } from './host.js';
export { startLabHost, type LabHost, type LabHostOptions } from './lab-host.js';
export { runDemo, type DemoResult } from './demo.js';
export { actionsLine, alertsFromFiles, alertsOfIncident, runDrill, type DrillResult } from './drill.js';
export type { IncidentSummaryFile } from './incident-export.js';
// Local storage.
export { developmentStoragePlan, freePort, isListening, startAzurite, type AzuriteInstance } from './azurite.js';
// Time and logs.
export { ManualClock, RealClock, ScaledClock, type Clock } from './clock.js';
export { Logger, type LogLevel, type LogRecord } from './logger.js';
// The Functions host model, for hosts built on it (the conformance suite's real-engine host).
export { loadApp, parseTimeSpan, readHostJson, type LoadedApp } from './app-loader.js';
export { triggerOf } from './core-api.js';
export { formatTimeSpan, Invoker } from './invoker.js';
export { buildRoutes, findRoute, invokeHttp, type HttpRoute, type IncomingExchange, type OutgoingResponse } from './http-triggers.js';
export { parseSchedule } from './timer-triggers.js';
// The Durable engine's history, for benches that build histories.
export { ev, EventType, type HistoryEvent } from './durable/history.js';
export { runEpisode } from './durable/episode.js';
export { HubStore } from './durable/store.js';
