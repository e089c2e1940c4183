/**
 * infra/main.bicep, compiled by the real Bicep compiler (the pinned NuGet package) and expanded by
 * test/harness/arm.ts into the resources a deployment would send. The checks live in checks.ts;
 * the last block shows each of them failing on a deliberately broken copy of infra/.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readSettings } from '../../src/config/settings.js';
import { deploy, type ArmTemplate, type Deployment } from '../harness/arm.js';
import { compileBrokenCopies, compileMain, readJson, repoRoot, skipWithoutBicep, type InfraBreak } from '../harness/bicep.js';
import {
  checkAlertArchiveLifecycle,
  checkEvidencePolicy,
  checkFlexSettings,
  checkIdentityStorage,
  checkNames,
  checkNode22,
  checkRoles,
  checkSettingsAgainstCatalogue,
  functionApp,
  roleAssignments,
  settingsOf,
} from './checks.js';

const SITE = '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-admin-prod/providers/Microsoft.Web/sites/admin-api-prod';
const COMPONENT = '/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg-monitor/providers/Microsoft.Insights/components/appi-admin';
const WORKSPACE = '/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg-monitor/providers/Microsoft.OperationalInsights/workspaces/log-admin';
const PLAN = '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-admin-prod/providers/Microsoft.Web/serverfarms/asp-admin-prod';
const base = { environmentName: 'prod', targetSiteIds: [SITE], targetPlanIds: [PLAN], monitoredResourceIds: [SITE, COMPONENT], logResourceIds: [COMPONENT, WORKSPACE] };
const reason = '(skipped: no .NET SDK to restore the Bicep compiler, outside CI)';

describe.skipIf(skipWithoutBicep)(`the ARM template compiled from infra/main.bicep ${skipWithoutBicep ? reason : ''}`, () => {
  let template: ArmTemplate;
  let text: string;
  let d: Deployment;
  beforeAll(() => {
    template = compileMain();
    text = JSON.stringify(template);
    d = deploy(template, base);
  });

  it('assigns only known built-in roles, each named in its description, scoped to one resource, the least for what the app does there', () => {
    expect(checkRoles(d)).toEqual([]);
    const scheduler = deploy(template, { ...base, durableBackend: 'DurableTaskScheduler' });
    expect(checkRoles(scheduler)).toEqual([]);
    // Website Contributor lands on the target site (in its own resource group), not on a resource group.
    const site = roleAssignments(d).filter((a) => a.scope === SITE && (a.resource.properties as { description: string }).description.startsWith('Website Contributor:'));
    expect(site).toHaveLength(1);
    expect(site[0]!.resourceGroup).toBe('rg-admin-prod');
    expect(roleAssignments(d).every((a) => a.scope !== undefined && !/\/resourceGroups\/[^/]+$/.test(a.scope))).toBe(true);
    // No target: no Website Contributor at all.
    expect(roleAssignments(deploy(template, { environmentName: 'prod' })).filter((a) => a.scope?.includes('Microsoft.Web/sites'))).toEqual([]);
  });

  it('gives the signal readers Monitoring Reader on each monitored resource and Log Analytics Reader on each logs resource, and nothing when none is named', () => {
    const signal = (dep: Deployment) =>
      roleAssignments(dep)
        .map((a) => ({ scope: a.scope, rg: a.resourceGroup, description: (a.resource.properties as { description: string }).description }))
        .filter((a) => /^(Monitoring|Log Analytics) Reader:/.test(a.description))
        .sort((x, y) => (`${x.scope} ${x.description}` < `${y.scope} ${y.description}` ? -1 : 1));
    expect(signal(d)).toEqual([
      { scope: SITE, rg: 'rg-admin-prod', description: 'Monitoring Reader: read its metrics and the alerts that target it' },
      { scope: COMPONENT, rg: 'rg-monitor', description: 'Log Analytics Reader: run the triage queries on its logs' },
      { scope: COMPONENT, rg: 'rg-monitor', description: 'Monitoring Reader: read its metrics and the alerts that target it' },
      { scope: WORKSPACE, rg: 'rg-monitor', description: 'Log Analytics Reader: run the triage queries on its logs' },
    ]);
    expect(signal(deploy(template, { environmentName: 'prod' }))).toEqual([]);
    // A resource the readers cannot take that role on fails the deployment rather than assigning nothing.
    expect(() => deploy(template, { ...base, logResourceIds: [SITE] })).toThrow();
    expect(() => deploy(template, { ...base, monitoredResourceIds: [WORKSPACE] })).toThrow();
  });

  it('connects to storage with the managed identity only (no keys in settings, shared keys disabled)', () => {
    expect(checkIdentityStorage(d, text)).toEqual([]);
  });

  it('sets no app setting or site property that Flex Consumption retired', () => {
    expect(checkFlexSettings(d)).toEqual([]);
    expect(checkFlexSettings(deploy(template, { ...base, durableBackend: 'DurableTaskScheduler' }))).toEqual([]);
  });

  it('runs Node 22, which the package.json engines allow', () => {
    expect(checkNode22(d)).toEqual([]);
    const engines = readJson<{ engines: { node: string } }>('package.json').engines.node;
    expect(engines).toMatch(/>=22\b/);
  });

  it.each([['prod'], ['My-Env_2.0!'], ['a'], ['x'.repeat(64)], ['UPPER-case--double']])('derives every name so that no environment name breaks one: %s', (environmentName) => {
    const dep = deploy(template, { ...base, environmentName });
    expect(checkNames(dep, environmentName)).toEqual([]);
    // The task hub name is one the app accepts too (src/config/settings.ts).
    const hub = settingsOf(dep).get('TaskHubName');
    expect(readSettings({ TaskHubName: hub, AzureWebJobsStorage: 'UseDevelopmentStorage=true' }).ok).toBe(true);
  });

  it('keeps evidence at least a year, and a redeploy after the lock sends no policy the lock would refuse', () => {
    const locked = deploy(template, { ...base, evidencePolicyLocked: true });
    expect(checkEvidencePolicy(d, locked)).toEqual([]);
    expect(template.parameters?.evidenceRetentionDays?.minValue).toBeGreaterThanOrEqual(365);
    expect(Number(template.parameters?.evidenceRetentionDays?.defaultValue)).toBeGreaterThanOrEqual(365);
    expect(() => deploy(template, { ...base, evidenceRetentionDays: 30 })).not.toThrow(); // the compiler's minValue is ARM's to enforce
  });

  it('puts the raw alert archive under a lifecycle rule', () => {
    expect(checkAlertArchiveLifecycle(d)).toEqual([]);
  });

  it('chooses the Durable backend: Azure Storage by default, the Durable Task Scheduler on request', () => {
    expect(d.resources.filter((r) => r.type.startsWith('Microsoft.DurableTask/')).map((r) => r.path)).toEqual([]);
    expect([...settingsOf(d).keys()].filter((k) => k.includes('DURABLE_TASK_SCHEDULER') || k.includes('storageProvider'))).toEqual([]);
    const dts = deploy(template, { ...base, durableBackend: 'DurableTaskScheduler' });
    const s = settingsOf(dts);
    const hub = dts.resources.find((r) => r.type === 'Microsoft.DurableTask/schedulers/taskHubs');
    expect(hub?.name.split('/')[1]).toBe(s.get('TaskHubName'));
    expect(s.get('AzureFunctionsJobHost__extensions__durableTask__storageProvider__type')).toBe('azureManaged');
    expect(s.get('AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName')).toBe('DURABLE_TASK_SCHEDULER_CONNECTION_STRING');
    expect(s.get('DURABLE_TASK_SCHEDULER_CONNECTION_STRING')).toMatch(/^Endpoint=<runtime:[^;]+>;Authentication=ManagedIdentity;ClientID=<runtime:identity\/id\.clientId>$/);
    const sched = dts.resources.find((r) => r.type === 'Microsoft.DurableTask/schedulers');
    expect((sched?.resource.properties as { ipAllowlist: string[] }).ipAllowlist).not.toEqual([]);
  });

  it('tags the function app with the azd service name of azure.yaml', () => {
    const yaml = readFileSync(path.join(repoRoot, 'azure.yaml'), 'utf8');
    const service = /^services:\s*\n\s+([A-Za-z0-9-]+):/m.exec(yaml)?.[1];
    expect(service).toBeTruthy();
    expect((functionApp(d).resource.tags as Record<string, string>)['azd-service-name']).toBe(service);
    // main.parameters.json, after azd's substitution (raw text, then JSON: arrays and booleans are
    // left unquoted so that their values arrive typed), names only parameters the template has,
    // with values of their types, and covers the required ones.
    const raw = readFileSync(path.join(repoRoot, 'infra', 'main.parameters.json'), 'utf8');
    const substitute = (env: Record<string, string>) =>
      JSON.parse(raw.replace(/\$\{([A-Z_]+)(?:=([^}]*))?\}/g, (_, name: string, def?: string) => env[name] ?? def ?? '')) as { parameters: Record<string, { value: unknown }> };
    const typeOf = (v: unknown) => (Array.isArray(v) ? 'array' : typeof v === 'boolean' ? 'bool' : typeof v === 'number' ? 'int' : typeof v);
    const envs: Record<string, string>[] = [
      { AZURE_ENV_NAME: 'prod', AZURE_LOCATION: 'westeurope' },
      { AZURE_ENV_NAME: 'prod', AZURE_LOCATION: 'westeurope', TARGET_SITE_IDS: JSON.stringify([SITE]), EVIDENCE_POLICY_LOCKED: 'true', MONITORED_RESOURCE_IDS: JSON.stringify([SITE]), LOG_RESOURCE_IDS: JSON.stringify([COMPONENT]) },
    ];
    for (const env of envs) {
      const params = substitute(env).parameters;
      for (const [name, p] of Object.entries(params)) expect(typeOf(p.value), name).toBe(template.parameters?.[name]?.type.toLowerCase());
      for (const [name, def] of Object.entries(template.parameters ?? {})) if (!('defaultValue' in def)) expect(params).toHaveProperty(name);
      expect(() => deploy(template, Object.fromEntries(Object.entries(params).map(([k, p]) => [k, p.value])))).not.toThrow();
    }
  });
});

/**
 * Each check above, on a copy of infra/ broken the way the issue feared (or an easy edit could
 * break it): the compiler accepts every copy, the check catches it.
 */
