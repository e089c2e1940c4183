/**
 * Composition of the App Service capability from the app settings: the ARM + HTTP adapter, the
 * LKG registry and freeze store (Table storage), the step ledger, and the freeze announcer.
 * Built on first use (the SDKs load then), once per process.
 */
import { readFileSync } from 'node:fs';
import type { Configured } from '../activities/define.js';
import { createSiteOpsActivities, type SiteOpsActivities } from '../activities/app-service-ops.js';
import { createAppServiceActivities, type AppServiceActivities } from '../activities/app-service.js';
import { AppServiceAdapter, SiteOpsAdapter } from '../adapters/app-service.js';
import { ArmAppService, ArmSiteOps, defaultArmCredential } from '../adapters/arm.js';
import { createTableClient } from '../adapters/storage.js';
import { TableFreezeStore, TableLkgRegistry } from '../adapters/table-release.js';
import type { AppServiceSettings, RegistrySettings } from '../config/app-service.js';
import { describeIssues, type Issue } from '../config/issues.js';
import type { AppServicePort, SiteOpsPort } from '../ports/app-service.js';
import type { FreezeStore, LkgRegistry } from '../ports/release-registry.js';
import { appNow } from './clock.js';
import { loadFreezeAnnouncer } from './freeze-announcer-choice.js';
import { getLedger } from './ledger.js';
import { appSettings, type AppSettings } from './settings.js';

export type Built<T> = { ok: true; value: T } | { ok: false; issues: Issue[] };

export interface RegistryPorts {
  lkg: LkgRegistry;
  freeze: FreezeStore;
}

let registry: { key: string; ports: RegistryPorts } | undefined;

/** The LKG registry and freeze store (what the HTTP endpoints need; no App Service target required). */
export function registryPorts(settings: AppSettings = appSettings()): Built<RegistryPorts> {
  const s = settings.registry;
  if (!s.ok) return s;
  // Rebuilt if the settings change (they do not in Azure; tests and the dev host may).
  const key = registryKey(s.settings);
  if (registry?.key !== key) registry = { key, ports: buildRegistry(s.settings) };
  return { ok: true, value: registry.ports };
}

function registryKey(s: RegistrySettings): string {
  return JSON.stringify([s.lkgTable, s.freezeTable, s.storage.tableEndpoint, s.storage.kind]);
}

function buildRegistry(s: RegistrySettings): RegistryPorts {
  return {
    lkg: new TableLkgRegistry(createTableClient(s.storage, s.lkgTable)),
    freeze: new TableFreezeStore(createTableClient(s.storage, s.freezeTable)),
  };
}

export interface AppServiceComposition extends RegistryPorts {
  settings: AppServiceSettings;
  appService: AppServicePort;
  /** Restart, scale out, access restrictions on the site (the containment actions beyond the swap). */
  siteOps: SiteOpsPort;
  /** The ARM client the adapter reads and swaps with (the canary checks its read access). */
  arm: ArmAppService;
}

let composed: AppServiceComposition | undefined;

export function appServicePorts(settings: AppSettings = appSettings()): Built<AppServiceComposition> {
  if (composed) return { ok: true, value: composed };
  const s = settings.appService;
  if (!s.ok) return s;
  const reg = registryPorts(settings);
  if (!reg.ok) return reg;
  let caPem: string | undefined;
  if (s.settings.armCaFile) {
    try {
      caPem = readFileSync(s.settings.armCaFile, 'utf8');
    } catch (err) {
      return { ok: false, issues: [{ path: 'APPSERVICE_ARM_CA_FILE', code: 'unreadable', message: `cannot be read: ${(err as NodeJS.ErrnoException).code ?? 'error'}` }] };
    }
  }
  const arm = new ArmAppService({
    credential: defaultArmCredential(s.settings.managedIdentityClientId),
    endpoint: s.settings.armEndpoint,
    ...(caPem ? { caPem } : {}),
    requestTimeoutMs: s.settings.httpTimeoutMs,
    pollIntervalMs: s.settings.pollIntervalMs,
  });
  const appService = new AppServiceAdapter({ arm, httpTimeoutMs: s.settings.httpTimeoutMs, swapDeadlineMs: s.settings.swapDeadlineMs, hookToken: (setting) => settings.hookToken(setting) });
  // A scale-out follows its operation for as long as a swap may take.
  const siteOps = new SiteOpsAdapter({ ops: new ArmSiteOps(arm), httpTimeoutMs: s.settings.httpTimeoutMs, scaleDeadlineMs: s.settings.swapDeadlineMs });
  composed = { settings: s.settings, appService, siteOps, arm, ...reg.value };
  return { ok: true, value: composed };
}

/**
 * The App Service activities' handlers on the app's ports (functions/app-service-activities.ts
 * registers them), or the settings' problems; `log` is the invocation's.
 */
export async function appServiceActivities(log: (line: string) => void): Promise<Configured<AppServiceActivities & SiteOpsActivities>> {
  const built = appServicePorts();
  if (!built.ok) return { ok: false, problems: describeIssues(built.issues) };
  const freezeAnnouncer = await loadFreezeAnnouncer();
  const { settings, ...ports } = built.value;
  // The incident's clock (simulated on the dev host): a freeze's "since" and the LKG's "recorded at"
  // read on the same clock as the incident that set them.
  const now = () => appNow().toISOString();
  const siteOps = createSiteOpsActivities({ siteOps: ports.siteOps, ledger: getLedger(), targets: settings.targets, now, verifyDelayMs: Math.max(settings.pollIntervalMs, 10) });
  return {
    ok: true,
    value: {
      ...siteOps,
      ...createAppServiceActivities({
        ...ports,
        targets: settings.targets,
        ledger: getLedger(),
        announcer: freezeAnnouncer(log),
        verifyDelayMs: settings.pollIntervalMs,
        now,
        log,
      }),
    },
  };
}
