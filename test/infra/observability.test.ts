/**
 * The workbook and the alert rules on the automation itself (infra/app/observability.bicep), in
 * the ARM template compiled from infra/main.bicep by the real Bicep compiler and expanded by
 * test/harness/arm.ts:
 *   - an alert rule for each failure of the automation (an incident orchestration failed, Teams
 *     deliveries failing, the canary red or silent, intake answering 5xx), enabled, on the app's
 *     Application Insights component, sent to the action group;
 *   - the action group reaches the people or tool given as parameters, never the app's own webhook;
 *   - the workbook, on the same component, with the sections the issue asks for;
 *   - every query (workbook and rules) uses exactly the metric and attribute names the app emits
 *     (src/domain/telemetry.ts): none unknown, and every metric charted.
 * The last block shows each check failing on a deliberately broken copy of infra/.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ALERTS_FUNCTION } from '../../src/app/telemetry-hooks.js';
import { ATTR, METRICS } from '../../src/domain/telemetry.js';
import { deploy, type ArmTemplate, type DeployedResource, type Deployment } from '../harness/arm.js';
import { compileBrokenCopies, compileMain, skipWithoutBicep, type InfraBreak } from '../harness/bicep.js';

const reason = '(skipped: no .NET SDK to restore the Bicep compiler, outside CI)';
const EMAIL = 'sre-team@contoso.example';
const HOOK = 'https://oncall.contoso.example/hooks/azure-monitor';
const base = { environmentName: 'prod', opsAlertEmail: EMAIL, opsAlertWebhookUrl: HOOK };

const of = (d: Deployment, type: string): DeployedResource[] => d.resources.filter((r) => r.type === type);
const props = (r: DeployedResource | undefined): Record<string, unknown> => (r?.resource.properties ?? {}) as Record<string, unknown>;
const output = (d: Deployment, name: string): string => {
  const v = d.outputs?.[name];
  return typeof v === 'string' ? v : '';
};
/** The resource id of the (one) resource of `type` the deployment creates. */
const idOf = (d: Deployment, type: string): string | undefined => {
  const r = of(d, type)[0];
  // Ids as the evaluator forms them: the subscription is a fixed stand-in, the group the deployment's.
  const sub = /^\/subscriptions\/([^/]+)\//.exec(output(d, 'OPS_ACTION_GROUP_ID'))?.[1];
  return r && sub ? `/subscriptions/${sub}/resourceGroups/${r.resourceGroup}/providers/${type}/${r.name}` : undefined;
};
const componentId = (d: Deployment) => idOf(d, 'Microsoft.Insights/components');

interface Rule {
  name: string;
  enabled: boolean;
  scopes: string[];
  query: string;
  operator: string;
  threshold: number;
  actionGroups: string[];
  severity: number;
}

function rules(d: Deployment): Rule[] {
  return of(d, 'Microsoft.Insights/scheduledQueryRules').map((r) => {
    const p = props(r) as {
      displayName: string;
      enabled: boolean;
      severity: number;
      scopes: string[];
      criteria: { allOf: { query: string; operator: string; threshold: number }[] };
      actions: { actionGroups: string[] };
    };
    const c = p.criteria.allOf[0]!;
    return { name: p.displayName, enabled: p.enabled, severity: p.severity, scopes: p.scopes, query: c.query, operator: c.operator, threshold: c.threshold, actionGroups: p.actions.actionGroups };
  });
}

/** The failures the automation must be alerted on: the metric (or host table) each rule counts, and how it fires. */
const EXPECTED: { what: string; source: RegExp; fires: 'over' | 'under' }[] = [
  { what: 'an incident orchestration failed', source: new RegExp(`name == "${METRICS.orchestrationsFailed.name}"`), fires: 'over' },
  { what: 'Teams deliveries failing', source: new RegExp(`name == "${METRICS.teamsDeliveries.name}".*"rejected", "deadline"`), fires: 'over' },
  { what: 'the canary red', source: new RegExp(`name == "${METRICS.canaryRuns.name}".*== "red"`), fires: 'over' },
  { what: 'the canary silent', source: new RegExp(`name == "${METRICS.canaryRuns.name}" \\| summarize runs = count\\(\\)$`), fires: 'under' },
  { what: 'intake answering 5xx', source: new RegExp(`requests \\| where name == "${ALERTS_FUNCTION}" \\| where toint\\(resultCode\\) >= 500`), fires: 'over' },
];