const BREAKS: InfraBreak[] = [
  {
    check: 'roles: Website Contributor on the resource group',
    file: 'app/target-access.bicep',
    from: /\n {2}scope: site\n/,
    to: "\n",
    run: (t) => checkRoles(deploy(t, base)),
  },
  {
    check: 'roles: Website Contributor (no serverFarms/write) on the plan',
    file: 'app/plan-access.bicep',
    from: "var webPlanContributor = '2cc479cb-7b4d-49a8-b449-8c00fd0f0a4b'",
    to: "var webPlanContributor = 'de139f84-1756-47ae-9be6-808fbbe84772'",
    run: (t) => checkRoles(deploy(t, base)),
  },
  {
    check: 'roles: Key Vault Secrets User claimed as Officer',
    file: 'app/keyvault.bicep',
    from: "var secretsOfficer = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'",
    to: "var secretsOfficer = '4633458b-17de-408a-b874-0445c86b69e6'",
    run: (t) => checkRoles(deploy(t, base)),
  },
  {
    check: 'roles: Monitoring Reader on the resource group of a monitored app',
    file: 'app/signals-access.bicep',
    from: /\n {2}scope: site\n/,
    to: "\n",
    run: (t) => checkRoles(deploy(t, base)),
  },
  {
    check: 'storage: a key-based connection',
    file: 'app/storage.bicep',
    from: 'allowSharedKeyAccess: false',
    to: 'allowSharedKeyAccess: true',
    run: (t) => checkIdentityStorage(deploy(t, base), JSON.stringify(t)),
  },
  {
    check: 'Flex: FUNCTIONS_WORKER_RUNTIME set',
    file: 'app/function.bicep',
    from: "  { name: 'TaskHubName', value: taskHubName }",
    to: "  { name: 'TaskHubName', value: taskHubName }\n  { name: 'FUNCTIONS_WORKER_RUNTIME', value: 'node' }",
    run: (t) => checkFlexSettings(deploy(t, base)),
  },
  {
    check: 'Node 20',
    file: 'app/function.bicep',
    from: "version: '22'",
    to: "version: '20'",
    run: (t) => checkNode22(deploy(t, base)),
  },
  {
    check: 'names: the environment name in the storage account name',
    file: 'main.bicep',
    from: "storage: 'st${token}'",
    to: "storage: toLower('${environmentName}st${take(token, 8)}')",
    run: (t) => checkNames(deploy(t, { ...base, environmentName: 'my-env' }), 'my-env'),
  },
  {
    check: 'evidence: the policy sent even when locked',
    file: 'app/evidence-storage.bicep',
    from: '= if (!policyLocked) {',
    to: '= {',
    run: (t) => checkEvidencePolicy(deploy(t, base), deploy(t, { ...base, evidencePolicyLocked: true })),
  },
  {
    check: 'evidence: 30-day retention',
    file: 'app/evidence-storage.bicep',
    from: 'immutabilityPeriodSinceCreationInDays: retentionDays',
    to: 'immutabilityPeriodSinceCreationInDays: 30',
    run: (t) => checkEvidencePolicy(deploy(t, base), deploy(t, { ...base, evidencePolicyLocked: true })),
  },
  {
    check: 'settings: KEY_VAULT_URI set where the code reads TEAMS_TOKEN_KEYVAULT_URL (the bug this catalogue ended)',
    file: 'app/function.bicep',
    from: "{ name: 'TEAMS_TOKEN_KEYVAULT_URL', value: keyVaultUri }",
    to: "{ name: 'KEY_VAULT_URI', value: keyVaultUri }",
    run: (t) => checkSettingsAgainstCatalogue(deploy(t, base), false),
  },
  {
    check: 'lifecycle: the rule aimed at another prefix',
    file: 'app/storage.bicep',
    from: "prefixMatch: ['${alertPayloads.name}/']",
    to: "prefixMatch: ['${deployment.name}/']",
    run: (t) => checkAlertArchiveLifecycle(deploy(t, base)),
  },
];

describe.skipIf(skipWithoutBicep)(`each template check fails on a deliberately broken copy of infra/ ${skipWithoutBicep ? reason : ''}`, () => {
  let compiled: ArmTemplate[];
  beforeAll(() => {
    compiled = compileBrokenCopies(BREAKS);
  });

  it.each(BREAKS.map((b, i) => [b.check, i] as const))('%s', (_name, i) => {
    expect(BREAKS[i]!.run(compiled[i]!).length).toBeGreaterThan(0);
  });
});
