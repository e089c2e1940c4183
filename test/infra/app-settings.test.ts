/**
 * One catalogue of app settings (infra/app-settings.json) and everything that must agree with it:
 * the settings the code reads (recorded while every settings reader runs), the settings the
 * template sets (the compiled ARM template, expanded), local.settings.sample.json and the README.
 * So a setting the code reads but Azure never gets, or one the template sets that nothing reads
 * (KEY_VAULT_URI, once), fails here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as appServiceConfig from '../../src/config/app-service.js';
import * as evidenceConfig from '../../src/config/evidence.js';
import * as intakeConfig from '../../src/config/intake.js';
import * as settingsConfig from '../../src/config/settings.js';
import * as signalsConfig from '../../src/config/signals.js';
import * as smokeConfig from '../../src/config/smoke.js';
import * as sqlConfig from '../../src/config/sql.js';
import * as teamsConfig from '../../src/config/teams.js';
import { parseAppSettings } from '../../src/app/settings.js';
import { deploy, type Deployment } from '../harness/arm.js';
import { compileMain, readJson, repoRoot, skipWithoutBicep } from '../harness/bicep.js';
import { readmeBlock, settingsTable } from '../../tools/settings-docs.js';
import { checkSettingsAgainstCatalogue, settingsOf } from './checks.js';

interface Entry {
  readBy: ('app' | 'host' | 'sdk')[];
  azure: 'infra' | 'infra-dts' | 'checklist' | 'optional' | 'platform' | 'local' | 'retired';
  local?: string;
  about: string;
}
const catalogue = readJson<{ settings: Record<string, Entry>; patterns: Record<string, Entry> }>('infra', 'app-settings.json');
const names = Object.keys(catalogue.settings);
const known = (name: string) => name in catalogue.settings || Object.keys(catalogue.patterns).some((p) => name.startsWith(p));

/** Every settings reader of src/config (their `read*` exports) and the app's settings (src/app/settings.ts). */
const configModules = { appServiceConfig, evidenceConfig, intakeConfig, settingsConfig, signalsConfig, smokeConfig, sqlConfig, teamsConfig };
type Reader = (env: NodeJS.ProcessEnv) => unknown;
const readers: Reader[] = [
  ...Object.values(configModules).flatMap((m) =>
    Object.entries(m)
      .filter(([k, v]) => /^read[A-Z]/.test(k) && typeof v === 'function')
      .map(([k, fn]): Reader => (k === 'readSqlTarget' ? (env) => sqlConfig.readSqlTarget(env, 'SQL_CONNECTION_PROBE') : (fn as Reader))),
  ),
  (env) => (smokeConfig.readSmokeSettings(env) as { ok: boolean; settings?: { secret(n: string): unknown } }).settings?.secret('SMOKE_PROBE'),
  // What src/app/settings.ts reads itself (the policy's source, the commit, access, ...): every section, and a SQL connection.
  (env) => {
    const s = parseAppSettings(env);
    return [...(Object.values(s) as unknown[]), s.sqlConnection('SQL_CONNECTION_PROBE')];
  },
];

/** The names every reader reads, over a few shapes of environment (branches read different names). */
function recordReads(): Set<string> {
  const seen = new Set<string>();
  const variants: NodeJS.ProcessEnv[] = [
    {},
    { AzureWebJobsStorage__accountName: 'a', EVIDENCE_STORAGE__accountName: 'e', RELEASE_STORAGE__accountName: 'r', WEBSITE_INSTANCE_ID: 'x' },
    { TEAMS_DELIVERY: 'channel' },
    { TEAMS_DELIVERY: 'activity', TEAMS_APP_CLIENT_ID: '00000000-0000-0000-0000-000000000001' },
  ];
  for (const base of variants) {
    const env = new Proxy(base, {
      get(target, prop) {
        if (typeof prop === 'string') seen.add(prop);
        return Reflect.get(target, prop) as unknown;
      },
    });
    for (const read of readers) {
      try {
        read(env);
      } catch {
        // A reader that throws on an empty environment still read what it read.
      }
    }
  }
  return seen;
}

/**
 * Variables the process gets from the tool that started it, not app settings: npm sets INIT_CWD
 * (the folder `npm run` was typed in) for the local CLIs, which write their files relative to it.
 */
const PROCESS_VARIABLES = new Set(['INIT_CWD']);