export function checkAlertRules(d: Deployment): string[] {
  const problems: string[] = [];
  const groupId = idOf(d, 'Microsoft.Insights/actionGroups');
  const all = rules(d);
  for (const e of EXPECTED) {
    const r = all.find((x) => e.source.test(x.query));
    if (!r) {
      problems.push(`no alert rule for ${e.what}`);
      continue;
    }
    if (!r.enabled) problems.push(`${r.name}: disabled`);
    if (r.scopes.length !== 1 || r.scopes[0] !== componentId(d)) problems.push(`${r.name}: scoped to ${r.scopes.join(', ')}, not the app's Application Insights component`);
    if (r.actionGroups.length !== 1 || r.actionGroups[0] !== groupId) problems.push(`${r.name}: sent to ${r.actionGroups.join(', ') || 'nobody'}, not the action group`);
    const fires = e.fires === 'over' ? r.operator === 'GreaterThan' && r.threshold === 0 : r.operator === 'LessThan' && r.threshold === 1;
    if (!fires) problems.push(`${r.name}: fires when ${r.operator} ${r.threshold}`);
    if (r.severity > 2) problems.push(`${r.name}: severity ${r.severity} (Sev0-2 page someone)`);
  }
  return problems;
}

export function checkActionGroup(d: Deployment, email: string, hook: string): string[] {
  const problems: string[] = [];
  const groups = of(d, 'Microsoft.Insights/actionGroups');
  if (groups.length !== 1) return [`${groups.length} action groups`];
  const p = props(groups[0]) as { enabled: boolean; emailReceivers: { emailAddress: string }[]; webhookReceivers: { serviceUri: string }[] };
  if (!p.enabled) problems.push('the action group is disabled');
  const emails = p.emailReceivers.map((r) => r.emailAddress);
  const hooks = p.webhookReceivers.map((r) => r.serviceUri);
  if (JSON.stringify(emails) !== JSON.stringify(email ? [email] : [])) problems.push(`emails ${emails.join(', ')}`);
  if (JSON.stringify(hooks) !== JSON.stringify(hook ? [hook] : [])) problems.push(`webhooks ${hooks.join(', ')}`);
  // Never the automation's own webhook: if the app is what is down, it cannot hear about it.
  const ownHost = /^https:\/\/([^/]+)\//.exec(output(d, 'ALERTS_URL_WITHOUT_KEY'))?.[1];
  for (const uri of hooks) {
    if (/\/api\/alerts\b/i.test(uri) || (ownHost && uri.includes(ownHost))) problems.push(`the action group calls the automation's own webhook ${uri}`);
  }
  return problems;
}

interface WorkbookItem {
  type: number;
  name: string;
  content: { query?: string; title?: string };
}

function workbookOf(d: Deployment): { resource: DeployedResource | undefined; data: { items: WorkbookItem[]; fallbackResourceIds: string[] } | undefined } {
  const resource = of(d, 'Microsoft.Insights/workbooks')[0];
  const serialized = props(resource).serializedData;
  return { resource, data: typeof serialized === 'string' ? (JSON.parse(serialized) as { items: WorkbookItem[]; fallbackResourceIds: string[] }) : undefined };
}

/** The sections the issue asks the workbook to show, by the metric each one charts. */
const SECTIONS: { what: string; metric: string }[] = [
  { what: 'incidents over time', metric: METRICS.incidentsDeclared.name },
  { what: 'MTTx trends against the runbook\'s targets', metric: METRICS.timeToAcknowledge.name },
  { what: 'timeboxes met', metric: METRICS.timeboxes.name },
  { what: 'rollbacks and their outcomes', metric: METRICS.actions.name },
  { what: 'the automation\'s own failures', metric: METRICS.orchestrationsFailed.name },
];

