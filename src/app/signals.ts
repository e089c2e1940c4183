/**
 * Composition of the signal readers (Azure Monitor) and the synthetic monitor's state store from
 * the app settings. Built on first use (the SDKs load then), once per settings.
 */
import { readFileSync } from 'node:fs';
import { defaultArmCredential } from '../adapters/arm.js';
import { AzureMonitorReaders } from '../adapters/azure-monitor.js';
import { createTableClient } from '../adapters/storage.js';
import { TableMonitorStateStore } from '../adapters/table-synthetic.js';
import type { SignalReaders } from '../ports/signals.js';
import type { MonitorStateStore } from '../ports/synthetic-state.js';
import type { Built } from './app-service.js';
import { appSettings, type AppSettings } from './settings.js';

let readers: { key: string; value: SignalReaders } | undefined;
let states: { key: string; value: MonitorStateStore } | undefined;

export function signalReaders(settings: AppSettings = appSettings()): Built<SignalReaders> {
  const s = settings.signals;
  if (!s.ok) return s;
  const { storage: _storage, syntheticTable: _table, ...own } = s.settings;
  const key = JSON.stringify(own);
  if (readers?.key !== key) {
    let caPem: string | undefined;
    if (own.caFile) {
      try {
        caPem = readFileSync(own.caFile, 'utf8');
      } catch (err) {
        return { ok: false, issues: [{ path: 'SIGNALS_CA_FILE', code: 'unreadable', message: `cannot be read: ${(err as NodeJS.ErrnoException).code ?? 'error'}` }] };
      }
    }
    readers = {
      key,
      value: new AzureMonitorReaders({
        credential: defaultArmCredential(),
        metricsEndpoint: own.metricsEndpoint,
        ...(own.logsEndpoint ? { logsEndpoint: own.logsEndpoint } : {}),
        ...(own.armEndpoint ? { armEndpoint: own.armEndpoint } : {}),
        ...(own.portalUrl ? { portalUrl: own.portalUrl } : {}),
        ...(caPem ? { caPem } : {}),
      }),
    };
  }
  return { ok: true, value: readers.value };
}

export function monitorStateStore(settings: AppSettings = appSettings()): Built<MonitorStateStore> {
  const s = settings.signals;
  if (!s.ok) return s;
  const key = JSON.stringify([s.settings.syntheticTable, s.settings.storage.tableEndpoint, s.settings.storage.kind]);
  if (states?.key !== key) states = { key, value: new TableMonitorStateStore(createTableClient(s.settings.storage, s.settings.syntheticTable)) };
  return { ok: true, value: states.value };
}