/** `env.NAME`, `env['NAME']` and `process.env.NAME` in the app's source, outside the dev host. */
function sourceReads(): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (path.relative(repoRoot, p) !== path.join('src', 'devhost')) walk(p);
      } else if (e.name.endsWith('.ts')) {
        for (const m of readFileSync(p, 'utf8').matchAll(/\benv(?:\.([A-Z][A-Za-z0-9_]+)|\[['"]([A-Z][A-Za-z0-9_]+)['"]\])/g)) {
          found.set(m[1] ?? m[2]!, path.relative(repoRoot, p));
        }
      }
    }
  };
  for (const d of ['src', 'functions', 'orchestrations']) walk(path.join(repoRoot, d));
  return found;
}

describe('the app settings catalogue (infra/app-settings.json)', () => {
  const reads = recordReads();
  const source = sourceReads();

  it('lists every setting the code reads', () => {
    const unlisted = [...reads, ...source.keys()].filter((n) => /^[A-Za-z][A-Za-z0-9_]+$/.test(n) && n !== 'toJSON' && !PROCESS_VARIABLES.has(n) && !known(n));
    expect([...new Set(unlisted)]).toEqual([]);
  });

  it('lists nothing our code does not read (entries read by the app are read, by a reader or in the source)', () => {
    const unread = names.filter((n) => catalogue.settings[n]!.readBy.includes('app') && !reads.has(n) && !source.has(n));
    expect(unread).toEqual([]);
  });

  it('gives local.settings.sample.json exactly the local values', () => {
    const sample = readJson<{ Values: Record<string, string> }>('local.settings.sample.json').Values;
    const expected = Object.fromEntries(names.filter((n) => catalogue.settings[n]!.local !== undefined).map((n) => [n, catalogue.settings[n]!.local]));
    expect(sample).toEqual(expected);
  });

  it('is the README\'s settings table (npm run settings:docs writes it)', () => {
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    expect(readmeBlock(readme)).toBe(settingsTable());
  });
});

describe.skipIf(skipWithoutBicep)(`the template sets the catalogue's settings, and the code accepts them ${skipWithoutBicep ? '(skipped: no .NET SDK to restore the Bicep compiler, outside CI)' : ''}`, () => {
  let storage: Deployment;
  let scheduler: Deployment;
  beforeAll(() => {
    const template = compileMain();
    storage = deploy(template, { environmentName: 'prod' });
    scheduler = deploy(template, { environmentName: 'prod', durableBackend: 'DurableTaskScheduler' });
  });

  const expectedFor = (kinds: Entry['azure'][]) => names.filter((n) => kinds.includes(catalogue.settings[n]!.azure)).sort();

  it('sets exactly the settings the catalogue marks infra (and infra-dts with the Durable Task Scheduler)', () => {
    expect(checkSettingsAgainstCatalogue(storage, false)).toEqual([]);
    expect(checkSettingsAgainstCatalogue(scheduler, true)).toEqual([]);
    expect(expectedFor(['infra']).length).toBeGreaterThan(10);
  });

  it('every setting it sets is read: by our code, or by the Functions host or an Azure SDK', () => {
    const reads = recordReads();
    for (const name of settingsOf(scheduler).keys()) {
      const entry = catalogue.settings[name]!;
      if (entry.readBy.includes('app')) expect(reads.has(name) || sourceReads().has(name), `${name} is marked read by the app`).toBe(true);
      else expect(entry.readBy.length, name).toBeGreaterThan(0);
    }
    // The host reads TaskHubName through host.json.
    expect(readFileSync(path.join(repoRoot, 'host.json'), 'utf8')).toContain('%TaskHubName%');
  });

  it('the deployed settings satisfy every reader; only the approval key waits for its manual step', () => {
    // What Azure fills in at deployment time, as it would look.
    const runtime: Record<string, string> = {
      'identity/id.clientId': '11111111-2222-3333-4444-555555555555',
      'vault/vault.vaultUri': 'https://kv-x.vault.azure.net/',
      'monitoring/insights.ConnectionString': 'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/',
    };
    const env: NodeJS.ProcessEnv = { WEBSITE_INSTANCE_ID: 'abc', WEBSITE_HOSTNAME: 'func-x.azurewebsites.net', WEBSITE_AUTH_ENABLED: 'True' };
    for (const [k, v] of settingsOf(storage)) env[k] = v.replace(/<runtime:([^>]+)>/g, (_, p: string) => runtime[p] ?? `<unknown ${p}>`);
    expect(Object.entries(env).filter(([, v]) => v?.includes('<unknown'))).toEqual([]);
    for (const read of [settingsConfig.readSettings, intakeConfig.readIntakeSettings, evidenceConfig.readEvidenceSettings, appServiceConfig.readAppServiceSettings, sqlConfig.readSqlSettings, smokeConfig.readSmokeSettings, teamsConfig.readTeamsSettings]) {
      expect(read(env), read.name).toMatchObject({ ok: true });
    }
    expect(parseAppSettings(env).policy).toEqual({ kind: 'file', where: expect.stringMatching(/policy\.json$/) as unknown });
    // Until a person creates the secret, App Service passes the reference text through.
    expect(teamsConfig.readApprovalSettings(env)).toMatchObject({ ok: false, issues: [{ path: 'APPROVAL_SIGNING_KEY' }] });
    expect(teamsConfig.readApprovalSettings({ ...env, APPROVAL_SIGNING_KEY: Buffer.alloc(32, 7).toString('base64') })).toMatchObject({ ok: true, settings: { identity: 'entra' } });
  });
});
