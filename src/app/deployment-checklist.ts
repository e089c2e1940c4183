/**
 * The manual steps after `azd up` (README, "Deploy to Azure"), as GET /api/health confirms them one
 * by one. A step the app can see from its own settings is "done" or "todo"; a step only Azure or
 * another system knows (a role on a target site, the action group, the lock on the evidence
 * policy) is "not checked", never reported as done. No value is ever echoed, only setting names.
 */
import type { Policy } from '../config/policy.js';
import type { AppSettings } from './settings.js';

export type StepState = 'done' | 'todo' | 'not checked';

export interface ChecklistStep {
  id: string;
  title: string;
  state: StepState;
  /** What was seen, or why it cannot be seen from here. */
  detail: string;
  optional?: true;
}

/** The steps in README order (test/infra/checklist.test.ts holds the README to these titles). */
export const CHECKLIST_STEPS = [
  { id: 'policy', title: 'Your policy' },
  { id: 'approval-signing-key', title: 'Approval signing key' },
  { id: 'app-service-authentication', title: 'App Service Authentication' },
  { id: 'teams', title: 'Teams delivery' },
  { id: 'teams-sign-in', title: 'Teams sign-in' },
  { id: 'sql-connections', title: 'SQL connection strings' },
  { id: 'sql-permissions', title: 'SQL user and role' },
  { id: 'target-sites', title: 'Target sites' },
  { id: 'alert-webhook', title: 'Action group webhook' },
  { id: 'secure-webhook', title: 'Secure webhook' },
  { id: 'evidence-lock', title: 'Evidence lock' },
] as const;

type StepId = (typeof CHECKLIST_STEPS)[number]['id'];

export function deploymentChecklist(settings: AppSettings, policy: Policy | undefined): ChecklistStep[] {
  const result: Record<StepId, Omit<ChecklistStep, 'id' | 'title'>> = {
    policy: policy
      ? { state: 'done', detail: `a valid policy with ${policy.services.length} service(s)` }
      : { state: 'todo', detail: 'no valid policy (see checks.policy): ship yours with POLICY_FILE and npm run package' },
    'approval-signing-key': approvalKey(settings),
    'app-service-authentication': appServiceAuthentication(settings),
    ...teams(settings),
    ...sql(settings, policy),
    'target-sites': {
      state: 'not checked',
      detail: 'the app does not call ARM to read its own role assignments: deploy with targetSiteIds naming every site the policy swaps',
    },
    'alert-webhook': { state: 'not checked', detail: 'the action group lives in Azure Monitor; a test alert shows it (GET /api/incidents)' },
    'secure-webhook': secureWebhook(settings),
    'evidence-lock': {
      state: 'not checked',
      detail: 'the app has no management rights on the evidence account; after locking, deploy with evidencePolicyLocked=true',
    },
  };
  return CHECKLIST_STEPS.map((s) => ({ id: s.id, title: s.title, ...result[s.id] }));
}

function approvalKey(settings: AppSettings): Omit<ChecklistStep, 'id' | 'title'> {
  const key = settings.approvalSetup.signingKey;
  if (key === 'key-vault-reference') {
    return { state: 'todo', detail: 'APPROVAL_SIGNING_KEY is a Key Vault reference that did not resolve: create the secret approval-signing-key' };
  }
  const approval = settings.approval;
  const keyProblem = approval.ok ? undefined : approval.issues.find((i) => i.path === 'APPROVAL_SIGNING_KEY');
  if (key === 'unset' || keyProblem) return { state: 'todo', detail: `APPROVAL_SIGNING_KEY: ${keyProblem?.message ?? 'not set'}` };
  return { state: 'done', detail: 'APPROVAL_SIGNING_KEY is set and long enough' };
}

function appServiceAuthentication(settings: AppSettings): Omit<ChecklistStep, 'id' | 'title'> {
  if (settings.access.easyAuth) return { state: 'done', detail: 'WEBSITE_AUTH_ENABLED is true: approvers and callers are identified by Entra' };
  if (settings.approvalSetup.linkIdentity) return { state: 'done', detail: 'off, and APPROVAL_IDENTITY=link: whoever holds an approval link may use it', optional: true };
  return { state: 'todo', detail: 'WEBSITE_AUTH_ENABLED is not true: turn on App Service Authentication (Entra), or choose approvalIdentity=link' };
}

function teams(settings: AppSettings): Record<'teams' | 'teams-sign-in', Omit<ChecklistStep, 'id' | 'title'>> {
  const teamsSettings = settings.teams;
  if (!teamsSettings.ok) {
    const names = [...new Set(teamsSettings.issues.map((i) => i.path))].join(', ');
    return {
      teams: { state: 'todo', detail: `Teams settings to fix: ${names}` },
      'teams-sign-in': { state: 'not checked', detail: 'the Teams settings are not valid yet' },
    };
  }
  const delivery = teamsSettings.settings.delivery;
  if (delivery === 'local') {
    return {
      teams: { state: 'todo', detail: 'TEAMS_DELIVERY is local: messages go to a file on the instance, nobody in Teams sees them' },
      'teams-sign-in': { state: 'not checked', detail: 'no Teams delivery chosen yet' },
    };
  }
  return {
    teams: { state: 'done', detail: `TEAMS_DELIVERY=${delivery}, settings valid` },
    'teams-sign-in':
      delivery === 'channel'
        ? { state: 'not checked', detail: 'the health check does not read the signed-in token from Key Vault: run npm run teams:signin once; the first incident message shows it works' }
        : { state: 'done', detail: 'not needed: activity-feed notifications are sent as the app', optional: true },
  };
}

function sql(app: AppSettings, policy: Policy | undefined): Record<'sql-connections' | 'sql-permissions', Omit<ChecklistStep, 'id' | 'title'>> {
  const settings = [...new Set((policy?.services ?? []).flatMap((s) => (s.sql ? [s.sql.connectionSetting] : [])))].sort();
  if (!policy) {
    return {
      'sql-connections': { state: 'not checked', detail: 'no valid policy to name the databases' },
      'sql-permissions': { state: 'not checked', detail: 'no valid policy to name the databases' },
    };
  }
  if (settings.length === 0) {
    const none = { state: 'done' as const, detail: 'the policy names no SQL database', optional: true as const };
    return { 'sql-connections': none, 'sql-permissions': none };
  }
  const bad = settings.filter((name) => !app.sqlConnection(name).target.ok);
  return {
    'sql-connections': bad.length
      ? { state: 'todo', detail: `missing or invalid: ${bad.join(', ')}` }
      : { state: 'done', detail: `set and well-formed: ${settings.join(', ')}` },
    'sql-permissions': {
      state: 'not checked',
      detail: 'the health check does not log in to the databases: run infra/sql/003-permissions.sql for the app\'s identity; a drill shows it works',
    },
  };
}

function secureWebhook(settings: AppSettings): Omit<ChecklistStep, 'id' | 'title'> {
  const intake = settings.intake;
  if (!intake.ok) return { state: 'todo', detail: `secure webhook settings to fix: ${intake.issues.map((i) => i.path).join(', ')}`, optional: true };
  return intake.secureWebhook
    ? { state: 'done', detail: 'alerts must also carry an Entra token from Azure Monitor', optional: true }
    : { state: 'todo', detail: 'off: alerts are authenticated by the function key only', optional: true };
}