export function checkWorkbook(d: Deployment): string[] {
  const problems: string[] = [];
  const { resource, data } = workbookOf(d);
  if (!resource || !data) return ['no workbook'];
  const p = props(resource);
  if (resource.resource.kind !== 'shared') problems.push(`workbook kind ${String(resource.resource.kind)}`);
  if (p.sourceId !== componentId(d)) problems.push(`workbook sourceId ${String(p.sourceId)}`);
  if (JSON.stringify(data.fallbackResourceIds) !== JSON.stringify([componentId(d)])) problems.push(`workbook fallbackResourceIds ${data.fallbackResourceIds.join(', ')}`);
  const queries = data.items.filter((i) => i.type === 3).map((i) => i.content.query ?? '');
  for (const s of SECTIONS) if (!queries.some((q) => q.includes(`"${s.metric}"`))) problems.push(`the workbook does not show ${s.what}`);
  if (!queries.some((q) => q.includes('autopilot.target_s'))) problems.push('the workbook does not chart the MTTx targets');
  // One incident's trace: every call of the operations (traces) that carry the id, so the intake's
  // storage calls made before the id existed (claim, payload archive, correlation) are in it too.
  const trace = data.items.find((i) => i.name === 'incident-trace')?.content.query ?? '';
  if (!/let operations = dependencies[^;]*customDimensions\["autopilot\.incident_id"\]\) == incident[^;]*\| distinct operation_Id;/.test(trace) || !/\| where operation_Id in \(operations\)/.test(trace)) {
    problems.push('the incident trace does not follow the operations that carry the incident id');
  }
  return problems;
}

/** Every query of the workbook and the alert rules. */
function queriesOf(d: Deployment): { workbook: string[]; rules: string[] } {
  return { workbook: (workbookOf(d).data?.items ?? []).filter((i) => i.type === 3).map((i) => i.content.query ?? ''), rules: rules(d).map((r) => r.query) };
}

/**
 * The names in the queries are exactly the app's: every `name == "..."` / `name in (...)` is a
 * metric of the catalogue (or, on the host's `requests` table, the intake function), every
 * `customDimensions["..."]` an attribute of it; every metric the app emits is charted.
 */
