/**
 * The checks the template tests make on a deployment (test/harness/arm.ts expands the compiled
 * template). Each returns the problems it finds, so the tests can show both that the real
 * template has none and that a deliberately broken copy of it is caught (template.test.ts).
 */
import { ALERT_PAYLOADS_CONTAINER } from '../../src/app/stores.js';
import { DEFAULT_EVIDENCE_CONTAINER } from '../../src/config/evidence.js';
import { isRuntime, type Deployment, type DeployedResource } from '../harness/arm.js';
import { readJson } from '../harness/bicep.js';

interface Role {
  roleName: string;
  actions: string[];
  dataActions: string[];
}
export const ROLES = readJson<{ roles: Record<string, Role> }>('test', 'fixtures', 'azure', 'built-in-roles.json').roles;

const byName = (name: string): string => {
  const id = Object.entries(ROLES).find(([, r]) => r.roleName === name)?.[0];
  if (!id) throw new Error(`no role ${name} in the fixture`);
  return id;
};

/** Whether a role's permission list grants `op` (wildcards as Azure RBAC reads them, case-insensitive). */
export function grants(patterns: string[], op: string): boolean {
  return patterns.some((p) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i').test(op));
}

/**
 * What the app does at each kind of scope, and the smaller built-in roles that would not be
 * enough (so the assigned one is the least). `roles`: the need stated by Microsoft's docs as roles.
 */
const NEEDS: Record<string, { why: string; ops?: string[]; roles?: string[]; tooSmall?: string[] }> = {
  runtimeStorage: {
    why: 'identity-based AzureWebJobsStorage: Functions docs list these three roles for the host and Durable',
    roles: ['Storage Blob Data Owner', 'Storage Queue Data Contributor', 'Storage Table Data Contributor'],
  },
  evidenceStorage: {
    why: 'evidence packs: write blobs with index tags, find a pack by tag',
    ops: [
      'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write',
      'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read',
      'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags/write',
      'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags/read',
      'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/filter/action',
    ],
    tooSmall: ['Storage Blob Data Contributor'],
  },
  vault: {
    why: 'Key Vault references and the rotated Teams token (read and write secrets)',
    ops: ['Microsoft.KeyVault/vaults/secrets/getSecret/action', 'Microsoft.KeyVault/vaults/secrets/setSecret/action'],
    tooSmall: ['Key Vault Secrets User'],
  },
  insights: { why: 'Entra-authenticated telemetry', ops: ['Microsoft.Insights/Telemetry/Write'] },
  taskHub: {
    why: 'Durable Task Scheduler: the app is client and worker (docs: most Durable Functions apps need Data Contributor)',
    roles: ['Durable Task Data Contributor'],
    tooSmall: ['Durable Task Worker'],
  },
  monitoring: {
    why: 'signal readers: the metric an alert fired on, and the alerts that target the resource',
    ops: ['Microsoft.Insights/metrics/read', 'Microsoft.AlertsManagement/alerts/read'],
    roles: ['Monitoring Reader'],
  },
  logs: {
    why: 'triage queries: top error codes, failing requests, p95 per route',
    ops: ['Microsoft.Insights/components/query/read', 'Microsoft.OperationalInsights/workspaces/query/read'],
    roles: ['Log Analytics Reader'],
  },
  site: {
    why: 'read the slots\' app settings and swap slots',
    ops: [
      'Microsoft.Web/sites/read',
      'Microsoft.Web/sites/config/list/action',
      'Microsoft.Web/sites/slots/read',
      'Microsoft.Web/sites/slots/config/list/action',
      'Microsoft.Web/sites/slotsswap/action',
      'Microsoft.Web/sites/restart/action',
      'Microsoft.Web/sites/config/write',
    ],
  },
  plan: {
    why: 'scale the App Service plan out (the containment action actions.scaleOut)',
    ops: ['Microsoft.Web/serverFarms/read', 'Microsoft.Web/serverFarms/write'],
  },
};

/** The signal readers' roles are judged by what they are for, wherever they land (a site, a component, a workspace). */
const SIGNAL_ROLES: Record<string, { kind: string; scopes: RegExp }> = {
  'Monitoring Reader': { kind: 'monitoring', scopes: /\/providers\/Microsoft\.(Web\/sites|Insights\/components)\/[^/]+$/i },
  'Log Analytics Reader': { kind: 'logs', scopes: /\/providers\/Microsoft\.(Insights\/components|OperationalInsights\/workspaces)\/[^/]+$/i },
};

function scopeKind(scope: string | undefined, d: Deployment, roleName?: string): keyof typeof NEEDS | undefined {
  if (!scope) return undefined;
  const signal = roleName ? SIGNAL_ROLES[roleName] : undefined;
  if (signal) return signal.scopes.test(scope) ? signal.kind : undefined;
  const storage = settingsOf(d).get('AzureWebJobsStorage__accountName');
  const evidence = settingsOf(d).get('EVIDENCE_STORAGE__accountName');
  if (scope.endsWith(`/Microsoft.Storage/storageAccounts/${storage}`)) return 'runtimeStorage';
  if (scope.endsWith(`/Microsoft.Storage/storageAccounts/${evidence}`)) return 'evidenceStorage';
  if (/\/providers\/Microsoft\.KeyVault\/vaults\/[^/]+$/.test(scope)) return 'vault';
  if (/\/providers\/Microsoft\.Insights\/components\/[^/]+$/.test(scope)) return 'insights';
  if (/\/providers\/Microsoft\.DurableTask\/schedulers\/[^/]+\/taskHubs\/[^/]+$/.test(scope)) return 'taskHub';
  if (/\/providers\/Microsoft\.Web\/sites\/[^/]+$/.test(scope)) return 'site';
  if (/\/providers\/Microsoft\.Web\/serverfarms\/[^/]+$/i.test(scope)) return 'plan';
  return undefined;
}

export function roleAssignments(d: Deployment): DeployedResource[] {
  return d.resources.filter((r) => r.type === 'Microsoft.Authorization/roleAssignments');
}

/** Every role assignment: a known built-in role, named in its description, scoped to one resource, the least for what the app does there. */
export function checkRoles(d: Deployment): string[] {
  const problems: string[] = [];
  for (const a of roleAssignments(d)) {
    const props = a.resource.properties as { roleDefinitionId: string; description?: string; principalType?: string };
    const id = props.roleDefinitionId.split('/').pop() ?? '';
    const role = ROLES[id];
    if (!role) {
      problems.push(`${a.path}: role ${id} is not a known built-in role`);
      continue;
    }
    if (!props.description?.startsWith(`${role.roleName}:`)) problems.push(`${a.path}: claims "${props.description}" but ${id} is ${role.roleName}`);
    if (props.principalType !== 'ServicePrincipal') problems.push(`${a.path}: principalType ${props.principalType} (a managed identity is a ServicePrincipal)`);
    const kind = scopeKind(a.scope, d, role.roleName);
    if (!kind) {
      problems.push(`${a.path}: scope ${a.scope ?? '(the deployment\'s resource group)'} is not one resource the app uses`);
      continue;
    }
    const need = NEEDS[kind]!;
    if (need.roles && !need.roles.includes(role.roleName)) problems.push(`${a.path}: ${role.roleName} on ${kind}; the docs ask for ${need.roles.join(', ')} (${need.why})`);
    for (const op of need.ops ?? []) {
      if (!grants(role.actions, op) && !grants(role.dataActions, op)) problems.push(`${a.path}: ${role.roleName} does not grant ${op} (${need.why})`);
    }
    for (const small of need.tooSmall ?? []) {
      const r = ROLES[byName(small)]!;
      const enough = need.ops ? need.ops.every((op) => grants(r.actions, op) || grants(r.dataActions, op)) : false;
      if (enough) problems.push(`${a.path}: ${small} would do, ${role.roleName} is more than needed`);
    }
    if (role.actions.includes('*')) problems.push(`${a.path}: ${role.roleName} grants every action`);
  }
  const expected = Object.keys(NEEDS).filter((k) => !['taskHub', 'site', 'plan', 'monitoring', 'logs'].includes(k));
  for (const kind of expected) {
    if (!roleAssignments(d).some((a) => scopeKind(a.scope, d) === kind)) problems.push(`no role assignment on ${kind} (${NEEDS[kind]!.why})`);
  }
  for (const name of NEEDS.runtimeStorage!.roles!) {
    if (!roleAssignments(d).some((a) => scopeKind(a.scope, d) === 'runtimeStorage' && (a.resource.properties as { roleDefinitionId: string }).roleDefinitionId.endsWith(byName(name)))) {
      problems.push(`runtime storage lacks ${name}`);
    }
  }
  return problems;
}

export function functionApp(d: Deployment): DeployedResource {
  const apps = d.resources.filter((r) => r.type === 'Microsoft.Web/sites');
  if (apps.length !== 1) throw new Error(`expected one function app, found ${apps.length}`);
  return apps[0]!;
}

/** The function app's settings, runtime values as `<runtime:...>` text. */
export function settingsOf(d: Deployment): Map<string, string> {
  const props = functionApp(d).resource.properties as { siteConfig: { appSettings: { name: string; value: unknown }[] } };
  return new Map(props.siteConfig.appSettings.map((s) => [s.name, String(s.value as string)]));
}

/** Storage: identity-based connections, no keys anywhere. */
export function checkIdentityStorage(d: Deployment, templateText: string): string[] {
  const problems: string[] = [];
  const s = settingsOf(d);
  const clientId = s.get('AZURE_CLIENT_ID');
  if (s.has('AzureWebJobsStorage')) problems.push('AzureWebJobsStorage (a connection string) is set');
  if (s.get('AzureWebJobsStorage__credential') !== 'managedidentity') problems.push('AzureWebJobsStorage__credential is not managedidentity');
  for (const prefix of ['AzureWebJobsStorage', 'EVIDENCE_STORAGE']) {
    if (!s.get(`${prefix}__accountName`)) problems.push(`${prefix}__accountName is not set`);
    if (!clientId || s.get(`${prefix}__clientId`) !== clientId) problems.push(`${prefix}__clientId is not the app's identity`);
  }
  for (const a of d.resources.filter((r) => r.type === 'Microsoft.Storage/storageAccounts')) {
    const p = a.resource.properties as { allowSharedKeyAccess?: boolean; allowBlobPublicAccess?: boolean };
    if (p.allowSharedKeyAccess !== false) problems.push(`${a.name}: shared key access is not disabled`);
    if (p.allowBlobPublicAccess !== false) problems.push(`${a.name}: public blob access is not disabled`);
  }
  if (/listKeys\(|AccountKey=/i.test(templateText)) problems.push('the template reads or writes a storage key');
  const app = functionApp(d).resource.properties as { functionAppConfig: { deployment: { storage: { authentication: { type: string } } } } };
  if (app.functionAppConfig.deployment.storage.authentication.type !== 'UserAssignedIdentity') problems.push('deployment storage is not reached with the identity');
  return problems;
}

/** App settings Flex Consumption retired (Functions docs, "Flex Consumption plan deprecations"). */
export const RETIRED_ON_FLEX = [
  'FUNCTIONS_WORKER_RUNTIME',
  'FUNCTIONS_EXTENSION_VERSION',
  'FUNCTIONS_WORKER_RUNTIME_VERSION',
  'WEBSITE_NODE_DEFAULT_VERSION',
  'WEBSITE_RUN_FROM_PACKAGE',
  'WEBSITE_CONTENTSHARE',
  'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
  'WEBSITE_CONTENTOVERVNET',
  'WEBSITE_MAX_DYNAMIC_APPLICATION_SCALE_OUT',
  'WEBSITE_MOUNT_ENABLED',
  'WEBSITE_USE_PLACEHOLDER_DOTNETISOLATED',
  'SCM_DO_BUILD_DURING_DEPLOYMENT',
  'ENABLE_ORYX_BUILD',
  'WEBSITE_TIME_ZONE',
  'TZ',
  'AzureWebJobsStorage__accountKey',
];

export function checkFlexSettings(d: Deployment): string[] {
  const names = [...settingsOf(d).keys()];
  const problems = names.filter((n) => RETIRED_ON_FLEX.some((r) => r.toLowerCase() === n.toLowerCase())).map((n) => `${n} is retired on Flex Consumption`);
  const props = functionApp(d).resource.properties as { siteConfig: Record<string, unknown> };
  for (const key of ['linuxFxVersion', 'nodeVersion', 'alwaysOn', 'use32BitWorkerProcess']) {
    if (key in props.siteConfig) problems.push(`siteConfig.${key} is not used on Flex Consumption (functionAppConfig replaces it)`);
  }
  return problems;
}

export function checkNode22(d: Deployment): string[] {
  const runtime = (functionApp(d).resource.properties as { functionAppConfig: { runtime: { name: string; version: string } } }).functionAppConfig.runtime;
  return runtime.name === 'node' && runtime.version === '22' ? [] : [`runtime is ${runtime.name} ${runtime.version}, not node 22`];
}

const NAME_RULES: Record<string, { rule: RegExp; what: string }> = {
  'Microsoft.Storage/storageAccounts': { rule: /^[a-z0-9]{3,24}$/, what: '3-24 lowercase letters and digits' },
  'Microsoft.KeyVault/vaults': { rule: /^(?=.{3,24}$)[a-zA-Z](?!.*--)[a-zA-Z0-9-]*[a-zA-Z0-9]$/, what: '3-24 letters, digits and single hyphens, starting with a letter' },
  'Microsoft.Web/sites': { rule: /^(?=.{2,60}$)[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]$/, what: '2-60 letters, digits and hyphens' },
  'Microsoft.Web/serverfarms': { rule: /^[a-zA-Z0-9-]{1,60}$/, what: '1-60 letters, digits and hyphens' },
  'Microsoft.ManagedIdentity/userAssignedIdentities': { rule: /^[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}$/, what: '3-128 letters, digits, hyphens, underscores' },
  'Microsoft.OperationalInsights/workspaces': { rule: /^[a-zA-Z0-9][a-zA-Z0-9-]{2,62}[a-zA-Z0-9]$/, what: '4-63 letters, digits, hyphens' },
  'Microsoft.Insights/components': { rule: /^[^%&\\?/]{1,255}$/, what: 'no %&\\?/' },
  'Microsoft.DurableTask/schedulers': { rule: /^[a-zA-Z0-9-]{3,64}$/, what: '3-64 letters, digits and hyphens' },
};

/** Names: every resource name follows its rule, and no parameter flows into a name. */
export function checkNames(d: Deployment, environmentName: string): string[] {
  const problems: string[] = [];
  for (const r of d.resources) {
    const rule = NAME_RULES[r.type];
    if (rule && !rule.rule.test(r.name)) problems.push(`${r.type} name "${r.name}" breaks the rule: ${rule.what}`);
    if (r.type !== 'Microsoft.Authorization/roleAssignments' && environmentName.length > 2 && r.name.toLowerCase().includes(environmentName.toLowerCase())) {
      problems.push(`${r.type} name "${r.name}" carries the environment name: an input flows into a name`);
    }
  }
  return problems;
}

/** The evidence immutability policy: at least a year, and never sent once locked. */
export function checkEvidencePolicy(unlocked: Deployment, locked: Deployment): string[] {
  const problems: string[] = [];
  const policy = (d: Deployment) => d.resources.filter((r) => r.type.endsWith('/immutabilityPolicies'));
  const p = policy(unlocked);
  if (p.length !== 1) problems.push(`unlocked: ${p.length} immutability policies, expected 1`);
  const days = (p[0]?.resource.properties as { immutabilityPeriodSinceCreationInDays?: number } | undefined)?.immutabilityPeriodSinceCreationInDays ?? 0;
  if (days < 365) problems.push(`evidence retention is ${days} days, under 365`);
  if (!p[0]?.name.endsWith(`/${DEFAULT_EVIDENCE_CONTAINER}/default`)) problems.push(`the policy is not on the evidence container ${DEFAULT_EVIDENCE_CONTAINER}`);
  if (policy(locked).length !== 0) problems.push('with evidencePolicyLocked=true the deployment still sends the immutability policy (a locked policy refuses it)');
  for (const a of [...unlocked.resources, ...locked.resources].filter((r) => r.type === 'Microsoft.Storage/storageAccounts')) {
    const worm = (a.resource.properties as { immutableStorageWithVersioning?: { immutabilityPolicy?: unknown } }).immutableStorageWithVersioning;
    if (worm?.immutabilityPolicy) problems.push(`${a.name}: an account-level immutability policy is sent on every deployment`);
  }
  const evidenceAccount = settingsOf(unlocked).get('EVIDENCE_STORAGE__accountName');
  const account = unlocked.resources.find((r) => r.type === 'Microsoft.Storage/storageAccounts' && r.name === evidenceAccount);
  if (!(account?.resource.properties as { immutableStorageWithVersioning?: { enabled?: boolean } } | undefined)?.immutableStorageWithVersioning?.enabled) {
    problems.push('the evidence account does not enable version-level immutability');
  }
  if (settingsOf(unlocked).get('EVIDENCE_CONTAINER') !== DEFAULT_EVIDENCE_CONTAINER) problems.push('EVIDENCE_CONTAINER is not the evidence container');
  return problems;
}

/** The raw alert archive: its container exists in the runtime account and a lifecycle rule deletes old payloads. */
export function checkAlertArchiveLifecycle(d: Deployment): string[] {
  const account = settingsOf(d).get('AzureWebJobsStorage__accountName');
  const problems: string[] = [];
  if (!d.resources.some((r) => r.type.endsWith('/containers') && r.name === `${account}/default/${ALERT_PAYLOADS_CONTAINER}`)) {
    problems.push(`no ${ALERT_PAYLOADS_CONTAINER} container in the runtime account`);
  }
  const policies = d.resources.filter((r) => r.type === 'Microsoft.Storage/storageAccounts/managementPolicies' && r.name === `${account}/default`);
  type Rule = { enabled: boolean; definition: { filters?: { prefixMatch?: string[] }; actions: { baseBlob?: { delete?: { daysAfterCreationGreaterThan?: number } } } } };
  const rules = policies.flatMap((p) => (p.resource.properties as { policy: { rules: Rule[] } }).policy.rules);
  const covering = rules.filter(
    (r) => r.enabled && (r.definition.filters?.prefixMatch ?? []).some((m) => `${ALERT_PAYLOADS_CONTAINER}/`.startsWith(m)) && (r.definition.actions.baseBlob?.delete?.daysAfterCreationGreaterThan ?? 0) > 0,
  );
  if (covering.length === 0) problems.push(`no enabled lifecycle rule deletes blobs under ${ALERT_PAYLOADS_CONTAINER}/`);
  return problems;
}

export { isRuntime };

/** The settings the template sets against the catalogue's `infra` entries (and `infra-dts` with the scheduler). */
export function checkSettingsAgainstCatalogue(d: Deployment, withScheduler: boolean): string[] {
  const catalogue = readJson<{ settings: Record<string, { azure: string }> }>('infra', 'app-settings.json').settings;
  const kinds = withScheduler ? ['infra', 'infra-dts'] : ['infra'];
  const want = Object.keys(catalogue).filter((n) => kinds.includes(catalogue[n]!.azure));
  const set = [...settingsOf(d).keys()];
  return [
    ...set.filter((n) => !want.includes(n)).map((n) => `${n} is set but the catalogue does not say infra sets it (is it read at all?)`),
    ...want.filter((n) => !set.includes(n)).map((n) => `${n} is not set, though the catalogue says infra sets it`),
  ];
}
