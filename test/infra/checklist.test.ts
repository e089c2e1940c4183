/**
 * The manual steps after `azd up`, as GET /api/health reports them (src/app/deployment-checklist.ts),
 * and the README's checklist, which lists the same steps in the same order.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkHealth } from '../../src/app/health.js';
import { CHECKLIST_STEPS, deploymentChecklist } from '../../src/app/deployment-checklist.js';
import { loadPolicy } from '../../src/app/policy-source.js';
import { parseAppSettings } from '../../src/app/settings.js';
import { repoRoot } from '../harness/bicep.js';

/** The settings a fresh `azd up` leaves (what infra/app/function.bicep sets, as Azure resolves it), before any manual step. */
const fresh: NodeJS.ProcessEnv = {
  WEBSITE_INSTANCE_ID: 'abc',
  WEBSITE_HOSTNAME: 'func-x.azurewebsites.net',
  POLICY_PATH: path.join(repoRoot, 'policy.sample.json'),
  APPROVAL_SIGNING_KEY: '@Microsoft.KeyVault(SecretUri=https://kv-x.vault.azure.net/secrets/approval-signing-key/)',
  APPROVAL_IDENTITY: 'entra',
  TEAMS_TOKEN_KEYVAULT_URL: 'https://kv-x.vault.azure.net/',
  SECURE_WEBHOOK_TENANT_ID: '',
  SECURE_WEBHOOK_AUDIENCE: '',
};
const secretKey = Buffer.alloc(32, 9).toString('base64');
const sqlSecret = 'Pa55word-not-to-echo';
/** ... and after a person has done every step the app can see. */
const done: NodeJS.ProcessEnv = {
  ...fresh,
  APPROVAL_SIGNING_KEY: secretKey,
  WEBSITE_AUTH_ENABLED: 'True',
  TEAMS_DELIVERY: 'channel',
  TEAMS_TENANT_ID: '00000000-0000-0000-0000-0000000000aa',
  TEAMS_CLIENT_ID: '00000000-0000-0000-0000-0000000000bb',
  TEAMS_TEAM_ID: '00000000-0000-0000-0000-0000000000cc',
  TEAMS_CHANNEL_ID: '19:abc@thread.tacv2',
  SQL_CONNECTION_ADMIN_PROD: `Server=tcp:sql-prod.database.windows.net,1433;Database=admin;User Id=bot;Password=${sqlSecret}`,
  SQL_CONNECTION_ADMIN_RTM: 'Server=tcp:sql-rtm.database.windows.net,1433;Database=admin;Authentication=Active Directory Default',
  // The sample policy's Lab service (the lab sets it locally; a deployment of the sample names it too).
  SQL_CONNECTION_ADMIN_LAB: 'Server=tcp:127.0.0.1,7085;Database=autopilot;User Id=autopilot;Password=lab',
  SECURE_WEBHOOK_TENANT_ID: '00000000-0000-0000-0000-0000000000aa',
  SECURE_WEBHOOK_AUDIENCE: 'api://incident-autopilot',
};

/** The checklist the app shows with these settings (and the policy they name). */
const checklist = (env: NodeJS.ProcessEnv, policyFrom: NodeJS.ProcessEnv = env) => deploymentChecklist(parseAppSettings(env), loadPolicy(parseAppSettings(policyFrom).policy));
const states = (env: NodeJS.ProcessEnv) => Object.fromEntries(checklist(env).map((s) => [s.id, s.state]));

describe('the deployment checklist in GET /api/health', () => {
  it('after azd up: the steps the app can see are todo, the others not checked', () => {
    expect(states(fresh)).toEqual({
      policy: 'done',
      'approval-signing-key': 'todo',
      'app-service-authentication': 'todo',
      teams: 'todo',
      'teams-sign-in': 'not checked',
      'sql-connections': 'todo',
      'sql-permissions': 'not checked',
      'target-sites': 'not checked',
      'alert-webhook': 'not checked',
      'secure-webhook': 'todo',
      'evidence-lock': 'not checked',
    });
    const key = checklist(fresh).find((s) => s.id === 'approval-signing-key');
    expect(key?.detail).toContain('create the secret approval-signing-key');
  });

  it('confirms each step as it is done, never claims what it cannot see, and echoes no value', () => {
    const steps = checklist(done);
    expect(Object.fromEntries(steps.map((s) => [s.id, s.state]))).toEqual({
      policy: 'done',
      'approval-signing-key': 'done',
      'app-service-authentication': 'done',
      teams: 'done',
      'teams-sign-in': 'not checked',
      'sql-connections': 'done',
      'sql-permissions': 'not checked',
      'target-sites': 'not checked',
      'alert-webhook': 'not checked',
      'secure-webhook': 'done',
      'evidence-lock': 'not checked',
    });
    const text = JSON.stringify(steps);
    for (const secret of [secretKey, sqlSecret, 'sql-prod.database.windows.net']) expect(text).not.toContain(secret);
    // One SQL setting missing is named, not the other's value.
    const partly = checklist({ ...done, SQL_CONNECTION_ADMIN_RTM: '' }, done).find((s) => s.id === 'sql-connections');
    expect(partly).toMatchObject({ state: 'todo', detail: 'missing or invalid: SQL_CONNECTION_ADMIN_RTM' });
  });

  it('is part of the health report, without changing its status', async () => {
    const report = await checkHealth(parseAppSettings({ ...done, AzureWebJobsStorage: 'not a connection string' }));
    expect(report.status).toBe('unhealthy');
    expect(report.deployment.map((s) => s.id)).toEqual(CHECKLIST_STEPS.map((s) => s.id));
  });

  it('the README lists the same steps in the same order', () => {
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Deploy to Azure'));
    const titles = [...section.matchAll(/^\d+\. \*\*([^*]+)\*\* \(`([a-z-]+)`[,)]/gm)].map((m) => ({ id: m[2], title: m[1] }));
    expect(titles).toEqual(CHECKLIST_STEPS.map((s) => ({ id: s.id, title: s.title })));
  });
});