export function checkNames(d: Deployment): string[] {
  const problems: string[] = [];
  const { workbook, rules: ruleQueries } = queriesOf(d);
  const metricNames = new Set(Object.values(METRICS).map((m) => m.name));
  const attributes = new Set<string>(Object.values(ATTR));
  const used = new Set<string>();
  for (const q of [...workbook, ...ruleQueries]) {
    for (const m of q.matchAll(/\bname\s*(?:==\s*"([^"]+)"|in\s*\(([^)]*)\))/g)) {
      const names = m[1] !== undefined ? [m[1]] : [...(m[2] ?? '').matchAll(/"([^"]+)"/g)].map((x) => x[1]!);
      for (const n of names) {
        if (metricNames.has(n)) used.add(n);
        else if (!(n === ALERTS_FUNCTION && /requests \| where name ==/.test(q))) problems.push(`unknown name "${n}" in: ${q.split('\n')[0]}`);
      }
    }
    for (const m of q.matchAll(/customDimensions\["([^"]+)"\]/g)) if (!attributes.has(m[1]!)) problems.push(`unknown attribute "${m[1]}"`);
  }
  const charted = new Set(workbook.flatMap((q) => [...metricNames].filter((n) => q.includes(`"${n}"`))));
  for (const n of metricNames) if (!charted.has(n)) problems.push(`the workbook does not chart ${n}`);
  if (used.size === 0) problems.push('no metric name found in any query');
  return problems;
}

describe.skipIf(skipWithoutBicep)(`the workbook and the alert rules in the compiled template ${skipWithoutBicep ? reason : ''}`, () => {
  let template: ArmTemplate;
  let d: Deployment;
  beforeAll(() => {
    template = compileMain();
    d = deploy(template, base);
  });

  it('alerts on each failure of the automation: enabled, on its Application Insights, to the action group', () => {
    expect(rules(d)).toHaveLength(EXPECTED.length);
    expect(checkAlertRules(d)).toEqual([]);
  });

  it('sends the alerts to the people and the tool given, never to the automation\'s own webhook', () => {
    expect(checkActionGroup(d, EMAIL, HOOK)).toEqual([]);
    // Without receivers the rules still fire (in the portal), and the group is valid.
    expect(checkActionGroup(deploy(template, { environmentName: 'prod' }), '', '')).toEqual([]);
    // Pointed at the app's own intake by mistake, the check says so.
    const own = deploy(template, { ...base, opsAlertWebhookUrl: 'https://func-x.azurewebsites.net/api/alerts?code=abc' });
    expect(checkActionGroup(own, EMAIL, 'https://func-x.azurewebsites.net/api/alerts?code=abc')).toEqual([expect.stringContaining("the automation's own webhook")]);
  });

  it('has the workbook on the same component, with incidents, MTTx against targets, timeboxes, rollbacks and the automation\'s failures', () => {
    expect(checkWorkbook(d)).toEqual([]);
  });

  it('queries exactly the metric and attribute names the app emits', () => {
    expect(checkNames(d)).toEqual([]);
  });
});

const BREAKS: InfraBreak[] = [
  { check: 'rules: sent to no action group', file: 'app/observability.bicep', from: 'actions: { actionGroups: [actionGroup.id] }', to: 'actions: { actionGroups: [] }', run: (t) => checkAlertRules(deploy(t, base)) },
  { check: 'rules: disabled', file: 'app/observability.bicep', from: '      enabled: true\n      scopes', to: '      enabled: false\n      scopes', run: (t) => checkAlertRules(deploy(t, base)) },
  { check: 'rules: scoped to the resource group', file: 'app/observability.bicep', from: 'scopes: [insightsId]', to: 'scopes: [resourceGroup().id]', run: (t) => checkAlertRules(deploy(t, base)) },
  { check: 'rules: the canary-red rule counting green runs', file: 'app/observability.bicep', from: '== "red" | summarize red', to: '== "green" | summarize red', run: (t) => checkAlertRules(deploy(t, base)) },
  {
    check: 'action group: the app\'s own webhook',
    file: 'main.bicep',
    from: 'alertWebhookUrl: opsAlertWebhookUrl',
    to: "alertWebhookUrl: 'https://${functionApp.outputs.hostName}/api/alerts'",
    run: (t) => checkActionGroup(deploy(t, base), EMAIL, HOOK),
  },
  { check: 'names: a metric misspelt in a rule', file: 'app/observability.bicep', from: '"autopilot.orchestrations.failed"', to: '"autopilot.orchestration.failed"', run: (t) => checkNames(deploy(t, base)) },
  { check: 'names: a metric misspelt in the workbook', file: 'app/observability-workbook.json', from: /autopilot\.incident\.timeboxes/g, to: 'autopilot.incident.timebox', run: (t) => checkNames(deploy(t, base)) },
  { check: 'names: an attribute misspelt in the workbook', file: 'app/observability-workbook.json', from: /autopilot\.severity/g, to: 'autopilot.sev', run: (t) => checkNames(deploy(t, base)) },
  { check: 'workbook: the incident trace only the spans with the id', file: 'app/observability-workbook.json', from: '| where operation_Id in (operations)', to: '| where tostring(customDimensions[\\"autopilot.incident_id\\"]) == incident', run: (t) => checkWorkbook(deploy(t, base)) },
  { check: 'workbook: on another resource', file: 'app/observability.bicep', from: 'sourceId: insightsId', to: 'sourceId: resourceGroup().id', run: (t) => checkWorkbook(deploy(t, base)) },
];

describe.skipIf(skipWithoutBicep)(`each observability check fails on a deliberately broken copy of infra/ ${skipWithoutBicep ? reason : ''}`, () => {
  let compiled: ArmTemplate[];
  beforeAll(() => {
    compiled = compileBrokenCopies(BREAKS);
  });

  it.each(BREAKS.map((b, i) => [b.check, i] as const))('%s', (_name, i) => {
    expect(BREAKS[i]!.run(compiled[i]!).length).toBeGreaterThan(0);
  });
});
